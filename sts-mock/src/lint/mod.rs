//! `sts-mock lint`: the trust-policy mistakes AWS accepts. IAM refuses a policy that breaks its
//! grammar (the policy engine's parser) and, for the shared issuers it lists, one that does not
//! scope the tenant claim ([`crate::model::idp_controls`]); everything else is saved, and the
//! mistake shows only when the wrong workflow assumes the role, or the right one never can.
//! The lint reads the parsed [`Policy`] (no evaluation, no I/O) and reports findings with a
//! stable id, a severity, the JSON path of the element and what to write instead.
//!
//! Its knowledge of providers is the STS's own: the keys a token brings into the context are
//! what [`crate::context::web_identity`] builds, the claims an issuer sends are
//! [`crate::context::ISSUERS`], the tenant claims IAM enforces are
//! [`crate::model::idp_controls`]. Every rule, with why it matters, is in [`RULES`] and
//! `docs/lint.md`.

pub mod format;
mod locate;
mod path;

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;
use serde_json::{json, Map, Value};

pub use path::{JsonPath, Segment};

use crate::context::{self, WebIdentityRequest};
use crate::model::{idp_controls, provider_key};
use crate::policy::{
    ConditionView, Effect, Operator, Policy, PolicyError, PolicyKind, PrincipalKind, SetQualifier,
    StatementView,
};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The policy trusts someone it should not, or a condition can never mean what it says.
    Error,
    /// Broader than it probably should be.
    Warning,
    /// Works as written, but says it in a misleading way.
    Note,
}

impl Severity {
    /// `error`, `warning` or `note` (SARIF's levels too).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// A rule: its stable id, severity, and why it matters.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The stable id, e.g. `tenant-claim-missing`.
    pub id: &'static str,
    /// Its severity.
    pub severity: Severity,
    /// One line: what it finds.
    pub title: &'static str,
    /// Why it matters, with the AWS documentation that says so.
    pub why: &'static str,
    /// The page of the IAM User Guide (or the issuer's documentation) behind `why`.
    pub source: &'static str,
}

/// Every rule, in the order `docs/lint.md` lists them.
pub const RULES: &[Rule] = &[
    Rule {
        id: "tenant-claim-missing",
        severity: Severity::Error,
        title: "a shared issuer is trusted without the claim that separates its tenants",
        why: "One issuer URL serves every customer of GitHub Actions, GitLab.com, Dynatrace and the other shared issuers; the tenant is in a claim. A statement that does not scope that claim trusts every tenant's tokens. IAM refuses such a policy for the issuers on its list (identity-provider controls) but accepts it for the others, Dynatrace among them, whose tenant is in aud and connection in sub.",
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc_secure-by-default.html",
    },
    Rule {
        id: "tenant-claim-wildcard",
        severity: Severity::Error,
        title: "the tenant claim is scoped with a pattern that admits other tenants",
        why: "StringLike matches * across every character, so repo:* or *.apps.dynatrace.com/... admits every organisation or tenant. IAM's identity-provider controls judge only that the value is not a bare *, so it accepts these.",
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html",
    },
    Rule {
        id: "github-sub-any-repo",
        severity: Severity::Warning,
        title: "the GitHub sub pattern admits any repository of the organisation",
        why: "repo:ORG/* lets a workflow of every repository in the organisation, including ones created later, assume the role. AWS recommends naming the repository (and branch or environment) in sub.",
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub",
    },
    Rule {
        id: "github-sub-any-ref",
        severity: Severity::Warning,
        title: "the GitHub sub pattern admits any branch, tag, pull request or environment",
        why: "repo:ORG/REPO:* lets any branch (anyone who can push one), any pull request and any environment of the repository assume the role, past branch protection and environment reviewers.",
        source: "https://docs.github.com/en/actions/reference/security/oidc#example-subject-claims",
    },
    Rule {
        id: "dynatrace-sub-any-connection",
        severity: Severity::Warning,
        title: "the Dynatrace sub pattern admits any connection of the tenant",
        why: "The sub of a token from token.dynatrace.com names one AWS connection of the tenant; a wildcard there lets every connection (and whoever can create one in the tenant) assume the role.",
        source: "https://docs.dynatrace.com/docs/ingest-from/amazon-web-services/integrate-with-aws/aws-connector",
    },
    Rule {
        id: "like-without-wildcard",
        severity: Severity::Note,
        title: "StringLike where no value has a wildcard",
        why: "Without * or ?, StringLike compares exactly, as StringEquals does; writing it suggests a wildcard was meant and forgotten, or invites one later.",
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String",
    },
    Rule {
        id: "equals-with-wildcard",
        severity: Severity::Error,
        title: "StringEquals with a value containing *",
        why: "StringEquals has no wildcards: * is a literal character that no token's claim contains, so the value never matches (and a negated operator always holds). StringLike was meant.",
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String",
    },
    Rule {
        id: "for-all-values-absent-key",
        severity: Severity::Error,
        title: "ForAllValues in an Allow on a key that may be absent",
        why: "ForAllValues is true when the key is missing from the request or empty, so a token without the claim (or a request without tags) satisfies the condition. \"Use caution if you use ForAllValues with an Allow effect\": add a Null condition with false.",
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html",
    },
    Rule {
        id: "for-any-value-negated",
        severity: Severity::Warning,
        title: "ForAnyValue with a negated operator in an Allow",
        why: "ForAnyValue:StringNotEquals holds when any one value differs from the list, so a request with one unlisted value among allowed ones is allowed; it is a Deny idiom, not an Allow one.",
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html",
    },
    Rule {
        id: "allow-not-principal",
        severity: Severity::Error,
        title: "Allow with NotPrincipal",
        why: "\"We strongly recommend that you do not use NotPrincipal in the same policy statement as Effect: Allow\": it allows every principal except those named, anonymous ones included.",
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html",
    },
    Rule {
        id: "principal-star-web-identity",
        severity: Severity::Error,
        title: "Principal \"*\" with a web-identity action",
        why: "With Principal \"*\", a token from any OIDC provider registered in the account may assume the role, whatever issuer the conditions were written for; the federated principal is the provider's ARN.",
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-federated-web-identity",
    },
    Rule {
        id: "action-wildcard-assume-role",
        severity: Severity::Warning,
        title: "an action wildcard that also grants sts:AssumeRole",
        why: "sts:* (or *, or NotAction) grants sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity too: more than the web-identity trust needs, and with an AWS principal, AssumeRole by any of its identities.",
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html",
    },
    Rule {
        id: "key-never-sent",
        severity: Severity::Error,
        title: "a condition on a claim the issuer never sends",
        why: "A claim the token lacks is a key the request context lacks: a positive condition on it is always false (the role can never be assumed) and a negated or IfExists one always true (it checks nothing).",
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif",
    },
    Rule {
        id: "key-not-in-context",
        severity: Severity::Error,
        title: "a condition on a claim STS does not put in the context",
        why: "Only aud, sub, azp, email and amr, and for the providers AWS lists some provider-specific claims, become condition keys; any other claim of the token is dropped, so the key is always absent.",
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif",
    },
    Rule {
        id: "key-other-provider",
        severity: Severity::Error,
        title: "a condition on another provider's keys than the statement trusts",
        why: "Keys are prefixed with the provider of the token: a statement trusting token.dynatrace.com never sees token.actions.githubusercontent.com:sub, so the condition is always absent.",
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif",
    },
    Rule {
        id: "key-misspelt",
        severity: Severity::Error,
        title: "a condition key that is misspelt (a space, a typo)",
        why: "IAM accepts any key name; a key that no request has (\"token.dynatrace.com:aud \" with a trailing space) is absent from every request, so the condition never means what it says.",
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html",
    },
    Rule {
        id: "request-tag-without-tag-session",
        severity: Severity::Error,
        title: "aws:RequestTag conditions without sts:TagSession allowed",
        why: "A token with session tags needs sts:TagSession in the trust policy, or STS refuses it; without tags, aws:RequestTag is absent. So a condition on tags with no statement allowing sts:TagSession lets no tagged session in.",
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_permissions-required",
    },
    Rule {
        id: "provider-not-registered",
        severity: Severity::Warning,
        title: "the trusted provider is not registered in the role's account",
        why: "STS looks the token's issuer up among the account's IAM OIDC providers; without one it answers InvalidIdentityToken \"No OpenIDConnect provider found in your account\" before reading the trust policy.",
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html",
    },
];

