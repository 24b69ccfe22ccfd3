//! `issuer`: a local OIDC token issuer (discovery, JWKS, minting) for tests.
