//! `evidence diff A B`: where two runs of a gate disagree — the builder's and the
//! adversary's, or tonight's and the reviewed one. Pure: two reports in, the differences
//! out; `cargo xtask evidence diff` is the command around it.
//!
//! Two runs **agree** when, scenario by scenario, they reached the same verdict with the
//! same evidence lines (in order), and they witnessed the same claim on the same system:
//! the identity fields in [`MUST_AGREE`]. Everything else about a run — who ran it, when,
//! its run id, the SSH session and host key it verified, the witness build — is expected to
//! differ between two honest runs and is shown as a note, never a disagreement. (The host
//! key is a note because the same system may be reached under another name or after a key
//! rotation; the running system's store path is what says it is the same system.)

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use similar::{ChangeTag, capture_diff_slices};

use super::wire::{Identity, Report, Scenario};

/// Read a gate run's `report.json` (the file, or the directory holding it), refusing any
/// other schema than this witness writes.
pub fn read(
    p: &std::path::Path,
) -> Result<(std::path::PathBuf, Report), crate::error::ReportError> {
    use crate::error::ReportError;
    let file = if p.is_dir() {
        p.join("report.json")
    } else {
        p.to_path_buf()
    };
    let text =
        std::fs::read_to_string(&file).map_err(|e| ReportError::io("read", file.clone(), e))?;
    let report: Report = serde_json::from_str(&text).map_err(|source| ReportError::NotAReport {
        file: file.clone(),
        schema: super::wire::SCHEMA,
        source,
    })?;
    if report.schema != super::wire::SCHEMA {
        return Err(ReportError::OtherSchema {
            file,
            found: report.schema,
            reads: super::wire::SCHEMA,
        });
    }
    Ok((file, report))
}

/// The identity fields two runs must share to witness the same claim on the same system.
pub(crate) const MUST_AGREE: &[&str] = &[
    "/run/current-system",
    "/run/booted-system",
    "flake commit",
    "reviewed variables",
    "scenario files",
];

/// One difference between run A and run B.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// `identity`, `gate` or the scenario's name.
    pub(crate) scope: String,
    pub what: String,
    pub(crate) a: String,
    pub(crate) b: String,
}

/// The outcome of comparing two runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// What makes the runs disagree; empty when they agree.
    pub(crate) disagreements: Vec<Difference>,
    /// Fields that differ, as two honest runs' do.
    pub notes: Vec<Difference>,
}

impl Comparison {
    pub fn agree(&self) -> bool {
        self.disagreements.is_empty()
    }

    /// The scenarios the runs disagree on, each once, in order.
    pub fn scenarios(&self) -> Vec<&str> {
        let mut seen = BTreeSet::new();
        self.disagreements
            .iter()
            .map(|d| d.scope.as_str())
            .filter(|s| !matches!(*s, "identity" | "gate") && seen.insert(*s))
            .collect()
    }
}

const ABSENT: &str = "(absent)";
const NOT_READ: &str = "(not read)";
const NOT_RUN: &str = "(not run)";

pub fn compare(a: &Report, b: &Report) -> Comparison {
    let mut c = Comparison::default();
    push(&mut c.disagreements, "gate", "gate", &a.gate, &b.gate);
    identity(&a.identity, &b.identity, &mut c);
    let by_name = |r: &'_ Report| -> BTreeMap<String, Scenario> {
        r.scenarios
            .iter()
            .map(|s| (s.name.clone(), s.clone()))
            .collect()
    };
    let (sa, sb) = (by_name(a), by_name(b));
    let names: BTreeSet<&String> = sa.keys().chain(sb.keys()).collect();
    for name in names {
        match (sa.get(name), sb.get(name)) {
            (Some(x), Some(y)) => scenario(name, x, y, &mut c.disagreements),
            (Some(x), None) => push(
                &mut c.disagreements,
                name,
                "scenario",
                x.verdict.label(),
                NOT_RUN,
            ),
            (None, Some(y)) => push(
                &mut c.disagreements,
                name,
                "scenario",
                NOT_RUN,
                y.verdict.label(),
            ),
            (None, None) => {}
        }
    }
    c
}

fn push(list: &mut Vec<Difference>, scope: &str, what: &str, a: &str, b: &str) {
    if a != b {
        list.push(Difference {
            scope: scope.into(),
            what: what.into(),
            a: a.into(),
            b: b.into(),
        });
    }
}

