//! SSH transport (ssh2/libssh2): verified host keys, a pool of reused sessions, and a
//! non-blocking exec loop with a real deadline.
//!
//! Why it is shaped like this:
//! - One `ssh2::Session` serializes all its channels behind one mutex, and sshd allows only
//!   `MaxSessions` (10) channels per connection. So the pool hands each running trial a
//!   whole session of its own and takes it back afterwards: N checks on T threads cost about
//!   T handshakes, not N, and no two trials contend for one session's lock.
//! - libssh2's `set_timeout` bounds each blocking call, not a command. The exec loop is
//!   non-blocking, reads stdout and stderr alternately (reading one to EOF while the other
//!   fills the channel window deadlocks at ~2 MB), waits on the socket with `poll`, sends
//!   keepalives itself (libssh2 never does), and stops at the step's deadline. The remote
//!   command is also wrapped in `timeout`, so a hung command does not outlive its step.
//! - A failure to connect (refused, unreachable, unknown or changed host key, auth) is
//!   remembered: every later step on this target fails at once with the same message
//!   instead of each waiting out its own connect timeout.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ssh2::{BlockDirections, MethodType, Session};

use super::known_hosts::{self, Verdict};
use super::{Bounded, Exec, ExecOpts, Output, jump};
use crate::error::{ChannelFailure, ConnectCause, TransportError};

/// SSH handshakes done by every pool in this process (the bench reports it).
static HANDSHAKES: AtomicUsize = AtomicUsize::new(0);

/// Total handshakes so far, across pools.
pub fn handshakes_total() -> usize {
    HANDSHAKES.load(Ordering::Relaxed)
}

/// How often a keepalive goes out on a busy exec loop.
const KEEPALIVE_EVERY: Duration = Duration::from_secs(15);

/// Where and how to connect: one host, and the jump hosts in front of it.
#[derive(Debug, Clone)]
pub struct SshConfig {
    /// The name people use (ssh alias or host), for messages.
    pub(crate) label: String,
    pub hostname: String,
    pub port: u16,
    pub user: String,
    pub identity_files: Vec<PathBuf>,
    /// Where the agent is (ssh_config's `IdentityAgent`).
    pub identity_agent: IdentityAgent,
    /// The user's known_hosts files (`UserKnownHostsFile`), read in order; a new key goes
    /// into the first.
    pub known_hosts: Vec<PathBuf>,
    /// The system's (`GlobalKnownHostsFile`), read after the user's.
    pub global_known_hosts: Vec<PathBuf>,
    /// ssh_config's `HostKeyAlias`: the name the host key is looked up under instead of
    /// `hostname` / `[hostname]:port`, as OpenSSH does.
    pub(crate) host_key_alias: Option<String>,
    pub connect_timeout: Duration,
    /// `AddressFamily`.
    pub(crate) ip: IpFamily,
    /// The algorithms `ssh -G` says the user's ssh accepts; `None`: libssh2's defaults.
    pub(crate) algorithms: Option<Algorithms>,
    /// `ProxyJump`: the hosts to go through, first one first; each verified as strictly as
    /// the target.
    pub jumps: Vec<SshConfig>,
}

/// ssh_config's `IdentityAgent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityAgent {
    /// `SSH_AUTH_SOCK`, when set.
    Env,
    /// `IdentityAgent none`: no agent.
    None,
    Socket(PathBuf),
}

/// ssh_config's `AddressFamily`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpFamily {
    Any,
    V4,
    V6,
}

/// Algorithm lists as `ssh -G` prints them, OpenSSH's names.
#[derive(Debug, Clone, Default)]
pub struct Algorithms {
    pub(crate) host_key: Vec<String>,
    pub(crate) kex: Vec<String>,
    pub(crate) ciphers: Vec<String>,
    pub(crate) macs: Vec<String>,
}

