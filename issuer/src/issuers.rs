//! The issuers one issuer process serves, each at its own path prefix with its own identity,
//! keys and profile: the built-in ones (Dynatrace at `/`, GitHub Actions, GitLab CI and an EKS
//! cluster) and those a configuration file declares (`issuer serve --config issuers.toml`),
//! such as a second EKS cluster or a GitHub Enterprise Server.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::keys::{KeyAlg, KeyError, KeySet, SigningKey};
use crate::profile::{Profile, EKS_ISSUER_URL, GITHUB_ISSUER_URL, GITLAB_ISSUER_URL};

/// The name of the issuer at `/` (the Dynatrace one, whose identity `--issuer-url` sets).
pub const ROOT_ISSUER: &str = "dynatrace";

/// A built-in issuer: served with no configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builtin {
    /// Its name (`issuer mint --issuer NAME`), also the directory of its keys under `--keys`.
    pub name: &'static str,
    /// Where it is served: `/` or `/NAME/`.
    pub prefix: &'static str,
    /// Its identity, `iss`.
    pub issuer_url: &'static str,
    /// Its claims.
    pub profile: Profile,
}

/// The built-in issuers, the one at `/` first.
pub const BUILTIN_ISSUERS: [Builtin; 4] = [
    Builtin {
        name: ROOT_ISSUER,
        prefix: "/",
        issuer_url: crate::DEFAULT_ISSUER_URL,
        profile: Profile::Dynatrace,
    },
    Builtin {
        name: "github",
        prefix: "/github/",
        issuer_url: GITHUB_ISSUER_URL,
        profile: Profile::GithubActions,
    },
    Builtin {
        name: "gitlab",
        prefix: "/gitlab/",
        issuer_url: GITLAB_ISSUER_URL,
        profile: Profile::GitlabCi,
    },
    Builtin {
        name: "eks",
        prefix: "/eks/",
        issuer_url: EKS_ISSUER_URL,
        profile: Profile::EksIrsa,
    },
];

/// The built-in issuer called `name`.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTIN_ISSUERS.iter().find(|b| b.name == name)
}

/// Where an issuer's keys came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// Loaded from a directory.
    Dir(PathBuf),
    /// Given in memory.
    Memory,
    /// Generated at start because the directory does not exist: tokens minted offline cannot
    /// match them.
    Generated(PathBuf),
}

/// One issuer served next to the one at `/`.
#[derive(Debug, Clone)]
pub struct IssuerSpec {
    /// Its name: lower-case letters, digits and `-`.
    pub name: String,
    /// Where it is served: `/SEGMENT/` (one or more segments).
    pub prefix: String,
    /// Its identity, `iss`.
    pub issuer_url: String,
    /// Its claims.
    pub profile: Profile,
    /// Its published keys and the one that signs.
    pub keys: KeySet,
    /// Where the keys came from.
    pub key_source: KeySource,
    /// Claims merged over the profile's in every token it mints.
    pub default_claims: Map<String, Value>,
}

impl IssuerSpec {
    /// An issuer called `name` at `/name/` with identity `issuer_url`, `profile` and `keys`.
    pub fn new(
        name: impl Into<String>,
        issuer_url: impl Into<String>,
        profile: Profile,
        keys: KeySet,
    ) -> IssuerSpec {
        let name = name.into();
        IssuerSpec {
            prefix: format!("/{name}/"),
            name,
            issuer_url: issuer_url.into(),
            profile,
            keys,
            key_source: KeySource::Memory,
            default_claims: Map::new(),
        }
    }

    /// Serves it at `prefix` (`/a/` or `/a/b/`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> IssuerSpec {
        self.prefix = prefix.into();
        self
    }

    /// Merges `claims` over the profile's claims of every token.
    pub fn default_claims(mut self, claims: Map<String, Value>) -> IssuerSpec {
        self.default_claims = claims;
        self
    }

    /// The built-in issuer `builtin` with the keys of `keys_dir/NAME/`. A directory that does
    /// not exist gets one generated RSA key instead (so `issuer serve --keys DIR` works for any
    /// DIR), which [`KeySource::Generated`] records; a directory that exists must hold keys.
    pub fn builtin(builtin: &Builtin, keys_dir: &Path) -> Result<IssuerSpec, KeyError> {
        let dir = keys_dir.join(builtin.name);
        let (keys, source) = if dir.exists() {
            (KeySet::load_dir(&dir, None)?, KeySource::Dir(dir))
        } else {
            let key = SigningKey::generate(format!("{}-generated", builtin.name), KeyAlg::Rs256)?;
            (KeySet::new(vec![key], None)?, KeySource::Generated(dir))
        };
        let mut spec = IssuerSpec::new(builtin.name, builtin.issuer_url, builtin.profile, keys)
            .prefix(builtin.prefix);
        spec.key_source = source;
        Ok(spec)
    }
}