/// Verdict, then the evidence lines as an ordered diff (a line moved or repeated counts).
fn scenario(name: &str, x: &Scenario, y: &Scenario, out: &mut Vec<Difference>) {
    push(out, name, "verdict", x.verdict.label(), y.verdict.label());
    let lines = |s: &Scenario| -> Vec<String> {
        s.steps
            .iter()
            .flat_map(|st| {
                st.evidence
                    .iter()
                    .map(move |l| format!("step {}: {l}", st.index))
            })
            .collect()
    };
    let (lx, ly) = (lines(x), lines(y));
    for op in capture_diff_slices(similar::Algorithm::Myers, &lx, &ly) {
        for change in op.iter_changes(&lx, &ly) {
            let line = change.value();
            match change.tag() {
                ChangeTag::Equal => {}
                ChangeTag::Delete => push(out, name, "evidence line", &line, ABSENT),
                ChangeTag::Insert => push(out, name, "evidence line", ABSENT, &line),
            }
        }
    }
}

fn identity(a: &Identity, b: &Identity, c: &mut Comparison) {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| NOT_READ.into());
    let must = [
        (
            MUST_AGREE[0],
            opt(&a.current_system),
            opt(&b.current_system),
        ),
        (MUST_AGREE[1], opt(&a.booted_system), opt(&b.booted_system)),
        (MUST_AGREE[2], opt(&a.flake_commit), opt(&b.flake_commit)),
    ];
    for (what, x, y) in must {
        push(&mut c.disagreements, "identity", what, &x, &y);
    }
    // Maps field by field, so the message names the variable or file that differs.
    for (what, x, y) in [
        (MUST_AGREE[3], &a.reviewed, &b.reviewed),
        (MUST_AGREE[4], &a.scenario_files, &b.scenario_files),
    ] {
        let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
        for k in keys {
            let get = |m: &BTreeMap<String, String>| m.get(k).cloned().unwrap_or(ABSENT.into());
            push(
                &mut c.disagreements,
                "identity",
                &format!("{what}: {k}"),
                &get(x),
                &get(y),
            );
        }
    }
    let may = [
        ("role", opt(&a.role), opt(&b.role)),
        ("transport", a.transport.clone(), b.transport.clone()),
        ("SSH host key", opt(&a.host_key), opt(&b.host_key)),
        (
            "witness version",
            a.witness_version.clone(),
            b.witness_version.clone(),
        ),
        (
            "witness commit",
            opt(&a.witness_commit),
            opt(&b.witness_commit),
        ),
        ("run", a.run_id.clone(), b.run_id.clone()),
        ("started", a.started_utc.clone(), b.started_utc.clone()),
    ];
    for (what, x, y) in may {
        push(&mut c.notes, "identity", what, &x, &y);
    }
}

