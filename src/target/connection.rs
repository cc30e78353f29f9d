//! The twin's connection file (`target/twin/connection.toml`): how the `twin` target is
//! reached, plus the `[vars]` the twin offers scenarios.
//!
//! One serde type for both sides: `cargo xtask twin up` writes it once the twin is ready
//! and removes it on `down`; the library reads it to build the `twin` target. So the two
//! can never disagree about a field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::TargetError;

/// The file's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwinConnection {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub identity_file: PathBuf,
    pub known_hosts: PathBuf,
    /// PID of the twin's `systemd-nspawn` (xtask stops the twin by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nspawn_pid: Option<i32>,
    /// The booted root file system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rootfs: Option<PathBuf>,
    /// Values scenarios use as `${name}`; `targets.toml`'s own vars take precedence.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
}

impl TwinConnection {
    pub fn read(file: &Path) -> Result<Self, TargetError> {
        let text = std::fs::read_to_string(file).map_err(|source| TargetError::Io {
            file: file.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| TargetError::Toml {
            file: file.to_path_buf(),
            source,
        })
    }

    /// The file's text, with a header saying who writes it. xtask writes the real file with
    /// its own writer; this one is the round-trip test's.
    #[cfg(test)]
    fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("a connection always serializes");
        format!("# Written by `cargo xtask twin up`; removed by `cargo xtask twin down`.\n{body}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_its_file() {
        let c = TwinConnection {
            host: "127.0.0.1".into(),
            port: 2222,
            user: "root".into(),
            identity_file: "/t/client_key".into(),
            known_hosts: "/t/known \"hosts\"".into(),
            nspawn_pid: Some(42),
            rootfs: None,
            vars: BTreeMap::from([("drone_url".into(), "http://127.0.0.1:1".into())]),
        };
        let dir = std::env::temp_dir().join(format!("witness-conn-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("connection.toml");
        std::fs::write(&f, c.to_toml()).unwrap();
        assert_eq!(TwinConnection::read(&f).unwrap(), c);
        std::fs::write(&f, "host = 1\n").unwrap();
        let e = TwinConnection::read(&f).unwrap_err().to_string();
        // toml's own text, located: the line, a caret, then what is wrong.
        assert!(
            e.contains("connection.toml: TOML parse error at line 1"),
            "{e}"
        );
        assert!(e.contains("invalid type: integer `1`"), "{e}");
    }
}
