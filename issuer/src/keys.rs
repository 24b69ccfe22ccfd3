//! Signing keys: loading a key directory, generating new keys, and publishing the public halves
//! as a JWKS. Every key in the directory is published; exactly one of them signs.
//!
//! A key's `kid` is its file stem (`keys/dev-rsa.pem` has kid `dev-rsa`): stable, readable in
//! logs, and rotation is just "add a file, switch `--signing-key`, later delete the old file".

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use josekit::jwk::{Jwk, KeyPair};
use josekit::jws::{JwsSigner, ES256, RS256};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::RsaPrivateKey;

/// The signature algorithms the issuer signs with, one per key type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlg {
    /// RSA PKCS#1 v1.5 with SHA-256 (the classic OIDC algorithm).
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
}

impl KeyAlg {
    /// The JOSE name: `RS256` or `ES256`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlg::Rs256 => "RS256",
            KeyAlg::Es256 => "ES256",
        }
    }
}

impl fmt::Display for KeyAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why keys could not be loaded, chosen or written; each message names the file or kid.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key directory cannot be listed.
    #[error("cannot read key directory {path}: {source}")]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A key file cannot be read.
    #[error("cannot read key file {path}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A `*.pem` that is not a PKCS#8 RSA or P-256 private key.
    #[error("{path}: not a PKCS#8 PEM RSA or P-256 private key")]
    Unsupported {
        /// The file.
        path: PathBuf,
    },
    /// No keys at all.
    #[error("key directory {0} holds no *.pem keys (make one with `issuer keygen`)")]
    Empty(PathBuf),
    /// `--signing-key` names a kid the key set does not have.
    #[error("signing key `{wanted}` not found; available kids: {available}")]
    UnknownSigningKey {
        /// The kid asked for.
        wanted: String,
        /// The kids there are, comma-separated.
        available: String,
    },
    /// Two keys share a kid.
    #[error("duplicate kid `{0}`")]
    DuplicateKid(String),
    /// A new key cannot be written.
    #[error("cannot write key file {path}: {source}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `keygen` never overwrites a key.
    #[error("{path} already exists; refusing to overwrite a key")]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// The key could not be generated.
    #[error("key generation failed: {0}")]
    Generate(String),
    /// No key has this kid.
    #[error("no key with kid `{0}`")]
    UnknownKid(String),
    /// The signing key cannot leave the key set: another key must sign first.
    #[error("key `{0}` signs this issuer's tokens: add another key with signer: true before removing it")]
    RemovingSigner(String),
}

/// One private key with everything needed to sign with it and to publish it.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    alg: KeyAlg,
    signer: Arc<dyn JwsSigner>,
    public_jwk: Jwk,
    /// The public key as PEM: the "secret" of the `hs256-confusion` fault.
    public_pem: Vec<u8>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Parses a PKCS#8 PEM private key (RSA or EC P-256) and names it `kid`.
    pub fn from_pem(kid: impl Into<String>, pem: &[u8]) -> Option<SigningKey> {
        let kid = kid.into();
        let text = std::str::from_utf8(pem).ok()?;
        if let Ok(rsa_key) = RsaPrivateKey::from_pkcs8_pem(text) {
            // Normalise through the rsa crate so PKCS#8 is what josekit sees.
            let der = rsa_key.to_pkcs8_der().ok()?;
            let pair = RS256.key_pair_from_der(der.as_bytes()).ok()?;
            let signer = RS256.signer_from_der(der.as_bytes()).ok()?;
            let public_pem = rsa::pkcs8::EncodePublicKey::to_public_key_pem(
                &rsa_key.to_public_key(),
                LineEnding::LF,
            )
            .ok()?
            .into_bytes();
            return Some(Self::assemble(
                kid,
                KeyAlg::Rs256,
                Arc::new(signer),
                pair.to_jwk_public_key(),
                public_pem,
            ));
        }
        let pair = ES256.key_pair_from_pem(pem).ok()?;
        let signer = ES256.signer_from_pem(pem).ok()?;
        let public_pem = pair.to_pem_public_key();
        Some(Self::assemble(
            kid,
            KeyAlg::Es256,
            Arc::new(signer),
            pair.to_jwk_public_key(),
            public_pem,
        ))
    }

    fn assemble(
        kid: String,
        alg: KeyAlg,
        signer: Arc<dyn JwsSigner>,
        mut public_jwk: Jwk,
        public_pem: Vec<u8>,
    ) -> SigningKey {
        public_jwk.set_key_id(kid.clone());
        public_jwk.set_algorithm(alg.as_str());
        public_jwk.set_key_use("sig");
        SigningKey {
            kid,
            alg,
            signer,
            public_jwk,
            public_pem,
        }
    }

    /// Generates a fresh key in memory (RSA-2048 with the rsa crate, or P-256).
    pub fn generate(kid: impl Into<String>, alg: KeyAlg) -> Result<SigningKey, KeyError> {
        let pem = generate_pem(alg)?;
        SigningKey::from_pem(kid, pem.as_bytes())
            .ok_or_else(|| KeyError::Generate("generated key did not parse".into()))
    }

    /// The key id, published in the JWKS and named in token headers.
    pub fn kid(&self) -> &str {
        &self.kid
    }
    /// The algorithm this key signs with.
    pub fn alg(&self) -> KeyAlg {
        self.alg
    }
    /// The josekit signer, for signing tokens by hand.
    pub fn signer(&self) -> &dyn JwsSigner {
        self.signer.as_ref()
    }
    /// The public key as a JWK with `kid`, `kty`, `alg` and `use: sig`.
    pub fn public_jwk(&self) -> &Jwk {
        &self.public_jwk
    }
    pub(crate) fn public_pem(&self) -> &[u8] {
        &self.public_pem
    }
}

