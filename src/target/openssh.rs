//! An ssh_config alias resolved by OpenSSH itself: `ssh [-F file] [-p port] [-l user] -G alias`
//! prints what the user's `ssh alias` would use (Include, Match, `%h`/`%r` tokens, `Host *`,
//! `/etc/ssh/ssh_config`, the local user as default, `none` values), and witness connects to
//! exactly that. Two readers of one configuration drift; the one the user already runs decides.
//!
//! `ProxyJump` is followed as OpenSSH follows it: for `a,b` the last hop `b` is resolved with
//! `-J a` (its own ProxyJump overridden by the rest of the list), a single hop with its own
//! configuration (its ProxyJump included), each hop with the user and port the jump spec gives.
//! What `ssh -G` says that witness cannot follow, and that would change how the host is
//! reached or verified, is refused by name (`REFUSED`); an unknown option is already refused
//! by `ssh -G` itself, naming the file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::error::{TargetError, TargetProblem};
use crate::transport::{Algorithms, IdentityAgent, IpFamily, SshConfig};

/// Deeper than this, a ProxyJump chain is taken for a loop.
const MAX_HOPS: usize = 8;

/// Options `ssh -G` prints only when set (or set to other than their default) that witness
/// does not follow, with why; following them differently from OpenSSH would reach or verify
/// the host differently, so the target is refused instead.
const REFUSED: &[(&str, &str)] = &[
    (
        "proxycommand",
        "witness runs no proxy program; ProxyJump is followed",
    ),
    (
        "knownhostscommand",
        "witness reads known_hosts files, never a command's output",
    ),
    (
        "revokedhostkeys",
        "witness does not read a RevokedHostKeys file; use `@revoked` lines in known_hosts",
    ),
    (
        "certificatefile",
        "witness does not authenticate with certificates",
    ),
    (
        "pkcs11provider",
        "witness does not use keys on PKCS#11 tokens",
    ),
    ("bindaddress", "witness does not bind the local end"),
    ("bindinterface", "witness does not bind the local end"),
];

/// What `ssh -G` printed: each option (lowercase, as printed) with its values; an option
/// printed on several lines (`identityfile`) keeps each.
#[derive(Debug)]
struct Printed {
    command: String,
    alias: String,
    values: BTreeMap<String, Vec<String>>,
}

impl Printed {
    fn parse(command: String, alias: &str, text: &str) -> Self {
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for line in text.lines() {
            let (k, v) = line.split_once(' ').unwrap_or((line, ""));
            values
                .entry(k.to_lowercase())
                .or_default()
                .push(v.to_string());
        }
        Printed {
            command,
            alias: alias.to_string(),
            values,
        }
    }

    fn first(&self, option: &str) -> Option<&str> {
        self.values
            .get(option)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    fn all(&self, option: &str) -> &[String] {
        self.values.get(option).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A value other than `none`.
    fn set(&self, option: &str) -> Option<&str> {
        self.first(option)
            .filter(|v| !v.eq_ignore_ascii_case("none"))
    }

    /// A space-separated list (`userknownhostsfile a b`), `none` meaning empty.
    fn list(&self, option: &str) -> Vec<String> {
        self.set(option)
            .map(|v| v.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// A comma-separated algorithm list.
    fn algorithms(&self, option: &str) -> Vec<String> {
        self.first(option)
            .map(|v| v.split(',').map(str::to_string).collect())
            .unwrap_or_default()
    }
}

/// One hop of a ProxyJump list: `[user@]host[:port]` or `ssh://[user@]host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hop {
    pub(crate) user: Option<String>,
    pub(crate) host: String,
    pub(crate) port: Option<u16>,
}

impl Hop {
    pub(crate) fn parse(s: &str) -> Option<Hop> {
        let s = s.strip_prefix("ssh://").unwrap_or(s);
        let (user, rest) = match s.rsplit_once('@') {
            Some((u, r)) if !u.is_empty() => (Some(u.to_string()), r),
            Some(_) => return None,
            None => (None, s),
        };
        let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
            let (h, after) = inner.split_once(']')?;
            match after {
                "" => (h, None),
                p => (h, Some(p.strip_prefix(':')?.parse().ok()?)),
            }
        } else {
            match rest.split_once(':') {
                Some((h, p)) => (h, Some(p.parse().ok()?)),
                None => (rest, None),
            }
        };
        if host.is_empty() || host.contains(['/', ' ']) {
            return None;
        }
        Some(Hop {
            user,
            host: host.to_string(),
            port,
        })
    }
}

/// Resolves aliases with one ssh_config file (`-F`), or OpenSSH's own (`~/.ssh/config`,
/// then `/etc/ssh/ssh_config`) when none is given.
pub(crate) struct Resolver<'a> {
    /// The target's name in targets.toml, for messages.
    pub(crate) target: &'a str,
    pub(crate) config: Option<&'a Path>,
    /// Used where `ssh -G` says `connecttimeout none`.
    pub(crate) connect_timeout: Duration,
}

impl Resolver<'_> {
    /// Resolve `alias` (with `ssh -p`/`-l` when the target pins them) and its jump hosts.
    pub(crate) fn resolve(
        &self,
        alias: &str,
        port: Option<u16>,
        user: Option<&str>,
    ) -> Result<SshConfig, TargetError> {
        self.endpoint(alias, port, user, None, &mut Vec::new())
    }

