//! Profiles: the claims each real issuer puts in its tokens, and the discovery document it
//! publishes. A profile turns the fields of a mint request (`repository`, `ref`, `namespace`,
//! ...) into the issuer's own claims (`sub` computed as the issuer computes it, its default
//! `aud`, its custom claims) and says how the issuer dates its tokens and where it serves its
//! keys. One file per issuer, each citing the public documentation it follows.

mod dynatrace;
mod eks;
mod github;
mod gitlab;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::mint::{MintError, MintRequest};

pub(crate) use dynatrace::legacy_subject;
pub use dynatrace::{DEFAULT_CONNECTION_ID, DYNATRACE_SETTINGS_SCHEMA};
pub use eks::{EKS_CLUSTER_ID, EKS_ISSUER_URL};
pub use github::GITHUB_ISSUER_URL;
pub use gitlab::GITLAB_ISSUER_URL;

/// The claim sets of the issuers people federate into AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Dynatrace's AWS connections: legacy `{tenant, connection}` (`sub`
    /// `dtid:connection/<name>`) and current `{tenant, connection_id}` (`sub`
    /// `dt:connection-id/<settings object ID>`).
    Dynatrace,
    /// GitHub Actions' OIDC tokens (`token.actions.githubusercontent.com`, or a GitHub
    /// Enterprise Server's `https://HOST/_services/token`).
    GithubActions,
    /// GitLab CI/CD `id_tokens`.
    GitlabCi,
    /// EKS IAM roles for service accounts: a cluster's projected service-account tokens.
    EksIrsa,
}

impl Profile {
    /// Every profile, in the order the documentation lists them.
    pub const ALL: [Profile; 4] = [
        Profile::Dynatrace,
        Profile::GithubActions,
        Profile::GitlabCi,
        Profile::EksIrsa,
    ];

    /// The name in configuration files and messages: `dynatrace`, `github-actions`,
    /// `gitlab-ci`, `eks-irsa`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Dynatrace => "dynatrace",
            Profile::GithubActions => "github-actions",
            Profile::GitlabCi => "gitlab-ci",
            Profile::EksIrsa => "eks-irsa",
        }
    }

    /// The fields a mint request may give for this profile, besides `claims`, `ttl` and
    /// `fault` (which every profile takes).
    pub fn fields(self) -> &'static [Field] {
        match self {
            Profile::Dynatrace => dynatrace::FIELDS,
            Profile::GithubActions => github::FIELDS,
            Profile::GitlabCi => gitlab::FIELDS,
            Profile::EksIrsa => eks::FIELDS,
        }
    }

    /// The lifetime of a token when the request gives no `ttl`, in seconds.
    pub fn default_ttl(self) -> i64 {
        match self {
            Profile::Dynatrace => dynatrace::DEFAULT_TTL_SECS,
            Profile::GithubActions => github::DEFAULT_TTL_SECS,
            Profile::GitlabCi => gitlab::DEFAULT_TTL_SECS,
            Profile::EksIrsa => eks::DEFAULT_TTL_SECS,
        }
    }

    /// How many seconds before `iat` the issuer dates `nbf`.
    pub(crate) fn not_before_skew(self) -> i64 {
        match self {
            Profile::Dynatrace => 0,
            Profile::GithubActions => github::NOT_BEFORE_SKEW_SECS,
            Profile::GitlabCi => gitlab::NOT_BEFORE_SKEW_SECS,
            Profile::EksIrsa => 0,
        }
    }

    /// Where, under the issuer's prefix, the issuer serves its JWKS (the real issuer's path).
    pub fn jwks_path(self) -> &'static str {
        match self {
            Profile::Dynatrace => ".well-known/jwks.json",
            Profile::GithubActions => github::JWKS_PATH,
            Profile::GitlabCi => gitlab::JWKS_PATH,
            Profile::EksIrsa => eks::JWKS_PATH,
        }
    }

    /// The issuer's own claims for `request` (`sub`, `aud` and the profile's custom claims; no
    /// time claims), in the order the real issuer writes them.
    pub(crate) fn claims(
        self,
        issuer_url: &str,
        request: &MintRequest,
    ) -> Result<Map<String, Value>, MintError> {
        let fields = Fields::collect(self, request)?;
        match self {
            Profile::Dynatrace => dynatrace::claims(&fields),
            Profile::GithubActions => github::claims(&fields),
            Profile::GitlabCi => gitlab::claims(issuer_url, &fields),
            Profile::EksIrsa => eks::claims(&fields),
        }
    }

    /// The discovery document, in the shape the real issuer publishes, naming `issuer_url`
    /// and the reachable `jwks_url`. `local_base` is this issuer's local URL (prefix included,
    /// no trailing `/`); `algs` are the JOSE names of the published keys' algorithms.
    pub(crate) fn discovery(
        self,
        issuer_url: &str,
        local_base: &str,
        jwks_url: &str,
        algs: &[&str],
    ) -> Result<Value, crate::StartError> {
        Ok(match self {
            Profile::Dynatrace => dynatrace::discovery(issuer_url, local_base, jwks_url, algs)?,
            Profile::GithubActions => github::discovery(issuer_url, jwks_url, algs),
            Profile::GitlabCi => gitlab::discovery(issuer_url, jwks_url, algs),
            Profile::EksIrsa => eks::discovery(issuer_url, jwks_url, algs),
        })
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<&str> = Profile::ALL.iter().map(|p| p.as_str()).collect();
                format!("unknown profile `{s}`, expected one of: {}", all.join(", "))
            })
    }
}

