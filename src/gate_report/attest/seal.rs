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
    let statement_file = out_dir.join(STATEMENT_FILE);
    let body = json(&statement_file, &Statement::of_report(report, &report_json))?;
    write(&statement_file, &body)?;
    let envelope_file = out_dir.join(ENVELOPE_FILE);
    remove_stale(&envelope_file)?;
    let Some(key) = &cfg.signing_key else {
        return Ok(Sealed::Unsigned);
    };
    let sig = sshsig::sign(key, &pae(PAYLOAD_TYPE, &body))?;
    let envelope = Envelope::new(PAYLOAD_TYPE, &body, &sig.fingerprint(), sig.bytes());
    write(&envelope_file, &json(&envelope_file, &envelope)?)?;
    Ok(Sealed::Signed {
        fingerprint: sig.fingerprint(),
        key_type: sig.key_type(),
    })
}

/// Pretty JSON and a final newline: the bytes written (and, for the Statement, signed).
fn json<T: serde::Serialize>(path: &Path, value: &T) -> Result<Vec<u8>, AttestError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|source| AttestError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn remove_stale(path: &Path) -> Result<(), AttestError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(AttestError::Io {
            action: "remove the stale",
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), AttestError> {
    crate::atomic_file::write(path, bytes).map_err(|source| AttestError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}
