//! Targets: `targets.toml` names the hosts a gate can run against.
//!
//! ```toml
//! [targets.cc-ci]
//! ssh = "cc-ci"                       # an ssh_config alias, resolved by OpenSSH (`ssh -G`; `openssh`)
//! known_hosts = "~/.ssh/known_hosts"
//! [targets.cc-ci.vars]
//! drone_url = "https://drone.example"
//! [targets.cc-ci.secrets]
//! drone_token = { file = "/run/secrets/bridge_drone_token" }   # read on the target
//!
//! [targets.twin]
//! connection = "target/twin/connection.toml"   # written by `cargo xtask twin up`
//! judged_on = "2026-12-05"            # the date waivers are judged on (a fixture's verdicts never
//!                                     # change with the calendar); unset: today, UTC
//!
//! [targets.local]
//! local = true                        # everything runs on this machine
//! ```
//! `WITNESS_TARGET` picks one; unset means `twin`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub(crate) mod connection;
mod openssh;
mod runtime;

pub use connection::TwinConnection;
pub use runtime::TargetRuntime;

use crate::config::DEFAULT_TARGET;
use crate::error::{TargetError, TargetProblem};
use crate::judging::{JudgingDate, is_date};
use crate::transport::SshConfig;

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `targets.toml` (and a `WITNESS_TARGETS` file): the targets a gate may run against. Its
/// JSON Schema (`witness schema targets`, `schemas/targets.schema.json`) is generated from
/// these wire types.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TargetsFileWire {
    /// Each target by name (`WITNESS_TARGET=<name>`).
    targets: BTreeMap<String, TargetWire>,
}

/// One target: how to reach it (an ssh_config alias, host/port/user, a connection file, or
/// `local`), the values its scenarios read and its secrets.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct TargetWire {
    /// ssh_config alias.
    ssh: Option<String>,
    /// The ssh_config file the alias is looked up in (`ssh -F`); OpenSSH's own (`~/.ssh/config`,
    /// `/etc/ssh/ssh_config`) unless given.
    ssh_config: Option<String>,
    /// The host to connect to (without an alias).
    host: Option<String>,
    /// Its SSH port (22 unless given).
    port: Option<u16>,
    /// The user to log in as.
    user: Option<String>,
    /// The private key to authenticate with (then ssh-agent).
    identity_file: Option<String>,
    /// The known_hosts file the host key is verified against (never learned).
    known_hosts: Option<String>,
    /// A file with host/port/user/identity_file/known_hosts (the twin writes one).
    connection: Option<String>,
    /// Run on this machine, no SSH.
    #[serde(default)]
    local: bool,
    /// How long a connection may take (humantime, e.g. `10s`).
    connect_timeout: Option<String>,
    /// The date waivers are judged on (`YYYY-MM-DD`); today's UTC date when unset.
    #[schemars(with = "Option<String>")]
    judged_on: Option<toml::Spanned<String>>,
    /// Values the scenarios read as `${name}`.
    #[serde(default)]
    vars: BTreeMap<String, String>,
    /// Values redacted everywhere as `[secret]`, read once per run.
    #[serde(default)]
    secrets: BTreeMap<String, SecretWire>,
}

/// Where a secret is read: one of `file` or `env`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct SecretWire {
    /// A file on the target (read over the transport).
    file: Option<String>,
    /// An environment variable on the machine running witness.
    env: Option<String>,
}

/// A validated target.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub transport: TargetTransport,
    pub vars: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, SecretSource>,
    /// The date it pins for judging waivers (`judged_on`); `None`: today, UTC.
    pub judged_on: Option<JudgingDate>,
}

impl Target {
    /// Every name a scenario may read on this target: its variables and its secrets.
    pub(crate) fn var_names(&self) -> BTreeSet<String> {
        self.vars
            .keys()
            .chain(self.secrets.keys())
            .cloned()
            .collect()
    }
}

#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "one per target, made once per run: boxing would buy nothing"
)]
pub enum TargetTransport {
    Ssh(SshConfig),
    Local,
}