/// The rule with `id`.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's stable id.
    pub id: &'static str,
    /// The rule's severity.
    pub severity: Severity,
    /// The JSON path of the element: `$.Statement[0].Condition.StringEquals["token.dynatrace.com:aud "]`.
    pub path: JsonPath,
    /// What is wrong, for this policy.
    pub message: String,
    /// What to write instead.
    pub fix: String,
    /// The statement's index.
    pub statement: usize,
}

/// What the lint knows beyond the policy: the OIDC providers registered in the role's account
/// (their URLs), when known.
#[derive(Debug, Clone, Default)]
pub struct LintContext {
    /// The providers' URLs (`https://token.dynatrace.com` or `token.dynatrace.com`); `None`
    /// when not known (then `provider-not-registered` is not checked).
    pub providers: Option<Vec<String>>,
}

/// Lints a role's trust policy against the OIDC providers of its account (what `CreateRole`
/// and `UpdateAssumeRolePolicy` report to the page, and `sts-mock lint --role`).
pub fn lint_role(model: &crate::Model, role: &crate::model::Role) -> Vec<Finding> {
    let providers = model
        .providers(&role.account_id)
        .into_iter()
        .map(|p| p.url)
        .collect();
    lint(
        &role.trust_policy.policy,
        &LintContext {
            providers: Some(providers),
        },
    )
}

/// Parses `text` as a trust policy (IAM's grammar) and lints it. The error is IAM's
/// `MalformedPolicyDocument` message and path: bad input, not a finding.
pub fn lint_text(text: &str, context: &LintContext) -> Result<Vec<Finding>, PolicyError> {
    let policy = Policy::parse(text, PolicyKind::Trust)?;
    Ok(lint(&policy, context))
}

/// Lints a parsed trust policy. Findings are in document order.
pub fn lint(policy: &Policy, context: &LintContext) -> Vec<Finding> {
    let statements = policy.statement_views();
    let mut findings = Vec::new();
    let registered: Option<BTreeSet<String>> = context
        .providers
        .as_ref()
        .map(|urls| urls.iter().map(|u| provider_key(u)).collect());
    for statement in &statements {
        let checker = StatementLint {
            statement,
            providers: web_identity_providers(statement),
            all: &statements,
            findings: &mut findings,
        };
        checker.run(registered.as_ref());
    }
    findings.sort_by(|a, b| {
        (a.statement, a.path.to_string(), a.id).cmp(&(b.statement, b.path.to_string(), b.id))
    });
    findings.dedup();
    findings
}