/// The built-in issuers other than the one at `/`, with their keys from `keys_dir/NAME/`.
pub fn builtin_specs(keys_dir: &Path) -> Result<Vec<IssuerSpec>, KeyError> {
    BUILTIN_ISSUERS[1..]
        .iter()
        .map(|b| IssuerSpec::builtin(b, keys_dir))
        .collect()
}

/// Checks a name: lower-case letters, digits and `-`, starting with a letter or digit.
pub fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if first_ok && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        Ok(())
    } else {
        Err(format!(
            "name `{name}` must be lower-case letters, digits and `-`, such as eks-staging"
        ))
    }
}

/// The first path segments the issuer at `/` answers itself (its own endpoints and the
/// Dynatrace API's); no other issuer may take them.
const RESERVED_SEGMENTS: &[&str] = &[
    ".well-known",
    "mint",
    "_issuer",
    "healthz",
    "authorize",
    "sso",
    "iam",
    "api",
    "platform",
];

/// Checks a prefix: `/SEGMENT/...SEGMENT/`, segments of letters, digits, `-`, `_` and `.`, not
/// one the issuer at `/` answers.
pub fn check_prefix(prefix: &str) -> Result<(), String> {
    let bad = || {
        format!("prefix `{prefix}` must be /SEGMENT/ (one or more segments of letters, digits, `-`, `_` and `.`), such as /eks-staging/")
    };
    let inner = prefix
        .strip_prefix('/')
        .and_then(|p| p.strip_suffix('/'))
        .filter(|p| !p.is_empty())
        .ok_or_else(bad)?;
    for segment in inner.split('/') {
        if segment.is_empty()
            || segment == "."
            || segment == ".."
            || !segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(bad());
        }
    }
    let first = inner.split('/').next().unwrap_or_default();
    if RESERVED_SEGMENTS.contains(&first) {
        return Err(format!(
            "prefix `{prefix}` is taken by the issuer at / (which answers /{first})"
        ));
    }
    Ok(())
}

/// Checks that the issuers (name, prefix) served next to the one at `/` all have different
/// names and prefixes, and that no prefix is inside another (a request must name exactly one
/// issuer).
pub fn check_unique(issuers: &[(&str, &str)]) -> Result<(), String> {
    for (i, (name, prefix)) in issuers.iter().enumerate() {
        check_name(name)?;
        check_prefix(prefix)?;
        if *name == ROOT_ISSUER {
            return Err(format!("issuer name `{ROOT_ISSUER}` is the issuer at /"));
        }
        for (other, other_prefix) in &issuers[..i] {
            if name == other {
                return Err(format!("two issuers are called `{name}`"));
            }
            if prefix.starts_with(other_prefix) || other_prefix.starts_with(prefix) {
                return Err(format!(
                    "issuers `{other}` ({other_prefix}) and `{name}` ({prefix}) overlap: each prefix must name one issuer"
                ));
            }
        }
    }
    Ok(())
}

pub use rig_core::ConfigError;

/// Reads an issuers file (TOML, `[[issuer]]` entries; keys directories relative to the file).
/// The built-in issuers' names are taken: a file declares more issuers, it does not change
/// the built-in ones.
///
/// ```toml
/// [[issuer]]
/// name = "eks-staging"                 # issuer mint --issuer eks-staging
/// prefix = "/eks-staging/"             # optional, default /NAME/
/// issuer_url = "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
/// profile = "eks-irsa"                 # dynatrace, github-actions, gitlab-ci or eks-irsa
/// keys = "../keys/eks-staging"         # every *.pem is published
/// signing_key = "KID"                  # optional, default the first key by file name
/// [issuer.claims]                      # optional: merged over the profile's claims
/// ```
pub fn load_file(path: &Path) -> Result<Vec<IssuerSpec>, ConfigError> {
    load_setup(path).map(|setup| setup.issuers)
}

/// What an issuers file sets up: more issuers, and (with a `[dynatrace]` section) the
/// Dynatrace world of the issuer at `/` (see [`crate::DynatraceSetup`]).
#[derive(Debug, Clone)]
pub struct SetupFile {
    /// The `[[issuer]]` entries.
    pub issuers: Vec<IssuerSpec>,
    /// The `[dynatrace]` section, if the file has one.
    pub dynatrace: Option<crate::DynatraceSetup>,
}

/// Reads an issuers file whole: its `[[issuer]]` entries and its `[dynatrace]` section.
pub fn load_setup(path: &Path) -> Result<SetupFile, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: file.clone(),
        entry: String::new(),
        problem: format!("cannot read the file: {e}"),
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    setup_from_toml(&text, &file, &dir)
}

/// Parses issuers-file text; `file` names it in errors, `dir` anchors relative keys paths.
pub fn from_toml(text: &str, file: &str, dir: &Path) -> Result<Vec<IssuerSpec>, ConfigError> {
    setup_from_toml(text, file, dir).map(|setup| setup.issuers)
}