impl SshConfig {
    /// A host reached directly, with the defaults of a target that names its parts itself
    /// (no ssh_config): the agent from `SSH_AUTH_SOCK`, no global known_hosts.
    pub fn direct(
        label: &str,
        hostname: String,
        port: u16,
        user: String,
        identity_files: Vec<PathBuf>,
        known_hosts: PathBuf,
        connect_timeout: Duration,
    ) -> Self {
        SshConfig {
            label: label.to_string(),
            hostname,
            port,
            user,
            identity_files,
            identity_agent: IdentityAgent::Env,
            known_hosts: vec![known_hosts],
            global_known_hosts: Vec::new(),
            host_key_alias: None,
            connect_timeout,
            ip: IpFamily::Any,
            algorithms: None,
            jumps: Vec::new(),
        }
    }

    /// The name and port the host key is looked up under, as OpenSSH does: `HostKeyAlias`
    /// as is, else `hostname` (port 22) or `[hostname]:port`.
    pub(crate) fn known_hosts_key(&self) -> (&str, u16) {
        match &self.host_key_alias {
            Some(a) => (a, 22),
            None => (&self.hostname, self.port),
        }
    }

    /// Every known_hosts file read for this host, the user's first.
    pub(crate) fn known_hosts_files(&self) -> Vec<PathBuf> {
        self.known_hosts
            .iter()
            .chain(&self.global_known_hosts)
            .cloned()
            .collect()
    }
}

/// A pool of authenticated sessions to one target.
pub struct SshPool {
    cfg: SshConfig,
    idle: Mutex<Vec<Conn>>,
    /// Serializes connects, so that a down host costs one connect timeout, not one per thread.
    connecting: Mutex<()>,
    sticky: Mutex<Option<TransportError>>,
    handshakes: AtomicUsize,
    /// The host key last verified against known_hosts (`SHA256:… (type)`), for the report.
    verified: Mutex<Option<String>>,
}

struct Conn {
    sess: Session,
    fd: RawFd,
    last_keepalive: Instant,
}

impl SshPool {
    pub fn new(cfg: SshConfig) -> Self {
        SshPool {
            cfg,
            idle: Mutex::new(Vec::new()),
            connecting: Mutex::new(()),
            sticky: Mutex::new(None),
            handshakes: AtomicUsize::new(0),
            verified: Mutex::new(None),
        }
    }

