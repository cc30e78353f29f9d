//! `target/twin/connection.toml`: how the harness's `twin` target reaches a
//! ready twin, and its `[vars]` (the Drone API twin's URLs). Written
//! atomically once the twin is ready, removed on `down`, so its presence
//! means "a twin was ready here".
//!
//! The library reads it as `witness::target::TwinConnection`. xtask writes and reads the
//! same keys with `toml` alone, so that `cargo xtask twin up` needs no build of the library;
//! a test reads what this module writes through the library's own reader.

use anyhow::{Context, Result};

use super::cc_ci;
use super::paths::Paths;
use crate::util;

/// The file's contents (flat keys, then a `[vars]` table, as the harness
/// expects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub port: u16,
    pub nspawn_pid: i32,
    /// The Drone API twin's port on 127.0.0.1.
    pub api_port: u16,
}

/// The file's text for a ready twin: the keys of `witness::target::TwinConnection`.
fn text(paths: &Paths, conn: &Connection, pinned: &[(String, String)]) -> String {
    let path = |p: &std::path::Path| toml::Value::String(p.display().to_string());
    let mut file = toml::Table::new();
    file.insert("host".into(), "127.0.0.1".into());
    file.insert("port".into(), i64::from(conn.port).into());
    file.insert("user".into(), "root".into());
    file.insert("identity_file".into(), path(&paths.client_key));
    file.insert("known_hosts".into(), path(&paths.known_hosts));
    file.insert("nspawn_pid".into(), i64::from(conn.nspawn_pid).into());
    file.insert("rootfs".into(), path(&paths.rootfs));
    let vars: toml::Table = cc_ci::vars(conn.api_port, pinned)
        .into_iter()
        .map(|(k, v)| (k, toml::Value::String(v)))
        .collect();
    file.insert("vars".into(), vars.into());
    format!("# Written by `cargo xtask twin up`; removed by `cargo xtask twin down`.\n{file}")
}

/// Writes the file for a ready twin (temp file + rename).
pub fn write(paths: &Paths, conn: &Connection, pinned: &[(String, String)]) -> Result<()> {
    util::write_atomic(&paths.connection, text(paths, conn, pinned).as_bytes())
}

/// Reads back the fields xtask itself needs; None if absent or unreadable.
pub fn read(paths: &Paths) -> Option<Connection> {
    let file: toml::Table = std::fs::read_to_string(&paths.connection)
        .ok()?
        .parse()
        .ok()?;
    let int = |k: &str| file.get(k)?.as_integer();
    // drone_url = "http://127.0.0.1:<port>"
    let api_port = file
        .get("vars")?
        .get("drone_url")?
        .as_str()?
        .rsplit(':')
        .next()?
        .parse()
        .ok()?;
    Some(Connection {
        port: int("port")?.try_into().ok()?,
        nspawn_pid: int("nspawn_pid")?.try_into().ok()?,
        api_port,
    })
}

pub fn remove(paths: &Paths) -> Result<()> {
    match std::fs::remove_file(&paths.connection) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            Err(err).with_context(|| format!("removing {}", paths.connection.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What xtask writes is what the library reads (its own serde type, unknown keys
    /// refused), and xtask reads its own fields back.
    #[test]
    fn the_library_reads_what_xtask_writes() {
        let paths = Paths::new();
        let conn = Connection {
            port: 2222,
            nspawn_pid: 42,
            api_port: 8080,
        };
        let pinned = [("head_commit".to_string(), "0".repeat(40))];
        let dir = std::env::temp_dir().join(format!("xtask-conn-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("connection.toml");
        std::fs::write(&file, text(&paths, &conn, &pinned)).unwrap();
        let lib = witness::target::TwinConnection::read(&file).unwrap();
        assert_eq!(
            (lib.host.as_str(), lib.port, lib.user.as_str()),
            ("127.0.0.1", 2222, "root")
        );
        assert_eq!(lib.identity_file, paths.client_key);
        assert_eq!(lib.known_hosts, paths.known_hosts);
        assert_eq!(
            (lib.nspawn_pid, lib.rootfs),
            (Some(42), Some(paths.rootfs.clone()))
        );
        assert_eq!(lib.vars["drone_url"], "http://127.0.0.1:8080");
        assert_eq!(lib.vars["head_commit"], "0".repeat(40));
        let back = read(&Paths {
            connection: file.clone(),
            ..Paths::new()
        });
        assert_eq!(back, Some(conn));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
