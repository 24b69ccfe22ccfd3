//! JSON paths of a finding: `$.Statement[0].Condition.StringEquals["token.dynatrace.com:aud "]`.
//! Names that are plain identifiers are written `.Name`; any other name (condition keys have
//! dots, colons, and sometimes the stray space a finding is about) is quoted as a JSON string
//! in brackets, so the path says exactly which element is meant.

use std::fmt;

use serde::{Serialize, Serializer};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// An object member, by name.
    Key(String),
    /// An array element, by index.
    Index(usize),
}

/// A JSON path from the document's root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonPath(pub Vec<Segment>);

impl JsonPath {
    /// The path of a statement as the policy engine names it: `$.Statement[N]` or `$.Statement`.
    pub fn parse_statement(path: &str) -> JsonPath {
        let mut segments = vec![Segment::Key("Statement".into())];
        if let Some(index) = path
            .strip_prefix("$.Statement[")
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|n| n.parse().ok())
        {
            segments.push(Segment::Index(index));
        }
        JsonPath(segments)
    }

    /// This path and one member further.
    pub fn key(mut self, name: &str) -> JsonPath {
        self.0.push(Segment::Key(name.to_string()));
        self
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for segment in &self.0 {
            match segment {
                Segment::Key(name) if is_identifier(name) => write!(f, ".{name}")?,
                Segment::Key(name) => write!(
                    f,
                    "[{}]",
                    serde_json::to_string(name).map_err(|_| fmt::Error)?
                )?,
                Segment::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

impl Serialize for JsonPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_are_not_identifiers_are_quoted() {
        let path = JsonPath::parse_statement("$.Statement[2]")
            .key("Condition")
            .key("StringEquals")
            .key("token.dynatrace.com:aud ");
        assert_eq!(
            path.to_string(),
            r#"$.Statement[2].Condition.StringEquals["token.dynatrace.com:aud "]"#
        );
        assert_eq!(
            JsonPath::parse_statement("$.Statement")
                .key("Action")
                .to_string(),
            "$.Statement.Action"
        );
        assert_eq!(
            JsonPath::default()
                .key("ForAnyValue:StringLike")
                .to_string(),
            r#"$["ForAnyValue:StringLike"]"#
        );
    }
}