/// A provider a statement trusts for web identity.
#[derive(Debug, Clone)]
struct Trusted<'a> {
    /// The principal as written (the provider's ARN, or Cognito's service name).
    principal: &'a str,
    /// Its key prefix: the URL without scheme, `token.dynatrace.com`.
    prefix: String,
}

const WEB_IDENTITY: &str = "sts:AssumeRoleWithWebIdentity";

/// The OIDC providers a statement names as `Federated` principals for web identity.
fn web_identity_providers<'a>(statement: &StatementView<'a>) -> Vec<Trusted<'a>> {
    let Some(principal) = &statement.principal else {
        return Vec::new();
    };
    if principal.negated || !statement.covers_action(WEB_IDENTITY) {
        return Vec::new();
    }
    principal
        .ids(PrincipalKind::Federated)
        .filter_map(|id| {
            let url = match id.split_once(":oidc-provider/") {
                Some((head, url)) if head.starts_with("arn:") => url,
                Some(_) => return None,
                // Cognito is named by its service name, and its keys carry that prefix.
                None if id == "cognito-identity.amazonaws.com" => id,
                None => return None,
            };
            Some(Trusted {
                principal: id,
                prefix: provider_key(url),
            })
        })
        .collect()
}

struct StatementLint<'s, 'a> {
    statement: &'s StatementView<'a>,
    providers: Vec<Trusted<'a>>,
    all: &'s [StatementView<'a>],
    findings: &'s mut Vec<Finding>,
}

impl StatementLint<'_, '_> {
    fn run(mut self, registered: Option<&BTreeSet<String>>) {
        let allow = self.statement.effect == Effect::Allow;
        if allow {
            self.principals();
            self.actions();
            self.tenancy();
        }
        for index in 0..self.statement.conditions.len() {
            self.operators(index, allow);
            if !self.providers.is_empty() {
                self.key(index);
            }
        }
        if allow {
            self.tags();
        }
        if let Some(registered) = registered {
            for trusted in self.providers.clone() {
                if !registered.contains(&trusted.prefix) {
                    self.push(
                        "provider-not-registered",
                        self.principal_path(),
                        format!(
                            "the statement trusts {}, but the role's account has no OIDC provider for https://{}: STS refuses its tokens with InvalidIdentityToken",
                            trusted.principal, trusted.prefix
                        ),
                        format!(
                            "register the provider (aws iam create-open-id-connect-provider --url https://{}) or trust one that is registered",
                            trusted.prefix
                        ),
                    );
                }
            }
        }
    }

    fn push(&mut self, id: &'static str, path: JsonPath, message: String, fix: String) {
        let severity = rule(id).map(|r| r.severity).unwrap_or(Severity::Error);
        self.findings.push(Finding {
            id,
            severity,
            path,
            message,
            fix,
            statement: self.statement.index,
        });
    }

    fn statement_path(&self) -> JsonPath {
        JsonPath::parse_statement(self.statement.path)
    }

    fn principal_path(&self) -> JsonPath {
        let negated = self.statement.principal.as_ref().is_some_and(|p| p.negated);
        self.statement_path()
            .key(if negated { "NotPrincipal" } else { "Principal" })
    }

    fn action_path(&self) -> JsonPath {
        let negated = self.statement.action.as_ref().is_some_and(|a| a.negated);
        self.statement_path()
            .key(if negated { "NotAction" } else { "Action" })
    }

    fn condition_path(&self, condition: &ConditionView<'_>) -> JsonPath {
        self.statement_path()
            .key("Condition")
            .key(condition.operator_text)
            .key(condition.key)
    }

    /// `allow-not-principal`, `principal-star-web-identity`.
    fn principals(&mut self) {
        let Some(principal) = self.statement.principal.clone() else {
            return;
        };
        if principal.negated {
            self.push(
                "allow-not-principal",
                self.principal_path(),
                "Allow with NotPrincipal allows every principal except the ones named, anonymous ones included".into(),
                "name the principals that may assume the role in Principal (for web identity: \"Principal\": {\"Federated\": \"arn:aws:iam::ACCOUNT:oidc-provider/ISSUER\"})".into(),
            );
            return;
        }
        let federated_any = principal.ids(PrincipalKind::Federated).any(|id| id == "*");
        if (principal.any || federated_any) && self.statement.covers_action(WEB_IDENTITY) {
            self.push(
                "principal-star-web-identity",
                self.principal_path(),
                format!(
                    "{} may call sts:AssumeRoleWithWebIdentity: a token from any OIDC provider registered in the account is trusted",
                    if principal.any { "Principal \"*\"" } else { "\"Federated\": \"*\"" }
                ),
                "\"Principal\": {\"Federated\": \"arn:aws:iam::ACCOUNT:oidc-provider/ISSUER\"}, one statement per provider".into(),
            );
        }
    }