#[derive(Debug, Clone)]
pub enum SecretSource {
    TargetFile(String),
    Env(String),
}

/// Load target `name` from `<root>/targets.toml`.
pub fn load(root: &Path, name: &str) -> Result<Target, TargetError> {
    load_with(root, name, None)
}

/// Load target `name` from `<root>/targets.toml` and, when given, an extra targets file
/// (`WITNESS_TARGETS`) whose targets are added, a target of the same name replacing the
/// committed one: an adversary pins a claim without touching the checkout.
pub fn load_with(root: &Path, name: &str, extra: Option<&Path>) -> Result<Target, TargetError> {
    let file = root.join("targets.toml");
    let mut targets = read_targets(&file)?;
    if let Some(extra) = extra {
        targets.extend(read_targets(extra)?);
    }
    let known = targets.keys().cloned().collect::<Vec<_>>().join(", ");
    let t = targets.remove(name).ok_or_else(|| TargetError::Unknown {
        name: name.to_string(),
        file: match extra {
            Some(e) => PathBuf::from(format!("{} + {}", file.display(), e.display())),
            None => file.clone(),
        },
        known,
    })?;
    build(root, name, t)
}

fn read_targets(file: &Path) -> Result<BTreeMap<String, TargetWire>, TargetError> {
    let text = std::fs::read_to_string(file).map_err(|e| TargetError::Io {
        file: file.to_path_buf(),
        source: e,
    })?;
    let wire: TargetsFileWire = toml::from_str(&text).map_err(|source| TargetError::Toml {
        file: file.to_path_buf(),
        source,
    })?;
    // A pinned judging date is checked here, where the text is, so the error can say where.
    for t in wire.targets.values() {
        if let Some(d) = t.judged_on.as_ref().filter(|d| !is_date(d.get_ref())) {
            let (line, col) = crate::scenario::load::line_col(&text, d.span().start);
            return Err(TargetError::JudgedOn {
                file: file.to_path_buf(),
                line,
                col,
                value: d.get_ref().clone(),
            });
        }
    }
    Ok(wire.targets)
}

fn build(root: &Path, name: &str, t: TargetWire) -> Result<Target, TargetError> {
    let invalid = |problem: TargetProblem| TargetError::Invalid {
        name: name.to_string(),
        problem: Box::new(problem),
    };
    let connect_timeout = match &t.connect_timeout {
        Some(s) => humantime::parse_duration(s).map_err(|source| {
            invalid(TargetProblem::ConnectTimeout {
                value: s.clone(),
                source,
            })
        })?,
        None => DEFAULT_CONNECT_TIMEOUT,
    };
    let mut vars = t.vars.clone();
    let ways = [
        t.local,
        t.ssh.is_some(),
        t.host.is_some(),
        t.connection.is_some(),
    ];
    if ways.iter().filter(|w| **w).count() != 1 {
        return Err(invalid(TargetProblem::NotOneWay));
    }
    let transport = if t.local {
        TargetTransport::Local
    } else if let Some(conn) = &t.connection {
        let file = root.join(conn);
        let c = TwinConnection::read(&file).map_err(|e| {
            invalid(TargetProblem::Connection {
                twin_down: name == DEFAULT_TARGET && matches!(e, TargetError::Io { .. }),
                cause: Box::new(e),
            })
        })?;
        for (k, v) in c.vars {
            vars.entry(k).or_insert(v);
        }
        TargetTransport::Ssh(SshConfig::direct(
            name,
            c.host,
            c.port,
            c.user,
            vec![c.identity_file],
            c.known_hosts,
            connect_timeout,
        ))
    } else if let Some(alias) = &t.ssh {
        TargetTransport::Ssh(from_ssh_config(name, alias, &t, connect_timeout)?)
    } else {
        let host = t.host.clone().unwrap_or_default();
        TargetTransport::Ssh(SshConfig::direct(
            name,
            host,
            t.port.unwrap_or(22),
            t.user.clone().unwrap_or_else(|| "root".into()),
            identity_files(t.identity_file.as_deref()),
            known_hosts_path(t.known_hosts.as_deref()),
            connect_timeout,
        ))
    };
    let secrets = t
        .secrets
        .into_iter()
        .map(|(k, s)| match (s.file, s.env) {
            (Some(f), None) => Ok((k, SecretSource::TargetFile(f))),
            (None, Some(e)) => Ok((k, SecretSource::Env(e))),
            _ => Err(invalid(TargetProblem::SecretSource { secret: k })),
        })
        .collect::<Result<_, _>>()?;
    Ok(Target {
        name: name.to_string(),
        transport,
        vars,
        secrets,
        // Validated when the file was read.
        judged_on: t
            .judged_on
            .as_ref()
            .and_then(|d| JudgingDate::pinned(d.get_ref())),
    })
}

