//! The one shape of a refused setup file, for both servers' `--config` files: which file, which
//! entry in it, what is wrong, in one line a user can act on
//! (`my-setup.toml: role "x" (account 000000000000): MalformedPolicyDocument: ...`).

use std::fmt;

/// Why a setup file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file.
    pub file: String,
    /// The entry, e.g. `role "dynatrace-aws-connector" (account 000000000000)` or
    /// `issuer "eks-staging"`; empty for file-level errors.
    pub entry: String,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.entry.is_empty() {
            write!(f, "{}: {}", self.file, self.problem)
        } else {
            write!(f, "{}: {}: {}", self.file, self.entry, self.problem)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_file_the_entry_and_the_problem() {
        let e = ConfigError {
            file: "a.toml".into(),
            entry: "role \"r\"".into(),
            problem: "bad".into(),
        };
        assert_eq!(e.to_string(), "a.toml: role \"r\": bad");
        let e = ConfigError {
            entry: String::new(),
            ..e
        };
        assert_eq!(e.to_string(), "a.toml: bad");
    }
}