    /// `action-wildcard-assume-role`.
    fn actions(&mut self) {
        let Some(action) = self.statement.action.clone() else {
            return;
        };
        let wildcards: Vec<&str> = action
            .written
            .iter()
            .copied()
            .filter(|a| a.contains(['*', '?']))
            .filter(|a| crate::policy::wildcard::matches_ignore_case(a, "sts:AssumeRole"))
            .collect();
        let granted = if action.negated {
            action.covers("sts:AssumeRole")
        } else {
            !wildcards.is_empty()
        };
        if !granted {
            return;
        }
        let what = if action.negated {
            "NotAction leaves sts:AssumeRole granted".to_string()
        } else {
            format!("{} also grants sts:AssumeRole", quote_list(&wildcards))
        };
        let needed = if self.providers.is_empty() {
            "\"sts:AssumeRole\""
        } else {
            "\"sts:AssumeRoleWithWebIdentity\" (and \"sts:TagSession\" if the tokens carry session tags)"
        };
        self.push(
            "action-wildcard-assume-role",
            self.action_path(),
            format!("{what} (and every other sts: action that matches)"),
            format!("\"Action\": the exact actions: {needed}"),
        );
    }

    /// `tenant-claim-missing`, `tenant-claim-wildcard`, `github-sub-any-repo`,
    /// `github-sub-any-ref`, `dynatrace-sub-any-connection`.
    fn tenancy(&mut self) {
        for trusted in self.providers.clone() {
            let conditions = &self.statement.conditions;
            // The claims IAM enforces for the shared issuers on its list.
            if let Some(keys) = idp_controls::required_keys(trusted.principal) {
                if !idp_controls::scoped(conditions, &keys) {
                    let (message, fix) = tenancy_advice(&trusted.prefix, &keys);
                    self.push(
                        "tenant-claim-missing",
                        self.statement_path().key("Condition"),
                        format!("{message}; IAM refuses this statement at CreateRole and UpdateAssumeRolePolicy (MalformedPolicyDocument: must evaluate {} which is not scoped to all)", keys.join(" or ")),
                        fix,
                    );
                }
            }
            // The shared issuers IAM does not check.
            if let Some(facts) = context::issuer_facts(&trusted.prefix) {
                for group in facts.tenancy {
                    let keys: Vec<String> = group
                        .iter()
                        .map(|claim| format!("{}:{claim}", trusted.prefix))
                        .collect();
                    if !idp_controls::scoped(conditions, &keys) {
                        let (message, fix) = tenancy_advice(&trusted.prefix, &keys);
                        self.push(
                            "tenant-claim-missing",
                            self.statement_path().key("Condition"),
                            format!("{message}; IAM accepts this policy, as {} is not on its list of shared providers", facts.name),
                            fix,
                        );
                    }
                }
            }
            for index in 0..self.statement.conditions.len() {
                self.tenant_patterns(&trusted, index);
            }
        }
    }

    fn tenant_patterns(&mut self, trusted: &Trusted<'_>, index: usize) {
        let condition = self.statement.conditions[index].clone();
        if !matches!(condition.operator, Operator::StringLike) {
            return;
        }
        let Some((prefix, claim)) = condition.key.split_once(':') else {
            return;
        };
        if !prefix.eq_ignore_ascii_case(&trusted.prefix) {
            return;
        }
        let claim = claim.to_ascii_lowercase();
        let path = self.condition_path(&condition);
        let github =
            context::issuer_facts(&trusted.prefix).is_some_and(|f| f.name == "GitHub Actions");
        let dynatrace =
            context::issuer_facts(&trusted.prefix).is_some_and(|f| f.name == "Dynatrace");
        for value in condition.values.iter().copied() {
            if !has_wildcard(value) || only_wildcards(value) {
                continue;
            }
            if github && claim == "sub" {
                match github_sub_scope(value) {
                    SubScope::AnyOwner => self.push(
                        "tenant-claim-wildcard",
                        path.clone(),
                        format!("{} matches the workflows of every GitHub organisation and user, not only yours", quote(value)),
                        "\"StringEquals\" or \"StringLike\": {\"token.actions.githubusercontent.com:sub\": \"repo:ORG/REPO:ref:refs/heads/BRANCH\"}".into(),
                    ),
                    SubScope::AnyRepository(owner) => self.push(
                        "github-sub-any-repo",
                        path.clone(),
                        format!("{} matches every repository of {owner}, including ones created later", quote(value)),
                        format!("name the repository: \"repo:{owner}/REPO:ref:refs/heads/BRANCH\" (or pin token.actions.githubusercontent.com:repository_id)"),
                    ),
                    SubScope::AnyRef(repository, what) => self.push(
                        "github-sub-any-ref",
                        path.clone(),
                        format!("{} matches {what} of {repository}", quote(value)),
                        format!("name the branch or environment: \"repo:{repository}:ref:refs/heads/main\" or \"repo:{repository}:environment:production\""),
                    ),
                    SubScope::Pinned | SubScope::Other => {}
                }
            }
            if dynatrace && claim == "aud" && wildcard_before(value, ".apps.dynatrace.com") {
                self.push(
                    "tenant-claim-wildcard",
                    path.clone(),
                    format!("{} matches the audience of every Dynatrace tenant", quote(value)),
                    "\"StringEquals\": {\"token.dynatrace.com:aud\": \"TENANT.apps.dynatrace.com/app-id/dynatrace.aws.connector\"}".into(),
                );
            }
            if dynatrace && claim == "sub" {
                self.push(
                    "dynatrace-sub-any-connection",
                    path.clone(),
                    format!("{} matches every connection of the tenant", quote(value)),
                    "\"StringEquals\": {\"token.dynatrace.com:sub\": \"dt:connection-id/ID\"} (\"dtid:connection/NAME\" for a legacy connection, deprecated since 2026-03-31)".into(),
                );
            }
        }
    }