    /// Number of SSH handshakes done so far (the bench reports it).
    pub fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::Relaxed)
    }

    /// The host key verified against known_hosts on the last connect (`SHA256:… (type)`).
    pub fn verified_host_key(&self) -> Option<String> {
        self.verified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Connect once now, to fail fast (and with one message) when the target is unusable.
    pub fn check(&self) -> Result<(), TransportError> {
        let conn = self.checkout()?;
        self.checkin(conn);
        Ok(())
    }

    fn checkout(&self) -> Result<Conn, TransportError> {
        if let Some(conn) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok(conn);
        }
        let _guard = self.connecting.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(err) = self
            .sticky
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Err(err);
        }
        match self.connect() {
            Ok(conn) => Ok(conn),
            Err(e) => {
                *self.sticky.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.clone());
                Err(e)
            }
        }
    }

    fn checkin(&self, conn: Conn) {
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conn);
    }

    /// Connect through each jump host in turn (each verified and authenticated as strictly
    /// as the target), then to the target.
    fn connect(&self) -> Result<Conn, TransportError> {
        let c = &self.cfg;
        let hops: Vec<&SshConfig> = c.jumps.iter().chain(std::iter::once(c)).collect();
        let tcp = tcp_to(hops[0])?;
        let mut fd = tcp.as_raw_fd();
        let mut sess = self.session(hops[0], tcp, hops.len() == 1)?;
        for (i, pair) in hops.windows(2).enumerate() {
            let (via, next) = (pair[0], pair[1]);
            let stream = jump::through(sess, fd, &next.hostname, next.port).map_err(|failure| {
                TransportError::Jump {
                    via: via.label.clone(),
                    to: format!("{}:{}", next.hostname, next.port),
                    failure,
                }
            })?;
            fd = stream.as_raw_fd();
            sess = self.session(next, stream, i + 2 == hops.len())?;
        }
        sess.set_keepalive(false, KEEPALIVE_EVERY.as_secs() as u32);
        sess.set_blocking(false);
        Ok(Conn {
            sess,
            fd,
            last_keepalive: Instant::now(),
        })
    }

    /// One hop's session over `stream`: algorithms as the user's ssh accepts them (host-key
    /// types known for the host first), handshake, host key verified, authenticated.
    fn session<S: AsRawFd + 'static>(
        &self,
        hop: &SshConfig,
        stream: S,
        is_target: bool,
    ) -> Result<Session, TransportError> {
        let (name, port) = hop.known_hosts_key();
        let lookup = known_hosts::entry_name(name, port);
        let lines =
            known_hosts::lines_for(&hop.known_hosts_files(), &lookup).map_err(|(file, e)| {
                TransportError::KnownHostsRead {
                    known_hosts: file,
                    source: Arc::new(e),
                }
            })?;
        let mut sess = Session::new().map_err(|e| self.session_err(e))?;
        sess.set_tcp_stream(stream);
        // Bounds each blocking libssh2 call during handshake and auth; a stuck handshake
        // would otherwise block forever.
        sess.set_timeout(hop.connect_timeout.as_millis() as u32);
        prefer_algorithms(&sess, hop, &lines);
        sess.handshake().map_err(|e| TransportError::Connect {
            addr: format!("{}:{}", hop.hostname, hop.port),
            timeout: hop.connect_timeout,
            cause: ConnectCause::Handshake(Arc::new(e)),
        })?;
        self.handshakes.fetch_add(1, Ordering::Relaxed);
        HANDSHAKES.fetch_add(1, Ordering::Relaxed);
        let verified = verify_host_key(hop, &sess, &lines, &lookup)?;
        if is_target {
            *self.verified.lock().unwrap_or_else(|e| e.into_inner()) = Some(verified);
        }
        authenticate(hop, &sess)?;
        Ok(sess)
    }

    fn session_err(&self, e: ssh2::Error) -> TransportError {
        TransportError::Session {
            host: self.cfg.label.clone(),
            source: Arc::new(e),
        }
    }

    /// Open a channel, reconnecting once if a pooled session turned out to be dead
    /// (safe: nothing has run yet).
    fn open_channel(&self, deadline: Instant) -> Result<(Conn, ssh2::Channel), TransportError> {
        let mut conn = self.checkout()?;
        match nb(&conn, deadline, || conn.sess.channel_session()) {
            Ok(ch) => Ok((conn, ch)),
            Err(_) => {
                drop(conn);
                conn = self.checkout()?;
                let ch = nb(&conn, deadline, || conn.sess.channel_session())
                    .map_err(|e| self.session_err(e))?;
                Ok((conn, ch))
            }
        }
    }
}

impl Exec for SshPool {
    fn exec(&self, cmd: &str, opts: ExecOpts) -> Result<Output, TransportError> {
        let start = Instant::now();
        let deadline = start + opts.deadline;
        let (mut conn, mut ch) = self.open_channel(deadline)?;
        // The remote `timeout` is a backstop that stops the command on the target shortly
        // after our own deadline, so nothing keeps running there once the step gave up.
        let remote_secs = opts.deadline.as_secs() + 3;
        let wrapped = format!(
            "exec timeout --kill-after=2 {remote_secs} bash -c {}",
            shlex::try_quote(cmd).map_err(|_| TransportError::NulInCommand)?
        );
        match run_channel(&mut conn, &mut ch, &wrapped, deadline, opts.output_limit) {
            Ok(mut out) => {
                out.elapsed = start.elapsed();
                if out.timed_out {
                    // The channel may still hold unread data; a fresh session is cheaper
                    // than reasoning about its state.
                    drop(ch);
                    drop(conn);
                } else {
                    drop(ch);
                    self.checkin(conn);
                }
                Ok(out)
            }
            Err(failure) => Err(TransportError::Channel {
                host: self.cfg.label.clone(),
                failure,
            }),
        }
    }