    fn endpoint(
        &self,
        alias: &str,
        port: Option<u16>,
        user: Option<&str>,
        jump: Option<&str>,
        trail: &mut Vec<String>,
    ) -> Result<SshConfig, TargetError> {
        trail.push(alias.to_string());
        if trail.len() > MAX_HOPS + 1 {
            return Err(self.invalid(TargetProblem::JumpTooDeep {
                alias: trail[0].clone(),
                max: MAX_HOPS,
                chain: trail.join(" <- "),
            }));
        }
        let printed = self.ssh_g(alias, port, user, jump)?;
        self.refuse(&printed)?;
        let mut cfg = self.config_of(&printed)?;
        let hops = self.hops(&printed)?;
        if let Some((last, rest)) = hops.split_last() {
            // As OpenSSH builds its `ssh -W` for the last hop: `-J` with the others, if any.
            let rest = (!rest.is_empty())
                .then(|| rest.iter().map(printed_hop).collect::<Vec<_>>().join(","));
            let mut via = self.endpoint(
                &last.host,
                last.port,
                last.user.as_deref(),
                rest.as_deref(),
                trail,
            )?;
            let mut jumps = std::mem::take(&mut via.jumps);
            jumps.push(via);
            cfg.jumps = jumps;
        }
        Ok(cfg)
    }

