//! The in-toto Statement v1 of a gate run, with the Test Result v0.1 predicate: serde types
//! of the published shapes, and how a run's report fills them.
//!
//! ```text
//! Statement { _type: "https://in-toto.io/Statement/v1", subject: [ResourceDescriptor],
//!             predicateType: "https://in-toto.io/attestation/test-result/v0.1", predicate }
//! predicate { result: PASSED|WARNED|FAILED, configuration: [ResourceDescriptor],
//!             passedTests, warnedTests, failedTests, witnessRun }
//! ```
//!
//! **Subjects** (in-toto's `statement.md`: "each element MUST have `digest` set"): the reviewed
//! commit (`head_commit`, else the flake checkout's HEAD) as a `gitCommit` digest; the reviewed
//! system (`reviewed_system`) and, when it differs, the running one, by their store paths; the
//! SSH host key witness verified, as the `sha256` of its public key blob (what its `SHA256:`
//! fingerprint encodes). A store path has no digest of the registry (`digest_set.md`), so it
//! takes one of witness's own, as the registry allows when documented: **`nixStorePathHash`**,
//! the 32 characters of the path's hash part, in Nix's base-32 as the path spells them.
//!
//! **The predicate's fields, honestly** (and the monotonic principle of in-toto's parsing
//! rules: ignoring a witness field never turns a deny into an allow): `result` is `PASSED` only
//! for a gate that PASSED; `WARNED` for INCOMPLETE (every claim that ran holds, some did not
//! run); `FAILED` for FAILED and for NOT WITNESSED. `passedTests` and `failedTests` are the
//! scenarios that passed and whose claim is broken; `warnedTests` stays empty (witness has no
//! warnings). What the predicate has no field for is in `witnessRun`: the closing word, the
//! scenarios not witnessed (error, refused) and skipped, the role, witness's version and
//! commit, the run, and the `report.json` this attestation belongs to (its sha256).

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::gate_report::wire::{Report, Verdict};

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const TEST_RESULT_TYPE: &str = "https://in-toto.io/attestation/test-result/v0.1";
/// witness's digest algorithm for a Nix store path (see the module's docs).
pub(crate) const NIX_STORE_PATH_HASH: &str = "nixStorePathHash";

/// An in-toto Statement v1 whose predicate is a Test Result. Unknown fields are ignored when
/// read (in-toto's parsing rules), none is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub(crate) type_: String,
    pub(crate) subject: Vec<ResourceDescriptor>,
    #[serde(rename = "predicateType")]
    pub(crate) predicate_type: String,
    pub predicate: TestResult,
}

/// in-toto's ResourceDescriptor (`spec/v1/resource_descriptor.md`), the fields witness uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDescriptor {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default)]
    pub digest: BTreeMap<String, String>,
}

/// The Test Result predicate v0.1, and witness's extension field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestResult {
    pub result: String,
    pub configuration: Vec<ResourceDescriptor>,
    #[serde(default)]
    pub passed_tests: Vec<String>,
    #[serde(default)]
    pub warned_tests: Vec<String>,
    #[serde(default)]
    pub failed_tests: Vec<String>,
    pub witness_run: WitnessRun,
}

/// What the predicate has no field for (an extension field, named so that it collides with
/// no other producer's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WitnessRun {
    /// The gate's closing word: PASSED, FAILED, NOT WITNESSED or INCOMPLETE.
    pub verdict: String,
    pub gate: String,
    pub target: String,
    pub complete: bool,
    /// Scenarios that could not be witnessed (error) or were refused: never a broken claim.
    pub not_witnessed_tests: Vec<String>,
    pub skipped_tests: Vec<String>,
    pub role: Option<String>,
    pub witness_version: String,
    pub witness_commit: Option<String>,
    pub run_id: String,
    pub started_utc: String,
    pub ended_utc: String,
    /// The `report.json` written with this attestation, by its sha256.
    pub report: ResourceDescriptor,
}

impl Statement {
    /// The Statement of a run, from its report and the bytes of its `report.json`.
    pub(crate) fn of_report(r: &Report, report_json: &[u8]) -> Statement {
        let verdict = super::super::headline(r);
        let result = match verdict {
            "PASSED" => "PASSED",
            "INCOMPLETE" => "WARNED",
            _ => "FAILED",
        };
        Statement {
            type_: STATEMENT_TYPE.into(),
            subject: subjects(r),
            predicate_type: TEST_RESULT_TYPE.into(),
            predicate: TestResult {
                result: result.into(),
                configuration: r
                    .identity
                    .scenario_files
                    .iter()
                    .map(|(path, sha)| descriptor(path, "sha256", sha))
                    .collect(),
                passed_tests: named(r, &[Verdict::Passed]),
                warned_tests: Vec::new(),
                failed_tests: named(r, &[Verdict::Failed]),
                witness_run: WitnessRun::of_report(r, verdict, report_json),
            },
        }
    }

    pub(crate) fn subjects(&self) -> &[ResourceDescriptor] {
        &self.subject
    }
}

