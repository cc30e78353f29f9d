//! ssh_config shapes, each resolved by witness and compared with what OpenSSH's own `ssh -G`
//! prints for the same file (the real `ssh`, not a model of it).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::*;
use crate::transport::{IdentityAgent, SshConfig};

/// A config file in a fresh directory (`@DIR@` stands for it).
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(files: &[(&str, &str)]) -> Case {
        let dir = tempfile::tempdir().unwrap();
        for (f, body) in files {
            let text = body.replace("@DIR@", &dir.path().display().to_string());
            std::fs::write(dir.path().join(f), text).unwrap();
        }
        Case { dir }
    }

    fn config(&self) -> std::path::PathBuf {
        self.dir.path().join("ssh_config")
    }

    fn resolve(&self, alias: &str) -> Result<SshConfig, TargetError> {
        self.resolve_with(alias, None, None)
    }

    fn resolve_with(
        &self,
        alias: &str,
        port: Option<u16>,
        user: Option<&str>,
    ) -> Result<SshConfig, TargetError> {
        let config = self.config();
        Resolver {
            target: "t",
            config: Some(&config),
            connect_timeout: Duration::from_secs(10),
        }
        .resolve(alias, port, user)
    }

    /// What OpenSSH itself prints for `alias`, read independently of the code under test.
    fn openssh(&self, args: &[&str]) -> BTreeMap<String, String> {
        openssh_g(&self.config(), args)
    }
}

fn openssh_g(config: &Path, args: &[&str]) -> BTreeMap<String, String> {
    let out = Command::new("ssh")
        .arg("-F")
        .arg(config)
        .args(args)
        .output()
        .expect("OpenSSH's ssh runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut m = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let (k, v) = line.split_once(' ').unwrap_or((line, ""));
        // The first of a repeated option (identityfile), as ssh uses the first it obtains.
        m.entry(k.to_string()).or_insert_with(|| v.to_string());
    }
    m
}

/// The resolved endpoint says what `ssh -G` says: where, as whom, which known_hosts files.
fn assert_same_as_openssh(c: &SshConfig, g: &BTreeMap<String, String>) {
    assert_eq!(c.hostname, g["hostname"], "hostname");
    assert_eq!(c.port.to_string(), g["port"], "port");
    assert_eq!(c.user, g["user"], "user");
    let files = |v: &[std::path::PathBuf]| {
        v.iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        files(&c.known_hosts),
        g["userknownhostsfile"],
        "userknownhostsfile"
    );
    assert_eq!(
        files(&c.global_known_hosts),
        g["globalknownhostsfile"],
        "globalknownhostsfile"
    );
    assert_eq!(
        c.host_key_alias.as_deref(),
        g.get("hostkeyalias").map(String::as_str),
        "hostkeyalias"
    );
}

/// The shape the review found: a `Match` block outside the alias's `Host` block applies to it,
/// so `ssh cc-ci` goes through the bastion, and so does witness.
#[test]
fn a_match_block_outside_the_alias_applies_to_it() {
    let case = Case::new(&[(
        "ssh_config",
        "Host bastion\n  ProxyJump none\nHost other\n  HostName 10.9.9.9\nMatch all\n  ProxyJump jumper@bastion:2201\nHost cc-ci\n  HostName 127.0.0.9\n",
    )]);
    let c = case.resolve("cc-ci").unwrap();
    let g = case.openssh(&["-G", "cc-ci"]);
    assert_same_as_openssh(&c, &g);
    assert_eq!(g["proxyjump"], "jumper@bastion:2201");
    assert_eq!(c.jumps.len(), 1, "{:?}", c.jumps);
    let j = &c.jumps[0];
    // The hop is resolved as OpenSSH's `ssh -l jumper -p 2201 -W … bastion` resolves it.
    assert_same_as_openssh(
        j,
        &case.openssh(&["-l", "jumper", "-p", "2201", "-G", "bastion"]),
    );
    assert_eq!(
        (j.hostname.as_str(), j.user.as_str(), j.port),
        ("bastion", "jumper", 2201)
    );
}

#[test]
fn tokens_are_expanded_as_openssh_expands_them() {
    let case = Case::new(&[(
        "ssh_config",
        "Host cc-ci\n  HostName %h.example\n  User deploy\n  IdentityFile @DIR@/keys/%r@%h-%p\n  IdentityFile ~/id_%n\n",
    )]);
    let c = case.resolve("cc-ci").unwrap();
    assert_same_as_openssh(&c, &case.openssh(&["-G", "cc-ci"]));
    assert_eq!(c.hostname, "cc-ci.example");
    let dir = case.dir.path().display().to_string();
    assert_eq!(
        c.identity_files,
        vec![
            PathBuf::from(format!("{dir}/keys/deploy@cc-ci.example-22")),
            home().join("id_cc-ci"),
        ]
    );
    // A token witness does not expand is refused by name, never taken literally.
    let case = Case::new(&[("ssh_config", "Host cc-ci\n  IdentityFile ~/id_%C\n")]);
    let e = case.resolve("cc-ci").unwrap_err().to_string();
    assert!(
        e.contains(
            "says `identityfile ~/id_%C` for `cc-ci`: `%C` is a token witness does not expand"
        ),
        "{e}"
    );
}

