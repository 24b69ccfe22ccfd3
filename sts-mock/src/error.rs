//! The one AWS error: a typed code (from AWS's service models, so it knows its HTTP status and
//! whether the sender is at fault) and a message. Every message AWS words a known way has one
//! constructor here, so each wording exists once; handlers never spell codes as strings.

use std::fmt;

pub use crate::aws_model::ErrorCode;
use crate::policy::PolicyError;

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An AWS error answer: `<Error><Type/><Code/><Message/></Error>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AwsError {
    /// The code, which fixes the HTTP status and the fault type.
    pub code: ErrorCode,
    /// The message, worded as AWS words it.
    pub message: String,
}

impl AwsError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AwsError {
        AwsError {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// `ValidationError` listing `failures` as AWS does: "1 validation error detected: X" or
    /// "2 validation errors detected: X; Y". The one place this wording exists.
    pub fn validation(failures: &[String]) -> AwsError {
        let message = match failures {
            [one] => format!("1 validation error detected: {one}"),
            many => format!(
                "{} validation errors detected: {}",
                many.len(),
                many.join("; ")
            ),
        };
        AwsError::new(ErrorCode::ValidationError, message)
    }

    /// `ValidationError` with a message of its own (not a constraint list).
    pub fn validation_message(message: impl Into<String>) -> AwsError {
        AwsError::new(ErrorCode::ValidationError, message)
    }

    /// The `ErrorResponse` document in `namespace`.
    pub fn document(&self, namespace: &str, request_id: &str) -> String {
        format!(
            "<ErrorResponse xmlns=\"{namespace}\"><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            if self.code.sender_fault() {
                "Sender"
            } else {
                "Receiver"
            },
            self.code,
            crate::query::escape(&self.message)
        )
    }

    // --- the messages AWS words a known way, one constructor each ---

    /// An ARN that does not parse, as STS words it (aws-recorded: "arn::b:::something/test-role
    /// is invalid").
    pub fn invalid_arn_sts(arn: &str) -> AwsError {
        AwsError::validation_message(format!("{arn} is invalid"))
    }

    /// An ARN that does not parse, as IAM words it (aws-recorded, two spaces included).
    pub fn invalid_arn_iam() -> AwsError {
        AwsError::validation_message("Invalid ARN:  Could not be parsed!")
    }

    /// `AccessDenied` "Not authorized to perform sts:AssumeRoleWithWebIdentity" (the AWS SDK for
    /// JavaScript's integration tests expect exactly this text).
    pub fn not_authorized(action: &str) -> AwsError {
        AwsError::new(
            ErrorCode::AccessDenied,
            format!("Not authorized to perform {action}"),
        )
    }

    /// `InvalidIdentityToken` with `message`.
    pub fn invalid_token(message: impl Into<String>) -> AwsError {
        AwsError::new(ErrorCode::InvalidIdentityToken, message)
    }

    /// The token is not a JWT at all (AWS's message, as reported from real answers).
    pub fn not_a_jwt() -> AwsError {
        AwsError::invalid_token(
            "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
        )
    }

    /// No IAM OIDC provider for the token's `iss` (mozilla-aws-cli #127).
    pub fn no_provider(iss: &str) -> AwsError {
        AwsError::invalid_token(format!(
            "No OpenIDConnect provider found in your account for {iss}"
        ))
    }

    /// `aud` holds none of the provider's client IDs (awslabs/amazon-eks-irsa-cfn #18).
    pub fn incorrect_audience() -> AwsError {
        AwsError::invalid_token("Incorrect token audience")
    }

    /// No published key fits the token (aws-sdk-rust #827, two spaces included).
    pub fn no_verification_key() -> AwsError {
        AwsError::invalid_token(
            "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
        )
    }

    /// A signature that does not verify, or an algorithm STS refuses. Guess: AWS's wording.
    pub fn token_not_validated() -> AwsError {
        AwsError::invalid_token(
            "The web identity token that was passed could not be validated by Amazon Web Services. Get a new identity token from the identity provider and then retry the request.",
        )
    }

    /// The IdP's discovery document or keys could not be fetched. Guess: the message is the
    /// service model's description of `IDPCommunicationError`.
    pub fn idp_unreachable() -> AwsError {
        AwsError::new(
            ErrorCode::IDPCommunicationError,
            "The request could not be fulfilled because the identity provider (IDP) that was asked to verify the incoming identity token could not be reached.",
        )
    }

    /// `exp` has passed (aws-sdk-java-v2 #5709: epoch seconds, this exact form).
    pub fn token_expired(now: i64, exp: i64) -> AwsError {
        AwsError::new(
            ErrorCode::ExpiredTokenException,
            format!(
                "Token expired: current date/time {now} must be before the expiration date/time {exp}"
            ),
        )
    }

    /// `MalformedPolicyDocument` with the policy engine's message.
    pub fn malformed_policy(message: impl Into<String>) -> AwsError {
        AwsError::new(ErrorCode::MalformedPolicyDocument, message)
    }

    /// A trust policy that trusts a shared OIDC provider without scoping its required claim
    /// (IAM's identity-provider controls). The wording is AWS's, as real CreateRole and
    /// UpdateAssumeRolePolicy answers quote it in public write-ups: "Trust policy with trusted
    /// principal arn:aws:iam::…:oidc-provider/token.actions.githubusercontent.com must evaluate,
    /// using StringEquals, StringLike or StringEqualsIgnoreCase,
    /// token.actions.githubusercontent.com:sub or token.actions.githubusercontent.com:job_workflow_ref
    /// which is not scoped to all." Guess: other providers' keys fill the same sentence.
    pub fn idp_control_missing(principal: &str, keys: &[String]) -> AwsError {
        AwsError::malformed_policy(format!(
            "Trust policy with trusted principal {principal} must evaluate, using StringEquals, StringLike or StringEqualsIgnoreCase, {} which is not scoped to all.",
            keys.join(" or ")
        ))
    }

    /// `NoSuchEntity` for a role (IAM's wording).
    pub fn no_such_role(name: &str) -> AwsError {
        AwsError::new(
            ErrorCode::NoSuchEntity,
            format!("The role with name {name} cannot be found."),
        )
    }

    /// `NoSuchEntity` for an OIDC provider (IAM's wording).
    pub fn no_such_provider(arn: &str) -> AwsError {
        AwsError::new(
            ErrorCode::NoSuchEntity,
            format!("OpenIDConnect Provider not found for arn {arn}"),
        )
    }

    /// Case-insensitively duplicated tag keys (aws-recorded, STS; IAM words it the same way:
    /// Guess).
    pub fn duplicate_tag_keys(code: ErrorCode) -> AwsError {
        AwsError::new(
            code,
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        )
    }

    /// A `Cannot exceed quota for NAME: N` refusal (IAM's `LimitExceeded` form).
    pub fn quota(name: &str, max: usize) -> AwsError {
        AwsError::new(
            ErrorCode::LimitExceeded,
            format!("Cannot exceed quota for {name}: {max}"),
        )
    }

    /// An action the service does not have, or a version it does not speak. STS's wording,
    /// quoted publicly: "Could not find operation AssumeRoleWithWebIdentity for version
    /// NO_VERSION_SPECIFIED".
    pub fn unknown_operation(action: &str, version: Option<&str>) -> AwsError {
        AwsError::new(
            ErrorCode::InvalidAction,
            format!(
                "Could not find operation {action} for version {}",
                version.unwrap_or("NO_VERSION_SPECIFIED")
            ),
        )
    }
}

impl From<PolicyError> for AwsError {
    /// A document the policy engine refuses is IAM's and STS's `MalformedPolicyDocument`.
    fn from(e: PolicyError) -> AwsError {
        AwsError::malformed_policy(e.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_know_their_status_and_fault() {
        assert_eq!(ErrorCode::NoSuchEntity.status(), 404);
        assert_eq!(ErrorCode::AccessDenied.status(), 403);
        assert_eq!(ErrorCode::LimitExceeded.status(), 409);
        assert_eq!(ErrorCode::IDPRejectedClaim.status(), 403);
        assert!(!ErrorCode::ServiceFailure.sender_fault());
        assert!(ErrorCode::InvalidIdentityToken.sender_fault());
        assert_eq!(
            ErrorCode::ExpiredTokenException.as_str(),
            "ExpiredTokenException"
        );
        assert_eq!(
            ErrorCode::IDPCommunicationError.as_str(),
            "IDPCommunicationError"
        );
    }

    #[test]
    fn validation_wording_counts_failures() {
        assert_eq!(
            AwsError::validation(&["A".into()]).message,
            "1 validation error detected: A"
        );
        assert_eq!(
            AwsError::validation(&["A".into(), "B".into()]).message,
            "2 validation errors detected: A; B"
        );
    }

    #[test]
    fn documents_escape_markup_but_not_quotes() {
        let e = AwsError::validation(&["Value 'a<b' at 'x'".into()]);
        let doc = e.document("ns", "id");
        assert!(doc.contains("<Type>Sender</Type><Code>ValidationError</Code>"));
        assert!(doc.contains("Value 'a&lt;b' at 'x'"));
    }
}