/// What a field's value may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A name or identifier: a non-empty string without white space or control characters.
    Name,
    /// Free text (a workflow's name, an empty `head_ref`): a string without control characters.
    Text,
    /// `true` or `false` (a JSON boolean, or that text, as the command line gives it).
    Bool,
    /// A whole number (a JSON number, or its digits as text).
    Integer,
}

/// One field a profile accepts in a mint request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The field's name, e.g. `repository`.
    pub name: &'static str,
    /// What its value may be.
    pub kind: FieldKind,
}

const fn field(name: &'static str, kind: FieldKind) -> Field {
    Field { name, kind }
}

/// The validated fields of one request, by name.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    values: BTreeMap<&'static str, Value>,
}

impl Fields {
    /// The request's fields for `profile`: `tenant` and `connection` (typed members of
    /// [`MintRequest`]) and every other field, each checked against the profile's list.
    fn collect(profile: Profile, request: &MintRequest) -> Result<Fields, MintError> {
        let allowed = profile.fields();
        let mut given: Vec<(&str, Value)> = Vec::new();
        if let Some(tenant) = &request.tenant {
            given.push(("tenant", Value::String(tenant.clone())));
        }
        if let Some(connection) = &request.connection {
            given.push(("connection", Value::String(connection.clone())));
        }
        for (name, value) in &request.fields {
            if given.iter().any(|(n, _)| n == name) {
                return Err(MintError::Invalid(format!("duplicate field `{name}`")));
            }
            given.push((name.as_str(), value.clone()));
        }
        let mut fields = Fields::default();
        for (name, value) in given {
            let Some(spec) = allowed.iter().find(|f| f.name == name) else {
                let mut names: Vec<&str> = allowed.iter().map(|f| f.name).collect();
                names.extend(["claims", "ttl", "fault"]);
                return Err(MintError::Invalid(format!(
                    "unknown field `{name}` for the {profile} profile, expected one of {}",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            };
            fields.values.insert(spec.name, check(spec, value)?);
        }
        Ok(fields)
    }

    /// A string field, or `None` when the request does not give it.
    pub(crate) fn str(&self, name: &str) -> Option<&str> {
        self.values.get(name).and_then(Value::as_str)
    }

    /// A string field, or `default`.
    pub(crate) fn str_or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        self.str(name).unwrap_or(default)
    }

    /// A boolean field, or `default`.
    pub(crate) fn bool_or(&self, name: &str, default: bool) -> bool {
        self.values
            .get(name)
            .and_then(Value::as_bool)
            .unwrap_or(default)
    }

    /// A field as given (already of its kind), or `None`.
    pub(crate) fn value(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }
}

/// Checks (and, for the command line's text, converts) a field's value.
fn check(spec: &Field, value: Value) -> Result<Value, MintError> {
    let name = spec.name;
    let invalid = |what: &str| MintError::Invalid(format!("{name} must be {what}"));
    match spec.kind {
        FieldKind::Name | FieldKind::Text => {
            let Value::String(text) = value else {
                return Err(MintError::Invalid(format!(
                    "invalid type for {name}: {}, expected a string",
                    kind_of(&value)
                )));
            };
            if spec.kind == FieldKind::Name {
                if text.is_empty() {
                    return Err(MintError::Invalid(format!("{name} must not be empty")));
                }
                if let Some(c) = text.chars().find(|c| c.is_control() || c.is_whitespace()) {
                    return Err(MintError::Invalid(format!(
                        "{name} must not contain whitespace or control characters, found {c:?}"
                    )));
                }
            } else if let Some(c) = text.chars().find(|c| c.is_control()) {
                return Err(MintError::Invalid(format!(
                    "{name} must not contain control characters, found {c:?}"
                )));
            }
            Ok(Value::String(text))
        }
        FieldKind::Bool => match value {
            Value::Bool(b) => Ok(Value::Bool(b)),
            Value::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
            _ => Err(invalid("true or false")),
        },
        FieldKind::Integer => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Value::Number(n)),
            Value::String(s) => s
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| invalid("a whole number")),
            _ => Err(invalid("a whole number")),
        },
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Puts `value` under `name`, as a string claim.
pub(crate) fn put(claims: &mut Map<String, Value>, name: &str, value: impl Into<String>) {
    claims.insert(name.to_string(), Value::String(value.into()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse_from_their_names() {
        for profile in Profile::ALL {
            assert_eq!(profile.as_str().parse::<Profile>().unwrap(), profile);
        }
        let error = "github".parse::<Profile>().unwrap_err();
        assert!(error.contains("unknown profile `github`"), "{error}");
        assert!(
            error.contains("github-actions, gitlab-ci, eks-irsa"),
            "{error}"
        );
    }

    #[test]
    fn fields_are_checked_by_kind() {
        let name = field("repository", FieldKind::Name);
        assert!(check(&name, Value::from("o/r")).is_ok());
        for (bad, why) in [
            (Value::from(""), "must not be empty"),
            (Value::from("a b"), "must not contain whitespace"),
            (
                Value::from(1),
                "invalid type for repository: a number, expected a string",
            ),
        ] {
            let error = check(&name, bad).unwrap_err().to_string();
            assert!(error.contains(why), "{error}");
        }
        let text = field("workflow", FieldKind::Text);
        assert_eq!(check(&text, Value::from("")).unwrap(), "");
        assert_eq!(
            check(&text, Value::from("Deploy app")).unwrap(),
            "Deploy app"
        );
        assert!(check(&text, Value::from("a\nb")).is_err());
        let flag = field("immutable_subject", FieldKind::Bool);
        assert_eq!(check(&flag, Value::from("true")).unwrap(), true);
        assert_eq!(check(&flag, Value::from(false)).unwrap(), false);
        assert!(check(&flag, Value::from("yes")).is_err());
        let number = field("runner_id", FieldKind::Integer);
        assert_eq!(check(&number, Value::from("12")).unwrap(), 12);
        assert_eq!(check(&number, Value::from(12)).unwrap(), 12);
        assert!(check(&number, Value::from(1.5)).is_err());
        assert!(check(&number, Value::from("x")).is_err());
    }
}