#[test]
fn an_include_is_read() {
    let case = Case::new(&[
        ("ssh_config", "Include @DIR@/conf.d/*.conf\n"),
        ("conf.d", ""),
    ]);
    std::fs::remove_file(case.dir.path().join("conf.d")).unwrap();
    std::fs::create_dir(case.dir.path().join("conf.d")).unwrap();
    std::fs::write(
        case.dir.path().join("conf.d/cc.conf"),
        "Host cc-ci\n  HostName 127.0.0.7\n  Port 2022\n  User ops\n",
    )
    .unwrap();
    let c = case.resolve("cc-ci").unwrap();
    assert_same_as_openssh(&c, &case.openssh(&["-G", "cc-ci"]));
    assert_eq!(
        (c.hostname.as_str(), c.port, c.user.as_str()),
        ("127.0.0.7", 2022, "ops")
    );
}

/// `ProxyJump none` in the alias's block wins over a later `Host *` jump (first value wins).
#[test]
fn proxyjump_none_means_direct() {
    let case = Case::new(&[(
        "ssh_config",
        "Host cc-ci\n  HostName 127.0.0.9\n  ProxyJump none\nHost bastion\n  ProxyJump none\nHost *\n  ProxyJump bastion\n",
    )]);
    let c = case.resolve("cc-ci").unwrap();
    let g = case.openssh(&["-G", "cc-ci"]);
    assert_same_as_openssh(&c, &g);
    assert!(!g.contains_key("proxyjump"), "{g:?}");
    assert!(c.jumps.is_empty(), "{:?}", c.jumps);
    // And the other aliases do jump.
    assert_eq!(case.resolve("other").unwrap().jumps.len(), 1);
}

#[test]
fn identity_agent_under_host_star_is_followed() {
    let case = Case::new(&[(
        "ssh_config",
        "Host cc-ci\n  HostName 127.0.0.9\nHost nobody\n  IdentityAgent none\nHost *\n  IdentityAgent @DIR@/agent.sock\n",
    )]);
    let c = case.resolve("cc-ci").unwrap();
    let g = case.openssh(&["-G", "cc-ci"]);
    assert_same_as_openssh(&c, &g);
    assert_eq!(
        c.identity_agent,
        IdentityAgent::Socket(PathBuf::from(&g["identityagent"]))
    );
    assert_eq!(
        case.resolve("nobody").unwrap().identity_agent,
        IdentityAgent::None
    );
}

/// No `User`: the local user, as `ssh` uses it (not a fixed `root`).
#[test]
fn the_default_user_is_the_local_user() {
    let case = Case::new(&[("ssh_config", "Host cc-ci\n  HostName 127.0.0.9\n")]);
    let c = case.resolve("cc-ci").unwrap();
    assert_same_as_openssh(&c, &case.openssh(&["-G", "cc-ci"]));
    let me = Command::new("id").arg("-un").output().unwrap();
    assert_eq!(c.user, String::from_utf8_lossy(&me.stdout).trim());
}

/// targets.toml's `port`/`user` are `ssh -p`/`-l`: they win, and `Match` sees them.
#[test]
fn explicit_port_and_user_are_given_to_openssh() {
    let case = Case::new(&[(
        "ssh_config",
        "Match user ci\n  IdentityFile @DIR@/ci_key\nHost cc-ci\n  HostName 127.0.0.9\n  User deploy\n  Port 2222\n",
    )]);
    let c = case.resolve_with("cc-ci", Some(2200), Some("ci")).unwrap();
    assert_same_as_openssh(
        &c,
        &case.openssh(&["-p", "2200", "-l", "ci", "-G", "cc-ci"]),
    );
    assert_eq!((c.port, c.user.as_str()), (2200, "ci"));
    assert!(
        c.identity_files[0].ends_with("ci_key"),
        "{:?}",
        c.identity_files
    );
}

/// `ProxyJump a,b`: `b` is reached through `a`, `b` resolved with `-J a` as OpenSSH does (its
/// own ProxyJump overridden), each hop with its own HostName/User/Port.
#[test]
fn several_hops_are_followed_in_order() {
    let case = Case::new(&[(
        "ssh_config",
        "Host cc-ci\n  HostName 10.0.0.3\n  ProxyJump a,ops@b:2202\nHost a\n  HostName 10.0.0.1\n  User ja\nHost b\n  HostName 10.0.0.2\n  ProxyJump elsewhere\n",
    )]);
    let c = case.resolve("cc-ci").unwrap();
    assert_same_as_openssh(&c, &case.openssh(&["-G", "cc-ci"]));
    let hops: Vec<_> = c
        .jumps
        .iter()
        .map(|j| (j.hostname.as_str(), j.user.as_str(), j.port))
        .collect();
    assert_eq!(hops, [("10.0.0.1", "ja", 22), ("10.0.0.2", "ops", 2202)]);
    assert_same_as_openssh(&c.jumps[0], &case.openssh(&["-G", "a"]));
    assert_same_as_openssh(
        &c.jumps[1],
        &case.openssh(&["-l", "ops", "-p", "2202", "-J", "a", "-G", "b"]),
    );
}

