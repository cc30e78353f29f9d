//! SSH signatures (OpenSSH's SSHSIG, `PROTOCOL.sshsig`) made and checked by OpenSSH's own
//! `ssh-keygen -Y`, the format and the `allowed_signers` file git's SSH commit signing uses:
//! what a reviewer already trusts, with no signature code of witness's own.
//!
//! - sign: `ssh-keygen -Y sign -n witness -f KEY` (the data on stdin, the armored signature on
//!   stdout). `KEY` is a private key file, or a public key file whose private half ssh-agent
//!   holds (ssh-keygen asks the agent first); a `key::…` literal is written to a temporary
//!   `.pub` file and signed with `-U` (agent only). The private key never passes through
//!   witness, and nothing of it is logged.
//! - verify: `ssh-keygen -Y find-principals` names who the signature's key belongs to in the
//!   allowed_signers file, then `ssh-keygen -Y verify -I <principal> -n witness` checks it.
//!
//! The envelope keeps the SSHSIG blob itself (the armor's base64, unwrapped); this module reads
//! only its public key (for the signer's fingerprint) and re-armors it for ssh-keygen.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use sha2::{Digest, Sha256};
use wait_timeout::ChildExt;

use crate::config::SigningKey;
use crate::error::AttestError;

/// The SSHSIG namespace of witness's attestations: a signature made for git (`git`), for a
/// file (`file`) or anything else does not verify as one, nor the other way round. An
/// allowed_signers line may restrict a key to it (`namespaces="witness"`).
pub const NAMESPACE: &str = "witness";

/// How long signing may take: an agent asking for confirmation, a hardware key waiting for
/// a touch. A passphrase prompt nobody answers ends here instead of hanging the gate.
const SIGN_DEADLINE: Duration = Duration::from_secs(120);

/// An SSHSIG blob (the binary form, `PROTOCOL.sshsig`), checked to be one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SshSig {
    blob: Vec<u8>,
    /// The signer's public key in SSH wire form.
    public_key: Vec<u8>,
}

impl SshSig {
    /// `"SSHSIG" || uint32 version || string publickey || string namespace || string
    /// reserved || string hash_algorithm || string signature`.
    pub(crate) fn parse(blob: Vec<u8>) -> Result<Self, &'static str> {
        let rest = blob
            .strip_prefix(b"SSHSIG")
            .ok_or("it does not begin with the SSHSIG magic")?;
        let (version, mut rest) = rest.split_at_checked(4).ok_or("it ends in its version")?;
        if version != [0, 0, 0, 1] {
            return Err("its version is not 1");
        }
        let mut fields = Vec::new();
        for _ in 0..5 {
            let (field, after) = string(rest).ok_or("a field runs past its end")?;
            fields.push(field.to_vec());
            rest = after;
        }
        if !rest.is_empty() {
            return Err("bytes follow its last field");
        }
        Ok(SshSig {
            public_key: fields.swap_remove(0),
            blob,
        })
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.blob
    }

    /// The signer's key as `ssh-keygen -l` prints it: `SHA256:<base64>`.
    pub(crate) fn fingerprint(&self) -> String {
        format!(
            "SHA256:{}",
            STANDARD_NO_PAD.encode(Sha256::digest(&self.public_key))
        )
    }

    /// The key's type (`ssh-ed25519`), the first field of its wire form.
    pub(crate) fn key_type(&self) -> String {
        string(&self.public_key)
            .map(|(t, _)| String::from_utf8_lossy(t).into_owned())
            .unwrap_or_default()
    }

    /// The PEM-like text ssh-keygen reads and writes.
    fn armored(&self) -> String {
        let b64 = STANDARD.encode(&self.blob);
        let mut out = String::from("-----BEGIN SSH SIGNATURE-----\n");
        for line in b64.as_bytes().chunks(70) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END SSH SIGNATURE-----\n");
        out
    }

    fn from_armored(text: &str) -> Result<Self, &'static str> {
        let b64: String = text
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .concat();
        let blob = STANDARD
            .decode(b64.trim())
            .map_err(|_| "its armor is not base64")?;
        SshSig::parse(blob)
    }
}

/// An SSH `string`: a big-endian u32 length, then that many bytes.
fn string(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = b.split_at_checked(4)?;
    let len = u32::from_be_bytes(len.try_into().ok()?) as usize;
    rest.split_at_checked(len)
}

/// Sign `data` with the configured key (`ssh-keygen -Y sign -n witness`).
pub(crate) fn sign(key: &SigningKey, data: &[u8]) -> Result<SshSig, AttestError> {
    let dir = tempfile::tempdir().map_err(|source| AttestError::Io {
        action: "create a temporary directory for",
        path: std::env::temp_dir(),
        source,
    })?;
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-Y", "sign", "-n", NAMESPACE]);
    match key {
        SigningKey::File(path) => {
            cmd.arg("-f").arg(path);
        }
        SigningKey::Agent(public) => {
            let file = dir.path().join("signing-key.pub");
            std::fs::write(&file, format!("{public}\n")).map_err(|source| AttestError::Io {
                action: "write",
                path: file.clone(),
                source,
            })?;
            cmd.arg("-U").arg("-f").arg(&file);
        }
    }
    let fail = |stderr: String| AttestError::Sign {
        key: key.describe(),
        stderr,
    };
    let out = run(&mut cmd, data, Some(SIGN_DEADLINE)).map_err(|e| match e {
        Ran::Spawn(source) => AttestError::SshKeygen(source),
        Ran::Deadline => AttestError::SignTimeout {
            key: key.describe(),
            secs: SIGN_DEADLINE.as_secs(),
        },
    })?;
    if !out.status.success() {
        return Err(fail(stderr_of(&out)));
    }
    SshSig::from_armored(&String::from_utf8_lossy(&out.stdout))
        .map_err(|why| fail(format!("its output is not a signature: {why}")))
}