/// Parses issuers-file text whole, `[dynatrace]` section included.
pub fn setup_from_toml(text: &str, file: &str, dir: &Path) -> Result<SetupFile, ConfigError> {
    let err = |entry: String, problem: String| ConfigError {
        file: file.to_string(),
        entry,
        problem,
    };
    let raw: RawFile =
        toml::from_str(text).map_err(|e| err(String::new(), e.to_string().trim().to_string()))?;
    let mut specs: Vec<IssuerSpec> = Vec::new();
    for entry in raw.issuers {
        let label = format!("issuer {:?}", entry.name);
        check_name(&entry.name).map_err(|p| err(label.clone(), p))?;
        if builtin(&entry.name).is_some() {
            return Err(err(
                label,
                format!(
                    "`{}` is a built-in issuer; declare a new one under another name",
                    entry.name
                ),
            ));
        }
        let profile: Profile = entry.profile.parse().map_err(|p| err(label.clone(), p))?;
        check_issuer_url(&entry.issuer_url).map_err(|p| err(label.clone(), p))?;
        let keys_dir = dir.join(&entry.keys);
        let keys = KeySet::load_dir(&keys_dir, entry.signing_key.as_deref())
            .map_err(|e| err(label.clone(), e.to_string()))?;
        let claims = match serde_json::to_value(&entry.claims) {
            Ok(Value::Object(map)) => map,
            _ => return Err(err(label, "claims must be a table".into())),
        };
        let mut spec =
            IssuerSpec::new(&entry.name, &entry.issuer_url, profile, keys).default_claims(claims);
        if let Some(prefix) = entry.prefix {
            spec = spec.prefix(prefix);
        }
        spec.key_source = KeySource::Dir(keys_dir);
        check_prefix(&spec.prefix).map_err(|p| err(label.clone(), p))?;
        specs.push(spec);
    }
    let mut all: Vec<(&str, &str)> = BUILTIN_ISSUERS[1..]
        .iter()
        .map(|b| (b.name, b.prefix))
        .collect();
    all.extend(specs.iter().map(|s| (s.name.as_str(), s.prefix.as_str())));
    check_unique(&all).map_err(|p| err(String::new(), p))?;
    let dynatrace = match raw.dynatrace {
        Some(section) => Some(crate::dynatrace::setup::build(section, file)?),
        None => None,
    };
    Ok(SetupFile {
        issuers: specs,
        dynatrace,
    })
}

/// An identity must be an absolute `https://` URL without query or fragment: AWS registers
/// OIDC providers by `https://` URL, and `iss` must equal it.
pub fn check_issuer_url(url: &str) -> Result<(), String> {
    match url::Url::parse(url) {
        Ok(u)
            if u.scheme() == "https"
                && u.host_str().is_some_and(|h| !h.is_empty())
                && u.query().is_none()
                && u.fragment().is_none() =>
        {
            Ok(())
        }
        _ => Err(format!(
            "issuer_url `{url}` must be an https:// URL without query or fragment, such as https://ghe.example.com/_services/token"
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default, rename = "issuer")]
    issuers: Vec<RawIssuer>,
    dynatrace: Option<crate::dynatrace::setup::RawDynatrace>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIssuer {
    name: String,
    prefix: Option<String>,
    issuer_url: String,
    profile: String,
    keys: PathBuf,
    signing_key: Option<String>,
    #[serde(default)]
    claims: toml::Table,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_names_are_checked() {
        for good in ["/a/", "/eks-staging/", "/ghe/v1.2/"] {
            assert!(check_prefix(good).is_ok(), "{good}");
        }
        for bad in ["/", "a/", "/a", "//", "/a//b/", "/../", "/a b/"] {
            assert!(check_prefix(bad).is_err(), "{bad}");
        }
        let taken = check_prefix("/mint/").unwrap_err();
        assert!(taken.contains("taken by the issuer at /"), "{taken}");
        assert!(check_prefix("/.well-known/x/").is_err());
        assert!(check_name("eks-2").is_ok());
        for bad in ["", "-x", "Eks", "a_b", "a/b"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn overlapping_issuers_are_refused() {
        assert!(check_unique(&[("a", "/a/"), ("b", "/b/")]).is_ok());
        let error = check_unique(&[("a", "/a/"), ("b", "/a/b/")]).unwrap_err();
        assert!(error.contains("overlap"), "{error}");
        let error = check_unique(&[("b", "/a/b/"), ("a", "/a/")]).unwrap_err();
        assert!(error.contains("overlap"), "{error}");
        let error = check_unique(&[("a", "/a/"), ("a", "/b/")]).unwrap_err();
        assert!(error.contains("two issuers are called `a`"), "{error}");
        assert!(check_unique(&[("dynatrace", "/d/")]).is_err());
    }

    #[test]
    fn identities_must_be_https() {
        assert!(check_issuer_url("https://ghe.example.com/_services/token").is_ok());
        for bad in [
            "http://x.example",
            "x.example",
            "https://x.example/?a=1",
            "https://x.example/#f",
        ] {
            assert!(check_issuer_url(bad).is_err(), "{bad}");
        }
    }
}