    /// `like-without-wildcard`, `equals-with-wildcard`, `for-all-values-absent-key`,
    /// `for-any-value-negated`.
    fn operators(&mut self, index: usize, allow: bool) {
        let condition = self.statement.conditions[index].clone();
        let path = self.condition_path(&condition);
        match condition.operator {
            Operator::StringLike | Operator::StringNotLike
                if !condition.values.iter().any(|v| has_wildcard(v)) =>
            {
                let instead = condition
                    .operator_text
                    .replace("StringNotLike", "StringNotEquals")
                    .replace("StringLike", "StringEquals");
                self.push(
                    "like-without-wildcard",
                    path.clone(),
                    format!(
                        "{} on {} has no * or ? in {}: it compares exactly",
                        condition.operator_text,
                        condition.key,
                        quote_list(&condition.values)
                    ),
                    format!("\"{instead}\" (or add the wildcard that was meant)"),
                );
            }
            Operator::StringEquals
            | Operator::StringNotEquals
            | Operator::StringEqualsIgnoreCase
            | Operator::StringNotEqualsIgnoreCase => {
                let starred: Vec<&str> = condition
                    .values
                    .iter()
                    .copied()
                    .filter(|v| literal_text(v).contains('*'))
                    .collect();
                if !starred.is_empty() {
                    let like = if condition.operator.is_negated() {
                        "StringNotLike"
                    } else {
                        "StringLike"
                    };
                    let instead = condition
                        .operator_text
                        .replace("StringNotEqualsIgnoreCase", like)
                        .replace("StringEqualsIgnoreCase", like)
                        .replace("StringNotEquals", like)
                        .replace("StringEquals", like);
                    self.push(
                        "equals-with-wildcard",
                        path.clone(),
                        format!(
                            "{} compares {} literally: no request value contains *, so {}",
                            condition.operator_text,
                            quote_list(&starred),
                            if condition.operator.is_negated() {
                                "the condition always holds"
                            } else {
                                "it never matches"
                            }
                        ),
                        format!(
                            "\"{instead}\": {{\"{}\": {}}}",
                            condition.key,
                            quote_list(&condition.values)
                        ),
                    );
                }
            }
            _ => {}
        }
        if !allow {
            return;
        }
        match condition.qualifier {
            SetQualifier::ForAllValues
                if !self.always_present(condition.key) && !self.guarded(index) =>
            {
                self.push(
                    "for-all-values-absent-key",
                    path,
                    format!(
                        "{} on {} is true when the request has no {} at all",
                        condition.operator_text, condition.key, condition.key
                    ),
                    format!(
                        "add \"Null\": {{\"{}\": \"false\"}} to the statement (or use the operator without ForAllValues for a single-valued key)",
                        condition.key
                    ),
                );
            }
            SetQualifier::ForAnyValue if condition.operator.is_negated() => {
                let plain = condition.operator_text.trim_start_matches("ForAnyValue:");
                self.push(
                    "for-any-value-negated",
                    path,
                    format!(
                        "{} on {} holds as soon as one value is outside {}",
                        condition.operator_text,
                        condition.key,
                        quote_list(&condition.values)
                    ),
                    format!(
                        "\"ForAllValues:{plain}\" with \"Null\": {{\"{}\": \"false\"}} to allow only listed values, or \"{plain}\" for a single-valued key",
                        condition.key
                    ),
                );
            }
            _ => {}
        }
    }

    /// Whether `key` is in every web-identity request context (for a web-identity statement).
    fn always_present(&self, key: &str) -> bool {
        self.providers
            .iter()
            .all(|p| always_present_keys(&p.prefix).contains(&key.to_ascii_lowercase()))
            && !self.providers.is_empty()
    }

    /// Whether the statement also requires `conditions[index]`'s key to be present: a `Null`
    /// with `false`, or a plain positive operator on it (false when the key is absent).
    fn guarded(&self, index: usize) -> bool {
        let key = self.statement.conditions[index].key;
        self.statement.conditions.iter().enumerate().any(|(i, c)| {
            i != index
                && c.key.eq_ignore_ascii_case(key)
                && match c.operator {
                    Operator::Null => c.values.iter().all(|v| v.eq_ignore_ascii_case("false")),
                    op => {
                        c.qualifier != SetQualifier::ForAllValues
                            && !c.if_exists
                            && !op.is_negated()
                    }
                }
        })
    }

    /// `key-misspelt` for a global or service key that is a near miss of `fixed`, a key STS
    /// sets.
    fn not_a_key(&mut self, path: JsonPath, key: &str, fixed: &str) {
        self.push(
            "key-misspelt",
            path,
            format!(
                "{} is not a key STS puts in a web-identity request; did you mean {}?",
                quote(key),
                quote(fixed)
            ),
            quote(fixed),
        );
    }

