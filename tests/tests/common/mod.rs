//! What the end-to-end tests share that is not the rig itself: the clients they drive it
//! with.

use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};
use e2e_tests::Rig;

/// An aws-sdk-sts client of the rig's STS, for the unsigned AssumeRoleWithWebIdentity.
pub fn sts(rig: &Rig) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(rig.sts_url())
        // AssumeRoleWithWebIdentity is unsigned; the SDK still wants a provider configured.
        .credentials_provider(Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "x",
            None,
            None,
            "t",
        ))
        .build();
    aws_sdk_sts::Client::from_conf(config)
}