/// The comparison as a person reads it.
pub fn render(a_label: &str, b_label: &str, c: &Comparison) -> String {
    let mut m = String::new();
    let _ = writeln!(m, "A: {a_label}\nB: {b_label}");
    if c.agree() {
        let _ = writeln!(
            m,
            "AGREE: same verdicts, same evidence, same system and claim"
        );
    } else {
        let scenarios = c.scenarios();
        let _ = writeln!(
            m,
            "DISAGREE: {} difference(s){}",
            c.disagreements.len(),
            if scenarios.is_empty() {
                String::new()
            } else {
                format!(", in {}", scenarios.join(", "))
            }
        );
        for x in &c.disagreements {
            let _ = writeln!(
                m,
                "  {} — {}:\n    A: {}\n    B: {}",
                x.scope, x.what, x.a, x.b
            );
        }
    }
    if !c.notes.is_empty() {
        let _ = writeln!(m, "expected to differ:");
        for x in &c.notes {
            let _ = writeln!(m, "  {}: A {} / B {}", x.what, x.a, x.b);
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::super::wire::{Counts, SCHEMA, Step, StepStatus, Verdict};
    use super::*;

    fn step(index: usize, status: StepStatus, evidence: &[&str]) -> Step {
        Step {
            index,
            name: format!("step {index}"),
            kind: "run".into(),
            status,
            command: "systemctl list-units --failed".into(),
            exit: Some(0),
            attempts: 1,
            duration_ms: 12,
            evidence: evidence.iter().map(|l| l.to_string()).collect(),
        }
    }

    fn scenario(name: &str, verdict: Verdict, evidence: &[&str]) -> Scenario {
        let status = if verdict == Verdict::Passed {
            StepStatus::Passed
        } else {
            StepStatus::Failed
        };
        Scenario {
            name: name.into(),
            file: format!("scenarios/{}.toml", name.replace("::", "/")),
            title: "a claim".into(),
            claim: "M2.2".into(),
            verdict,
            message: None,
            steps: vec![step(1, status, evidence)],
            evidence: None,
        }
    }

    /// A builder's M2 run: two scenarios, on one system, pinned to one commit.
    fn builder() -> Report {
        Report {
            schema: SCHEMA.into(),
            gate: "m2".into(),
            target: "cc-ci".into(),
            complete: true,
            counts: Counts::default(),
            identity: Identity {
                transport: "cc-ci (root@cc-ci:22)".into(),
                host_key: Some("SHA256:abc (Ed25519)".into()),
                current_system: Some("/nix/store/aaa-nixos-system".into()),
                booted_system: Some("/nix/store/aaa-nixos-system".into()),
                flake_commit: Some("1111".into()),
                reviewed: [("head_commit".to_string(), "1111".to_string())].into(),
                scenario_files: [("scenarios/m2/c2.toml".to_string(), "f00".to_string())].into(),
                witness_version: "0.1.0".into(),
                role: Some("builder".into()),
                run_id: "run-b".into(),
                started_utc: "2026-11-22T10:00:00Z".into(),
                ..Identity::default()
            },
            scenarios: vec![
                scenario("m2::c1_deployed", Verdict::Passed, &["system ok"]),
                scenario("m2::c2_host_healthy", Verdict::Passed, &["none failed"]),
            ],
            waivers: vec![],
            platform: vec![],
            actions: vec![],
        }
    }

    /// The same claim re-run by someone else, later: only what may differ differs.
    fn adversary() -> Report {
        let mut r = builder();
        r.identity.role = Some("adversary".into());
        r.identity.run_id = "run-a".into();
        r.identity.started_utc = "2026-11-23T08:00:00Z".into();
        r
    }

    #[test]
    fn the_same_claim_run_by_builder_and_adversary_agrees() {
        let c = compare(&builder(), &adversary());
        assert!(c.agree(), "{c:?}");
        insta::assert_snapshot!(render("builder", "adversary", &c), @r"
        A: builder
        B: adversary
        AGREE: same verdicts, same evidence, same system and claim
        expected to differ:
          role: A builder / B adversary
          run: A run-b / B run-a
          started: A 2026-11-22T10:00:00Z / B 2026-11-23T08:00:00Z
        ");
    }

    #[test]
    fn a_sabotaged_run_disagrees_naming_the_scenario() {
        let mut a = adversary();
        a.scenarios[1] = scenario(
            "m2::c2_host_healthy",
            Verdict::Failed,
            &["+ x.service (failed, NOT allowed)"],
        );
        let c = compare(&builder(), &a);
        assert_eq!(c.scenarios(), ["m2::c2_host_healthy"]);
        insta::assert_snapshot!(render("builder/report.json", "adversary/report.json", &c));
    }

    #[test]
    fn one_changed_evidence_line_is_enough_to_disagree() {
        let mut a = adversary();
        a.scenarios[0].steps[0].evidence = vec!["system changed".into()];
        let c = compare(&builder(), &a);
        assert_eq!(c.scenarios(), ["m2::c1_deployed"]);
        assert_eq!(c.disagreements.len(), 2, "{c:?}");
    }

    #[test]
    fn evidence_lines_in_another_order_disagree() {
        let mut b = builder();
        b.scenarios[0].steps[0].evidence = vec!["one".into(), "two".into()];
        let mut a = adversary();
        a.scenarios[0].steps[0].evidence = vec!["two".into(), "one".into()];
        assert!(!compare(&b, &a).agree());
    }

    #[test]
    fn another_system_or_claim_disagrees_even_with_the_same_verdicts() {
        let mut a = adversary();
        a.identity.current_system = Some("/nix/store/bbb-nixos-system".into());
        a.identity
            .reviewed
            .insert("head_commit".into(), "2222".into());
        a.identity
            .scenario_files
            .insert("scenarios/m2/c2.toml".into(), "bad".into());
        insta::assert_snapshot!(render("builder", "adversary", &compare(&builder(), &a)));
    }

    #[test]
    fn a_scenario_missing_from_one_run_disagrees() {
        let mut a = adversary();
        a.scenarios.pop();
        let c = compare(&builder(), &a);
        assert_eq!(c.scenarios(), ["m2::c2_host_healthy"]);
        assert_eq!(c.disagreements[0].b, NOT_RUN);
    }
}