    /// `key-misspelt`, `key-other-provider`, `key-not-in-context`, `key-never-sent`, for a
    /// web-identity statement.
    fn key(&mut self, index: usize) {
        let condition = self.statement.conditions[index].clone();
        let key = condition.key;
        let path = self.condition_path(&condition);
        if key.chars().any(char::is_whitespace) {
            let fixed: String = key.chars().filter(|c| !c.is_whitespace()).collect();
            self.push(
                "key-misspelt",
                path,
                format!(
                    "{} has white space in it: no request has that key",
                    quote(key)
                ),
                quote(&fixed),
            );
            return;
        }
        let Some((prefix, claim)) = key.split_once(':') else {
            self.push(
                "key-misspelt",
                path,
                format!("{} has no prefix: condition keys are PREFIX:NAME (aws:SourceIp, token.dynatrace.com:sub)", quote(key)),
                "the key with its prefix".into(),
            );
            return;
        };
        let prefix_lower = prefix.to_ascii_lowercase();
        let claim_lower = claim.to_ascii_lowercase();
        if !prefix.contains(['.', '/']) {
            // A global or service key (aws:, sts:): only typos of the keys STS sets are caught,
            // as other services' keys may be meant for other statements.
            let known = global_keys();
            if known
                .iter()
                .any(|k| key_matches(k, &key.to_ascii_lowercase()))
            {
                return;
            }
            // A tag key family (`aws:RequestTag/NAME`) is compared by its stem.
            if let Some((stem, name)) = key.split_once('/') {
                let families = known.iter().filter_map(|k| k.strip_suffix('/'));
                if let Some(near) = nearest(stem, families) {
                    let fixed = format!("{}{name}", display_key(&format!("{near}/")));
                    self.not_a_key(path, key, &fixed);
                }
                return;
            }
            if let Some(near) = nearest(&key.to_ascii_lowercase(), known.iter().map(String::as_str))
            {
                self.not_a_key(path, key, &display_key(&near));
            }
            return;
        }
        let Some(trusted) = self
            .providers
            .iter()
            .find(|p| p.prefix.eq_ignore_ascii_case(prefix))
            .cloned()
        else {
            let near = nearest(
                &prefix_lower,
                self.providers.iter().map(|p| p.prefix.as_str()),
            );
            match near {
                Some(near) => self.push(
                    "key-misspelt",
                    path,
                    format!(
                        "{} is not the prefix of the trusted provider; did you mean {near}?",
                        quote(prefix)
                    ),
                    quote(&format!("{near}:{claim}")),
                ),
                None => {
                    let trusted: Vec<&str> =
                        self.providers.iter().map(|p| p.prefix.as_str()).collect();
                    self.push(
                        "key-other-provider",
                        path,
                        format!(
                            "{} is a key of {prefix}'s tokens, but the statement trusts {}: the key is never in its requests",
                            quote(key),
                            trusted.join(", ")
                        ),
                        format!("the same claim of the trusted provider: {}", quote(&format!("{}:{claim}", trusted[0]))),
                    );
                }
            }
            return;
        };
        let reachable = reachable_claims(&trusted.prefix);
        if !reachable.iter().any(|c| c.eq_ignore_ascii_case(claim)) {
            match nearest(&claim_lower, reachable.iter().copied()) {
                Some(near) => self.push(
                    "key-misspelt",
                    path,
                    format!("{} is not a key of {}'s tokens; did you mean {}?", quote(key), trusted.prefix, quote(&format!("{}:{near}", trusted.prefix))),
                    quote(&format!("{}:{near}", trusted.prefix)),
                ),
                None => self.push(
                    "key-not-in-context",
                    path,
                    format!(
                        "STS does not put the claim {claim} in the request context for {}: the key is always absent (it passes {})",
                        trusted.prefix,
                        reachable.join(", ")
                    ),
                    format!("a condition on one of the keys STS passes: {}", reachable.iter().map(|c| format!("{}:{c}", trusted.prefix)).collect::<Vec<_>>().join(", ")),
                ),
            }
            return;
        }
        if let Some(facts) = context::issuer_facts(&trusted.prefix) {
            if claim_lower != "aud" && !facts.sends.iter().any(|c| c.eq_ignore_ascii_case(claim)) {
                self.push(
                    "key-never-sent",
                    path,
                    format!(
                        "{}'s tokens never carry the claim {claim}, so {} is never in the request",
                        facts.name,
                        quote(key)
                    ),
                    format!(
                        "a condition on a claim {} sends: {}",
                        facts.name,
                        reachable
                            .iter()
                            .filter(|c| **c == "aud" || facts.sends.contains(c))
                            .map(|c| format!("{}:{c}", trusted.prefix))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
    }

    /// `request-tag-without-tag-session`.
    fn tags(&mut self) {
        let tagged: Vec<ConditionView<'_>> = self
            .statement
            .conditions
            .iter()
            .filter(|c| is_tag_key(c.key))
            .cloned()
            .collect();
        if tagged.is_empty() {
            return;
        }
        let principals = self.statement.principal.as_ref();
        let tag_session_allowed = self.all.iter().any(|other| {
            other.effect == Effect::Allow
                && other.covers_action("sts:TagSession")
                && match (other.principal.as_ref(), principals) {
                    (Some(o), _) if o.any && !o.negated => true,
                    (Some(o), Some(mine)) if !o.negated => {
                        mine.entries.iter().any(|(kind, ids)| {
                            ids.iter().any(|id| {
                                o.ids(*kind)
                                    .any(|other_id| other_id == *id || other_id == "*")
                            })
                        }) || mine.any
                    }
                    _ => false,
                }
        });
        if tag_session_allowed {
            return;
        }
        for condition in tagged {
            self.push(
                "request-tag-without-tag-session",
                self.condition_path(&condition),
                format!(
                    "{} is only in requests with session tags, and no statement allows sts:TagSession for this principal: STS refuses every tagged session",
                    condition.key
                ),
                "add \"sts:TagSession\" to this statement's Action: \"Action\": [\"sts:AssumeRoleWithWebIdentity\", \"sts:TagSession\"]".into(),
            );
        }
    }
}

/// The message and fix of a missing tenant claim, per issuer and claim.
fn tenancy_advice(prefix: &str, keys: &[String]) -> (String, String) {
    let key = keys.first().map(String::as_str).unwrap_or_default();
    let facts = context::issuer_facts(prefix);
    let claim = key.rsplit_once(':').map(|(_, c)| c).unwrap_or(key);
    match (facts.map(|f| f.name), claim) {
        (Some("Dynatrace"), "aud") => (
            format!("{prefix} serves every Dynatrace tenant, and nothing here pins the tenant: without a condition on {key}, any tenant's token whose audience is one of the provider's client IDs is trusted (the client IDs are the account's, shared by every role)"),
            format!("\"StringEquals\": {{\"{key}\": \"TENANT.apps.dynatrace.com/app-id/dynatrace.aws.connector\"}}"),
        ),
        (Some("Dynatrace"), "sub") => (
            format!("without a condition on {key}, every AWS connection of the tenant may assume this role, not just the one it is for"),
            format!("\"StringEquals\": {{\"{key}\": \"dt:connection-id/ID\"}} (\"dtid:connection/NAME\" for a legacy connection, deprecated since 2026-03-31)"),
        ),
        (Some("GitHub Actions"), _) => (
            format!("{prefix} serves every GitHub repository: without {}, a workflow of any repository, anyone's, may assume this role", keys.join(" or ")),
            format!("\"StringEquals\": {{\"{key}\": \"repo:ORG/REPO:ref:refs/heads/BRANCH\"}}"),
        ),
        _ => (
            format!("{prefix} is shared by many customers: without {}, any of them may assume this role", keys.join(" or ")),
            format!("\"StringEquals\": {{\"{key}\": \"THE VALUE YOUR TOKENS CARRY\"}}"),
        ),
    }
}

/// What a GitHub `sub` pattern admits.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SubScope {
    AnyOwner,
    AnyRepository(String),
    AnyRef(String, &'static str),
    Pinned,
    Other,
}

/// Reads `repo:OWNER/REPO:REST` (GitHub's default `sub`): which part a wildcard opens. A `*`
/// matches every character, `:` and `/` included, so the first wildcard decides.
fn github_sub_scope(value: &str) -> SubScope {
    let text = literal_text(value);
    let Some(rest) = text.strip_prefix("repo:") else {
        // A custom subject template (`repository_owner:...`) is not read; a leading wildcard
        // admits any owner in any template.
        return if text.starts_with(['*', '?']) {
            SubScope::AnyOwner
        } else {
            SubScope::Other
        };
    };
    let first_wild = rest.find(['*', '?']);
    let slash = rest.find('/');
    match (first_wild, slash) {
        (None, _) => SubScope::Pinned,
        (Some(_), None) => SubScope::AnyOwner,
        (Some(w), Some(s)) if w < s => SubScope::AnyOwner,
        (Some(w), Some(s)) => {
            let owner = rest[..s].to_string();
            let colon = rest[s..].find(':').map(|c| c + s);
            match colon {
                Some(c) if w > c => {
                    let repository = rest[..c].to_string();
                    let tail = &rest[c + 1..];
                    let what = if tail.starts_with("ref:refs/heads/") {
                        "any branch"
                    } else if tail.starts_with("ref:refs/tags/") {
                        "any tag"
                    } else if tail.starts_with("environment:") {
                        "any environment"
                    } else {
                        "any branch, tag, pull request and environment"
                    };
                    SubScope::AnyRef(repository, what)
                }
                _ => SubScope::AnyRepository(owner),
            }
        }
    }
}

/// The value with policy-variable escapes and variables (`${*}`, `${aws:username}`) removed:
/// the characters that are wildcards or literals as written.
fn literal_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => rest = &rest[start + end + 1..],
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn has_wildcard(value: &str) -> bool {
    literal_text(value).contains(['*', '?'])
}

fn only_wildcards(value: &str) -> bool {
    let text = literal_text(value);
    !text.trim().is_empty() && text.trim().chars().all(|c| c == '*')
}

/// Whether a wildcard comes before `marker` (or there is no marker after it): the part before
/// is open.
fn wildcard_before(value: &str, marker: &str) -> bool {
    let text = literal_text(value);
    match (text.find(['*', '?']), text.find(marker)) {
        (Some(w), Some(m)) => w < m,
        (Some(_), None) => true,
        _ => false,
    }
}

fn is_tag_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.starts_with("aws:requesttag/") || key == "aws:tagkeys" || key == "sts:transitivetagkeys"
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""))
}

fn quote_list(values: &[&str]) -> String {
    match values {
        [one] => quote(one),
        many => format!(
            "[{}]",
            many.iter().map(|v| quote(v)).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The claims of `prefix`'s tokens STS turns into keys: `aud`, the standard ones, and the
/// provider-specific ones AWS lists for it.
fn reachable_claims(prefix: &str) -> Vec<&'static str> {
    let mut claims = vec!["aud"];
    claims.extend(context::STANDARD_CLAIMS);
    claims.extend(context::provider_claims(prefix));
    claims
}

/// A provider prefix no real provider has, to read the context builder's keys off.
const PROBE: &str = "provider.lint.invalid";

fn probe_context(claims: Map<String, Value>) -> Vec<String> {
    let request = WebIdentityRequest {
        provider: PROBE,
        provider_arn: "arn:aws:iam::000000000000:oidc-provider/provider.lint.invalid",
        audience: "audience",
        claims: &claims,
        session_name: "lint",
        source_ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        now: time::OffsetDateTime::UNIX_EPOCH,
    };
    context::web_identity(&request)
        .map(|c| c.context.iter().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default()
}

/// The keys (lower-cased) in every web-identity request for `prefix`, whatever the token: what
/// the STS's builder puts in for a token with no claims at all.
fn always_present_keys(prefix: &str) -> Vec<String> {
    let probe = format!("{PROBE}:");
    probe_context(Map::new())
        .into_iter()
        .map(|k| match k.strip_prefix(&probe) {
            Some(claim) => format!("{}:{claim}", prefix.to_ascii_lowercase()),
            None => k,
        })
        .collect()
}

/// The global keys (lower-cased) a web-identity request can have: what the builder puts in for a
/// token with session tags and a source identity. A tag key stands for every tag key
/// (`aws:requesttag/` with a trailing `/`).
fn global_keys() -> Vec<String> {
    let claims = json!({
        context::TAGS_CLAIM: {"principal_tags": {"t": ["v"]}, "transitive_tag_keys": ["t"]},
        context::SOURCE_IDENTITY_CLAIM: "source",
    });
    let claims = claims.as_object().cloned().unwrap_or_default();
    let probe = format!("{PROBE}:");
    probe_context(claims)
        .into_iter()
        .filter(|k| !k.starts_with(&probe))
        .map(|k| {
            if k == "aws:requesttag/t" {
                "aws:requesttag/".into()
            } else {
                k
            }
        })
        .collect()
}

/// Whether a key written in a policy (lower-cased) is `known` (a trailing `/` is a family).
fn key_matches(known: &str, key: &str) -> bool {
    match known.strip_suffix('/') {
        Some(family) => key
            .strip_prefix(family)
            .is_some_and(|rest| rest.starts_with('/') && rest.len() > 1),
        None => known == key,
    }
}

/// The key as AWS documents it (`aws:RequestTag/`), for suggestions.
fn display_key(lower: &str) -> String {
    const SPELLINGS: &[&str] = &[
        "aws:FederatedProvider",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:TokenIssueTime",
        "aws:SourceIp",
        "aws:SecureTransport",
        "aws:RequestTag/",
        "aws:TagKeys",
        "sts:RoleSessionName",
        "sts:TransitiveTagKeys",
        "sts:SourceIdentity",
    ];
    SPELLINGS
        .iter()
        .find(|s| s.eq_ignore_ascii_case(lower))
        .map(|s| s.to_string())
        .unwrap_or_else(|| lower.to_string())
}

/// The candidate closest to `word` within two edits (case-insensitive), if any.
fn nearest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let word = word.to_ascii_lowercase();
    candidates
        .map(|c| (edit_distance(&word, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d > 0 && *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_sub_patterns_are_read_at_their_first_wildcard() {
        assert_eq!(github_sub_scope("repo:*"), SubScope::AnyOwner);
        assert_eq!(github_sub_scope("repo:octo-*/r:*"), SubScope::AnyOwner);
        assert_eq!(
            github_sub_scope("*:ref:refs/heads/main"),
            SubScope::AnyOwner
        );
        assert_eq!(
            github_sub_scope("repo:octo-org/*"),
            SubScope::AnyRepository("octo-org".into())
        );
        assert_eq!(
            github_sub_scope("repo:octo-org/app-*:ref:refs/heads/main"),
            SubScope::AnyRepository("octo-org".into())
        );
        assert_eq!(
            github_sub_scope("repo:octo-org/app:ref:refs/heads/*"),
            SubScope::AnyRef("octo-org/app".into(), "any branch")
        );
        assert_eq!(
            github_sub_scope("repo:octo-org/app:*"),
            SubScope::AnyRef(
                "octo-org/app".into(),
                "any branch, tag, pull request and environment"
            )
        );
        assert_eq!(
            github_sub_scope("repo:octo-org/app:ref:refs/heads/main"),
            SubScope::Pinned
        );
        assert_eq!(github_sub_scope("repository_owner_id:1:*"), SubScope::Other);
    }

    #[test]
    fn the_keys_come_from_the_context_builder() {
        let always = always_present_keys("token.dynatrace.com");
        assert!(always.contains(&"token.dynatrace.com:aud".to_string()));
        assert!(always.contains(&"sts:rolesessionname".to_string()));
        assert!(!always.contains(&"token.dynatrace.com:sub".to_string()));
        assert!(!always.contains(&"aws:tagkeys".to_string()));
        let global = global_keys();
        for key in [
            "aws:tagkeys",
            "aws:requesttag/",
            "sts:transitivetagkeys",
            "sts:sourceidentity",
            "aws:federatedprovider",
        ] {
            assert!(global.contains(&key.to_string()), "{key}: {global:?}");
        }
        assert!(key_matches("aws:requesttag/", "aws:requesttag/team"));
        assert!(!key_matches("aws:requesttag/", "aws:requesttag/"));
    }

    #[test]
    fn near_misses_are_within_two_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            nearest("sbu", ["sub", "aud"].into_iter()),
            Some("sub".into())
        );
        assert_eq!(nearest("subject", ["sub", "aud"].into_iter()), None);
        assert_eq!(literal_text("a${*}b${aws:username}c"), "abc");
    }
}
