//! Checking an attestation cold (`witness verify`, `witness diff --allowed-signers`): the
//! envelope's signature by OpenSSH against an `allowed_signers` file (who signed it), the
//! payload an in-toto Statement of witness's test result, and the scenario files of the
//! checkout it runs in re-hashed against the ones the run used.
//!
//! DSSE's verification order (`protocol.md`, "To verify"): decode, verify the signature over
//! `PAE(payloadType, payload)`, then the payload type, then parse the payload. Every signature
//! of the envelope must verify (witness writes one; a second one that does not is not
//! ignored).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::dsse::{self, Envelope, PAYLOAD_TYPE, pae};
use super::seal::ENVELOPE_FILE;
use super::sshsig::{self, NAMESPACE, SshSig};
use super::statement::{STATEMENT_TYPE, Statement, TEST_RESULT_TYPE};
use crate::error::{AttestError, Mismatch, Rejection};

/// Who signed: the principal allowed_signers names for the signature's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub principal: String,
    pub key_type: String,
    pub fingerprint: String,
}

impl std::fmt::Display for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({} key {})",
            self.principal, self.key_type, self.fingerprint
        )
    }
}

/// An envelope whose every signature verified, and the Statement it carries.
#[derive(Debug, Clone)]
pub struct Opened {
    pub signers: Vec<Signer>,
    pub statement: Statement,
}

