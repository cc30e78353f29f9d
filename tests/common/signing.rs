//! Signing for the attestation tests (`tests/attest.rs` offline, `tests/attest_twin.rs` on the
//! twin): keys made with `ssh-keygen`, a real `ssh-agent` holding one, and an envelope with
//! one byte changed. Included by path (`#[path]`), not through `common/mod.rs`, so the offline
//! tests need nothing of the twin's.
#![allow(dead_code)] // each test binary uses some of it

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub fn keygen(dir: &Path, name: &str) -> (PathBuf, String) {
    let key = dir.join(name);
    let o = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen (OpenSSH) on PATH");
    assert!(o.status.success(), "{o:?}");
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let public = public
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    (key, public)
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// ssh-agent on a socket of its own, killed (by its pid) when dropped.
pub struct Agent {
    child: Child,
    pub sock: PathBuf,
}

impl Agent {
    pub fn start(dir: &Path, key: &Path) -> Agent {
        let sock = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent (OpenSSH) on PATH");
        let agent = Agent { child, sock };
        for _ in 0..100 {
            if agent.sock.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let o = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &agent.sock)
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
        agent
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One byte of a base64 field of the envelope changed (to another base64 character, so it
/// still decodes): `at` counts from the field's start, negative from its end.
pub fn tamper(envelope: &Path, field: &str, at: isize, out: &Path) {
    let text = std::fs::read_to_string(envelope).unwrap();
    let key = format!("\"{field}\": \"");
    let start = text.find(&key).unwrap() + key.len();
    let end = start + text[start..].find('"').unwrap();
    let i = if at >= 0 {
        start + at as usize
    } else {
        (end as isize + at) as usize
    };
    let mut bytes = text.into_bytes();
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    std::fs::write(out, bytes).unwrap();
}
