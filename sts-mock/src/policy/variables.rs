//! Policy variables: `${aws:username}`-style placeholders in `Resource` and condition values,
//! filled from the request context at evaluation time. Only `Version: 2012-10-17` has them;
//! otherwise the text is literal.
//!
//! AWS: "IAM policy elements: Variables and tags" — `${*}`, `${?}` and `${$}` stand for the
//! literal characters, and `${key, 'default'}` gives a default when the key is absent.

use super::wildcard::Pattern;
use super::Context;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Text as written: `*` and `?` in it are wildcards for pattern operators.
    Text(String),
    /// A character from `${*}`, `${?}` or `${$}`: always literal.
    Escaped(char),
    Var {
        key: String,
        default: Option<String>,
    },
}

/// A value that may contain policy variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
    /// The whole value when it holds no variables: the fast path.
    plain: Option<String>,
}

impl Template {
    pub fn parse(text: &str, variables: bool) -> Template {
        let parts = if variables {
            parse_parts(text)
        } else {
            vec![Part::Text(text.to_string())]
        };
        let plain = match parts.as_slice() {
            [Part::Text(t)] => Some(t.clone()),
            [] => Some(String::new()),
            _ => None,
        };
        Template {
            source: text.to_string(),
            parts,
            plain,
        }
    }

    /// The value as written in the policy.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The value as exact text, variables filled in; `None` when a variable has no value (AWS:
    /// the comparison then fails).
    pub fn resolve(&self, context: &Context) -> Option<String> {
        if let Some(plain) = &self.plain {
            return Some(plain.clone());
        }
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Escaped(c) => out.push(*c),
                Part::Var { key, default } => out.push_str(&lookup(context, key, default)?),
            }
        }
        Some(out)
    }

    /// The value as a wildcard pattern: written `*`/`?` are wildcards; escapes and variable
    /// values are literal.
    pub fn pattern(&self, context: &Context) -> Option<Pattern> {
        let mut pattern = Pattern::default();
        for part in &self.parts {
            match part {
                Part::Text(t) => pattern.push_wild(t),
                Part::Escaped(c) => pattern.push_literal(&c.to_string()),
                Part::Var { key, default } => pattern.push_literal(&lookup(context, key, default)?),
            }
        }
        Some(pattern)
    }
}

/// A variable's value: a single-valued key's value, or the default.
fn lookup(context: &Context, key: &str, default: &Option<String>) -> Option<String> {
    match context.get(key) {
        Some([one]) => Some(one.clone()),
        // Guess: a multi-valued key cannot fill a single placeholder; treat it as absent.
        _ => default.clone(),
    }
}

fn parse_parts(text: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut text_buf = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        text_buf.push_str(&rest[..start]);
        let inner = &rest[start + 2..start + len];
        let part = match inner {
            "*" => Some(Part::Escaped('*')),
            "?" => Some(Part::Escaped('?')),
            "$" => Some(Part::Escaped('$')),
            _ => parse_var(inner),
        };
        match part {
            Some(part) => {
                if !text_buf.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text_buf)));
                }
                parts.push(part);
            }
            // Not a variable (e.g. `${}`): keep it as text.
            None => text_buf.push_str(&rest[start..start + len + 1]),
        }
        rest = &rest[start + len + 1..];
    }
    text_buf.push_str(rest);
    if !text_buf.is_empty() {
        parts.push(Part::Text(text_buf));
    }
    parts
}

/// `key` or `key, 'default'` (spaces around the comma allowed).
fn parse_var(inner: &str) -> Option<Part> {
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let default = default.strip_prefix('\'')?.strip_suffix('\'')?;
            (key.trim(), Some(default.to_string()))
        }
        None => (inner.trim(), None),
    };
    if key.is_empty() || key.contains(char::is_whitespace) {
        return None;
    }
    Some(Part::Var {
        key: key.to_string(),
        default,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        let mut c = Context::new();
        c.insert("aws:username", "alice");
        c.insert_multi("aws:TagKeys", vec!["a".into(), "b".into()]);
        c
    }

    #[test]
    fn substitution_defaults_and_escapes() {
        let c = ctx();
        let t = Template::parse("home/${aws:username}/*", true);
        assert_eq!(t.resolve(&c).as_deref(), Some("home/alice/*"));
        assert!(t.pattern(&c).unwrap().matches("home/alice/file"));
        assert!(!t.pattern(&c).unwrap().matches("home/bob/file"));

        let t = Template::parse("${aws:PrincipalTag/team, 'none'}", true);
        assert_eq!(t.resolve(&c).as_deref(), Some("none"));

        let t = Template::parse("a${*}b${?}${$}", true);
        assert_eq!(t.resolve(&c).as_deref(), Some("a*b?$"));
        assert!(!t.pattern(&c).unwrap().matches("axb?$"));
        assert!(t.pattern(&c).unwrap().matches("a*b?$"));

        assert_eq!(Template::parse("${aws:missing}", true).resolve(&c), None);
        assert_eq!(Template::parse("${aws:TagKeys}", true).resolve(&c), None);
    }

    #[test]
    fn without_2012_version_variables_are_literal() {
        let t = Template::parse("home/${aws:username}", false);
        assert_eq!(t.resolve(&ctx()).as_deref(), Some("home/${aws:username}"));
    }
}