impl WitnessRun {
    fn of_report(r: &Report, verdict: &str, report_json: &[u8]) -> WitnessRun {
        let id = &r.identity;
        WitnessRun {
            verdict: verdict.into(),
            gate: r.gate.clone(),
            target: r.target.clone(),
            complete: r.complete,
            not_witnessed_tests: named(r, &[Verdict::Error, Verdict::Refused]),
            skipped_tests: named(r, &[Verdict::Skipped]),
            role: id.role.clone(),
            witness_version: id.witness_version.clone(),
            witness_commit: id.witness_commit.clone(),
            run_id: id.run_id.clone(),
            started_utc: id.started_utc.clone(),
            ended_utc: id.ended_utc.clone(),
            report: descriptor(
                "report.json",
                "sha256",
                &format!("{:x}", Sha256::digest(report_json)),
            ),
        }
    }
}

/// The scenarios of the report whose verdict is one of `verdicts`.
fn named(r: &Report, verdicts: &[Verdict]) -> Vec<String> {
    r.scenarios
        .iter()
        .filter(|s| verdicts.contains(&s.verdict))
        .map(|s| s.name.clone())
        .collect()
}

fn descriptor(name: &str, algorithm: &str, value: &str) -> ResourceDescriptor {
    ResourceDescriptor {
        name: name.to_string(),
        digest: [(algorithm.to_string(), value.to_string())].into(),
    }
}

/// What the run judged, each with a digest; a fact the run could not read is left out.
fn subjects(r: &Report) -> Vec<ResourceDescriptor> {
    let id = &r.identity;
    let mut out = Vec::new();
    let commit = id
        .reviewed
        .get("head_commit")
        .map(|c| ("head_commit", c))
        .or_else(|| id.flake_commit.as_ref().map(|c| ("flake_commit", c)));
    if let Some((name, c)) = commit
        && matches!(c.len(), 40 | 64)
        && c.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        out.push(descriptor(name, "gitCommit", c));
    }
    let reviewed = id.reviewed.get("reviewed_system");
    for (name, path) in [
        ("reviewed_system", reviewed),
        ("current_system", id.current_system.as_ref()),
    ] {
        if let Some(path) = path
            && (name == "reviewed_system" || Some(path) != reviewed)
            && let Some(hash) = store_path_hash(path)
        {
            out.push(descriptor(path, NIX_STORE_PATH_HASH, hash));
        }
    }
    if let Some(hex) = id.host_key.as_deref().and_then(host_key_sha256) {
        out.push(descriptor("ssh host key", "sha256", &hex));
    }
    out
}