    fn describe(&self) -> String {
        let c = &self.cfg;
        let mut s = format!("{}@{}:{}", c.user, c.hostname, c.port);
        for j in c.jumps.iter().rev() {
            s.push_str(&format!(" via {}@{}:{}", j.user, j.hostname, j.port));
        }
        s
    }

    fn manual_prefix(&self) -> String {
        let c = &self.cfg;
        let mut s = String::from("ssh");
        if c.port != 22 {
            s.push_str(&format!(" -p {}", c.port));
        }
        if let Some(id) = c.identity_files.iter().find(|f| f.exists()) {
            s.push_str(&format!(" -i {}", id.display()));
        }
        if !c.jumps.is_empty() {
            let hops: Vec<String> = c
                .jumps
                .iter()
                .map(|j| format!("{}@{}:{}", j.user, j.hostname, j.port))
                .collect();
            s.push_str(&format!(" -J {}", hops.join(",")));
        }
        let files: Vec<String> = c
            .known_hosts
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        s.push_str(&format!(
            " -o UserKnownHostsFile={} {}@{}",
            shlex::try_quote(&files.join(" ")).unwrap_or_default(),
            c.user,
            c.hostname
        ));
        s
    }
}

/// A command kept running on the target, on a session of its own, until dropped: what holds
/// a lock there. Its session sends keepalives meanwhile; dropping it closes the channel and
/// the session, and if this process dies the TCP connection closes: either way sshd ends the
/// command.
pub struct Held {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl SshPool {
    /// Start `cmd` on a session of its own and keep it running; `on_line` sees each line it
    /// prints until it returns `true` (the command said what it had to) or the command ends
    /// or `wait` passes. Returns the held command and the line that ended the wait.
    pub(crate) fn hold(
        &self,
        cmd: &str,
        wait: Duration,
        on_line: &mut dyn FnMut(&str) -> bool,
    ) -> Result<(Held, String), TransportError> {
        let deadline = Instant::now() + wait;
        let (conn, mut ch) = self.open_channel(deadline)?;
        let channel_err = |failure: ChannelFailure| TransportError::Channel {
            host: self.cfg.label.clone(),
            failure,
        };
        nb(&conn, deadline, || ch.exec(cmd))
            .map_err(|e| channel_err(ChannelFailure::Exec(Arc::new(e))))?;
        let mut pending = Vec::new();
        let mut buf = [0u8; 4096];
        let last = 'read: loop {
            match ch.read(&mut buf) {
                Ok(0) if ch.eof() => break String::new(),
                Ok(n) => {
                    pending.extend_from_slice(&buf[..n]);
                    while let Some(i) = pending.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = pending.drain(..=i).collect();
                        let line = String::from_utf8_lossy(&line).trim_end().to_string();
                        if on_line(&line) {
                            break 'read line;
                        }
                    }
                }
                Err(e) if e.kind() != ErrorKind::WouldBlock => {
                    return Err(channel_err(ChannelFailure::ReadHeld(Arc::new(e))));
                }
                _ => {
                    if Instant::now() >= deadline {
                        break String::new();
                    }
                    wait_socket(&conn, deadline);
                }
            }
        };
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut last_keepalive = Instant::now();
            while !stopped.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(200));
                if last_keepalive.elapsed() >= KEEPALIVE_EVERY {
                    let _ = conn.sess.keepalive_send();
                    last_keepalive = Instant::now();
                }
            }
            let _ = ch.send_eof();
            let _ = ch.close();
            drop(ch);
            drop(conn);
        });
        Ok((
            Held {
                stop,
                thread: Some(thread),
            },
            last,
        ))
    }
}

