//! `target/twin/connection.toml`: how the harness's `twin` target reaches a
//! ready twin. Written atomically once the twin has booted, removed on
//! `down`, so its presence means "a twin was ready here".

use std::path::Path;

use anyhow::{Context, Result};

use super::paths::Paths;
use crate::util;

/// The file's contents (flat keys, as the harness expects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub port: u16,
    pub nspawn_pid: i32,
}

/// Writes the file for a ready twin (temp file + rename).
pub fn write(paths: &Paths, conn: &Connection) -> Result<()> {
    let text = format!(
        "# Written by `cargo xtask twin up`; removed by `cargo xtask twin down`.\n\
         host = \"127.0.0.1\"\n\
         port = {}\n\
         user = \"root\"\n\
         identity_file = {}\n\
         known_hosts = {}\n\
         nspawn_pid = {}\n\
         rootfs = {}\n",
        conn.port,
        toml_string(&paths.client_key),
        toml_string(&paths.known_hosts),
        conn.nspawn_pid,
        toml_string(&paths.rootfs),
    );
    util::write_atomic(&paths.connection, text.as_bytes())
}

/// Reads back the fields xtask itself needs; None if absent or unreadable.
pub fn read(paths: &Paths) -> Option<Connection> {
    let text = std::fs::read_to_string(&paths.connection).ok()?;
    let value = |key: &str| {
        text.lines().find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    Some(Connection {
        port: value("port")?.parse().ok()?,
        nspawn_pid: value("nspawn_pid")?.parse().ok()?,
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

/// A TOML basic string: quotes, with `\` and `"` (and controls) escaped.
fn toml_string(path: &Path) -> String {
    let mut out = String::from("\"");
    for c in path.display().to_string().chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