    fn ssh_g(
        &self,
        alias: &str,
        port: Option<u16>,
        user: Option<&str>,
        jump: Option<&str>,
    ) -> Result<Printed, TargetError> {
        let mut args: Vec<String> = Vec::new();
        if let Some(f) = self.config {
            args.extend(["-F".into(), f.display().to_string()]);
        }
        if let Some(p) = port {
            args.extend(["-p".into(), p.to_string()]);
        }
        if let Some(u) = user {
            args.extend(["-l".into(), u.to_string()]);
        }
        if let Some(j) = jump {
            args.extend(["-J".into(), j.to_string()]);
        }
        args.extend(["-G".into(), alias.to_string()]);
        let command = format!(
            "ssh {}",
            shlex::try_join(args.iter().map(String::as_str)).unwrap_or_else(|_| args.join(" "))
        );
        let out = Command::new("ssh")
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .map_err(|source| TargetError::OpenSshSpawn {
                alias: alias.to_string(),
                command: command.clone(),
                source,
            })?;
        if !out.status.success() {
            return Err(TargetError::OpenSsh {
                alias: alias.to_string(),
                command,
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        Ok(Printed::parse(
            command,
            alias,
            &String::from_utf8_lossy(&out.stdout),
        ))
    }

    fn refuse(&self, p: &Printed) -> Result<(), TargetError> {
        for (option, why) in REFUSED {
            if let Some(value) = p.set(option) {
                return Err(self.invalid(TargetProblem::UnsupportedSshOption {
                    command: p.command.clone(),
                    option: option.to_string(),
                    value: value.to_string(),
                    alias: p.alias.clone(),
                    why,
                }));
            }
        }
        Ok(())
    }

    fn hops(&self, p: &Printed) -> Result<Vec<Hop>, TargetError> {
        let Some(value) = p.set("proxyjump") else {
            return Ok(Vec::new());
        };
        value
            .split(',')
            .map(|h| {
                Hop::parse(h).ok_or_else(|| {
                    self.invalid(TargetProblem::ProxyJumpHop {
                        command: p.command.clone(),
                        value: value.to_string(),
                        alias: p.alias.clone(),
                        hop: h.to_string(),
                    })
                })
            })
            .collect()
    }

    fn config_of(&self, p: &Printed) -> Result<SshConfig, TargetError> {
        let hostname = p.first("hostname").unwrap_or(&p.alias).to_string();
        let user = p.first("user").unwrap_or("root").to_string();
        let port = p.first("port").and_then(|v| v.parse().ok()).unwrap_or(22);
        let host_key_alias = p.set("hostkeyalias").map(str::to_string);
        let tokens = Tokens {
            hostname: &hostname,
            user: &user,
            port,
            alias: &p.alias,
            host_key_alias: host_key_alias.as_deref(),
        };
        let identity_files = p
            .all("identityfile")
            .iter()
            .map(|f| {
                tokens.expand(f).map(|e| expand_home(&e)).map_err(|token| {
                    self.invalid(TargetProblem::SshToken {
                        command: p.command.clone(),
                        option: "identityfile".into(),
                        value: f.clone(),
                        alias: p.alias.clone(),
                        token,
                    })
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let identity_agent = match p.first("identityagent") {
            None => IdentityAgent::Env,
            Some(v) if v.eq_ignore_ascii_case("none") => IdentityAgent::None,
            Some("SSH_AUTH_SOCK") => IdentityAgent::Env,
            Some(v) => match v.strip_prefix('$') {
                Some(var) => std::env::var_os(var)
                    .map(|s| IdentityAgent::Socket(PathBuf::from(s)))
                    .unwrap_or(IdentityAgent::None),
                None => IdentityAgent::Socket(expand_home(v)),
            },
        };
        let connect_timeout = p
            .set("connecttimeout")
            .and_then(|v| v.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(self.connect_timeout);
        let ip = match p.first("addressfamily") {
            Some("inet") => IpFamily::V4,
            Some("inet6") => IpFamily::V6,
            _ => IpFamily::Any,
        };
        Ok(SshConfig {
            label: p.alias.clone(),
            hostname,
            port,
            user,
            identity_files,
            identity_agent,
            known_hosts: p
                .list("userknownhostsfile")
                .iter()
                .map(|f| expand_home(f))
                .collect(),
            global_known_hosts: p
                .list("globalknownhostsfile")
                .iter()
                .map(|f| expand_home(f))
                .collect(),
            host_key_alias,
            connect_timeout,
            ip,
            algorithms: Some(Algorithms {
                host_key: p.algorithms("hostkeyalgorithms"),
                kex: p.algorithms("kexalgorithms"),
                ciphers: p.algorithms("ciphers"),
                macs: p.algorithms("macs"),
            }),
            jumps: Vec::new(),
        })
    }

    fn invalid(&self, problem: TargetProblem) -> TargetError {
        TargetError::Invalid {
            name: self.target.to_string(),
            problem: Box::new(problem),
        }
    }
}

/// A hop as `-J` takes it back.
fn printed_hop(h: &Hop) -> String {
    let mut s = String::new();
    if let Some(u) = &h.user {
        s.push_str(u);
        s.push('@');
    }
    if h.host.contains(':') {
        s.push_str(&format!("[{}]", h.host));
    } else {
        s.push_str(&h.host);
    }
    if let Some(p) = h.port {
        s.push_str(&format!(":{p}"));
    }
    s
}

/// The `%` tokens OpenSSH expands in `IdentityFile` when it connects (after `ssh -G` printed
/// them as written).
struct Tokens<'a> {
    hostname: &'a str,
    user: &'a str,
    port: u16,
    alias: &'a str,
    host_key_alias: Option<&'a str>,
}

impl Tokens<'_> {
    /// Expand, or the token witness does not know.
    fn expand(&self, s: &str) -> Result<String, char> {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('%') => out.push('%'),
                Some('h') => out.push_str(self.hostname),
                Some('r') => out.push_str(self.user),
                Some('p') => out.push_str(&self.port.to_string()),
                Some('n') => out.push_str(self.alias),
                Some('k') => out.push_str(self.host_key_alias.unwrap_or(self.hostname)),
                Some('d') => out.push_str(&home().display().to_string()),
                Some(other) => return Err(other),
                None => return Err('%'),
            }
        }
        Ok(out)
    }
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"))
}

/// `~/x` under the home directory, as OpenSSH expands it.
pub(crate) fn expand_home(p: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => home().join(rest),
        None if p == "~" => home(),
        None => PathBuf::from(p),
    }
}

#[cfg(test)]
#[path = "openssh_tests.rs"]
mod tests;
