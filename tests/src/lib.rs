//! End-to-end tests live in `tests/tests/`; this library holds their shared fixture: the whole
//! rig in-process, wired as in the default scenario (issuer as `https://token.dynatrace.com`,
//! sts-mock fetching its keys from the issuer's local address).

use issuer::{Issuer, IssuerConfig, KeySet};
use sts_mock::{RoleSpec, StsMock, StsMockConfig, DEFAULT_ACCOUNT};

pub const ISSUER_URL: &str = "https://token.dynatrace.com";
pub const AUDIENCE: &str = "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector";
pub const ROLE_NAME: &str = "dynatrace-aws-connector";
pub const ROLE_ARN: &str = "arn:aws:iam::000000000000:role/dynatrace-aws-connector";
/// The trust policy of shared/sources/000, filled in for tenant abc12345 and `my-connection`.
pub const TRUST_POLICY: &str = r#"{"Version": "2012-10-17","Statement": [{"Effect": "Allow","Principal": {"Federated": "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"},"Action": "sts:AssumeRoleWithWebIdentity","Condition": {"StringEquals": {"token.dynatrace.com:aud": "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector","token.dynatrace.com:sub": "dtid:connection/my-connection"}}}]}"#;
pub const LIST_REGIONS_POLICY: &str = r#"{"Version": "2012-10-17","Statement": [{"Effect": "Allow","Action": "account:ListRegions","Resource": "*"}]}"#;

/// The issuer and sts-mock, both on ephemeral ports; dropping it stops both.
pub struct Rig {
    pub issuer: Issuer,
    pub sts: StsMock,
}

impl Rig {
    pub async fn start() -> Rig {
        let keys_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../keys");
        let keys = KeySet::load_dir(keys_dir.as_ref(), None).expect("dev keys");
        let issuer = Issuer::start(IssuerConfig::new(keys))
            .await
            .expect("issuer");
        let sts = StsMock::start(StsMockConfig::default().oidc_endpoint(ISSUER_URL, issuer.url()))
            .await
            .expect("sts-mock");
        let model = sts.model();
        model
            .add_provider(DEFAULT_ACCOUNT, ISSUER_URL, vec![AUDIENCE.into()], vec![])
            .expect("provider");
        model
            .add_role(DEFAULT_ACCOUNT, RoleSpec::new(ROLE_NAME, TRUST_POLICY))
            .expect("role");
        model
            .put_role_policy(
                DEFAULT_ACCOUNT,
                ROLE_NAME,
                "list-regions",
                LIST_REGIONS_POLICY,
            )
            .expect("inline policy");
        Rig { issuer, sts }
    }

    /// A token from the issuer for `connection` of tenant abc12345, with an optional fault.
    pub fn token(&self, connection: &str, fault: Option<issuer::Fault>) -> String {
        self.issuer
            .mint(&issuer::MintRequest {
                tenant: Some("abc12345".into()),
                connection: Some(connection.into()),
                fault,
                ..Default::default()
            })
            .expect("mint")
            .token
    }
}