impl Opened {
    /// The signers, for a line: `alice (ssh-ed25519 key SHA256:…)`.
    pub fn signed_by(&self) -> String {
        self.signers
            .iter()
            .map(Signer::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Read `envelope_file` and check its signatures against `allowed`.
pub fn open(envelope_file: &Path, allowed: &Path) -> Result<Opened, AttestError> {
    let io = |action, path: &Path| {
        let path = path.to_path_buf();
        move |source| AttestError::Io {
            action,
            path,
            source,
        }
    };
    std::fs::metadata(allowed).map_err(io("read the allowed signers file", allowed))?;
    let text = std::fs::read_to_string(envelope_file).map_err(io("read", envelope_file))?;
    let envelope: Envelope =
        serde_json::from_str(&text).map_err(|source| AttestError::NotAnEnvelope {
            file: envelope_file.to_path_buf(),
            source,
        })?;
    let reject = |problem| AttestError::Rejected {
        file: envelope_file.to_path_buf(),
        problem,
    };
    let body = envelope.body().map_err(reject)?;
    let signers = signers(&envelope, &body, allowed, envelope_file)?;
    let statement = statement_of(&envelope.payload_type, &body).map_err(reject)?;
    Ok(Opened { signers, statement })
}

/// Every signature of the envelope, each verified over `PAE(payloadType, body)`.
fn signers(
    envelope: &Envelope,
    body: &[u8],
    allowed: &Path,
    envelope_file: &Path,
) -> Result<Vec<Signer>, AttestError> {
    let reject = |problem| AttestError::Rejected {
        file: envelope_file.to_path_buf(),
        problem,
    };
    if envelope.signatures.is_empty() {
        return Err(reject(Rejection::NoSignature));
    }
    let signed = pae(&envelope.payload_type, body);
    let mut signers = Vec::new();
    for (i, s) in envelope.signatures.iter().enumerate() {
        let index = i + 1;
        let sig = dsse::decode(&format!("signature {index}"), &s.sig).map_err(reject)?;
        let sig = SshSig::parse(sig).map_err(|why| reject(Rejection::NotSshsig { index, why }))?;
        let one = Signed {
            index,
            keyid: &s.keyid,
            principals: sshsig::principals(allowed, &sig)?,
            sig: &sig,
        };
        let checked = one.check(allowed, &signed, body)?;
        signers.push(checked.map_err(|r| reject(beside(r, envelope_file, body)))?);
    }
    Ok(signers)
}

/// The payload, once its signatures hold: of the in-toto type, an in-toto Statement v1 of
/// the Test Result predicate.
fn statement_of(payload_type: &str, body: &[u8]) -> Result<Statement, Rejection> {
    if payload_type != PAYLOAD_TYPE {
        return Err(Rejection::PayloadType {
            found: payload_type.to_string(),
            expected: PAYLOAD_TYPE,
        });
    }
    let statement: Statement = serde_json::from_slice(body).map_err(Rejection::NotAStatement)?;
    for (found, expected) in [
        (&statement.type_, STATEMENT_TYPE),
        (&statement.predicate_type, TEST_RESULT_TYPE),
    ] {
        if found != expected {
            return Err(Rejection::StatementType {
                found: found.clone(),
                expected,
            });
        }
    }
    Ok(statement)
}

/// A signature that does not match: say, when the run's Statement file is beside the
/// envelope (its report directory), which of the two differs from what was written.
fn beside(r: Rejection, envelope_file: &Path, body: &[u8]) -> Rejection {
    let Rejection::BadSignature(mut m) = r else {
        return r;
    };
    let file = envelope_file
        .parent()
        .unwrap_or(Path::new("."))
        .join(super::seal::STATEMENT_FILE);
    m.beside = match std::fs::read(&file) {
        Ok(written) if written == body => format!(
            "; the payload is the bytes of {} beside it, so the signature is what changed",
            file.display()
        ),
        Ok(written) => {
            let at = written
                .iter()
                .zip(body)
                .position(|(a, b)| a != b)
                .unwrap_or(written.len().min(body.len()));
            format!(
                "; the payload differs from {} beside it from byte {at} on ({} bytes there, {} here)",
                file.display(),
                written.len(),
                body.len()
            )
        }
        Err(_) => String::new(),
    };
    Rejection::BadSignature(m)
}

/// One signature of the envelope, and the principals allowed_signers has for its key.
struct Signed<'a> {
    index: usize,
    keyid: &'a str,
    sig: &'a SshSig,
    principals: Vec<String>,
}

impl Signed<'_> {
    /// Its key must be allowed, and it must verify for a principal of that key; otherwise
    /// the rejection says which (exit 1). An error: ssh-keygen could not be asked (exit 2).
    fn check(
        self,
        allowed: &Path,
        signed: &[u8],
        body: &[u8],
    ) -> Result<Result<Signer, Rejection>, AttestError> {
        let fingerprint = self.sig.fingerprint();
        if self.principals.is_empty() {
            let keyid = Some(self.keyid).filter(|k| !k.is_empty());
            return Ok(Err(Rejection::UnknownKey {
                index: self.index,
                fingerprint,
                keyid: keyid.unwrap_or("nothing").to_string(),
                allowed: allowed.to_path_buf(),
            }));
        }
        let mut said = String::new();
        for principal in &self.principals {
            match sshsig::verify(allowed, principal, self.sig, signed)? {
                Ok(()) => {
                    return Ok(Ok(Signer {
                        principal: principal.clone(),
                        key_type: self.sig.key_type(),
                        fingerprint,
                    }));
                }
                Err(stderr) => said = stderr,
            }
        }
        Ok(Err(Rejection::BadSignature(Box::new(Mismatch {
            beside: String::new(),
            index: self.index,
            principal: self.principals.join(","),
            fingerprint,
            payload_sha256: format!("{:x}", Sha256::digest(body)),
            len: body.len(),
            stderr: said,
        }))))
    }
}

/// One scenario file, the run's against this checkout's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileCheck {
    Same,
    Changed {
        run: String,
        here: String,
    },
    /// The run used it; this checkout has no such file.
    Missing,
    /// This checkout has it; the run did not use it.
    Added,
}

/// A signed attestation, opened, with the checkout's scenario files compared.
#[derive(Debug, Clone)]
pub struct Verified {
    pub opened: Opened,
    pub checkout: PathBuf,
    pub files: BTreeMap<String, FileCheck>,
}

impl Verified {
    /// Every scenario file of the checkout is one the run used, unchanged, and none is missing.
    pub fn files_match(&self) -> bool {
        self.files.values().all(|c| *c == FileCheck::Same)
    }
}

/// `witness verify`: open the envelope, then re-hash the gate's scenario files under `root`.
pub fn verify(envelope_file: &Path, allowed: &Path, root: &Path) -> Result<Verified, AttestError> {
    let opened = open(envelope_file, allowed)?;
    let run = &opened.statement.predicate;
    let here = super::super::identity::scenario_hashes(root, &run.witness_run.gate);
    let mut files = BTreeMap::new();
    for d in &run.configuration {
        let Some(sha) = d.digest.get("sha256") else {
            continue;
        };
        let check = match here.get(&d.name) {
            Some(h) if h == sha => FileCheck::Same,
            Some(h) => FileCheck::Changed {
                run: sha.clone(),
                here: h.clone(),
            },
            None => FileCheck::Missing,
        };
        files.insert(d.name.clone(), check);
    }
    for path in here.keys() {
        files.entry(path.clone()).or_insert(FileCheck::Added);
    }
    Ok(Verified {
        opened,
        checkout: root.to_path_buf(),
        files,
    })
}