/// Resolve an ssh_config alias as OpenSSH does (`openssh`: `ssh -G`), jump hosts included.
/// What targets.toml names explicitly wins, as on `ssh`'s command line: `port` and `user`
/// are handed to `ssh -G` (`-p`, `-l`, so `Match` sees them), `identity_file` and
/// `known_hosts` replace the alias's lists.
fn from_ssh_config(
    name: &str,
    alias: &str,
    t: &TargetWire,
    connect_timeout: Duration,
) -> Result<SshConfig, TargetError> {
    let config = t.ssh_config.as_deref().map(expand);
    let resolver = openssh::Resolver {
        target: name,
        config: config.as_deref(),
        connect_timeout,
    };
    let mut c = resolver.resolve(alias, t.port, t.user.as_deref())?;
    if let Some(id) = &t.identity_file {
        c.identity_files = vec![expand(id)];
    }
    if let Some(kh) = &t.known_hosts {
        c.known_hosts = vec![expand(kh)];
    }
    Ok(c)
}

fn identity_files(explicit: Option<&str>) -> Vec<PathBuf> {
    if let Some(p) = explicit {
        return vec![expand(p)];
    }
    ["id_ed25519", "id_ecdsa", "id_rsa"]
        .iter()
        .map(|f| home().join(".ssh").join(f))
        .collect()
}

fn known_hosts_path(explicit: Option<&str>) -> PathBuf {
    explicit
        .map(expand)
        .unwrap_or_else(|| home().join(".ssh/known_hosts"))
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"))
}

