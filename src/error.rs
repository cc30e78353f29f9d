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
pub(crate) enum InterpError {
    #[error("unknown variable `${{{name}}}` (known: {known})")]
    Unknown { name: String, known: String },
    #[error("unterminated `${{` at byte {at}")]
    Unterminated { at: usize },
    #[error(
        "variable `${{{name}}}` cannot be written into {context} of the shell command: {problem}"
    )]
    Quote {
        name: String,
        context: String,
        #[source]
        problem: QuoteProblem,
    },
    /// Refused when the scenario loads; checked again here so no caller can skip it.
    #[error("variable `{what}` reaches {reader}; pass it through `env`")]
    Code { what: String, reader: String },
}

/// Why a value cannot be written into its place in a shell command (`interp::shell::write`).
#[derive(Debug, Error, PartialEq, Eq, Clone)]
pub(crate) enum QuoteProblem {
    #[error("it holds a NUL byte, which no shell string can carry")]
    Nul,
    #[error("it holds a line `{delimiter}`, which would end the heredoc early")]
    EndsHeredoc { delimiter: String },
    /// A place no value may go; the text says why and what to write instead.
    #[error("{why}")]
    NoValueHere { why: &'static str },
    /// It begins an operand of a program that reads a leading `-` as an option.
    #[error(
        "it begins with `-` where the program takes an operand, and would be read as an option; \
         write `--` before it, or pass it through `env`"
    )]
    LeadingDash,
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
    /// A mistake at a place in the file. The diagnostic stays text, as a compiler's does:
    /// each of the loader's is written once, at the check that finds it, and pinned whole in
    /// `scenario::load`'s `loader_messages` snapshot.
    #[error("{}:{line}:{col}: {diagnostic}\n{}", file.display(), caret(*line, *col, line_text))]
    Invalid {
        file: PathBuf,
        line: usize,
        col: usize,
        diagnostic: String,
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
    /// `targets.toml` or the twin's connection file is not valid TOML or not the expected shape.
    #[error("{}: {source}", file.display())]
    Toml {
        file: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    /// OpenSSH's own resolution of an alias failed; its stderr names the file and line.
    #[error("`{command}` could not resolve `{alias}`: {}", stderr.trim())]
    OpenSsh {
        alias: String,
        command: String,
        stderr: String,
    },
    #[error(
        "cannot run `{command}` to resolve the ssh_config alias `{alias}` (OpenSSH's `ssh` is needed)"
    )]
    OpenSshSpawn {
        alias: String,
        command: String,
        #[source]
        source: std::io::Error,
    },
    /// A target's `judged_on` is not a real `YYYY-MM-DD` day.
    #[error(
        "{}:{line}:{col}: `judged_on = \"{value}\"` is not a date (write YYYY-MM-DD)",
        file.display()
    )]
    JudgedOn {
        file: PathBuf,
        line: usize,
        col: usize,
        value: String,
    },
    #[error("unknown target `{name}` (WITNESS_TARGET); {} defines: {known}", file.display())]
    Unknown {
        name: String,
        file: PathBuf,
        known: String,
    },
    /// Boxed: a problem carries up to four texts, and every `Result<_, TargetError>` would
    /// carry the size.
    #[error("target `{name}`: {problem}")]
    Invalid {
        name: String,
        #[source]
        problem: Box<TargetProblem>,
    },
}

