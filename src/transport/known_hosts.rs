//! known_hosts as OpenSSH reads it (`hostfile.c`, `match.c`, `sshconnect.c`): the user's files
//! and the global ones, hashed names (`|1|salt|hash`, HMAC-SHA1), pattern lists with `*`, `?`
//! and `!`, `[host]:port` off port 22 (and OpenSSH's second look at the bare `host` for the
//! same key), `@revoked` and `@cert-authority` markers.
//!
//! Lines are parsed by `ssh-key`'s `known_hosts` module; only the matching of a name against
//! a line's patterns is done here, because that crate parses and does not match. A line that
//! does not parse is skipped, as OpenSSH skips it.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use hmac::{Hmac, Mac};
use sha1::Sha1;
use ssh_key::PublicKey;
use ssh_key::known_hosts::{Entry, HostPatterns, Marker};

/// One parsed line, with where it is.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub(crate) file: PathBuf,
    pub(crate) line: usize,
    entry: Entry,
}

impl Line {
    /// `file:line`, for messages.
    pub(crate) fn place(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }
}

/// What the files say about a host and the key it offered.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// A plain entry for the name holds this key.
    Known,
    /// An `@revoked` line for the name holds this key: refused whatever else says.
    Revoked(Line),
    /// Entries of this key's type exist for the name, none with this key.
    Changed(Line),
    /// No plain entry holds the key, but an `@cert-authority` line covers the name: only a
    /// host certificate could be accepted.
    CertificateOnly(Line),
    /// Nothing for the name holds a key of this type.
    Unknown,
}

/// The lines of `files` that apply to `name` (as OpenSSH looks it up: `host`, `[host]:port`
/// or the `HostKeyAlias`). A missing file is no entry, as with OpenSSH; another read error is
/// returned with its file.
pub(crate) fn lines_for(
    files: &[PathBuf],
    name: &str,
) -> Result<Vec<Line>, (PathBuf, std::io::Error)> {
    let name = name.to_lowercase();
    let mut out = Vec::new();
    for file in files {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err((file.clone(), e)),
        };
        out.extend(parse(file, &text).filter(|l| matches(l.entry.host_patterns(), &name)));
    }
    Ok(out)
}

fn parse<'a>(file: &'a Path, text: &'a str) -> impl Iterator<Item = Line> + 'a {
    text.lines().enumerate().filter_map(move |(i, raw)| {
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            return None;
        }
        // ssh-key splits fields on one space; OpenSSH allows any run of blanks.
        let normalized = t.split_whitespace().collect::<Vec<_>>().join(" ");
        let entry = Entry::from_str(&normalized).ok()?;
        Some(Line {
            file: file.to_path_buf(),
            line: i + 1,
            entry,
        })
    })
}

/// Judge `offered` against the lines for a name (`lines_for`).
pub(crate) fn judge(lines: &[Line], offered: &PublicKey) -> Verdict {
    let marked = |m: Marker| {
        lines
            .iter()
            .filter(move |l| l.entry.marker() == Some(&m))
            .cloned()
    };
    if let Some(l) = marked(Marker::Revoked).find(|l| same_key(l, offered)) {
        return Verdict::Revoked(l);
    }
    let plain: Vec<&Line> = lines
        .iter()
        .filter(|l| l.entry.marker().is_none())
        .collect();
    if plain.iter().any(|l| same_key(l, offered)) {
        return Verdict::Known;
    }
    if let Some(l) = plain
        .iter()
        .find(|l| l.entry.public_key().algorithm() == offered.algorithm())
    {
        return Verdict::Changed((*l).clone());
    }
    if let Some(l) = marked(Marker::CertAuthority).next() {
        return Verdict::CertificateOnly(l);
    }
    Verdict::Unknown
}

/// OpenSSH's second look (`check_host_key`, "checking without port identifier"): a host off
/// port 22, without `HostKeyAlias`, that no line answers for under `[host]:port` is accepted
/// when a line for the bare `host` holds this very key; any other answer leaves it unknown
/// (a different key there is not a change of this host's key).
pub(crate) fn known_without_port(files: &[PathBuf], host: &str, offered: &PublicKey) -> bool {
    lines_for(files, host).is_ok_and(|lines| matches!(judge(&lines, offered), Verdict::Known))
}

fn same_key(l: &Line, offered: &PublicKey) -> bool {
    l.entry.public_key().key_data() == offered.key_data()
}

/// The host-key algorithms to ask the server for, in OpenSSH's order (`order_hostkeyalgs`):
/// those of the keys known for the name first, then the rest of `supported`. A host with only
/// an ed25519 key known is never asked for its RSA key first.
pub(crate) fn preferred_algorithms(lines: &[Line], supported: &[&str]) -> Vec<String> {
    let mut known: Vec<String> = Vec::new();
    for l in lines.iter().filter(|l| l.entry.marker().is_none()) {
        let alg = l.entry.public_key().algorithm();
        let names: Vec<&str> = match alg.as_str() {
            // An RSA key is asked for under its SHA-2 signature names first, as OpenSSH does.
            "ssh-rsa" => vec!["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
            other => vec![other],
        };
        for n in names {
            if supported.contains(&n) && !known.iter().any(|k| k == n) {
                known.push(n.to_string());
            }
        }
    }
    let rest: Vec<String> = supported
        .iter()
        .filter(|s| !known.iter().any(|k| k == *s))
        .map(|s| s.to_string())
        .collect();
    known.extend(rest);
    known
}

/// Does a line's host field match `name` (lowercase)? Hashed: HMAC-SHA1 of the name under the
/// line's salt. Patterns: some pattern matches and no negated one does (`match_hostname`).
fn matches(patterns: &HostPatterns, name: &str) -> bool {
    match patterns {
        HostPatterns::HashedName { salt, hash } => {
            let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(salt) else {
                return false;
            };
            mac.update(name.as_bytes());
            mac.verify_slice(hash).is_ok()
        }
        HostPatterns::Patterns(list) => {
            let mut positive = false;
            for p in list {
                let p = p.to_lowercase();
                match p.strip_prefix('!') {
                    Some(neg) if glob(neg.as_bytes(), name.as_bytes()) => return false,
                    Some(_) => {}
                    None => positive |= glob(p.as_bytes(), name.as_bytes()),
                }
            }
            positive
        }
    }
}

/// OpenSSH's `match_pattern`: `*` any run, `?` one character, everything else literal.
fn glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
        (Some(b'?'), Some(_)) => glob(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
        _ => false,
    }
}

/// The name a host key is looked up under, as OpenSSH writes it: `host` on port 22, else
/// `[host]:port`.
pub(crate) fn entry_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

#[cfg(test)]
#[path = "known_hosts_tests.rs"]
mod tests;
