//! known_hosts shapes, each compared with OpenSSH's own reading of the same file
//! (`ssh-keygen -F name -f file`: the lines that apply to a name, with their markers).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A fresh key pair of `kind`; its public line (`type base64`).
    fn make(&self, name: &str, kind: &str) -> String {
        let path = self.dir.path().join(name);
        let st = Command::new("ssh-keygen")
            .args(["-q", "-t", kind, "-N", "", "-C", "", "-f"])
            .arg(&path)
            .status()
            .unwrap();
        assert!(st.success());
        let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
        public
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Hash every name of a file in place, as `HashKnownHosts yes` writes them.
    fn hash(&self, file: &Path) {
        let st = Command::new("ssh-keygen")
            .args(["-q", "-H", "-f"])
            .arg(file)
            .status()
            .unwrap();
        assert!(st.success());
    }
}

fn public(line: &str) -> PublicKey {
    line.parse().unwrap()
}

/// `(line, marker)` of the lines OpenSSH says apply to `name`.
fn openssh_lines(file: &Path, name: &str) -> Vec<(usize, &'static str)> {
    let out = Command::new("ssh-keygen")
        .args(["-F", name, "-f"])
        .arg(file)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(&format!("# Host {name} found: line "))?;
            let (n, marker) = rest.split_once(' ').unwrap_or((rest, ""));
            let marker = match marker.trim() {
                "REVOKED" => "REVOKED",
                "CA" => "CA",
                _ => "",
            };
            Some((n.parse().unwrap(), marker))
        })
        .collect()
}

fn our_lines(file: &Path, name: &str) -> Vec<(usize, &'static str)> {
    lines_for(&[file.to_path_buf()], name)
        .unwrap()
        .iter()
        .map(|l| {
            let marker = match l.entry.marker() {
                Some(Marker::Revoked) => "REVOKED",
                Some(Marker::CertAuthority) => "CA",
                None => "",
            };
            (l.line, marker)
        })
        .collect()
}

/// Hashed names, `[host]:port` only off port 22, patterns with `*`, `?` and `!`, markers:
/// for every name, the lines witness takes are the lines `ssh-keygen -F` finds.
#[test]
fn the_lines_for_a_name_are_those_openssh_finds() {
    let keys = Keys::new();
    let (k1, k2) = (keys.make("k1", "ed25519"), keys.make("k2", "ecdsa"));
    let hashed = keys.file("hashed", &format!("hashme {k1}\n[hashport]:2222 {k2}\n"));
    keys.hash(&hashed);
    let hashed = std::fs::read_to_string(&hashed).unwrap();
    let file = keys.file(
        "known_hosts",
        &format!(
            "# a comment\n\ncc-ci {k1}\n[cc-ci]:2222 {k2}\n@revoked * {k2}\n@cert-authority *.example {k1}\n*.corp,!bad.corp {k1}\nnode?  {k2}\nCC-Upper {k1}\nnot a key line\n{hashed}"
        ),
    );
    for name in [
        "cc-ci",
        "[cc-ci]:2222",
        "[cc-ci]:2200",
        "x.example",
        "good.corp",
        "bad.corp",
        "node1",
        "node12",
        "cc-upper",
        "hashme",
        "[hashport]:2222",
        "hashport",
    ] {
        assert_eq!(our_lines(&file, name), openssh_lines(&file, name), "{name}");
    }
    // The shapes the review found wrong: a plain `host` entry does not answer for port 2222.
    assert!(
        !our_lines(&file, "[cc-ci]:2200")
            .iter()
            .any(|(_, m)| m.is_empty())
    );
}

fn judged(files: &[PathBuf], name: &str, offered: &str) -> Verdict {
    judge(&lines_for(files, name).unwrap(), &public(offered))
}

/// A revoked key is refused even with a plain entry for it, naming the `@revoked` line.
#[test]
fn a_revoked_key_is_refused_whatever_else_says() {
    let keys = Keys::new();
    let k = keys.make("k", "ed25519");
    let file = keys.file("kh", &format!("cc-ci {k}\n@revoked cc-ci {k}\n"));
    match judged(std::slice::from_ref(&file), "cc-ci", &k) {
        Verdict::Revoked(l) => assert_eq!(l.place(), format!("{}:2", file.display())),
        other => panic!("{other:?}"),
    }
    // Without the `@revoked` line the same key is known.
    let file = keys.file("kh2", &format!("cc-ci {k}\n"));
    assert!(matches!(judged(&[file], "cc-ci", &k), Verdict::Known));
}

