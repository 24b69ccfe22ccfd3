//! The `--state FILE`: what the IAM API changed, kept across restarts. Generic over the
//! serialisable snapshot so it knows nothing of roles: it only guarantees that the file on disk
//! is always a whole, recognisable snapshot.
//!
//! Writes go to a temporary file in the same directory, are flushed to disk, then renamed over
//! the old file (rename is atomic on POSIX), so a crash or `kill -9` at any moment leaves the
//! old or the new state. Reading refuses anything that is not a complete state file written by
//! this program (truncated, foreign, a newer format) and says why; it never replaces it.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The marker every state file starts with, so a foreign JSON file is never taken for ours.
pub const FORMAT: &str = "sts-mock-state";
/// The layout version; bumped when the snapshot's shape changes incompatibly.
pub const VERSION: u32 = 3;

/// Why a state file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file exists but could not be read.
    #[error("cannot read state file {path}: {source}")]
    Read {
        /// The state file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The snapshot could not be written to a temporary file or renamed over the state file.
    #[error("cannot write state file {path}: {source}")]
    Write {
        /// The state file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The file is ours but not a whole snapshot: truncated, invalid JSON, without a format
    /// version, or with content that does not fit the snapshot.
    #[error(
        "refusing state file {path}: it is not a complete sts-mock state file ({reason}); \
         it was left untouched: move it away or fix it"
    )]
    Corrupt {
        /// The state file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The file is not an sts-mock state file: not JSON, or without the [`FORMAT`] marker.
    #[error(
        "refusing state file {path}: it is not an sts-mock state file ({reason}); \
         it was left untouched: choose another --state file"
    )]
    Foreign {
        /// The state file.
        path: PathBuf,
        /// Why it is not ours.
        reason: String,
    },
    /// An sts-mock state file in a format version other than [`VERSION`].
    #[error(
        "refusing state file {path}: written in format version {found}, this sts-mock reads version {VERSION}"
    )]
    Version {
        /// The state file.
        path: PathBuf,
        /// The format version the file was written in.
        found: u64,
    },
}

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    format: &'static str,
    version: u32,
    state: &'a T,
}

#[derive(Deserialize)]
struct EnvelopeIn<T> {
    format: String,
    version: u64,
    state: T,
}