/// `witness diff --allowed-signers`: the signed attestation beside `report_file`, checked,
/// and bound to that very report (its sha256 is in the signed Statement). `None`: there is
/// no envelope beside it.
pub fn signed_report(report_file: &Path, allowed: &Path) -> Result<Option<Opened>, AttestError> {
    let dir = report_file.parent().unwrap_or(Path::new("."));
    let envelope_file = dir.join(ENVELOPE_FILE);
    if !envelope_file.exists() {
        return Ok(None);
    }
    let opened = open(&envelope_file, allowed)?;
    let bytes = std::fs::read(report_file).map_err(|source| AttestError::Io {
        action: "read",
        path: report_file.to_path_buf(),
        source,
    })?;
    let actual = format!("{:x}", Sha256::digest(&bytes));
    let signed = opened
        .statement
        .predicate
        .witness_run
        .report
        .digest
        .get("sha256")
        .cloned()
        .unwrap_or_default();
    if actual != signed {
        return Err(AttestError::Rejected {
            file: report_file.to_path_buf(),
            problem: Rejection::ReportNotSigned { actual, signed },
        });
    }
    Ok(Some(opened))
}

/// The check as a person reads it, ending in `VERIFIED` or `NOT VERIFIED: …`.
pub fn render(envelope_label: &str, v: &Verified) -> String {
    let mut m = format!("witness verify: {envelope_label}\n");
    let _ = writeln!(
        m,
        "  signed by {} (SSH signature, namespace {NAMESPACE})",
        v.opened.signed_by()
    );
    m.push_str(&run_lines(&v.opened.statement));
    let differ: Vec<(&String, &FileCheck)> = v
        .files
        .iter()
        .filter(|(_, c)| **c != FileCheck::Same)
        .collect();
    if differ.is_empty() {
        let _ = writeln!(
            m,
            "  scenario files: the {} the run used, unchanged in {}",
            v.files.len(),
            v.checkout.display()
        );
        m.push_str("VERIFIED\n");
        return m;
    }
    let _ = writeln!(
        m,
        "  scenario files: {} of {} differ from the run's, in {}:",
        differ.len(),
        v.files.len(),
        v.checkout.display()
    );
    for (path, c) in differ {
        let what = match c {
            FileCheck::Changed { run, here } => {
                format!("changed (the run's sha256 {run}, this checkout's {here})")
            }
            FileCheck::Missing => "the run used it; this checkout has none".into(),
            FileCheck::Added => "in this checkout; the run did not use it".into(),
            FileCheck::Same => continue,
        };
        let _ = writeln!(m, "    {path}: {what}");
    }
    m.push_str("NOT VERIFIED: the scenario files of this checkout are not the ones the run used\n");
    m
}

/// What the run attests: who ran which gate where, its verdict, when, and its subjects.
fn run_lines(s: &Statement) -> String {
    let (p, w) = (&s.predicate, &s.predicate.witness_run);
    let mut m = format!(
        "  the run: gate {} on target {}, role {}: {} (test result {}: {} passed, {} failed, {} not witnessed, {} skipped), {} to {}, witness {} ({})\n",
        w.gate,
        w.target,
        w.role.as_deref().unwrap_or("unset"),
        w.verdict,
        p.result,
        p.passed_tests.len(),
        p.failed_tests.len(),
        w.not_witnessed_tests.len(),
        w.skipped_tests.len(),
        w.started_utc,
        w.ended_utc,
        w.witness_version,
        w.witness_commit.as_deref().unwrap_or("commit unknown"),
    );
    for d in s.subjects() {
        let digests: Vec<String> = d.digest.iter().map(|(k, x)| format!("{k}:{x}")).collect();
        let _ = writeln!(m, "  subject: {} {}", d.name, digests.join(" "));
    }
    m
}
