//! IAM's input checks, shared by the IAM API and the setup file so that both refuse the same
//! things with the same words. Constraints (lengths, patterns, ranges) come from the botocore
//! IAM model; messages follow AWS's `ValidationError` format ("1 validation error detected:
//! Value 'x' at 'roleName' failed to satisfy constraint: ...").

use std::fmt;

/// A refused input, by the AWS error code it maps to. `Display` is the AWS message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// `ValidationError` (400).
    Validation(String),
    /// `InvalidInput` (400).
    Input(String),
    /// `LimitExceeded` (409).
    Limit(String),
    /// `MalformedPolicyDocument` (400).
    Malformed(String),
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Validation(m)
            | Invalid::Input(m)
            | Invalid::Limit(m)
            | Invalid::Malformed(m) => f.write_str(m),
        }
    }
}

/// Collects constraint failures the way AWS reports them: all at once, counted.
#[derive(Debug, Default)]
pub struct Checks {
    errors: Vec<String>,
}

/// The member name as AWS's messages spell it: the parameter with a lower-case first letter.
pub fn member(param: &str) -> String {
    let mut c = param.chars();
    match c.next() {
        Some(first) => first.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

impl Checks {
    pub fn new() -> Checks {
        Checks::default()
    }

    fn fail(&mut self, param: &str, value: Option<&str>, constraint: &str) {
        let value = match value {
            Some(v) => format!("'{v}'"),
            None => "null".to_string(),
        };
        self.errors.push(format!(
            "Value {value} at '{}' failed to satisfy constraint: {constraint}",
            member(param)
        ));
    }

    /// A required parameter that is absent.
    pub fn required(&mut self, param: &str, value: Option<&str>) {
        if value.is_none() {
            self.fail(param, None, "Member must not be null");
        }
    }

    /// Length in characters, as the model's `min`/`max`.
    pub fn length(&mut self, param: &str, value: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min {
            self.fail(
                param,
                Some(value),
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if n > max {
            self.fail(
                param,
                Some(value),
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// A pattern check; `ok` is whether `value` matches `pattern` (the model's regex, quoted).
    pub fn pattern(&mut self, param: &str, value: &str, ok: bool, pattern: &str) {
        if !ok {
            self.fail(
                param,
                Some(value),
                &format!("Member must satisfy regular expression pattern: {pattern}"),
            );
        }
    }

    /// An integer range, as the model's `min`/`max`.
    pub fn range(&mut self, param: &str, value: i64, min: i64, max: i64) {
        let text = value.to_string();
        if value < min {
            self.fail(
                param,
                Some(&text),
                &format!("Member must have value greater than or equal to {min}"),
            );
        } else if value > max {
            self.fail(
                param,
                Some(&text),
                &format!("Member must have value less than or equal to {max}"),
            );
        }
    }

    /// The number of members of a list.
    pub fn list_length(&mut self, param: &str, len: usize, max: usize) {
        if len > max {
            self.errors.push(format!(
                "Value at '{}' failed to satisfy constraint: Member must have length less than or equal to {max}",
                member(param)
            ));
        }
    }

    pub fn finish(self) -> Result<(), Invalid> {
        match crate::query::validation_summary(&self.errors) {
            None => Ok(()),
            Some(summary) => Err(Invalid::Validation(summary)),
        }
    }
}

// --- the model's patterns, by hand (Java regex semantics: `\w` is ASCII) ---

pub const NAME_PATTERN: &str = r"[\w+=,.@-]+";
pub const PATH_PATTERN: &str = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)";
pub const PATH_PREFIX_PATTERN: &str = r"\u002F[\u0021-\u007F]*";
pub const DESCRIPTION_PATTERN: &str = r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*";
pub const POLICY_DOCUMENT_PATTERN: &str = r"[\u0009\u000A\u000D\u0020-\u00FF]+";
pub const TAG_KEY_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+";
pub const TAG_VALUE_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*";

/// `[\w+=,.@-]+`: role and policy names.
pub fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`: `/` or `/a/b/`.
pub fn is_path(s: &str) -> bool {
    s == "/"
        || (s.len() >= 3
            && s.starts_with('/')
            && s.ends_with('/')
            && s.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c)))
}

pub fn is_path_prefix(s: &str) -> bool {
    s.starts_with('/') && s.chars().all(|c| ('\u{21}'..='\u{7f}').contains(&c))
}

pub fn is_description(s: &str) -> bool {
    s.chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}'))
}

pub fn is_policy_document_text(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'))
}

fn is_tag_char(c: char) -> bool {
    // \p{L} letters, \p{Z} separators (Rust's whitespace is close: Guess for exotic spaces),
    // \p{N} numbers.
    c.is_alphabetic()
        || c.is_numeric()
        || (c.is_whitespace() && !c.is_control())
        || "_.:/=+-@".contains(c)
}

/// Checks tags as `Tags.member.N.Key/Value` of any IAM action.
pub fn tags(checks: &mut Checks, tags: &[(String, String)]) {
    checks.list_length("Tags", tags.len(), 50);
    for (k, v) in tags {
        checks.length("Tags.member.key", k, 1, 128);
        checks.pattern(
            "Tags.member.key",
            k,
            k.chars().all(is_tag_char),
            TAG_KEY_PATTERN,
        );
        checks.length("Tags.member.value", v, 0, 256);
        checks.pattern(
            "Tags.member.value",
            v,
            v.chars().all(is_tag_char),
            TAG_VALUE_PATTERN,
        );
    }
}

/// Tag keys are unique regardless of case on IAM.
pub fn duplicate_tag_keys(tags: &[(String, String)]) -> Result<(), Invalid> {
    for (i, (k, _)) in tags.iter().enumerate() {
        if tags[..i]
            .iter()
            .any(|(other, _)| other.eq_ignore_ascii_case(k))
        {
            // Guess: wording of IAM's duplicate-tag-key refusal.
            return Err(Invalid::Input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
                    .to_string(),
            ));
        }
    }
    Ok(())
}

pub fn role_name(checks: &mut Checks, name: &str) {
    checks.length("RoleName", name, 1, 64);
    checks.pattern("RoleName", name, is_name(name), NAME_PATTERN);
}

pub fn policy_name_checks(checks: &mut Checks, name: &str) {
    checks.length("PolicyName", name, 1, 128);
    checks.pattern("PolicyName", name, is_name(name), NAME_PATTERN);
}

pub fn policy_document(checks: &mut Checks, param: &str, doc: &str) {
    checks.length(param, doc, 1, 131072);
    checks.pattern(
        param,
        doc,
        is_policy_document_text(doc),
        POLICY_DOCUMENT_PATTERN,
    );
}

/// The constraints of `CreateRole` apart from the trust policy.
pub fn role(
    name: &str,
    path: &str,
    description: Option<&str>,
    max_session_duration: Option<u32>,
    role_tags: &[(String, String)],
) -> Result<(), Invalid> {
    let mut c = Checks::new();
    role_name(&mut c, name);
    c.length("Path", path, 1, 512);
    c.pattern("Path", path, is_path(path), PATH_PATTERN);
    if let Some(d) = description {
        c.length("Description", d, 0, 1000);
        c.pattern("Description", d, is_description(d), DESCRIPTION_PATTERN);
    }
    if let Some(m) = max_session_duration {
        c.range("MaxSessionDuration", m as i64, 3600, 43200);
    }
    tags(&mut c, role_tags);
    c.finish()?;
    duplicate_tag_keys(role_tags)
}

pub fn policy_name(name: &str) -> Result<(), Invalid> {
    let mut c = Checks::new();
    policy_name_checks(&mut c, name);
    c.finish()
}

/// IAM's size of a policy: characters, not counting white space (IAM User Guide, "IAM and AWS
/// STS quotas"). Guess: white space inside strings is not counted either.
pub fn policy_size(doc: &str) -> usize {
    doc.chars().filter(|c| !c.is_whitespace()).count()
}

/// The trust policy quota (ACLSizePerRole, default 2048 characters).
pub const TRUST_POLICY_MAX: usize = 2048;
/// The quota on all inline policies of a role together.
pub const ROLE_INLINE_POLICIES_MAX: usize = 10240;

pub fn trust_policy_size(doc: &str) -> Result<(), Invalid> {
    if policy_size(doc) > TRUST_POLICY_MAX {
        return Err(Invalid::Limit(format!(
            "Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_MAX}"
        )));
    }
    Ok(())
}

/// The aggregate inline policy quota of a role (names and documents).
pub fn inline_policies_size<'a>(
    role: &str,
    policies: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(), Invalid> {
    // Guess: AWS counts the documents only; the wording is moto's, matching reports from AWS.
    let total: usize = policies.map(|(_, doc)| policy_size(doc)).sum();
    if total > ROLE_INLINE_POLICIES_MAX {
        return Err(Invalid::Limit(format!(
            "Maximum policy size of {ROLE_INLINE_POLICIES_MAX} bytes exceeded for role {role}"
        )));
    }
    Ok(())
}

/// IAM's default quotas on entities per account (IAM User Guide, "IAM and AWS STS quotas").
/// They also bound what a client can make the emulator hold.
pub const MAX_ROLES_PER_ACCOUNT: usize = 1000;
pub const MAX_PROVIDERS_PER_ACCOUNT: usize = 100;
/// Not an AWS quota: the emulator holds at most this many accounts with anything in them, so
/// access keys naming ever new accounts cannot grow it without bound.
pub const MAX_ACCOUNTS: usize = 1000;

/// Refuses a new entity in `account` when a quota is reached.
pub fn entity_quota(
    kind: &str,
    in_account: usize,
    max: usize,
    account_is_new: bool,
    accounts: usize,
) -> Result<(), Invalid> {
    if in_account >= max {
        return Err(Invalid::Limit(format!(
            "Cannot exceed quota for {kind}: {max}"
        )));
    }
    if account_is_new && accounts >= MAX_ACCOUNTS {
        // Guess: an emulator limit, worded like IAM's quotas.
        return Err(Invalid::Limit(format!(
            "Cannot exceed the emulator's quota of {MAX_ACCOUNTS} accounts"
        )));
    }
    Ok(())
}

pub const MAX_CLIENT_IDS: usize = 100;
pub const MAX_THUMBPRINTS: usize = 5;

pub fn client_id(checks: &mut Checks, id: &str) {
    checks.length("ClientID", id, 1, 255);
}

pub fn client_id_count(n: usize) -> Result<(), Invalid> {
    if n > MAX_CLIENT_IDS {
        return Err(Invalid::Limit(format!(
            "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
        )));
    }
    Ok(())
}

pub fn thumbprints(checks: &mut Checks, list: &[String]) {
    for t in list {
        checks.length("ThumbprintList", t, 40, 40);
    }
}

pub fn thumbprint_count(n: usize) -> Result<(), Invalid> {
    if n > MAX_THUMBPRINTS {
        return Err(Invalid::Input(format!(
            "Thumbprint list must contain fewer than {MAX_THUMBPRINTS} entries."
        )));
    }
    Ok(())
}

/// The URL of an OIDC provider: `https://host[/path]`.
pub fn provider_url(url: &str) -> Result<(), Invalid> {
    let mut c = Checks::new();
    c.length("Url", url, 1, 255);
    c.finish()?;
    let Ok(parsed) = url::Url::parse(url) else {
        return Err(Invalid::Validation(
            "Invalid Open ID Connect Provider URL".to_string(),
        ));
    };
    if parsed.host_str().unwrap_or_default().is_empty() {
        return Err(Invalid::Validation(
            "Invalid Open ID Connect Provider URL".to_string(),
        ));
    }
    if parsed.scheme() != "https" {
        // Guess: AWS's wording for a non-https URL.
        return Err(Invalid::Input(
            "Invalid Open ID Connect Provider URL. The URL must begin with https://.".to_string(),
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() || !parsed.username().is_empty() {
        // Guess: AWS refuses queries, fragments and credentials in the URL as InvalidInput.
        return Err(Invalid::Input(
            "Invalid Open ID Connect Provider URL.".to_string(),
        ));
    }
    Ok(())
}

/// Everything `CreateOpenIDConnectProvider` checks about its input.
pub fn provider(
    url: &str,
    client_ids: &[String],
    thumbprint_list: &[String],
    provider_tags: &[(String, String)],
) -> Result<(), Invalid> {
    let mut c = Checks::new();
    c.length("Url", url, 1, 255);
    for id in client_ids {
        client_id(&mut c, id);
    }
    thumbprints(&mut c, thumbprint_list);
    tags(&mut c, provider_tags);
    c.finish()?;
    provider_url(url)?;
    thumbprint_count(thumbprint_list.len())?;
    client_id_count(client_ids.len())?;
    duplicate_tag_keys(provider_tags)
}

/// A twelve-digit AWS account ID.
pub fn account_id(id: &str) -> Result<(), Invalid> {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Invalid::Validation(format!(
            "{id:?} is not an AWS account ID (twelve digits)"
        )))
    }
}

/// An absolute `http(s)://` URL (issuers and `--oidc-endpoint` bases).
pub fn endpoint_url(url: &str) -> Result<(), Invalid> {
    match url::Url::parse(url) {
        Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host_str().is_some() => {
            Ok(())
        }
        _ => Err(Invalid::Validation(format!(
            "{url:?} is not an http(s) URL"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths_follow_the_model_patterns() {
        assert!(is_name("dynatrace-aws-connector"));
        assert!(is_name("a_b+c=d,e.f@g-h"));
        assert!(!is_name("has space"));
        assert!(!is_name(""));
        assert!(is_path("/"));
        assert!(is_path("/a/b/"));
        assert!(!is_path("//"));
        assert!(!is_path("/a"));
        assert!(!is_path("a/"));
    }

    #[test]
    fn validation_errors_are_counted_and_worded_as_aws() {
        let e = role("bad name", "/", None, None, &[]).unwrap_err();
        assert_eq!(
            e,
            Invalid::Validation(
                r"1 validation error detected: Value 'bad name' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+".into()
            )
        );
        let e = role(&"x".repeat(65), "nope", None, Some(100), &[]).unwrap_err();
        assert!(
            e.to_string().starts_with("3 validation errors detected: "),
            "{e}"
        );
        assert!(e
            .to_string()
            .contains("Member must have length less than or equal to 64"));
        assert!(e
            .to_string()
            .contains("Member must have value greater than or equal to 3600"));
    }

    #[test]
    fn provider_checks() {
        assert_eq!(
            provider("https://token.dynatrace.com", &[], &[], &[]),
            Ok(())
        );
        assert!(matches!(
            provider("http://x.example", &[], &[], &[]),
            Err(Invalid::Input(_))
        ));
        assert!(matches!(
            provider("example.org", &[], &[], &[]),
            Err(Invalid::Validation(_))
        ));
        let ids: Vec<String> = (0..101).map(|i| i.to_string()).collect();
        assert_eq!(
            provider("https://a.example", &ids, &[], &[]),
            Err(Invalid::Limit(
                "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100".into()
            ))
        );
        let tps: Vec<String> = (0..6).map(|_| "a".repeat(40)).collect();
        assert!(matches!(
            provider("https://a.example", &[], &tps, &[]),
            Err(Invalid::Input(_))
        ));
        assert_eq!(
            crate::model::provider_arn("000000000000", "https://token.dynatrace.com/"),
            "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"
        );
        // The same provider whatever the host's case, as the model keys it.
        assert_eq!(
            crate::model::provider_arn("000000000000", "https://Token.Dynatrace.com"),
            "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"
        );
    }

    #[test]
    fn trust_policy_quota_ignores_white_space() {
        let doc = format!("{{{}}}", " ".repeat(5000));
        assert_eq!(trust_policy_size(&doc), Ok(()));
        let doc = format!("{{\"Sid\":\"{}\"}}", "a".repeat(2100));
        assert!(matches!(trust_policy_size(&doc), Err(Invalid::Limit(_))));
    }
}