/// The first hop's TCP connection (`AddressFamily` followed).
fn tcp_to(hop: &SshConfig) -> Result<TcpStream, TransportError> {
    let connect_err = |cause: ConnectCause| TransportError::Connect {
        addr: format!("{}:{}", hop.hostname, hop.port),
        timeout: hop.connect_timeout,
        cause,
    };
    let addrs: Vec<_> = (hop.hostname.as_str(), hop.port)
        .to_socket_addrs()
        .map_err(|e| connect_err(ConnectCause::Resolve(Arc::new(e))))?
        .filter(|a| match hop.ip {
            IpFamily::Any => true,
            IpFamily::V4 => a.is_ipv4(),
            IpFamily::V6 => a.is_ipv6(),
        })
        .collect();
    let mut last = ConnectCause::NoAddress;
    for a in &addrs {
        match TcpStream::connect_timeout(a, hop.connect_timeout) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = ConnectCause::Tcp(Arc::new(e)),
        }
    }
    Err(connect_err(last))
}

/// Ask for what the user's ssh would accept (`ssh -G`'s lists, where libssh2 has them), and
/// for the host-key types known for this host first (OpenSSH's `order_hostkeyalgs`).
fn prefer_algorithms(sess: &Session, hop: &SshConfig, lines: &[known_hosts::Line]) {
    let allowed = |t: MethodType, wanted: Option<&Vec<String>>| -> Vec<&'static str> {
        let supported = sess.supported_algs(t).unwrap_or_default();
        match wanted {
            Some(w) if !w.is_empty() => w
                .iter()
                .filter_map(|n| supported.iter().find(|s| **s == n.as_str()).copied())
                .collect(),
            _ => supported,
        }
    };
    let algs = hop.algorithms.as_ref();
    let host_key = allowed(MethodType::HostKey, algs.map(|a| &a.host_key));
    let host_key = known_hosts::preferred_algorithms(lines, &host_key);
    // A list libssh2 cannot use leaves its default; the handshake then says what failed.
    let _ = sess.method_pref(MethodType::HostKey, &host_key.join(","));
    if let Some(a) = algs {
        for (t, w) in [
            (MethodType::Kex, &a.kex),
            (MethodType::CryptCs, &a.ciphers),
            (MethodType::CryptSc, &a.ciphers),
            (MethodType::MacCs, &a.macs),
            (MethodType::MacSc, &a.macs),
        ] {
            let list = allowed(t, Some(w));
            if !list.is_empty() {
                let _ = sess.method_pref(t, &list.join(","));
            }
        }
    }
}

/// The offered host key judged as OpenSSH judges it (`known_hosts::judge`); the verified
/// key as `SHA256:… (type)`.
fn verify_host_key(
    hop: &SshConfig,
    sess: &Session,
    lines: &[known_hosts::Line],
    lookup: &str,
) -> Result<String, TransportError> {
    let (blob, _) = sess.host_key().ok_or_else(|| TransportError::NoHostKey {
        host: hop.label.clone(),
    })?;
    let offered =
        ssh_key::PublicKey::from_bytes(blob).map_err(|e| TransportError::HostKeyUnreadable {
            host: hop.label.clone(),
            source: Arc::new(e),
        })?;
    let fingerprint = offered.fingerprint(ssh_key::HashAlg::Sha256).to_string();
    let key_type = offered.algorithm().as_str().to_string();
    let key = format!("{key_type} key {fingerprint}");
    let first_user_file = hop
        .known_hosts
        .first()
        .map(|f| f.display().to_string())
        .unwrap_or_else(|| "~/.ssh/known_hosts".into());
    let second_look = || {
        hop.host_key_alias.is_none()
            && hop.port != 22
            && known_hosts::known_without_port(&hop.known_hosts_files(), &hop.hostname, &offered)
    };
    match known_hosts::judge(lines, &offered) {
        Verdict::Known => Ok(format!("{fingerprint} ({key_type})")),
        Verdict::Unknown if second_look() => Ok(format!("{fingerprint} ({key_type})")),
        Verdict::Revoked(l) => Err(TransportError::RevokedHostKey {
            host: hop.label.clone(),
            key,
            place: l.place(),
        }),
        Verdict::Changed(l) => Err(TransportError::HostKeyMismatch {
            host: hop.label.clone(),
            entry: lookup.to_string(),
            key,
            known_hosts: l.file.clone(),
            line: l.line,
        }),
        Verdict::CertificateOnly(l) => Err(TransportError::HostCertificateUnsupported {
            host: hop.label.clone(),
            entry: lookup.to_string(),
            key,
            place: l.place(),
        }),
        Verdict::Unknown => Err(TransportError::UnknownHostKey {
            host: hop.label.clone(),
            entry: lookup.to_string(),
            add: match &hop.host_key_alias {
                None => format!(
                    "ssh-keyscan -p {} {} >> {first_user_file}",
                    hop.port, hop.hostname
                ),
                Some(a) => format!(
                    "ssh-keyscan -p {} {} | sed 's/^[^ ]*/{a}/' >> {first_user_file}",
                    hop.port, hop.hostname
                ),
            },
            key,
            searched: hop.known_hosts_files(),
        }),
    }
}