/// What is wrong with a target's definition, or with what it names.
#[derive(Debug, Error)]
pub enum TargetProblem {
    #[error("connect_timeout `{value}`: {source}")]
    ConnectTimeout {
        value: String,
        #[source]
        source: humantime::DurationError,
    },
    #[error(
        "give exactly one of `local = true`, `ssh = \"alias\"`, `host = \"…\"` or `connection = \"file\"`"
    )]
    NotOneWay,
    /// Its connection file is unusable. Rendered whole, then the hint: the hint must come
    /// last, so the cause is part of this message rather than a `#[source]`.
    #[error(
        "{}{}",
        chain(cause.as_ref()),
        if *twin_down { "; start the twin host first: cargo xtask twin up" } else { "" }
    )]
    Connection {
        cause: Box<TargetError>,
        /// The default target's file is missing: the twin is not up.
        twin_down: bool,
    },
    #[error("secret `{secret}` needs exactly one of `file` or `env`")]
    SecretSource { secret: String },
    #[error(
        "`{command}` says `{option} {value}` for `{alias}`, which witness does not follow ({why}); it refuses rather than connect differently from OpenSSH"
    )]
    UnsupportedSshOption {
        /// The `ssh -G` command that said it.
        command: String,
        /// The option as `ssh -G` prints it (lowercase).
        option: String,
        value: String,
        alias: String,
        why: &'static str,
    },
    #[error(
        "`{command}` says `proxyjump {value}` for `{alias}`: hop `{hop}` is not `[user@]host[:port]` or `ssh://[user@]host[:port]`"
    )]
    ProxyJumpHop {
        command: String,
        value: String,
        alias: String,
        hop: String,
    },
    #[error("ProxyJump for `{alias}` goes more than {max} hops deep (a loop?): {chain}")]
    JumpTooDeep {
        alias: String,
        max: usize,
        chain: String,
    },
    #[error(
        "`{command}` says `{option} {value}` for `{alias}`: `%{token}` is a token witness does not expand"
    )]
    SshToken {
        command: String,
        option: String,
        value: String,
        alias: String,
        token: char,
    },
    #[error(
        "`{var}` = `{value}` is not a full commit hash, and there is no `flake` variable naming the checkout to resolve it in; give the full 40-digit hash"
    )]
    ShortCommitNoFlake { var: String, value: String },
    /// Asking the target failed; [`chain`] renders the cause after this.
    #[error("resolving `{var}`")]
    ResolveCommit {
        var: String,
        #[source]
        cause: TransportError,
    },
    #[error(
        "`{var}` = `{value}` is not a full commit hash and does not resolve to one in {repo} on the target (`{command}` exited {exit:?}); give the full 40-digit hash"
    )]
    CommitUnresolved {
        var: String,
        value: String,
        repo: String,
        command: String,
        exit: Option<i32>,
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
        "host key of {host} is NOT in {} (looked up as `{entry}`, as OpenSSH does): refusing to connect (no trust on first use).\n  offered {key}\n  if this host is the one you mean, verify the fingerprint out of band, then add it: {add}",
        searched.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    UnknownHostKey {
        host: String,
        /// The known_hosts entry name it was looked up under.
        entry: String,
        /// The command that fetches the key under that name into the first user known_hosts
        /// file.
        add: String,
        /// `<type> key SHA256:<fingerprint>`.
        key: String,
        /// Every file read (the user's, then the global ones), as OpenSSH reads them.
        searched: Vec<PathBuf>,
    },
    #[error(
        "host key of {host} CHANGED: the {key} it offers does not match {}:{line}. Refusing to connect: this may be a man-in-the-middle or a reinstalled host. If the change is expected, remove the old entry (ssh-keygen -R '{entry}' -f {}) and add the verified new key",
        known_hosts.display(), known_hosts.display()
    )]
    HostKeyMismatch {
        host: String,
        entry: String,
        /// `<type> key SHA256:<fingerprint>`.
        key: String,
        /// The file and line of the entry of that type.
        known_hosts: PathBuf,
        line: usize,
    },
    #[error(
        "host key of {host} is REVOKED: the {key} it offers is marked `@revoked` at {place}. Refusing to connect, whatever other lines say"
    )]
    RevokedHostKey {
        host: String,
        /// `<type> key SHA256:<fingerprint>`.
        key: String,
        /// `file:line` of the `@revoked` line.
        place: String,
    },
    #[error(
        "host key of {host}: no plain known_hosts entry holds the {key} it offers, and `{entry}` is trusted only through `@cert-authority` at {place}; witness (libssh2) cannot verify host certificates, so it refuses. Add the host's own key (verified out of band) as a plain entry"
    )]
    HostCertificateUnsupported {
        host: String,
        entry: String,
        key: String,
        place: String,
    },
    #[error("cannot read known_hosts {}", known_hosts.display())]
    KnownHostsRead {
        known_hosts: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("ssh server {host} offered a host key witness cannot read")]
    HostKeyUnreadable {
        host: String,
        #[source]
        source: Arc<ssh_key::Error>,
    },
    #[error("cannot reach {to} through jump host {via}")]
    Jump {
        via: String,
        to: String,
        #[source]
        failure: JumpFailure,
    },
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
    #[error("ssh channel to {host} failed: {failure}")]
    Channel {
        host: String,
        #[source]
        failure: ChannelFailure,
    },
    #[error("cannot start local command: {what}")]
    Spawn {
        what: String,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("a command holding a NUL byte cannot be run by a shell")]
    NulInCommand,
}

