//! `target/twin/connection.toml`: how the harness's `twin` target reaches a
//! ready twin, and its `[vars]` (the Drone API twin's URLs). Written
//! atomically once the twin is ready, removed on `down`, so its presence
//! means "a twin was ready here".

use std::path::Path;

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

/// Writes the file for a ready twin (temp file + rename).
pub fn write(paths: &Paths, conn: &Connection) -> Result<()> {
    let mut text = format!(
        "# Written by `cargo xtask twin up`; removed by `cargo xtask twin down`.\n\
         host = \"127.0.0.1\"\n\
         port = {}\n\
         user = \"root\"\n\
         identity_file = {}\n\
         known_hosts = {}\n\
         nspawn_pid = {}\n\
         rootfs = {}\n",
        conn.port,
        toml_path(&paths.client_key),
        toml_path(&paths.known_hosts),
        conn.nspawn_pid,
        toml_path(&paths.rootfs),
    );
    // Values scenarios use as ${name}; targets.toml's own vars take precedence.
    text.push_str("\n[vars]\n");
    for (key, value) in cc_ci::vars(conn.api_port) {
        text.push_str(&format!("{key} = {}\n", toml_string(&value)));
    }
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
    // drone_url = "http://127.0.0.1:<port>"
    let drone_url = value("drone_url")?;
    Some(Connection {
        port: value("port")?.parse().ok()?,
        nspawn_pid: value("nspawn_pid")?.parse().ok()?,
        api_port: drone_url
            .trim_matches('"')
            .rsplit(':')
            .next()?
            .parse()
            .ok()?,
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

fn toml_path(path: &Path) -> String {
    toml_string(&path.display().to_string())
}

/// A TOML basic string: quotes, with `\` and `"` (and controls) escaped.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
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