/// The identity files, then the agent (`IdentityAgent`).
fn authenticate(hop: &SshConfig, sess: &Session) -> Result<(), TransportError> {
    let mut tried = Vec::new();
    for id in &hop.identity_files {
        if !id.exists() {
            tried.push(format!("{} (missing)", id.display()));
            continue;
        }
        match sess.userauth_pubkey_file(&hop.user, None, id, None) {
            Ok(()) if sess.authenticated() => return Ok(()),
            Ok(()) => tried.push(format!("{} (not accepted)", id.display())),
            Err(e) => tried.push(format!("{} ({})", id.display(), e.message())),
        }
    }
    match &hop.identity_agent {
        IdentityAgent::None => tried.push("ssh-agent (IdentityAgent none)".into()),
        IdentityAgent::Env if std::env::var_os("SSH_AUTH_SOCK").is_none() => {
            tried.push("ssh-agent (SSH_AUTH_SOCK not set)".into())
        }
        IdentityAgent::Env => match sess.userauth_agent(&hop.user) {
            Ok(()) if sess.authenticated() => return Ok(()),
            Ok(()) => tried.push("ssh-agent (not accepted)".into()),
            Err(e) => tried.push(format!("ssh-agent ({})", e.message())),
        },
        IdentityAgent::Socket(path) => match agent_at(sess, path, &hop.user) {
            Ok(true) => return Ok(()),
            Ok(false) => tried.push(format!("ssh-agent at {} (not accepted)", path.display())),
            Err(e) => tried.push(format!("ssh-agent at {} ({})", path.display(), e.message())),
        },
    }
    Err(TransportError::Auth {
        user: hop.user.clone(),
        host: hop.label.clone(),
        tried,
    })
}

