//! The AWS Query protocol: request parameters from a form body or query string, XML answers,
//! and AWS's error document. Protocol only; what each action means lives in `actions/`.

use std::fmt::Write as _;

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

    /// Members of a Query-protocol list: `Name.member.1`, `Name.member.2`, ... (with an
    /// optional `.suffix` such as `.arn`), in index order, stopping at the first gap.
    pub fn list(&self, name: &str, suffix: &str) -> Vec<String> {
        let mut out = Vec::new();
        for i in 1.. {
            let key = format!("{name}.member.{i}{suffix}");
            match self.get(&key) {
                Some(v) => out.push(v.to_string()),
                None => break,
            }
            if i > 1000 {
                break;
            }
        }
        out
    }

    /// Whether any parameter starts with `prefix` (to notice lists with gaps or bad indexes).
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k.starts_with(prefix))
    }
}

/// XML namespaces of the services served.
pub const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
pub const IAM_NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// Escapes text for XML element content. Quotes stay as they are, as in AWS's answers
/// (e.g. "Value 'x' at 'roleSessionName'").
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Builds the body of a Query-protocol answer element by element, in the order AWS uses.
#[derive(Debug, Default)]
pub struct Xml {
    out: String,
}

impl Xml {
    pub fn new() -> Xml {
        Xml::default()
    }
    pub fn open(&mut self, name: &str) -> &mut Self {
        let _ = write!(self.out, "<{name}>");
        self
    }
    pub fn close(&mut self, name: &str) -> &mut Self {
        let _ = write!(self.out, "</{name}>");
        self
    }
    /// `<name>text</name>`.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        let _ = write!(self.out, "<{name}>{}</{name}>", escape(text));
        self
    }
    /// `<name>text</name>` when there is a value.
    pub fn leaf_opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(text) = text {
            self.leaf(name, text);
        }
        self
    }
    pub fn into_string(self) -> String {
        self.out
    }
}

/// A whole success document: `<{Action}Response xmlns=..><{Action}Result>..</..><ResponseMetadata>..`.
pub fn success_document(namespace: &str, action: &str, result: &str, request_id: &str) -> String {
    let result = if result.is_empty() {
        String::new()
    } else {
        format!("<{action}Result>{result}</{action}Result>")
    };
    format!(
        "<{action}Response xmlns=\"{namespace}\">{result}<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
    )
}

/// AWS's summary of failed parameter constraints, all reported at once:
/// "1 validation error detected: X" or "2 validation errors detected: X; Y".
/// `None` when nothing failed.
pub fn validation_summary(failures: &[String]) -> Option<String> {
    match failures {
        [] => None,
        [one] => Some(format!("1 validation error detected: {one}")),
        many => Some(format!(
            "{} validation errors detected: {}",
            many.len(),
            many.join("; ")
        )),
    }
}

/// An AWS error: code, HTTP status, fault type and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AwsError {
    pub code: &'static str,
    pub status: u16,
    /// `Sender` (the caller's fault) or `Receiver`.
    pub sender: bool,
    pub message: String,
}

impl AwsError {
    pub fn new(code: &'static str, status: u16, message: impl Into<String>) -> AwsError {
        AwsError {
            code,
            status,
            sender: status < 500,
            message: message.into(),
        }
    }

    /// `ValidationError` with AWS's "1 validation error detected: ..." wording.
    pub fn validation(message: impl Into<String>) -> AwsError {
        AwsError::new("ValidationError", 400, message)
    }

    /// One failed constraint, worded as AWS words it.
    pub fn constraint(value: Option<&str>, member: &str, constraint: &str) -> AwsError {
        let value = match value {
            Some(v) => format!("Value '{v}'"),
            None => "Value null".to_string(),
        };
        let failure = format!("{value} at '{member}' failed to satisfy constraint: {constraint}");
        AwsError::validation(validation_summary(&[failure]).unwrap_or_default())
    }

    /// The `ErrorResponse` document.
    pub fn document(&self, namespace: &str, request_id: &str) -> String {
        format!(
            "<ErrorResponse xmlns=\"{namespace}\"><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            if self.sender { "Sender" } else { "Receiver" },
            self.code,
            escape(&self.message)
        )
    }
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
        let e = AwsError::constraint(
            Some("a<b"),
            "roleSessionName",
            "Member must have length greater than or equal to 2",
        );
        // Quotes stay unescaped, as in AWS's answers; markup characters are escaped.
        assert!(e.document(STS_NAMESPACE, "id").contains("Value 'a&lt;b'"));
    }
}
