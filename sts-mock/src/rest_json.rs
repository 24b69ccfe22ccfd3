//! The REST-JSON protocol of the Account API: a request body (a JSON object) flattened into the
//! parameter form the model validator and the handlers read (`MaxResults=5`,
//! `RegionOptStatusContains.member.1=ENABLED`), so the constraints are checked by the one
//! validator every service shares, and JSON answers built with serde_json.

use serde_json::Value;

use crate::error::{AwsError, ErrorCode};
use crate::query::Params;

/// Flattens a request body. An empty body is an empty input (some clients send none); a body
/// that is not a JSON object is `SerializationException`.
pub fn params(body: &[u8]) -> Result<Params, AwsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Params::default());
    }
    // Guess: the wording of a REST-JSON service's answer to a body it cannot read.
    let bad = |why: String| {
        AwsError::new(
            ErrorCode::SerializationException,
            format!("Unable to parse the request body as a JSON object: {why}"),
        )
    };
    let value: Value = serde_json::from_slice(body).map_err(|e| bad(e.to_string()))?;
    let Value::Object(members) = value else {
        return Err(bad("it is not an object".into()));
    };
    let mut pairs = Vec::new();
    for (name, value) in &members {
        flatten(name, value, &mut pairs);
    }
    Ok(Params::from_pairs(pairs))
}

fn flatten(name: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push((name.to_string(), b.to_string())),
        Value::Number(n) => out.push((name.to_string(), n.to_string())),
        Value::String(s) => out.push((name.to_string(), s.clone())),
        Value::Array(items) if items.is_empty() => out.push((name.to_string(), String::new())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{name}.member.{}", i + 1), item, out);
            }
        }
        Value::Object(members) => {
            for (member, value) in members {
                flatten(&format!("{name}.{member}"), value, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_flatten_to_the_query_form() {
        let p = params(br#"{"MaxResults": 5, "RegionOptStatusContains": ["ENABLED", "DISABLED"], "NextToken": null}"#).unwrap();
        assert_eq!(p.get("MaxResults"), Some("5"));
        assert_eq!(
            p.list("RegionOptStatusContains", ""),
            vec!["ENABLED", "DISABLED"]
        );
        assert_eq!(p.get("NextToken"), None);
        assert!(params(b"").unwrap().get("MaxResults").is_none());
        for bad in [&b"[1]"[..], b"{", b"\"x\""] {
            assert_eq!(
                params(bad).unwrap_err().code,
                ErrorCode::SerializationException
            );
        }
    }
}
