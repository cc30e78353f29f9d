//! The library's error types (`thiserror`), gathered here, each carrying the context a
//! reader needs.
//!
//! The shape follows nextest's: an error names what failed (file, target, host, request)
//! and keeps what caused it as its `#[source]`, never flattened into a string; [`chain`]
//! renders the whole chain for a person (`failed to X: because Y: because Z`). Messages are
//! lowercase fragments. They never contain secret values: callers pass every rendered
//! message through the scenario's redactor before it leaves the engine.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

/// An error and every cause below it, joined by `: ` (reqwest's and io's own Display hide
/// their causes).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let text = c.to_string();
        // Some errors repeat their cause in their own message; say it once.
        if !s.ends_with(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cur = c.source();
    }
    s
}

/// A `${name}` that cannot be interpolated (`interp`).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum InterpError {
    #[error("unknown variable `${{{name}}}` (known: {known})")]
    Unknown { name: String, known: String },
    #[error("unterminated `${{` at byte {at}")]
    Unterminated { at: usize },
    #[error(
        "variable `${{{name}}}` cannot be written into {context} of the shell command: {message}"
    )]
    Quote {
        name: String,
        context: String,
        message: String,
    },
    /// Refused when the scenario loads; checked again here so no caller can skip it.
    #[error("variable `{what}` would be read as code by {reader}; pass it through `env`")]
    Code { what: String, reader: String },
}

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
///
/// Clone, because a connect failure is sticky: every later trial of the run gets the same
/// error without paying another connect timeout. Sources are shared behind `Arc` for that.
#[derive(Debug, Error, Clone)]
pub enum TransportError {
    #[error("cannot connect to {addr} within {timeout:?}")]
    Connect {
        addr: String,
        timeout: Duration,
        #[source]
        cause: ConnectCause,
    },
    #[error(
        "host key of {host} is NOT in {} (looked up as `{entry}`, as OpenSSH does): refusing to connect (no trust on first use).\n  offered {key}\n  if this host is the one you mean, verify the fingerprint out of band, then add it: {add} >> {}",
        known_hosts.display(), known_hosts.display()
    )]
    UnknownHostKey {
        host: String,
        /// The known_hosts entry name it was looked up under.
        entry: String,
        /// The command that fetches the key under that name.
        add: String,
        /// `<type> key SHA256:<fingerprint>`.
        key: String,
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
    #[error("cannot read known_hosts {}", known_hosts.display())]
    KnownHostsRead {
        known_hosts: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("libssh2 could not check the host key against {}", known_hosts.display())]
    KnownHostsCheck { known_hosts: PathBuf },
    #[error("ssh server {host} offered no host key")]
    NoHostKey { host: String },
    #[error("authentication as `{user}` on {host} failed: tried {}", tried.join(", "))]
    Auth {
        user: String,
        host: String,
        /// Each identity file or agent tried, with why it was not accepted.
        tried: Vec<String>,
    },
    #[error("ssh session to {host} failed")]
    Session {
        host: String,
        #[source]
        source: Arc<ssh2::Error>,
    },
    #[error("ssh channel to {host} failed: {message}")]
    Channel { host: String, message: String },
    #[error("cannot start local command: {what}")]
    Spawn {
        what: String,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("a command holding a NUL byte cannot be run by a shell")]
    NulInCommand,
}