/// The principals of `allowed_signers` whose key made `sig` (empty: none).
pub(crate) fn principals(allowed: &Path, sig: &SshSig) -> Result<Vec<String>, AttestError> {
    let sig_file = SigFile::new(sig)?;
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-Y", "find-principals", "-f"])
        .arg(allowed)
        .arg("-s")
        .arg(sig_file.path());
    let out = run(&mut cmd, b"", None).map_err(Ran::into_verify_error)?;
    // Exit 0 with the principals, one a line; anything else: none matched (its message
    // says so, or names a broken file, which `verify` then reports).
    Ok(if out.status.success() {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    } else {
        Vec::new()
    })
}

/// `Ok(Ok(()))` when `sig` is `principal`'s signature of `data` in witness's namespace;
/// `Ok(Err(ssh-keygen's words))` when it is not.
pub(crate) fn verify(
    allowed: &Path,
    principal: &str,
    sig: &SshSig,
    data: &[u8],
) -> Result<Result<(), String>, AttestError> {
    let sig_file = SigFile::new(sig)?;
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-Y", "verify", "-n", NAMESPACE, "-I", principal, "-f"])
        .arg(allowed)
        .arg("-s")
        .arg(sig_file.path());
    let out = run(&mut cmd, data, None).map_err(Ran::into_verify_error)?;
    Ok(if out.status.success() {
        Ok(())
    } else {
        Err(stderr_of(&out))
    })
}

/// The signature in a temporary file, for ssh-keygen's `-s`.
struct SigFile(tempfile::NamedTempFile);

impl SigFile {
    fn new(sig: &SshSig) -> Result<Self, AttestError> {
        let mut f = tempfile::NamedTempFile::new().map_err(|source| AttestError::Io {
            action: "create a temporary file in",
            path: std::env::temp_dir(),
            source,
        })?;
        f.write_all(sig.armored().as_bytes())
            .map_err(|source| AttestError::Io {
                action: "write",
                path: f.path().to_path_buf(),
                source,
            })?;
        Ok(SigFile(f))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

enum Ran {
    Spawn(std::io::Error),
    Deadline,
}

impl Ran {
    fn into_verify_error(self) -> AttestError {
        match self {
            Ran::Spawn(source) => AttestError::SshKeygen(source),
            // Verification runs without a deadline (nothing it does waits for a person).
            Ran::Deadline => AttestError::Keygen {
                mode: "verify",
                stderr: "it did not finish".into(),
            },
        }
    }
}

/// Run ssh-keygen with `input` on stdin (a few kilobytes: it reads them whole before it
/// writes), its outputs captured; killed at the deadline, if any.
fn run(
    cmd: &mut Command,
    input: &[u8],
    deadline: Option<Duration>,
) -> Result<std::process::Output, Ran> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(Ran::Spawn)?;
    if let Some(mut stdin) = child.stdin.take() {
        // A child that exits without reading (a bad key file) closes the pipe: its status
        // and stderr say why, not this write's error.
        let _ = stdin.write_all(input);
    }
    if let Some(d) = deadline
        && child.wait_timeout(d).map_err(Ran::Spawn)?.is_none()
    {
        let _ = child.kill();
        let _ = child.wait();
        return Err(Ran::Deadline);
    }
    child.wait_with_output().map_err(Ran::Spawn)
}

/// ssh-keygen's message, without its progress line ("Signing data on standard input").
fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("Signing data on standard input"))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A signature ssh-keygen 9.2 made (`printf 'DSSEv1 3 a/b 5 hello' | ssh-keygen -Y sign
    /// -n witness -f k`) reads: its key, its fingerprint as `ssh-keygen -l` gave it, and the
    /// armor written back as ssh-keygen wrote it.
    const ARMORED: &str = "-----BEGIN SSH SIGNATURE-----
U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgbAGSK8A8zW/8ooAAUyozTUCxgI
oi3YxOyiD383v/O48AAAAHd2l0bmVzcwAAAAAAAAAGc2hhNTEyAAAAUwAAAAtzc2gtZWQy
NTUxOQAAAEDoqNIHR/09y2lAciGOQr8EeG7rC/U0TrUoYDiSaz+k4yaH+og4eSvAZ74UlY
Zb3ap6cPXMrfZiSItatiAguPkC
-----END SSH SIGNATURE-----
";

    #[test]
    fn an_sshsig_reads_and_re_armors_as_ssh_keygen_writes_it() {
        let sig = SshSig::from_armored(ARMORED).unwrap();
        assert_eq!(sig.key_type(), "ssh-ed25519");
        assert_eq!(
            sig.fingerprint(),
            "SHA256:apBbj/e0g9nlQ6BHUVhBFjOvDTGg4QcNn3mRWc6nzOM"
        );
        assert_eq!(sig.armored(), ARMORED);
    }

    /// Anything that is not a whole SSHSIG blob is named for what is wrong with it.
    #[test]
    fn a_broken_blob_is_named() {
        let good = SshSig::from_armored(ARMORED).unwrap().blob;
        let mut magic = good.clone();
        magic[0] = b'X';
        let mut version = good.clone();
        version[9] = 2;
        let cases: [(Vec<u8>, &str); 4] = [
            (magic, "it does not begin with the SSHSIG magic"),
            (version, "its version is not 1"),
            (good[..good.len() - 1].to_vec(), "a field runs past its end"),
            (
                [good.clone(), vec![0]].concat(),
                "bytes follow its last field",
            ),
        ];
        for (blob, why) in cases {
            assert_eq!(SshSig::parse(blob), Err(why));
        }
    }
}
