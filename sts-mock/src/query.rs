//! The AWS Query protocol: request parameters from a form body or query string, and XML
//! answers built element by element. Protocol only; what each action means lives in `sts/` and
//! `iam/`, which parameters are valid in [`crate::shape`], errors in [`crate::error`].

/// Request parameters in order of appearance (names are case-sensitive, as AWS's are).
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` text (a POST body or a query string).
    pub fn parse(text: &[u8]) -> Params {
        Params {
            pairs: form_urlencoded::parse(text).into_owned().collect(),
        }
    }

    /// Parameters given as pairs.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Params {
        Params { pairs }
    }

    /// Appends `other`'s parameters (a POST body after the query string).
    pub fn extend(&mut self, other: Params) {
        self.pairs.extend(other.pairs);
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every (name, value), in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Members of a Query-protocol list: `Name.member.1`, `Name.member.2`, ... (with an
    /// optional `.suffix` such as `.arn`), in index order, stopping at the first gap.
    pub fn list(&self, name: &str, suffix: &str) -> Vec<String> {
        let mut out = Vec::new();
        for i in 1..=10_000 {
            match self.get(&format!("{name}.member.{i}{suffix}")) {
                Some(v) => out.push(v.to_string()),
                None => break,
            }
        }
        out
    }

    /// `Name.member.N.Key` / `.Value` pairs.
    pub fn tags(&self, name: &str) -> Vec<crate::model::Tag> {
        self.list(name, ".Key")
            .into_iter()
            .enumerate()
            .map(|(i, key)| {
                let value = self
                    .get(&format!("{name}.member.{}.Value", i + 1))
                    .unwrap_or_default()
                    .to_string();
                crate::model::Tag { key, value }
            })
            .collect()
    }
}

/// Escapes text for XML element content. Quotes stay as they are, as in AWS's answers
/// (e.g. "Value 'x' at 'roleSessionName'").
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// [`escape`] appending to `out`: runs without markup characters (all of a session token, say)
/// are copied whole.
fn escape_into(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<', '>']) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            _ => "&gt;",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// Builds the body of a Query-protocol answer element by element, in the order AWS uses.
#[derive(Debug, Default)]
pub struct Xml {
    out: String,
}

impl Xml {
    /// An empty answer body.
    pub fn new() -> Xml {
        Xml::default()
    }
    /// `<name>`.
    pub fn open(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }
    /// `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }
    /// `<name>text</name>`.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        escape_into(&mut self.out, text);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }
    /// `<name>text</name>` when there is a value.
    pub fn leaf_opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(text) = text {
            self.leaf(name, text);
        }
        self
    }
    /// `<name>true</name>` or `<name>false</name>`.
    pub fn boolean(&mut self, name: &str, value: bool) -> &mut Self {
        self.leaf(name, if value { "true" } else { "false" })
    }
    /// The text built so far.
    pub fn into_string(self) -> String {
        self.out
    }
}

/// A whole success document: `<{Action}Response xmlns=..><{Wrapper}>..</{Wrapper}>
/// <ResponseMetadata>..`. The wrapper is written whenever the operation has one, even empty
/// (`<UpdateRoleResult/>`: SDKs look for it).
pub fn success_document(
    namespace: &str,
    action: &str,
    result_wrapper: Option<&str>,
    result: &str,
    request_id: &str,
) -> String {
    let result = match result_wrapper {
        Some(wrapper) if result.is_empty() => format!("<{wrapper}/>"),
        Some(wrapper) => format!("<{wrapper}>{result}</{wrapper}>"),
        None => String::new(),
    };
    format!(
        "<{action}Response xmlns=\"{namespace}\">{result}<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_lists_and_escaping() {
        let p = Params::parse(
            b"Action=X&PolicyArns.member.1.arn=a&PolicyArns.member.2.arn=b%26c&T=%2B",
        );
        assert_eq!(p.get("Action"), Some("X"));
        assert_eq!(p.list("PolicyArns", ".arn"), vec!["a", "b&c"]);
        assert_eq!(p.get("T"), Some("+"));
        assert_eq!(escape("a<b & 'c'"), "a&lt;b &amp; 'c'");
        assert_eq!(escape("<>&&x>"), "&lt;&gt;&amp;&amp;x&gt;");
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("é<ü"), "é&lt;ü");
        let mut xml = Xml::new();
        xml.open("A").leaf("B", "1<2").close("A");
        assert_eq!(xml.into_string(), "<A><B>1&lt;2</B></A>");
    }

    #[test]
    fn empty_results_keep_their_wrapper() {
        let doc = success_document("ns", "UpdateRole", Some("UpdateRoleResult"), "", "id");
        assert!(doc.contains("<UpdateRoleResult/>"), "{doc}");
        let doc = success_document("ns", "DeleteRole", None, "", "id");
        assert!(!doc.contains("Result"), "{doc}");
    }
}