/// A PKCS#8 PEM private key of the given algorithm.
pub(crate) fn generate_pem(alg: KeyAlg) -> Result<String, KeyError> {
    match alg {
        KeyAlg::Rs256 => {
            let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048)
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            let pem = key
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            Ok(pem.to_string())
        }
        KeyAlg::Es256 => {
            let pair = ES256
                .generate_key_pair()
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            String::from_utf8(pair.to_pem_private_key())
                .map_err(|e| KeyError::Generate(e.to_string()))
        }
    }
}

/// Writes a new key to `dir/<kid>.pem`, never overwriting an existing file.
pub fn write_new_key(dir: &Path, kid: &str, alg: KeyAlg) -> Result<PathBuf, KeyError> {
    let path = dir.join(format!("{kid}.pem"));
    if path.exists() {
        return Err(KeyError::Exists { path });
    }
    std::fs::create_dir_all(dir).map_err(|source| KeyError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let pem = generate_pem(alg)?;
    std::fs::write(&path, pem).map_err(|source| KeyError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// All published keys, and which one signs.
#[derive(Debug, Clone)]
pub struct KeySet {
    keys: Vec<SigningKey>,
    signing: usize,
}

impl KeySet {
    /// A key set from keys in memory; `signing_kid` picks the signer (default: the first key).
    pub fn new(keys: Vec<SigningKey>, signing_kid: Option<&str>) -> Result<KeySet, KeyError> {
        if keys.is_empty() {
            return Err(KeyError::Empty(PathBuf::from("<memory>")));
        }
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].iter().any(|k| k.kid == key.kid) {
                return Err(KeyError::DuplicateKid(key.kid.clone()));
            }
        }
        let signing = match signing_kid {
            None => 0,
            Some(wanted) => keys.iter().position(|k| k.kid == wanted).ok_or_else(|| {
                KeyError::UnknownSigningKey {
                    wanted: wanted.to_string(),
                    available: keys
                        .iter()
                        .map(|k| k.kid.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                }
            })?,
        };
        Ok(KeySet { keys, signing })
    }

    /// Loads every `*.pem` in `dir` (sorted by file name, so the default signer is stable).
    pub fn load_dir(dir: &Path, signing_kid: Option<&str>) -> Result<KeySet, KeyError> {
        let entries = std::fs::read_dir(dir).map_err(|source| KeyError::ReadDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|ext| ext == "pem"))
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(KeyError::Empty(dir.to_path_buf()));
        }
        let mut keys = Vec::with_capacity(paths.len());
        for path in paths {
            let pem = std::fs::read(&path).map_err(|source| KeyError::ReadFile {
                path: path.clone(),
                source,
            })?;
            let kid = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let key = SigningKey::from_pem(kid, &pem)
                .ok_or_else(|| KeyError::Unsupported { path: path.clone() })?;
            keys.push(key);
        }
        KeySet::new(keys, signing_kid)
    }

    /// The key that signs.
    pub fn signing_key(&self) -> &SigningKey {
        &self.keys[self.signing]
    }

    /// Every published key, the signing key included.
    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }

    /// Adds `key` (its kid must be new); `signer` makes it the key that signs.
    pub fn add(&mut self, key: SigningKey, signer: bool) -> Result<(), KeyError> {
        if self.keys.iter().any(|k| k.kid == key.kid) {
            return Err(KeyError::DuplicateKid(key.kid));
        }
        self.keys.push(key);
        if signer {
            self.signing = self.keys.len() - 1;
        }
        Ok(())
    }

    /// Removes the key `kid` from the set (and so from the JWKS); the signing key stays.
    pub fn remove(&mut self, kid: &str) -> Result<SigningKey, KeyError> {
        let index = self
            .keys
            .iter()
            .position(|k| k.kid == kid)
            .ok_or_else(|| KeyError::UnknownKid(kid.to_string()))?;
        if index == self.signing {
            return Err(KeyError::RemovingSigner(kid.to_string()));
        }
        if index < self.signing {
            self.signing -= 1;
        }
        Ok(self.keys.remove(index))
    }

    /// The JWKS document: `{"keys": [...]}` with every public key.
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .keys
            .iter()
            .map(|k| serde_json::Value::Object(k.public_jwk().as_ref().clone()))
            .collect();
        serde_json::json!({ "keys": keys })
    }
}
