//! The EKS IRSA profile: the projected service-account token that EKS's pod identity webhook
//! mounts for a pod whose service account names an IAM role
//! (`/var/run/secrets/eks.amazonaws.com/serviceaccount/token`).
//!
//! Shape, as decoded tokens in public write-ups show it and Kubernetes' TokenRequest issues it:
//! `aud` `["sts.amazonaws.com"]` (an array: the projected volume's audience), `sub`
//! `system:serviceaccount:NAMESPACE:NAME`, `iat` = `nbf`, `exp` = `iat` + 86400 (the webhook's
//! default `expirationSeconds`), a `jti`, and the nested `kubernetes.io` claim naming the
//! namespace and the bound pod, node and service account (each with its `uid`). The issuer is
//! the cluster's `https://oidc.eks.REGION.amazonaws.com/id/CLUSTER_ID`, with the JWKS at
//! `/keys` under it and Kubernetes' discovery document (its `urn:` authorization endpoint).

use serde_json::{json, Map, Value};

use super::{field, put, Field, FieldKind, Fields};
use crate::mint::MintError;

/// The built-in cluster's OIDC ID. Guess: EKS IDs are 32 upper-case hexadecimal characters;
/// this one is made up.
pub const EKS_CLUSTER_ID: &str = "4A1F0E5C9B3D8A7E6C2F1B0D9E8A7C6B";
/// The built-in cluster's issuer: a cluster in us-east-1.
pub const EKS_ISSUER_URL: &str =
    "https://oidc.eks.us-east-1.amazonaws.com/id/4A1F0E5C9B3D8A7E6C2F1B0D9E8A7C6B";

pub(super) const JWKS_PATH: &str = "keys";
pub(super) const DEFAULT_TTL_SECS: i64 = 86_400;

pub(super) const FIELDS: &[Field] = &[
    field("namespace", FieldKind::Name),
    field("service_account", FieldKind::Name),
    field("service_account_uid", FieldKind::Name),
    field("pod", FieldKind::Name),
    field("pod_uid", FieldKind::Name),
    field("node", FieldKind::Name),
    field("node_uid", FieldKind::Name),
];

pub(super) fn claims(fields: &Fields) -> Result<Map<String, Value>, MintError> {
    let namespace = fields.str_or("namespace", "default");
    let service_account = fields.str_or("service_account", "default");
    // Guess: a pod named as a Deployment's pods are, on a node named as EKS names them; UIDs
    // are fresh per token unless given, as the real ones are unique per object.
    let uid = |name: &str| {
        fields
            .str(name)
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
    };
    let pod = fields.str_or("pod", "app-7d9c5b8f6d-x2k4q");
    let node = fields.str_or("node", "ip-192-168-12-34.ec2.internal");

    let mut claims = Map::new();
    claims.insert("aud".into(), json!(["sts.amazonaws.com"]));
    claims.insert(
        "kubernetes.io".into(),
        json!({
            "namespace": namespace,
            "node": {"name": node, "uid": uid("node_uid")},
            "pod": {"name": pod, "uid": uid("pod_uid")},
            "serviceaccount": {"name": service_account, "uid": uid("service_account_uid")}
        }),
    );
    put(
        &mut claims,
        "sub",
        format!("system:serviceaccount:{namespace}:{service_account}"),
    );
    Ok(claims)
}

/// Kubernetes' service-account issuer discovery document, which EKS publishes for each
/// cluster (Kubernetes KEP 1393's example; the same members in every EKS cluster's document).
pub(super) fn discovery(issuer_url: &str, jwks_url: &str, algs: &[&str]) -> Value {
    json!({
        "issuer": issuer_url,
        "jwks_uri": jwks_url,
        "authorization_endpoint": "urn:kubernetes:programmatic_authorization",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "claims_supported": ["sub", "iss"],
        "id_token_signing_alg_values_supported": algs
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MintRequest;

    #[test]
    fn sub_and_the_nested_claim_name_the_service_account() {
        let request = MintRequest::new()
            .field("namespace", "payments")
            .field("service_account", "api")
            .field("pod_uid", "7a8b");
        let fields = Fields::collect(crate::Profile::EksIrsa, &request).unwrap();
        let claims = claims(&fields).unwrap();
        assert_eq!(claims["sub"], "system:serviceaccount:payments:api");
        assert_eq!(claims["aud"], json!(["sts.amazonaws.com"]));
        let k8s = &claims["kubernetes.io"];
        assert_eq!(k8s["namespace"], "payments");
        assert_eq!(k8s["serviceaccount"]["name"], "api");
        assert_eq!(k8s["pod"]["uid"], "7a8b");
        assert_eq!(k8s["node"]["uid"].as_str().unwrap().len(), 36);
        assert!(EKS_ISSUER_URL.ends_with(EKS_CLUSTER_ID));
        assert!(EKS_CLUSTER_ID
            .chars()
            .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)));
        assert_eq!(EKS_CLUSTER_ID.len(), 32);
    }
}