/// Under `[host]:2222` a plain `host` line does not answer (as `ssh-keygen -F` finds); OpenSSH's
/// second look without the port accepts it only when it holds the very key offered.
#[test]
fn a_plain_entry_answers_for_another_port_only_with_the_same_key() {
    let keys = Keys::new();
    let (k, other) = (keys.make("k", "ed25519"), keys.make("other", "ed25519"));
    let file = keys.file("kh", &format!("cc-ci {k}\n"));
    let files = std::slice::from_ref(&file);
    assert!(matches!(
        judged(files, "[cc-ci]:2222", &k),
        Verdict::Unknown
    ));
    assert!(known_without_port(files, "cc-ci", &public(&k)));
    assert!(!known_without_port(files, "cc-ci", &public(&other)));
    let revoked = keys.file("kh2", &format!("cc-ci {k}\n@revoked cc-ci {k}\n"));
    assert!(!known_without_port(&[revoked], "cc-ci", &public(&k)));
    assert!(matches!(judged(files, "cc-ci", &k), Verdict::Known));
}

/// The global file is read after the user's (missing user files are no entries, as with
/// OpenSSH); a key only the global file knows is known.
#[test]
fn the_global_file_alone_is_enough() {
    let keys = Keys::new();
    let k = keys.make("k", "ed25519");
    let global = keys.file("ssh_known_hosts", &format!("cc-ci {k}\n"));
    let missing = keys.dir.path().join("no_such_known_hosts");
    assert!(matches!(
        judged(&[missing, global], "cc-ci", &k),
        Verdict::Known
    ));
}

#[test]
fn another_key_of_the_same_type_is_a_change_naming_the_line() {
    let keys = Keys::new();
    let (k1, k2) = (keys.make("k1", "ed25519"), keys.make("k2", "ed25519"));
    let file = keys.file("kh", &format!("# first\ncc-ci {k1}\n"));
    match judged(std::slice::from_ref(&file), "cc-ci", &k2) {
        Verdict::Changed(l) => assert_eq!(l.place(), format!("{}:2", file.display())),
        other => panic!("{other:?}"),
    }
}

/// Only a CA trusted for the name: a host certificate would be needed, which libssh2 cannot
/// negotiate; refused, naming the `@cert-authority` line.
#[test]
fn a_name_trusted_only_through_a_ca_is_refused_by_name() {
    let keys = Keys::new();
    let (ca, host) = (keys.make("ca", "ed25519"), keys.make("host", "ed25519"));
    let file = keys.file("kh", &format!("@cert-authority *.example {ca}\n"));
    match judged(std::slice::from_ref(&file), "cc.example", &host) {
        Verdict::CertificateOnly(l) => assert_eq!(l.place(), format!("{}:1", file.display())),
        other => panic!("{other:?}"),
    }
}

/// With only an ed25519 key known, ed25519 is asked for first; an RSA key is asked for under
/// its SHA-2 names first; nothing known leaves the order as it was.
#[test]
fn the_host_key_algorithm_asked_for_follows_what_is_known() {
    let keys = Keys::new();
    let (ed, ec) = (keys.make("ed", "ed25519"), keys.make("ec", "ecdsa"));
    let rsa = keys.make("rsa", "rsa");
    let supported = [
        "ecdsa-sha2-nistp256",
        "rsa-sha2-512",
        "rsa-sha2-256",
        "ssh-rsa",
        "ssh-ed25519",
    ];
    let order = |text: &str, name: &str| {
        let file = keys.file("kh", text);
        preferred_algorithms(&lines_for(&[file], name).unwrap(), &supported)
    };
    assert_eq!(
        order(&format!("cc-ci {ed}\nother {ec}\n"), "cc-ci"),
        [
            "ssh-ed25519",
            "ecdsa-sha2-nistp256",
            "rsa-sha2-512",
            "rsa-sha2-256",
            "ssh-rsa"
        ]
    );
    // A revoked key's type is not asked for.
    assert_eq!(
        order(&format!("@revoked cc-ci {ed}\ncc-ci {rsa}\n"), "cc-ci"),
        [
            "rsa-sha2-512",
            "rsa-sha2-256",
            "ssh-rsa",
            "ecdsa-sha2-nistp256",
            "ssh-ed25519"
        ]
    );
    assert_eq!(order("", "cc-ci"), supported);
}

/// The name a key is looked up under, as `ssh-keyscan` and `ssh` write it.
#[test]
fn the_lookup_name_is_bracketed_only_off_port_22() {
    assert_eq!(entry_name("cc-ci", 22), "cc-ci");
    assert_eq!(entry_name("cc-ci", 2222), "[cc-ci]:2222");
}