fn expand(p: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => home().join(rest),
        None => PathBuf::from(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn load_text(
        name: &str,
        targets: &str,
        files: &[(&str, &str)],
    ) -> Result<Target, TargetError> {
        let dir =
            std::env::temp_dir().join(format!("witness-target-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (f, body) in files {
            std::fs::write(
                dir.join(f),
                body.replace("@DIR@", &dir.display().to_string()),
            )
            .unwrap();
        }
        std::fs::write(
            dir.join("targets.toml"),
            targets.replace("@DIR@", &dir.display().to_string()),
        )
        .unwrap();
        load(&dir, "t")
    }

    pub(super) fn ssh(t: Target) -> SshConfig {
        match t.transport {
            TargetTransport::Ssh(c) => c,
            TargetTransport::Local => panic!("expected ssh"),
        }
    }

    #[test]
    fn ssh_config_alias_gives_hostname_user_port_identity() {
        let t = load_text(
            "alias",
            "[targets.t]\nssh = \"cc-ci\"\nssh_config = \"@DIR@/ssh_config\"\nknown_hosts = \"@DIR@/kh\"\n",
            &[(
                "ssh_config",
                "Host other\n  HostName 10.9.9.9\n\nHost cc-ci\n  HostName 127.0.0.9\n  User deploy\n  Port 2222\n  IdentityFile @DIR@/id_cc\n",
            )],
        )
        .unwrap();
        let c = ssh(t);
        assert_eq!(
            (c.hostname.as_str(), c.user.as_str(), c.port),
            ("127.0.0.9", "deploy", 2222)
        );
        assert!(
            c.identity_files[0].ends_with("id_cc"),
            "{:?}",
            c.identity_files
        );
        assert!(c.known_hosts[0].ends_with("kh"));
    }

    /// OpenSSH's host-key options are followed (several known_hosts files included).
    #[test]
    fn host_key_options_are_followed() {
        let t = load_text(
            "hka",
            "[targets.t]\nssh = \"cc-ci\"\nssh_config = \"@DIR@/ssh_config\"\n",
            &[(
                "ssh_config",
                "Host cc-ci\n  HostName 127.0.0.9\n  Port 2222\n  HostKeyAlias cc-ci-key\n  UserKnownHostsFile @DIR@/kh2 @DIR@/kh3\n  GlobalKnownHostsFile @DIR@/global\n  ServerAliveInterval 30\n  StrictHostKeyChecking yes\n",
            )],
        )
        .unwrap();
        let c = ssh(t);
        assert_eq!(c.host_key_alias.as_deref(), Some("cc-ci-key"));
        assert!(c.known_hosts[0].ends_with("kh2"), "{:?}", c.known_hosts);
        assert!(c.known_hosts[1].ends_with("kh3"), "{:?}", c.known_hosts);
        assert!(c.global_known_hosts[0].ends_with("global"));
        assert_eq!(c.known_hosts_key(), ("cc-ci-key", 22));
    }

    #[test]
    fn without_an_alias_the_key_is_looked_up_as_host_or_bracketed_port() {
        let t = load_text(
            "plain",
            "[targets.t]\nssh = \"cc-ci\"\nssh_config = \"@DIR@/ssh_config\"\n",
            &[(
                "ssh_config",
                "Host cc-ci\n  HostName 10.0.0.1\n  Port 2222\n",
            )],
        )
        .unwrap();
        assert_eq!(ssh(t).known_hosts_key(), ("10.0.0.1", 2222));
    }

    #[test]
    fn explicit_fields_win_over_the_alias() {
        let t = load_text(
            "explicit",
            "[targets.t]\nssh = \"cc-ci\"\nssh_config = \"@DIR@/ssh_config\"\nport = 2200\nuser = \"root\"\n",
            &[("ssh_config", "Host cc-ci\n  HostName 127.0.0.9\n  User deploy\n  Port 2222\n")],
        )
        .unwrap();
        let c = ssh(t);
        assert_eq!((c.user.as_str(), c.port), ("root", 2200));
    }

    #[test]
    fn bad_targets_are_named() {
        let e = load_text("unknown", "[targets.other]\nlocal = true\n", &[]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("unknown target `t` (WITNESS_TARGET);"),
            "{e}"
        );
        assert!(e.to_string().ends_with("defines: other"), "{e}");
        let e = load_text("two", "[targets.t]\nlocal = true\nhost = \"h\"\n", &[]).unwrap_err();
        assert!(e.to_string().contains("give exactly one of"), "{e}");
        let e = load_text(
            "secret",
            "[targets.t]\nlocal = true\n[targets.t.secrets]\nx = {}\n",
            &[],
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("secret `x` needs exactly one of `file` or `env`"),
            "{e}"
        );
        let e = load_text("typo", "[targets.t]\nlocal = true\nvar = {}\n", &[]).unwrap_err();
        assert!(e.to_string().contains("unknown field `var`"), "{e}");
    }

    #[test]
    fn a_pinned_judging_date_is_a_real_day_or_refused_where_it_is_written() {
        let t = load_text(
            "judged",
            "[targets.t]\nlocal = true\njudged_on = \"2026-12-05\"\n",
            &[],
        )
        .unwrap();
        let on = t.judged_on.expect("pinned");
        assert_eq!((on.date(), on.is_pinned()), ("2026-12-05", true));
        let t = load_text("unpinned", "[targets.t]\nlocal = true\n", &[]).unwrap();
        assert!(t.judged_on.is_none());
        let e = load_text(
            "misjudged",
            "[targets.t]\nlocal = true\njudged_on = \"2026-02-30\"\n",
            &[],
        )
        .unwrap_err();
        assert!(
            e.to_string().ends_with(
                "targets.toml:3:13: `judged_on = \"2026-02-30\"` is not a date (write YYYY-MM-DD)"
            ),
            "{e}"
        );
    }
}
