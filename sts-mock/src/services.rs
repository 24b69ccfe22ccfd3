//! What handlers may use: the narrow set of services behind every action. Handlers see these,
//! never the server (its listener, limits or configuration).

use rig_core::Clock;

use crate::credentials::CredentialSealer;
use crate::decisions::Decisions;
use crate::model::Model;
use crate::oidc::KeyStore;
use crate::outbound::OutboundKeys;

/// The services every action is served with. Cheap to share: every field is a handle.
#[derive(Clone)]
pub struct Services {
    /// Accounts, providers, roles.
    pub model: Model,
    /// Identity providers' keys.
    pub keys: KeyStore,
    /// Issues and opens temporary credentials.
    pub credentials: CredentialSealer,
    /// The one clock.
    pub clock: Clock,
    /// The decision log.
    pub decisions: Decisions,
    /// The account of admin calls whose access key ID is not an account ID.
    pub default_account: String,
    /// The signing keys of outbound identity federation (`GetWebIdentityToken`).
    pub outbound: OutboundKeys,
}