/// A state file on disk.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    /// The state file at `path`. Nothing is read or created until [`load`](Self::load) or
    /// [`save`](Self::save).
    pub fn new(path: impl Into<PathBuf>) -> StateFile {
        StateFile { path: path.into() }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved snapshot, or `None` if there is no file yet.
    pub fn load<T: DeserializeOwned>(&self) -> Result<Option<T>, StateError> {
        let path = &self.path;
        let bytes = match fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StateError::Read {
                    path: path.clone(),
                    source,
                })
            }
        };
        // First decide whose file it is, then whether it is whole.
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            if e.is_eof() {
                StateError::Corrupt {
                    path: path.clone(),
                    reason: format!("it ends early, as if truncated: {e}"),
                }
            } else if bytes.first() == Some(&b'{') {
                StateError::Corrupt {
                    path: path.clone(),
                    reason: format!("invalid JSON: {e}"),
                }
            } else {
                StateError::Foreign {
                    path: path.clone(),
                    reason: format!("not JSON: {e}"),
                }
            }
        })?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            other => {
                return Err(StateError::Foreign {
                    path: path.clone(),
                    reason: match other {
                        Some(f) => format!("its format is {f:?}, not {FORMAT:?}"),
                        None => format!("it has no \"format\": {FORMAT:?} marker"),
                    },
                })
            }
        }
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == VERSION as u64 => {}
            Some(found) => {
                return Err(StateError::Version {
                    path: path.clone(),
                    found,
                })
            }
            None => {
                return Err(StateError::Corrupt {
                    path: path.clone(),
                    reason: "it has no format version".to_string(),
                })
            }
        }
        let envelope: EnvelopeIn<T> =
            serde_json::from_value(value).map_err(|e| StateError::Corrupt {
                path: path.clone(),
                reason: format!("its content does not fit: {e}"),
            })?;
        debug_assert_eq!(envelope.format, FORMAT);
        debug_assert_eq!(envelope.version, VERSION as u64);
        Ok(Some(envelope.state))
    }

    /// Replaces the file with `state`, atomically.
    pub fn save<T: Serialize>(&self, state: &T) -> Result<(), StateError> {
        let werr = |source| StateError::Write {
            path: self.path.clone(),
            source,
        };
        let json = serde_json::to_vec_pretty(&EnvelopeOut {
            format: FORMAT,
            version: VERSION,
            state,
        })
        .map_err(|e| werr(io::Error::other(e)))?;

        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file_name = self
            .path
            .file_name()
            .ok_or_else(|| werr(io::Error::other("the path names no file")))?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(file_name);
        tmp_name.push(format!(".tmp-{}", std::process::id()));
        let tmp = dir.join(tmp_name);

        let result = (|| {
            let mut f = File::create(&tmp)?;
            f.write_all(&json)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, &self.path)?;
            // Make the rename itself durable (best effort: not every platform can open a dir).
            if let Ok(d) = File::open(&dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map_err(werr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Snap {
        roles: Vec<String>,
    }

    #[test]
    fn round_trip_and_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = StateFile::new(dir.path().join("state.json"));
        assert!(f.load::<Snap>().unwrap().is_none());
        let s = Snap {
            roles: vec!["a".into(), "b".into()],
        };
        f.save(&s).unwrap();
        assert_eq!(f.load::<Snap>().unwrap(), Some(s));
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_crash_mid_write_leaves_the_old_state() {
        // What a `kill -9` during `save` can leave: a partial temporary file beside the whole
        // old one (the rename, which is atomic, never happened).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let f = StateFile::new(&path);
        let old = Snap {
            roles: vec!["old".into()],
        };
        f.save(&old).unwrap();
        fs::write(
            dir.path().join(".state.json.tmp-99999"),
            b"{\"format\": \"sts-m",
        )
        .unwrap();
        assert_eq!(f.load::<Snap>().unwrap(), Some(old));
        let new = Snap {
            roles: vec!["new".into()],
        };
        f.save(&new).unwrap();
        assert_eq!(f.load::<Snap>().unwrap(), Some(new));
    }

    #[test]
    fn truncated_foreign_and_newer_files_are_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let f = StateFile::new(&path);
        f.save(&Snap {
            roles: vec!["a".into()],
        })
        .unwrap();
        let whole = fs::read(&path).unwrap();
        fs::write(&path, &whole[..whole.len() / 2]).unwrap();
        let e = f.load::<Snap>().unwrap_err();
        assert!(matches!(e, StateError::Corrupt { .. }), "{e}");
        assert!(e.to_string().contains("truncated"), "{e}");
        assert_eq!(fs::read(&path).unwrap(), &whole[..whole.len() / 2]);

        fs::write(&path, br#"{"hello": "world"}"#).unwrap();
        assert!(matches!(f.load::<Snap>(), Err(StateError::Foreign { .. })));
        fs::write(&path, b"roles: [a]").unwrap();
        assert!(matches!(f.load::<Snap>(), Err(StateError::Foreign { .. })));
        fs::write(
            &path,
            br#"{"format":"sts-mock-state","version":99,"state":{}}"#,
        )
        .unwrap();
        assert!(matches!(
            f.load::<Snap>(),
            Err(StateError::Version { found: 99, .. })
        ));
        fs::write(
            &path,
            format!(r#"{{"format":"sts-mock-state","version":{VERSION},"state":{{"x":1}}}}"#),
        )
        .unwrap();
        assert!(matches!(f.load::<Snap>(), Err(StateError::Corrupt { .. })));
    }
}
