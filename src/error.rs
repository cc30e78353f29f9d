//! The library's error types (`thiserror`), each carrying the context a reader needs.
//!
//! Messages are lowercase fragments that name the thing that failed (file, target, host,
//! command). They are shown to people as-is, so they never contain secret values: callers
//! pass every message through the scenario's redactor before it leaves the engine.

use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

/// A scenario file that cannot be read or is invalid.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("{}: cannot read scenario file: {source}", file.display())]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{col}: {message}\n{}", file.display(), caret(*line, *col, line_text))]
    Invalid {
        file: PathBuf,
        line: usize,
        col: usize,
        message: String,
        line_text: String,
    },
}

fn caret(line: usize, col: usize, text: &str) -> String {
    let gutter = line.to_string().len();
    format!(
        "{:gutter$} |\n{line} | {text}\n{:gutter$} | {:>col$}",
        "", "", "^"
    )
}

/// `targets.toml` or a target's connection details are unusable.
#[derive(Debug, Error)]
pub enum TargetError {
    #[error("cannot read {}: {source}", file.display())]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}", file.display())]
    Parse { file: PathBuf, message: String },
    #[error("unknown target `{name}` (WITNESS_TARGET); {} defines: {known}", file.display())]
    Unknown {
        name: String,
        file: PathBuf,
        known: String,
    },
    #[error("target `{name}`: {message}")]
    Invalid { name: String, message: String },
    #[error("target `{name}`: secret `{secret}` unavailable: {message}")]
    Secret {
        name: String,
        secret: String,
        message: String,
    },
}

/// Reaching or talking to a target failed (as opposed to a command failing on it).
#[derive(Debug, Error, Clone)]
pub enum TransportError {
    #[error("cannot connect to {addr} within {timeout:?}: {message}")]
    Connect {
        addr: String,
        timeout: Duration,
        message: String,
    },
    #[error(
        "host key of {host} is NOT in {}: refusing to connect (no trust on first use).\n  offered {key_type} key SHA256:{fingerprint}\n  if this host is the one you mean, verify the fingerprint out of band, then add it: ssh-keyscan -p {port} {hostname} >> {}",
        known_hosts.display(), known_hosts.display()
    )]
    UnknownHostKey {
        host: String,
        hostname: String,
        port: u16,
        key_type: String,
        fingerprint: String,
        known_hosts: PathBuf,
    },
    #[error(
        "host key of {host} CHANGED: the {key_type} key it offers (SHA256:{fingerprint}) does not match {}. Refusing to connect: this may be a man-in-the-middle or a reinstalled host. If the change is expected, remove the old entry (ssh-keygen -R '{entry}' -f {}) and add the verified new key",
        known_hosts.display(), known_hosts.display()
    )]
    HostKeyMismatch {
        host: String,
        entry: String,
        key_type: String,
        fingerprint: String,
        known_hosts: PathBuf,
    },
    #[error("cannot read known_hosts {}: {message}", known_hosts.display())]
    KnownHosts {
        known_hosts: PathBuf,
        message: String,
    },
    #[error("authentication as `{user}` on {host} failed: {message}")]
    Auth {
        user: String,
        host: String,
        message: String,
    },
    #[error("ssh session to {host} failed: {message}")]
    Session { host: String, message: String },
    #[error("cannot start local command: {message}")]
    Spawn { message: String },
}