#[test]
fn a_jump_loop_is_refused_by_name() {
    let case = Case::new(&[(
        "ssh_config",
        "Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n",
    )]);
    let e = case.resolve("a").unwrap_err().to_string();
    // OpenSSH's own check (`ssh -J b -G a` for the hop) or witness's depth bound: a loop is
    // refused either way, naming it.
    assert!(e.contains("loop"), "{e}");
}

/// What cannot be followed is refused by name with the reason; an unknown option is refused
/// by OpenSSH itself (file and line), unless the file says to ignore it.
#[test]
fn what_cannot_be_followed_is_refused_by_name() {
    for (block, says) in [
        (
            "  ProxyCommand nc %h %p\n",
            "says `proxycommand nc %h %p` for `cc-ci`, which witness does not follow (witness runs no proxy program",
        ),
        (
            "  KnownHostsCommand /bin/true\n",
            "says `knownhostscommand /bin/true` for `cc-ci`",
        ),
        (
            "  CertificateFile ~/c.pub\n",
            "says `certificatefile ~/c.pub` for `cc-ci`",
        ),
        (
            "  RevokedHostKeys /etc/ssh/revoked\n",
            "says `revokedhostkeys /etc/ssh/revoked` for `cc-ci`",
        ),
        (
            "  BindAddress 127.0.0.2\n",
            "says `bindaddress 127.0.0.2` for `cc-ci`",
        ),
    ] {
        let case = Case::new(&[(
            "ssh_config",
            &format!("Host cc-ci\n  HostName 10.0.0.1\n{block}"),
        )]);
        let e = case.resolve("cc-ci").unwrap_err().to_string();
        assert!(e.contains(says), "{block}: {e}");
        assert!(
            e.contains("it refuses rather than connect differently from OpenSSH"),
            "{e}"
        );
    }
    let case = Case::new(&[(
        "ssh_config",
        "Host cc-ci\n  HostName 10.0.0.1\n  SomeFutureOption yes\n",
    )]);
    let e = case.resolve("cc-ci").unwrap_err().to_string();
    assert!(e.contains("could not resolve `cc-ci`"), "{e}");
    assert!(
        e.contains("ssh_config: line 3: Bad configuration option: somefutureoption"),
        "{e}"
    );
    let case = Case::new(&[(
        "ssh_config",
        "IgnoreUnknown SomeFutureOption\nHost cc-ci\n  HostName 10.0.0.1\n  SomeFutureOption yes\n",
    )]);
    assert!(case.resolve("cc-ci").is_ok());
}

#[test]
fn jump_specs_parse_as_openssh_writes_them() {
    let hop = |u: Option<&str>, h: &str, p: Option<u16>| Hop {
        user: u.map(str::to_string),
        host: h.to_string(),
        port: p,
    };
    assert_eq!(Hop::parse("bastion"), Some(hop(None, "bastion", None)));
    assert_eq!(
        Hop::parse("me@bastion:2222"),
        Some(hop(Some("me"), "bastion", Some(2222)))
    );
    assert_eq!(
        Hop::parse("ssh://me@bastion:2222"),
        Some(hop(Some("me"), "bastion", Some(2222)))
    );
    assert_eq!(Hop::parse("[::1]:2222"), Some(hop(None, "::1", Some(2222))));
    assert_eq!(Hop::parse("me@"), None);
    assert_eq!(Hop::parse("bastion:port"), None);
}

/// No `ssh_config` in targets.toml: no `-F`, so OpenSSH reads what it always reads (the user's
/// `~/.ssh/config`, then `/etc/ssh/ssh_config`), and witness ends where `ssh -G` on this
/// machine ends, whatever those files say.
#[test]
fn without_a_file_the_users_and_the_system_config_decide() {
    let resolved = Resolver {
        target: "t",
        config: None,
        connect_timeout: Duration::from_secs(10),
    }
    .resolve("witness-no-such-alias", None, None)
    .unwrap();
    let out = Command::new("ssh")
        .args(["-G", "witness-no-such-alias"])
        .output()
        .unwrap();
    let mut g = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let (k, v) = line.split_once(' ').unwrap_or((line, ""));
        g.entry(k.to_string()).or_insert_with(|| v.to_string());
    }
    assert_same_as_openssh(&resolved, &g);
}