/// What failed on an open SSH channel.
#[derive(Debug, Error, Clone)]
pub enum ChannelFailure {
    #[error("exec: {0}")]
    Exec(#[source] Arc<ssh2::Error>),
    /// Reading a command's stdout or stderr.
    #[error("reading command output: {0}")]
    ReadOutput(#[source] Arc<std::io::Error>),
    /// Reading the lines of a held command (`SshPool::hold`).
    #[error("reading: {0}")]
    ReadHeld(#[source] Arc<std::io::Error>),
    /// Sending a long command's script on its stdin.
    #[error("sending the command's script: {0}")]
    WriteScript(#[source] Arc<std::io::Error>),
}

/// Reaching the next hop through a jump host failed.
#[derive(Debug, Error, Clone)]
pub enum JumpFailure {
    #[error("the jump host did not open a channel to it")]
    Channel(#[source] Arc<ssh2::Error>),
    #[error("no local socket pair for the hop")]
    Socket(#[source] Arc<std::io::Error>),
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
pub(crate) enum StepError {
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
    /// A variable an expectation compares with by name was never captured: the step cannot
    /// be judged either way (not witnessed), never "failed".
    #[error(
        "`${{{name}}}` was never captured (no earlier step printed what its capture looks for), so this step cannot be judged"
    )]
    NeverCaptured { name: String },
    /// What the target listed could not be read (a step's own listing format).
    #[error("the target's listing of {what} could not be read: {problem}")]
    Listing { what: &'static str, problem: String },
}

impl From<TransportError> for StepError {
    fn from(e: TransportError) -> Self {
        StepError::Transport(Box::new(e))
    }
}

/// An HTTP request (an `http` step, or one of a `drone` step's calls) failed.
#[derive(Debug, Error)]
#[error("{request}")]
pub(crate) struct HttpError {
    /// What was being done, e.g. `GET https://…/healthz` or `drone trigger`.
    pub request: String,
    #[source]
    pub kind: HttpErrorKind,
}

#[derive(Debug, Error)]
pub(crate) enum HttpErrorKind {
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
    pub(crate) fn new(request: impl Into<String>, kind: HttpErrorKind) -> Self {
        HttpError {
            request: request.into(),
            kind,
        }
    }
}

/// A run-scoped action failed; every scenario using it reports this.
#[derive(Debug, Error, Clone)]
#[error("action `{action}` failed: {problem}")]
pub(crate) struct ActionError {
    pub action: String,
    #[source]
    pub problem: ActionProblem,
}

/// Why an action has no outputs. Clone: every scenario using the action gets the same one,
/// so the io errors are shared behind `Arc`.
#[derive(Debug, Error, Clone)]
pub(crate) enum ActionProblem {
    #[error("no such action")]
    NoSuchAction,
    /// Its file did not load: the loader's diagnostic, rendered when the actions were read.
    #[error("{diagnostic}")]
    Load { diagnostic: String },
    /// It uses a variable nothing defines.
    #[error("{0}")]
    Vars(#[source] Arc<LoadError>),
    #[error("cannot create {}: {source}", dir.display())]
    CreateDir {
        dir: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("cannot lock {}: {source}", path.display())]
    Lock {
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("cannot store {}: {source}", path.display())]
    Store {
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    /// It ran and failed: its failure rendered and redacted where it happened (another
    /// process may have run it, and passed it on in the stored result).
    #[error("{failure}")]
    Ran { failure: String },
}

/// An action that changes the target, in a run that may not: the scenarios observing it
/// are not run.
#[derive(Debug, Error, Clone)]
#[error(
    "REFUSED: action `{action}` ({title}) changes the target and WITNESS_ALLOW_MUTATION is not set; the scenarios that observe it were not run, so their claims are NOT witnessed"
)]
pub(crate) struct ActionRefused {
    pub action: String,
    pub title: String,
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
    /// `schema` is the one this witness reads (`gate_report::wire::SCHEMA`).
    #[error("{} is not a witness report (schema {schema})", file.display())]
    NotAReport {
        file: PathBuf,
        schema: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "{} is not a witness report (schema `{found}`, this witness reads `{reads}`)",
        file.display()
    )]
    OtherSchema {
        file: PathBuf,
        found: String,
        reads: &'static str,
    },
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

/// An attestation that could not be made or checked (`gate_report::attest`): the run's
/// in-toto Statement, its DSSE envelope, the SSH signature over it.
#[derive(Debug, Error)]
pub enum AttestError {
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
    /// OpenSSH's `ssh-keygen` signs and verifies; without it nothing can be checked.
    #[error("cannot run ssh-keygen (OpenSSH's, looked up on PATH)")]
    SshKeygen(#[source] std::io::Error),
    /// `key` says where the key is (a path, or `key::…` in ssh-agent), never the key itself.
    #[error("ssh-keygen -Y sign with {key} failed: {stderr}")]
    Sign { key: String, stderr: String },
    #[error(
        "ssh-keygen -Y sign with {key} did not finish within {secs} s (a passphrase or a confirmation asked for? use ssh-agent, or a key without one)"
    )]
    SignTimeout { key: String, secs: u64 },
    #[error("ssh-keygen -Y {mode} failed: {stderr}")]
    Keygen { mode: &'static str, stderr: String },
    #[error("{} is not a DSSE envelope", file.display())]
    NotAnEnvelope {
        file: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// The check ran and says no: a gate's "broken", exit 1.
    #[error("{}: {problem}", file.display())]
    Rejected { file: PathBuf, problem: Rejection },
}

impl AttestError {
    /// The attestation was checked and is not valid (exit 1), as opposed to "could not check".
    pub fn is_rejection(&self) -> bool {
        matches!(self, AttestError::Rejected { .. })
    }
}

/// A signature whose key is allowed but which does not match the envelope's payload.
#[derive(Debug, Error)]
#[error(
    "signature {index}, by {principal} (key {fingerprint}), does not match the payload (sha256 {payload_sha256}, {len} bytes): the payload or the signature was changed after signing{beside} (ssh-keygen: {stderr})"
)]
pub struct Mismatch {
    /// What the Statement file beside the envelope, if any, says of the payload: `; the
    /// payload differs from …` or `; the payload is … beside it, so the signature is what changed`.
    pub(crate) beside: String,
    pub(crate) index: usize,
    pub(crate) principal: String,
    pub(crate) fingerprint: String,
    pub(crate) payload_sha256: String,
    pub(crate) len: usize,
    pub(crate) stderr: String,
}

/// Why an envelope is not a valid signed witness attestation.
#[derive(Debug, Error)]
pub enum Rejection {
    #[error("its payloadType is `{found}`, not `{expected}`")]
    PayloadType {
        found: String,
        expected: &'static str,
    },
    #[error("it has no signature")]
    NoSignature,
    #[error("its {field} is not base64 (standard or URL-safe)")]
    Base64 {
        field: String,
        #[source]
        source: base64::DecodeError,
    },
    #[error("signature {index} is not an SSH signature (SSHSIG): {why}")]
    NotSshsig { index: usize, why: &'static str },
    #[error(
        "signature {index} was made with key {fingerprint}, which no line of {} allows (the envelope's keyid says {keyid}): the signature was changed, or its key is not one you trust",
        allowed.display()
    )]
    UnknownKey {
        index: usize,
        fingerprint: String,
        keyid: String,
        allowed: PathBuf,
    },
    #[error("{0}")]
    BadSignature(Box<Mismatch>),
    #[error("the signed payload is not an in-toto Statement")]
    NotAStatement(#[source] serde_json::Error),
    #[error("the signed statement is `{found}`, not `{expected}`")]
    StatementType {
        found: String,
        expected: &'static str,
    },
    #[error(
        "report.json has sha256 {actual}, the report the attestation signed had {signed}: the report was changed, or is another run's"
    )]
    ReportNotSigned { actual: String, signed: String },
    #[error("no signed attestation beside it ({expected} is missing)")]
    NotSigned { expected: &'static str },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A typed case reads as the sentence it replaced: the context, then each cause once,
    /// whether a message names its cause (`{failure}`) or leaves it to `#[source]`.
    #[test]
    fn a_chain_says_each_cause_once() {
        let channel = TransportError::Channel {
            host: "twin".into(),
            failure: ChannelFailure::Exec(Arc::new(ssh2::Error::new(
                ssh2::ErrorCode::Session(-9),
                "timed out waiting for the ssh server",
            ))),
        };
        let e = TargetError::Invalid {
            name: "twin".into(),
            problem: Box::new(TargetProblem::ResolveCommit {
                var: "head_commit".into(),
                cause: channel,
            }),
        };
        assert_eq!(
            chain(&e),
            "target `twin`: resolving `head_commit`: ssh channel to twin failed: exec: [Session(-9)] timed out waiting for the ssh server"
        );
        let missing = TargetError::Io {
            file: "c.toml".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        let e = TargetError::Invalid {
            name: "twin".into(),
            problem: Box::new(TargetProblem::Connection {
                cause: Box::new(missing),
                twin_down: true,
            }),
        };
        assert_eq!(
            chain(&e),
            "target `twin`: cannot read c.toml: entity not found; start the twin host first: cargo xtask twin up"
        );
    }
}