/// Why a TCP/SSH connection could not be made.
#[derive(Debug, Error, Clone)]
pub enum ConnectCause {
    #[error("cannot resolve the host name")]
    Resolve(#[source] Arc<std::io::Error>),
    #[error("no address to connect to")]
    NoAddress,
    #[error(transparent)]
    Tcp(Arc<std::io::Error>),
    #[error("ssh handshake")]
    Handshake(#[source] Arc<ssh2::Error>),
}

/// A secret of the target could not be resolved.
#[derive(Debug, Error)]
#[error("secret `{name}` is unavailable")]
pub struct SecretError {
    pub name: String,
    #[source]
    pub kind: SecretErrorKind,
}

#[derive(Debug, Error)]
pub enum SecretErrorKind {
    #[error("environment variable {var} is not set")]
    EnvUnset { var: String },
    #[error("cannot read {path} on the target: {stderr}")]
    Unreadable { path: String, stderr: String },
    #[error(transparent)]
    Transport(Box<TransportError>),
}

/// A step could not be carried out (as opposed to carried out and judged failing).
#[derive(Debug, Error)]
pub enum StepError {
    /// Boxed: transport errors carry a lot of context, and this error is returned a lot.
    #[error(transparent)]
    Transport(Box<TransportError>),
    #[error(transparent)]
    Interp(#[from] InterpError),
    #[error("`env` value `{name}` holds a NUL byte, which no environment variable can carry")]
    EnvValue { name: String },
    #[error("journal mark `${{{name}}}` was not recorded")]
    MissingMark { name: String },
    #[error("`{field}` names `{name}`, which is not a secret of this target")]
    NoSuchSecret { field: &'static str, name: String },
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("no InvocationID to read the journal of {unit} by (the run was not seen)")]
    EmptyInvocation { unit: String },
    #[error("systemctl start of {unit} ended without a result")]
    StartLost { unit: String },
    #[error(transparent)]
    Action(#[from] ActionError),
}

impl From<TransportError> for StepError {
    fn from(e: TransportError) -> Self {
        StepError::Transport(Box::new(e))
    }
}

/// An HTTP request (an `http` step, or one of a `drone` step's calls) failed.
#[derive(Debug, Error)]
#[error("{request}")]
pub struct HttpError {
    /// What was being done, e.g. `GET https://…/healthz` or `drone trigger`.
    pub request: String,
    #[source]
    pub kind: HttpErrorKind,
}

#[derive(Debug, Error)]
pub enum HttpErrorKind {
    #[error("cannot read ca_file {path}")]
    CaFileRead {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("ca_file {path} holds no usable certificate")]
    CaFileParse {
        path: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
    #[error("sending the request")]
    Send(#[source] reqwest::Error),
    #[error("reading the body")]
    Body(#[source] reqwest::Error),
    #[error("HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("unreadable response")]
    Decode(#[source] serde_json::Error),
    #[error("`{value}` is not a build number")]
    NotABuildNumber { value: String },
    #[error("no log after {tries} tries: HTTP {status}")]
    NoLog { tries: u32, status: u16 },
}

impl HttpError {
    pub fn new(request: impl Into<String>, kind: HttpErrorKind) -> Self {
        HttpError {
            request: request.into(),
            kind,
        }
    }
}

/// A run-scoped action failed; every scenario using it reports this.
#[derive(Debug, Error, Clone)]
#[error("action `{action}` failed: {message}")]
pub struct ActionError {
    pub action: String,
    /// The action's own failure, rendered and redacted where it happened (another process
    /// may have run it).
    pub message: String,
}

/// A gate that cannot run at all, before any trial: a role that is not one, no scenario
/// folder or no scenario in it.
#[derive(Debug, Error)]
pub enum GateError {
    #[error("WITNESS_ROLE=`{role}` is not a role; use one of {roles}")]
    Role { role: String, roles: String },
    #[error("gate `{gate}`: no scenario folder {}", dir.display())]
    NoFolder { gate: String, dir: PathBuf },
    #[error("gate `{gate}`: cannot read {}: {source}", dir.display())]
    ReadDir {
        gate: String,
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("gate `{gate}`: {} holds no scenario files (*.toml)", dir.display())]
    Empty { gate: String, dir: PathBuf },
}

/// A lock could not be taken: a local flock (the target's, its build lock) or the
/// mutation lock on the target itself. The messages are whole sentences a trial shows as
/// they are (a `Busy` one is a refusal).
#[derive(Debug, Error)]
pub enum LockError {
    #[error("cannot create {}: {source}", dir.display())]
    CreateDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot lock {}: {source}", path.display())]
    Flock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot take the target's mutation lock: {0}")]
    OnTarget(#[source] Box<TransportError>),
    #[error("cannot take the mutation lock on this machine: {0}")]
    Spawn(#[source] std::io::Error),
    #[error(
        "REFUSED: another run holds the target's mutation lock ({holder}), and it was not released within {}s",
        wait.as_secs()
    )]
    Busy { holder: String, wait: Duration },
    #[error(
        "cannot take the target's mutation lock (flock on /run/lock/witness-mutation.lock said {said:?})"
    )]
    Unexpected { said: String },
}

/// The gate report could not be stored or written. It never changes a verdict: the runner
/// says so and goes on.
#[derive(Debug, Error)]
pub enum ReportError {
    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {} as JSON", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot render junit.xml")]
    Junit(#[source] quick_junit::SerializeError),
    #[error("cannot take the target's lock to read the host identity: {0}")]
    TargetLock(#[source] LockError),
    #[error("{} is not a witness report ({message})", file.display())]
    NotAReport { file: PathBuf, message: String },
}

impl ReportError {
    pub(crate) fn io(action: &'static str, path: PathBuf, source: std::io::Error) -> Self {
        ReportError::Io {
            action,
            path,
            source,
        }
    }
}
