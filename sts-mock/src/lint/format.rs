//! The three forms of `sts-mock lint`'s report: text for people, JSON for scripts, SARIF 2.1.0
//! for CI code scanning (GitHub's and others' upload SARIF and annotate the lines it names).

use serde_json::{json, Value};

use super::locate::locate;
use super::{Finding, Severity, RULES};

/// What was linted: a file (its path, as given) or a role of a running sts-mock (its ARN), and
/// the policy's text, to place findings on lines.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    /// `policies/trust.json`, or `arn:aws:iam::000000000000:role/r`.
    pub name: &'a str,
    /// Whether `name` is a file (SARIF then names it as an artifact).
    pub is_file: bool,
    /// The policy's text.
    pub text: &'a str,
}

/// The findings in the order of the text (those that cannot be placed last), each with its
/// line and column.
fn placed<'f>(
    source: &Source<'_>,
    findings: &'f [Finding],
) -> Vec<(&'f Finding, Option<(usize, usize)>)> {
    let mut placed: Vec<_> = findings
        .iter()
        .map(|f| (f, locate(source.text, &f.path)))
        .collect();
    placed.sort_by_key(|(f, at)| (at.unwrap_or((usize::MAX, usize::MAX)), f.statement));
    placed
}

/// `FILE:LINE:COL: SEVERITY[ID] message`, then what to write instead, then a summary line.
pub fn text(source: &Source<'_>, findings: &[Finding]) -> String {
    let mut out = String::new();
    for (finding, at) in placed(source, findings) {
        let at = match at {
            Some((line, column)) => format!("{}:{line}:{column}", source.name),
            None => source.name.to_string(),
        };
        out.push_str(&format!(
            "{at}: {}[{}] {}\n  at {}\n  write instead: {}\n",
            finding.severity.as_str(),
            finding.id,
            finding.message,
            finding.path,
            finding.fix
        ));
    }
    out.push_str(&summary(source.name, findings));
    out.push('\n');
    out
}

/// `FILE: no findings`, or `FILE: 3 findings (1 error, 2 warnings)`.
pub fn summary(name: &str, findings: &[Finding]) -> String {
    if findings.is_empty() {
        return format!("{name}: no findings");
    }
    let count = |severity: Severity| findings.iter().filter(|f| f.severity == severity).count();
    let mut parts = Vec::new();
    for (severity, one, many) in [
        (Severity::Error, "error", "errors"),
        (Severity::Warning, "warning", "warnings"),
        (Severity::Note, "note", "notes"),
    ] {
        match count(severity) {
            0 => {}
            1 => parts.push(format!("1 {one}")),
            n => parts.push(format!("{n} {many}")),
        }
    }
    format!(
        "{name}: {} finding{} ({})",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        parts.join(", ")
    )
}

/// `{"source": NAME, "findings": [...]}`, each finding with its line and column when found.
pub fn json(source: &Source<'_>, findings: &[Finding]) -> Value {
    let findings: Vec<Value> = placed(source, findings)
        .into_iter()
        .map(|(finding, at)| {
            let mut value = serde_json::to_value(finding).unwrap_or(Value::Null);
            if let (Some((line, column)), Some(map)) = (at, value.as_object_mut()) {
                map.insert("line".into(), line.into());
                map.insert("column".into(), column.into());
            }
            value
        })
        .collect();
    json!({ "source": source.name, "findings": findings })
}

/// A SARIF 2.1.0 log with one run: the rules as the tool's rules, each finding a result at its
/// file, line and column (and its JSON path as the logical location).
pub fn sarif(source: &Source<'_>, findings: &[Finding]) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.why},
                "helpUri": r.source,
                "help": {"text": format!("{} See {}", r.why, r.source)},
                "defaultConfiguration": {"level": r.severity.as_str()},
            })
        })
        .collect();
    let results: Vec<Value> = placed(source, findings)
        .into_iter()
        .map(|(finding, at)| {
            let mut physical = json!({"artifactLocation": {"uri": source.name}});
            if let Some((line, column)) = at {
                physical["region"] = json!({"startLine": line, "startColumn": column});
            }
            let mut location = json!({
                "logicalLocations": [{"fullyQualifiedName": finding.path.to_string(), "kind": "member"}],
            });
            if source.is_file {
                location["physicalLocation"] = physical;
            }
            json!({
                "ruleId": finding.id,
                "ruleIndex": RULES.iter().position(|r| r.id == finding.id).unwrap_or(0),
                "level": finding.severity.as_str(),
                "message": {"text": format!("{} Write instead: {}", finding.message, finding.fix)},
                "locations": [location],
            })
        })
        .collect();
    let version = env!("CARGO_PKG_VERSION");
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "sts-mock lint",
                "version": version,
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}
