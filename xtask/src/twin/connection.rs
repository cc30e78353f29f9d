//! `target/twin/connection.toml`: how the harness's `twin` target reaches a
//! ready twin, and its `[vars]` (the Drone API twin's URLs). Written
//! atomically once the twin is ready, removed on `down`, so its presence
//! means "a twin was ready here".

use anyhow::{Context, Result};
use witness::target::TwinConnection;

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

/// Writes the file for a ready twin (temp file + rename), in the one format the
/// harness reads ([`TwinConnection`]).
pub fn write(paths: &Paths, conn: &Connection, pinned: &[(String, String)]) -> Result<()> {
    let file = TwinConnection {
        host: "127.0.0.1".into(),
        port: conn.port,
        user: "root".into(),
        identity_file: paths.client_key.clone(),
        known_hosts: paths.known_hosts.clone(),
        nspawn_pid: Some(conn.nspawn_pid),
        rootfs: Some(paths.rootfs.clone()),
        vars: cc_ci::vars(conn.api_port, pinned).into_iter().collect(),
    };
    util::write_atomic(&paths.connection, file.to_toml().as_bytes())
}

/// Reads back the fields xtask itself needs; None if absent or unreadable.
pub fn read(paths: &Paths) -> Option<Connection> {
    let file = TwinConnection::read(&paths.connection).ok()?;
    // drone_url = "http://127.0.0.1:<port>"
    let api_port = file
        .vars
        .get("drone_url")?
        .rsplit(':')
        .next()?
        .parse()
        .ok()?;
    Some(Connection {
        port: file.port,
        nspawn_pid: file.nspawn_pid?,
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
