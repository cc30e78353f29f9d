//! The end of a gate run: its in-toto Statement written beside `report.json`
//! ([`STATEMENT_FILE`]) and, with `WITNESS_SIGNING_KEY`, signed into a DSSE envelope
//! ([`ENVELOPE_FILE`]). The Statement file holds exactly the bytes the envelope's payload
//! carries. Called with the report's lock held, right after `report.json` is written, so the
//! pair always belongs together (under nextest every process re-renders and re-seals).

use std::path::Path;

use super::dsse::{Envelope, PAYLOAD_TYPE, pae};
use super::sshsig;
use super::statement::Statement;
use crate::config::RunConfig;
use crate::error::AttestError;
use crate::gate_report::wire::Report;

/// The unsigned Statement, beside report.json.
pub const STATEMENT_FILE: &str = "attestation.intoto.json";
/// The signed DSSE envelope, beside report.json (only when the run was signed).
pub const ENVELOPE_FILE: &str = "attestation.dsse.json";

/// What became of the run's attestation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sealed {
    /// Signed with the key of this fingerprint (`SHA256:…`) and type.
    Signed {
        fingerprint: String,
        key_type: String,
    },
    /// No key configured: the Statement alone.
    Unsigned,
}

/// Write the Statement of `report` (whose `report.json` is in `out_dir`) and, with a key,
/// its signed envelope. A stale envelope of an earlier run is removed first, so an unsigned
/// or failed signing never leaves another run's signature beside this report.
pub(crate) fn seal(
    cfg: &RunConfig,
    out_dir: &Path,
    report: &Report,
) -> Result<Sealed, AttestError> {
    let report_file = out_dir.join("report.json");
    let report_json = std::fs::read(&report_file).map_err(|source| AttestError::Io {
        action: "read",
        path: report_file.clone(),
        source,
    })?;
    let statement = Statement::of_report(report, &report_json);
    let statement_file = out_dir.join(STATEMENT_FILE);
    let mut body = serde_json::to_vec_pretty(&statement).map_err(|source| AttestError::Json {
        path: statement_file.clone(),
        source,
    })?;
    body.push(b'\n');
    write(&statement_file, &body)?;
    let envelope_file = out_dir.join(ENVELOPE_FILE);
    match std::fs::remove_file(&envelope_file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(AttestError::Io {
                action: "remove the stale",
                path: envelope_file,
                source: e,
            });
        }
        _ => {}
    }
    let Some(key) = &cfg.signing_key else {
        return Ok(Sealed::Unsigned);
    };
    let sig = sshsig::sign(key, &pae(PAYLOAD_TYPE, &body))?;
    let envelope = Envelope::new(PAYLOAD_TYPE, &body, &sig.fingerprint(), sig.bytes());
    let mut text = serde_json::to_vec_pretty(&envelope).map_err(|source| AttestError::Json {
        path: envelope_file.clone(),
        source,
    })?;
    text.push(b'\n');
    write(&envelope_file, &text)?;
    Ok(Sealed::Signed {
        fingerprint: sig.fingerprint(),
        key_type: sig.key_type(),
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), AttestError> {
    crate::atomic_file::write(path, bytes).map_err(|source| AttestError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}