/// The hash part of `/nix/store/<32 chars>-<name>`.
fn store_path_hash(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/nix/store/")?;
    let hash = rest.get(..32)?;
    (rest.as_bytes().get(32) == Some(&b'-') && hash.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then_some(hash)
}

/// `SHA256:<base64> (Ed25519)`, as the report has it → the digest in lowercase hex.
fn host_key_sha256(fingerprint: &str) -> Option<String> {
    let b64 = fingerprint.strip_prefix("SHA256:")?.split(' ').next()?;
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(b64.trim_end_matches('='))
        .ok()?;
    (bytes.len() == 32).then(|| bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate_report::wire::{Identity, Scenario};

    fn scenario(name: &str, verdict: Verdict) -> Scenario {
        Scenario {
            name: name.into(),
            file: String::new(),
            title: String::new(),
            claim: String::new(),
            verdict,
            message: None,
            steps: vec![],
            evidence: None,
        }
    }

    const SYSTEM: &str = "/nix/store/s082w0pl51kwnfg87y1xfcs9mz7lyv84-nixos-system-twin";
    const HEAD: &str = "706631bbc58071a89c67ffb978f8d44045faceff";

    /// A run's report (counts and completeness as the runner derives them).
    fn report(verdicts: &[(&str, Verdict)]) -> Report {
        let identity = Identity {
            host_key: Some("SHA256:6qWkjUJCzAUlnzUBkKBEz0jJASl5ZmFyoZ5itA4ylOY (Ed25519)".into()),
            current_system: Some(SYSTEM.into()),
            flake_commit: Some(HEAD.into()),
            reviewed: [("head_commit", HEAD), ("reviewed_system", SYSTEM)]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into(),
            scenario_files: [("scenarios/m1/c1.toml".to_string(), "ab".repeat(32))].into(),
            witness_version: "0.1.0".into(),
            witness_commit: Some("1234".into()),
            role: Some("adversary".into()),
            run_id: "run-1".into(),
            started_utc: "2026-12-06T06:05:25Z".into(),
            ended_utc: "2026-12-06T06:05:32Z".into(),
            ..Identity::default()
        };
        let scenarios = verdicts.iter().map(|(n, v)| scenario(n, *v)).collect();
        crate::gate_report::assemble("m1", "twin", verdicts.len(), identity, scenarios, vec![])
    }

    /// The whole Statement of a passed run, in the shape of the Test Result spec's example:
    /// the commit as `gitCommit`, the store path by its hash part (the running system the same
    /// as the reviewed one, so once), the host key's SHA256 fingerprint as hex.
    #[test]
    fn a_passed_run_is_a_passed_test_result() {
        let s = Statement::of_report(&report(&[("m1::c1", Verdict::Passed)]), b"{}\n");
        insta::assert_snapshot!(serde_json::to_string_pretty(&s).unwrap());
    }

    /// A not-witnessed scenario never reads as passed or as a broken claim: the result is
    /// FAILED (a policy ignoring `witnessRun` denies), the scenario in `notWitnessedTests`.
    #[test]
    fn each_verdict_maps_to_the_predicate_honestly() {
        let cases = [
            (vec![("a", Verdict::Passed)], "PASSED", "PASSED"),
            (
                vec![("a", Verdict::Passed), ("b", Verdict::Skipped)],
                "WARNED",
                "INCOMPLETE",
            ),
            (
                vec![("a", Verdict::Passed), ("b", Verdict::Error)],
                "FAILED",
                "NOT WITNESSED",
            ),
            (vec![("a", Verdict::Refused)], "FAILED", "NOT WITNESSED"),
            (
                vec![("a", Verdict::Failed), ("b", Verdict::Error)],
                "FAILED",
                "FAILED",
            ),
        ];
        for (verdicts, result, word) in cases {
            let p = Statement::of_report(&report(&verdicts), b"").predicate;
            assert_eq!(
                (p.result.as_str(), p.witness_run.verdict.as_str()),
                (result, word)
            );
            let listed = p.passed_tests.len()
                + p.failed_tests.len()
                + p.witness_run.not_witnessed_tests.len()
                + p.witness_run.skipped_tests.len();
            assert_eq!(listed, verdicts.len(), "every scenario in exactly one list");
            assert!(p.warned_tests.is_empty());
        }
    }

    /// A fact that is not what its digest needs (a short commit, not a store path, no host
    /// key on a local target) is left out, never given a made-up digest.
    #[test]
    fn a_subject_without_a_real_digest_is_left_out() {
        let mut r = report(&[]);
        r.identity
            .reviewed
            .insert("head_commit".into(), "706631b".into());
        r.identity.flake_commit = None;
        r.identity.reviewed.remove("reviewed_system");
        r.identity.current_system = Some("/run/current-system".into());
        r.identity.host_key = None;
        assert_eq!(Statement::of_report(&r, b"").subject, vec![]);
    }
}

#[cfg(test)]
mod spec_shape {
    use super::*;

    /// The Test Result spec's own example (`spec/predicates/test-result.md`, "Example",
    /// its lists shortened): every field it has, witness's Statement has under the same name,
    /// and the example's subject is a descriptor of the same shape.
    const SPEC_EXAMPLE: &str = r#"{
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{ "digest": { "gitCommit": "d20ace7968ba43c0219f62d71334c1095bab1602" } }],
        "predicateType": "https://in-toto.io/attestation/test-result/v0.1",
        "predicate": {
            "result": "PASSED",
            "configuration": [{
                "name": ".github/workflows/ci.yml",
                "downloadLocation": "https://github.com/in-toto/in-toto/blob/d20ace7968ba43c0219f62d71334c1095bab1602/.github/workflows/ci.yml",
                "digest": { "gitBlob": "ebe4add40f63c3c98bc9b32ff1e736f04120b023" }
            }],
            "url": "https://github.com/in-toto/in-toto/actions/runs/4425592351",
            "passedTests": ["build (3.7, ubuntu-latest, py)"],
            "warnedTests": [],
            "failedTests": []
        }
    }"#;

    #[test]
    fn the_fields_are_the_specs() {
        let example: serde_json::Value = serde_json::from_str(SPEC_EXAMPLE).unwrap();
        let r = crate::gate_report::assemble(
            "m1",
            "twin",
            0,
            crate::gate_report::wire::Identity::default(),
            vec![],
            vec![],
        );
        let ours = serde_json::to_value(Statement::of_report(&r, b"")).unwrap();
        let keys = |v: &serde_json::Value| -> Vec<String> {
            v.as_object().unwrap().keys().cloned().collect()
        };
        for k in keys(&example) {
            assert!(ours.get(&k).is_some(), "statement field {k}");
        }
        // `url` is optional and witness has none to give (a run is not a web page).
        for k in keys(&example["predicate"]) {
            assert!(
                k == "url" || ours["predicate"].get(&k).is_some(),
                "predicate field {k}"
            );
        }
        assert_eq!(ours["_type"], example["_type"]);
        assert_eq!(ours["predicateType"], example["predicateType"]);
        let subject: ResourceDescriptor =
            serde_json::from_value(example["subject"][0].clone()).unwrap();
        assert_eq!(
            subject.digest["gitCommit"],
            "d20ace7968ba43c0219f62d71334c1095bab1602"
        );
    }
}