/// Try each key of the agent listening at `path`.
fn agent_at(sess: &Session, path: &std::path::Path, user: &str) -> Result<bool, ssh2::Error> {
    let mut agent = sess.agent()?;
    agent.set_identity_path(path)?;
    agent.connect()?;
    agent.list_identities()?;
    for id in agent.identities()? {
        if agent.userauth(user, &id).is_ok() && sess.authenticated() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Commands longer than this travel on the channel's stdin, not in the exec request: an SSH
/// packet holds about 32 KiB, and a command carrying an action's facts can be longer.
const LONG_COMMAND: usize = 16 * 1024;

/// What runs a long command: its script is written to a file from stdin, then run by the same
/// login shell that runs a short one (`$SHELL -c`), with stdin at its end as a short one has
/// it. The file is removed whatever the script does.
const LONG_COMMAND_LAUNCHER: &str = r#"f=$(mktemp) || exit 125; trap 'rm -f "$f"' EXIT; cat > "$f" && "${SHELL:-sh}" "$f" < /dev/null"#;

fn run_channel(
    conn: &mut Conn,
    ch: &mut ssh2::Channel,
    cmd: &str,
    deadline: Instant,
    limit: usize,
) -> Result<Output, ChannelFailure> {
    if cmd.len() > LONG_COMMAND {
        nb(conn, deadline, || ch.exec(LONG_COMMAND_LAUNCHER))
            .map_err(|e| ChannelFailure::Exec(Arc::new(e)))?;
        write_script(conn, ch, cmd.as_bytes(), deadline)?;
    } else {
        nb(conn, deadline, || ch.exec(cmd)).map_err(|e| ChannelFailure::Exec(Arc::new(e)))?;
    }
    let mut out = Output {
        stdout: Bounded::new(limit),
        stderr: Bounded::new(limit),
        ..Output::default()
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let mut progressed = false;
        let mut open = false;
        for stream in [0, 1] {
            let r = if stream == 0 {
                ch.read(&mut buf)
            } else {
                ch.stderr().read(&mut buf)
            };
            match r {
                Ok(0) => {}
                Ok(n) => {
                    progressed = true;
                    let sink = if stream == 0 {
                        &mut out.stdout
                    } else {
                        &mut out.stderr
                    };
                    sink.push(&buf[..n]);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => open = true,
                Err(e) => return Err(ChannelFailure::ReadOutput(Arc::new(e))),
            }
        }
        if !progressed && !open && ch.eof() {
            break;
        }
        if !progressed && ch.eof() {
            // EOF received and both streams drained: WouldBlock here is only libssh2
            // having nothing buffered.
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            out.timed_out = true;
            let _ = ch.close();
            return Ok(out);
        }
        if now.duration_since(conn.last_keepalive) >= KEEPALIVE_EVERY {
            let _ = conn.sess.keepalive_send();
            conn.last_keepalive = now;
        }
        if !progressed {
            wait_socket(conn, deadline);
        }
    }
    let _ = nb(conn, deadline, || ch.wait_close());
    out.exit = ch.exit_status().ok();
    if let Ok(sig) = ch.exit_signal()
        && let Some(name) = sig.exit_signal
    {
        out.signal = Some(name);
        out.exit = None;
    }
    Ok(out)
}

/// Write `script` to the channel's stdin, then end it.
fn write_script(
    conn: &Conn,
    ch: &mut ssh2::Channel,
    script: &[u8],
    deadline: Instant,
) -> Result<(), ChannelFailure> {
    let mut sent = 0;
    while sent < script.len() {
        match ch.write(&script[sent..]) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < deadline => {
                wait_socket(conn, deadline);
            }
            Err(e) => return Err(ChannelFailure::WriteScript(Arc::new(e))),
        }
    }
    nb(conn, deadline, || ch.send_eof())
        .map_err(|e| ChannelFailure::WriteScript(Arc::new(std::io::Error::other(e))))
}

/// Retry a non-blocking libssh2 call until it stops saying "would block" or the deadline passes.
fn nb<T>(
    conn: &Conn,
    deadline: Instant,
    mut f: impl FnMut() -> Result<T, ssh2::Error>,
) -> Result<T, ssh2::Error> {
    loop {
        match f() {
            Err(e) if e.code() == ssh2::ErrorCode::Session(-37) => {
                if Instant::now() >= deadline {
                    return Err(ssh2::Error::new(
                        ssh2::ErrorCode::Session(-9),
                        "timed out waiting for the ssh server",
                    ));
                }
                wait_socket(conn, deadline);
            }
            other => return other,
        }
    }
}

/// Sleep until the socket is ready in the direction libssh2 is blocked on (at most 50 ms).
fn wait_socket(conn: &Conn, deadline: Instant) {
    let dirs = conn.sess.block_directions();
    let mut events = 0;
    if matches!(dirs, BlockDirections::Inbound | BlockDirections::Both) {
        events |= libc::POLLIN;
    }
    if matches!(dirs, BlockDirections::Outbound | BlockDirections::Both) {
        events |= libc::POLLOUT;
    }
    if events == 0 {
        events = libc::POLLIN;
    }
    let left = deadline.saturating_duration_since(Instant::now());
    let ms = left.min(Duration::from_millis(50)).as_millis() as i32;
    let mut pfd = libc::pollfd {
        fd: conn.fd,
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd on a socket this connection owns.
    unsafe { libc::poll(&mut pfd, 1, ms) };
}

impl std::fmt::Debug for SshPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshPool").field("cfg", &self.cfg).finish()
    }
}
