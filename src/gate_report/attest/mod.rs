//! Evidence anyone can check: each gate run's result as a signed in-toto attestation,
//! written beside `report.json`.
//!
//! Three layers, each a published specification:
//!
//! - the **Statement** (in-toto Attestation Framework v1,
//!   <https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md>): the subjects
//!   the run judged (the reviewed commit as a `gitCommit` digest, the reviewed system's store
//!   path, the host key's fingerprint) and a predicate about them ([`statement`]);
//! - the **predicate**, in-toto's Test Result v0.1
//!   (<https://github.com/in-toto/attestation/blob/main/spec/predicates/test-result.md>): the
//!   result, the scenario files as ResourceDescriptors with their sha256, the scenarios that
//!   passed and failed, and witness's own fields where the predicate has none;
//! - the **envelope**, DSSE v1.0 (<https://github.com/secure-systems-lab/dsse>, `envelope.md`
//!   and `protocol.md`): the Statement as its payload (`application/vnd.in-toto+json`), signed
//!   over DSSE's pre-authentication encoding ([`dsse`]), the signature an OpenSSH SSHSIG
//!   (<https://github.com/openssh/openssh-portable/blob/master/PROTOCOL.sshsig>) made and
//!   checked by `ssh-keygen -Y` itself, namespace [`NAMESPACE`] ([`sshsig`]).
//!
//! [`seal`] writes them at the end of a gate run; [`verify`] checks them (`witness verify`,
//! `witness diff --allowed-signers`).

mod dsse;
mod seal;
mod sshsig;
pub mod statement;
pub mod verify;

pub use seal::{ENVELOPE_FILE, STATEMENT_FILE};
pub(crate) use seal::{Sealed, seal};
pub use sshsig::NAMESPACE;
