//! Evidence: a scenario report rendered as the text a reviewer diffs, asserted as an insta
//! snapshot at `snapshots/<gate>/<scenario>.snap`; and the failure message of a failed trial.
//!
//! The snapshot body holds only what is stable across runs of a healthy host (commands,
//! exit statuses, selected redacted output, each expectation's outcome); attempts, elapsed
//! times and the target's address go in the failure message or the snapshot header.

use std::fmt::Write as _;
use std::path::Path;

pub(crate) mod select;
mod snap_file;

use crate::config::{DEFAULT_TARGET, RunConfig, SnapshotUpdate};
pub(crate) use crate::report::Evidence;
use crate::report::{ScenarioReport, StepReport, StepStatus};
use crate::scenario::Scenario;

/// The evidence state, the snapshot file it is about (relative to the project root), and
/// what witness wrote for review (`INSTA_UPDATE`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct EvidenceCheck {
    pub(crate) state: Evidence,
    pub(crate) file: String,
    #[serde(default)]
    pub(crate) written: Written,
    /// `INSTA_UPDATE` as it was read (insta's name for it), for the message.
    #[serde(default)]
    pub(crate) update: String,
    /// Why the file could not be written, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) write_error: Option<String>,
}

/// What was written of new or differing evidence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Written {
    /// Nothing (the evidence is the same, or `INSTA_UPDATE=no`, or CI).
    #[default]
    Nothing,
    /// `<file>.new`, for `cargo insta review`.
    Pending,
    /// `<file>` itself (`INSTA_UPDATE=always`).
    InPlace,
}

impl EvidenceCheck {
    /// One line for a person: `same`, `new (recorded for review: …)`, `differs from …`, and
    /// exactly what was written.
    pub(crate) fn describe(&self) -> String {
        let file = &self.file;
        let written = match (self.written, &self.write_error) {
            (_, Some(e)) => format!("writing it failed: {e}"),
            (Written::Pending, None) => {
                format!("recorded for review as {file}.new (cargo insta review)")
            }
            (Written::InPlace, None) => match self.state {
                Evidence::Differs => {
                    format!("rewritten with this run's (INSTA_UPDATE={})", self.update)
                }
                _ => format!("written as {file} (INSTA_UPDATE={})", self.update),
            },
            (Written::Nothing, None) => {
                format!("not recorded (INSTA_UPDATE={})", self.update)
            }
        };
        match self.state {
            Evidence::Same => format!("same as {file}"),
            Evidence::New => format!("new: no {file} committed; {written}"),
            Evidence::Differs => format!("differs from {file}; {written}; diff above"),
        }
    }
}

/// Render the evidence text.
pub fn render(sc: &Scenario, report: &ScenarioReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "title: {}", sc.title);
    let _ = writeln!(s, "claim: {}", sc.claim.replace('\n', "\n  "));
    if !sc.uses.is_empty() {
        let names: Vec<&str> = sc.uses.iter().map(|(a, _)| a.as_str()).collect();
        let _ = writeln!(
            s,
            "uses: {} (run once per gate run; its own evidence under actions/)",
            names.join(", ")
        );
    }
    for st in &report.steps {
        s.push('\n');
        render_step(&mut s, st);
    }
    if !report.captures.is_empty() {
        s.push_str("\ncaptured:\n");
        for (k, v) in &report.captures {
            // A multi-line capture is a whole output kept for a later comparison; the
            // step that compares it records what matters.
            // Its length varies with timing (a journal read as a unit finishes), so only
            // its shape is recorded.
            if v.lines().count() <= 1 {
                let _ = writeln!(s, "  {k} = {v}");
            } else {
                let _ = writeln!(s, "  {k} = (several lines)");
            }
        }
    }
    s
}

fn render_step(s: &mut String, st: &StepReport) {
    let status = match &st.status {
        StepStatus::Passed => "passed",
        StepStatus::Failed => "FAILED",
        StepStatus::Error(_) => "ERROR",
        StepStatus::Skipped => "skipped",
    };
    let _ = writeln!(s, "step {} [{}] {}: {status}", st.index, st.kind, st.name);
    if st.status == StepStatus::Skipped {
        return;
    }
    if !st.command.is_empty() {
        for (i, line) in st.command.lines().enumerate() {
            let _ = writeln!(s, "  {} {line}", if i == 0 { "$" } else { ">" });
        }
    }
    if st.exit_applies {
        exit_line(s, st, 0);
    }
    if st.timed_out {
        let _ = writeln!(s, "  timed out after {:?}", st.timeout);
    }
    if !st.evidence.is_empty() {
        s.push_str("  output:\n");
        for l in &st.evidence {
            let _ = writeln!(s, "    | {l}");
        }
        if st.evidence_more > 0 {
            let _ = writeln!(s, "    … {} more lines", st.evidence_more);
        }
    }
    if st.stdout_dropped > 0 {
        let _ = writeln!(
            s,
            "  stdout over the output bound: {} bytes dropped from the middle (head and tail kept)",
            st.stdout_dropped
        );
    }
    if st.stderr_dropped > 0 {
        let _ = writeln!(
            s,
            "  stderr over the output bound: {} bytes dropped from the middle (head and tail kept)",
            st.stderr_dropped
        );
    }
    for o in &st.outcomes {
        let _ = writeln!(s, "  {} {}", if o.ok { "ok  " } else { "FAIL" }, o.expected);
        if !o.ok
            && let Some(seen) = &o.seen
        {
            let _ = writeln!(s, "       seen: {seen}");
        }
        // The platform's class is evidence too: which commands the evaluator explained.
        if !o.platform.is_empty() {
            let _ = writeln!(
                s,
                "       the platform's: {}",
                crate::expect::by_source(&o.platform)
            );
        }
    }
    if let StepStatus::Error(e) = &st.status {
        let _ = writeln!(s, "  error: {e}");
    }
}

/// The message of a failed trial: what was expected, what was seen, the exact command,
/// and how to re-run it.
pub fn failure_message(
    gate: &str,
    sc: &Scenario,
    report: &ScenarioReport,
    target: &str,
    target_desc: &str,
) -> String {
    let mut m = String::new();
    let Some(st) = report.first_failure() else {
        return m;
    };
    // Failed: the claim is broken. Error: it could not be witnessed either way.
    let verdict = match report.verdict() {
        crate::report::Verdict::Error => "could NOT BE WITNESSED (error)",
        _ => "FAILED",
    };
    let _ = writeln!(
        m,
        "scenario {gate}::{} {verdict} on target {target_desc}",
        sc.id
    );
    let _ = writeln!(m, "claim: {}", sc.claim.replace('\n', "\n       "));
    let _ = writeln!(
        m,
        "step {}/{} [{}] `{}`:",
        st.index,
        report.steps.len(),
        st.kind,
        st.name
    );
    failed_step(&mut m, st);
    skipped_steps(&mut m, report);
    let _ = write!(
        m,
        "re-run: WITNESS_TARGET={target} cargo test --test {gate} -- --exact {gate}::{}",
        sc.id
    );
    m
}

/// The steps skipped after the failure, if any.
fn skipped_steps(m: &mut String, report: &ScenarioReport) {
    let skipped: Vec<String> = report
        .steps
        .iter()
        .filter(|s| s.status == StepStatus::Skipped)
        .map(|s| format!("{} `{}`", s.index, s.name))
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(
            m,
            "skipped after the failure: step {}",
            skipped.join(", step ")
        );
    }
}

/// The failed step's part of a failure message: what was expected and seen, the command,
/// how it ended, the tails of its output and how to run it by hand.
fn failed_step(m: &mut String, st: &StepReport) {
    if let StepStatus::Error(e) = &st.status {
        let _ = writeln!(m, "  error: {e}");
    }
    for o in st.outcomes.iter().filter(|o| !o.ok) {
        let _ = writeln!(m, "  expected: {}", o.expected);
        if let Some(seen) = &o.seen {
            let _ = writeln!(m, "  seen:     {}", seen.replace('\n', "\n            "));
        }
    }
    if st.timed_out {
        let _ = writeln!(
            m,
            "  timed out: the step's deadline of {:?} passed; the command was stopped",
            st.timeout
        );
    }
    if !st.command.is_empty() {
        let _ = writeln!(
            m,
            "  command:  {}",
            st.command.replace('\n', "\n            ")
        );
    }
    if st.exit_applies {
        exit_line(m, st, 10);
    }
    let _ = writeln!(
        m,
        "  attempts: {} over {:.1}s",
        st.attempts,
        st.elapsed.as_secs_f64()
    );
    output_tails(m, st);
    if let Some(manual) = &st.manual {
        let _ = writeln!(m, "  by hand:  {manual}");
    }
}

/// How a step's command ended: its exit status, or the signal that stopped it; the value
/// starts at column `width` after the indent (at least one space after the label).
fn exit_line(m: &mut String, st: &StepReport, width: usize) {
    let (label, value) = match (st.exit, &st.signal) {
        (Some(c), _) => ("exit:", c.to_string()),
        (None, Some(sig)) => ("signal:", sig.clone()),
        _ => return,
    };
    let width = width.max(label.len() + 1);
    let _ = writeln!(m, "  {label:<width$}{value}");
}

/// The redacted last lines of a failed step's stdout and stderr, and what the output
/// bound dropped.
fn output_tails(m: &mut String, st: &StepReport) {
    for (label, lines, dropped) in [
        ("stdout", &st.stdout_tail, st.stdout_dropped),
        ("stderr", &st.stderr_tail, st.stderr_dropped),
    ] {
        if !lines.is_empty() {
            let _ = writeln!(m, "  {label} (last {} lines, redacted):", lines.len());
            for l in lines {
                let _ = writeln!(m, "    | {l}");
            }
        }
        if dropped > 0 {
            let _ = writeln!(
                m,
                "  {label}: {dropped} bytes over the output bound were dropped from the middle (head and tail kept)"
            );
        }
    }
}

/// Compare the evidence with `snapshots/<gate>/<id>.snap` (`<id>@<target>.snap` for targets
/// other than the twin, whose outputs differ).
pub(crate) fn compare_snapshot(
    cfg: &RunConfig,
    gate: &str,
    sc: &Scenario,
    target: &str,
    text: &str,
) -> EvidenceCheck {
    compare_in(cfg, gate, "", sc, target, text)
}

/// Compare an action's evidence with `snapshots/<gate>/actions/<name>.snap`: recorded once
/// per gate run, by whichever trial ran the action.
pub(crate) fn compare_action_snapshot(
    cfg: &RunConfig,
    gate: &str,
    action: &Scenario,
    target: &str,
    text: &str,
) -> EvidenceCheck {
    compare_in(cfg, gate, "actions", action, target, text)
}

/// How to accept evidence after review, for messages.
pub(crate) fn review_hint(gate: &str, target: &str) -> String {
    format!(
        "review: cargo insta review   (or accept all: INSTA_UPDATE=always WITNESS_TARGET={target} cargo test --test {gate})"
    )
}

/// Compare `text` with the snapshot of `sc` under `snapshots/<gate>/<sub>` as insta compares
/// (its normalized text), print the diff when it differs, and write what `INSTA_UPDATE`
/// says in insta's file format. witness does this itself rather than through
/// `assert_snapshot!`: that macro panics on every new snapshot (a cold run would read as
/// failing, with insta's "Stopped on the first failure") and finds its settings through
/// `cargo metadata`, which an installed binary does not have.
fn compare_in(
    cfg: &RunConfig,
    gate: &str,
    sub: &str,
    sc: &Scenario,
    target: &str,
    text: &str,
) -> EvidenceCheck {
    let rel = Path::new("snapshots").join(gate).join(sub);
    let file = if target == DEFAULT_TARGET {
        rel.join(format!("{}.snap", sc.id))
    } else {
        rel.join(format!("{}@{target}.snap", sc.id))
    };
    let path = cfg.root.join(&file);
    let pending = snap_file::pending(&path);
    let ours = snap_file::contents(text);
    let committed = snap_file::read(&path);
    let state = match &committed {
        None => Evidence::New,
        Some(old) if *old == ours => Evidence::Same,
        Some(old) => {
            eprintln!(
                "witness: {gate}::{} evidence differs from {} (- committed, + this run):\n{}",
                sc.id,
                file.display(),
                snap_file::diff(old, &ours)
            );
            Evidence::Differs
        }
    };
    let written = match (state, cfg.snapshot_update) {
        (Evidence::Same, _) | (_, SnapshotUpdate::Nothing) => Written::Nothing,
        (_, SnapshotUpdate::Accept) | (Evidence::New, SnapshotUpdate::Unseen) => Written::InPlace,
        _ => Written::Pending,
    };
    let header = snap_file::Header {
        description: &sc.claim,
        target,
        title: &sc.title,
        input_file: &sc
            .path
            .strip_prefix(&cfg.root)
            .unwrap_or(&sc.path)
            .display()
            .to_string(),
    };
    let write_error = match written {
        Written::Nothing => None,
        Written::Pending => snap_file::write(&pending, &header, &ours).err(),
        Written::InPlace => snap_file::write(&path, &header, &ours).err(),
    };
    // A `.snap.new` left by an earlier run is stale once the evidence is the committed one
    // or was written in place: `cargo insta review` would offer it again.
    if matches!(written, Written::InPlace) || state == Evidence::Same {
        let _ = std::fs::remove_file(&pending);
    }
    EvidenceCheck {
        state,
        file: file.display().to_string(),
        written: if write_error.is_some() {
            Written::Nothing
        } else {
            written
        },
        update: cfg.snapshot_update.name().to_string(),
        write_error: write_error.map(|e| e.to_string()),
    }
}

/// The evidence text and the failure message of hand-built reports, pinned whole: what a
/// reviewer reads in a snapshot and in a red trial changes only in review.
#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use crate::report::{Outcome, StepReport, StepStatus};
    use crate::scenario::load::load_str;

    fn scenario() -> Scenario {
        load_str(
            Path::new("scenarios/m2/c4_timer_fire.toml"),
            "title = \"M2.4 A real timer fire\"\nclaim = \"the fire's journal has test_lfs_roundtrip PASSED\"\n\
             [[steps]]\nname = \"the unit's PATH\"\nrun = { cmd = \"systemctl show -p Environment nightly-sweep.service\" }\n\
             [[steps]]\nname = \"the journal of this fire\"\njournal = { unit = \"nightly-sweep.service\", invocation = \"${i}\" }\n\
             [[steps]]\nname = \"never reached\"\nrun = { cmd = \"true\" }\n",
        )
        .unwrap()
    }

    fn step(index: usize, name: &str, status: StepStatus, outcomes: Vec<Outcome>) -> StepReport {
        StepReport {
            status,
            command: format!("command of step {index}"),
            exit: Some(0),
            exit_applies: true,
            evidence: vec!["PATH=/nix/store/[hash]-coreutils-9.5/bin".into()],
            stdout_tail: vec!["sweep: gitea rc=1".into()],
            outcomes,
            attempts: 3,
            elapsed: Duration::from_millis(1500),
            manual: Some(format!("ssh cc-ci 'command of step {index}'")),
            ..StepReport::skipped(index, name, "run", Duration::from_secs(60))
        }
    }

    fn report(second: StepStatus) -> ScenarioReport {
        ScenarioReport {
            evidence: None,
            steps: vec![
                step(
                    1,
                    "the unit's PATH",
                    StepStatus::Passed,
                    vec![Outcome::pass("exit status 0")],
                ),
                step(
                    2,
                    "the journal of this fire",
                    second,
                    vec![
                        Outcome::pass("exit status 0"),
                        Outcome::fail(
                            "stdout matches /^sweep: gitea rc=0/",
                            "no match in 1 lines of stdout",
                        ),
                    ],
                ),
                StepReport::skipped(3, "never reached", "run", Duration::from_secs(60)),
            ],
            captures: vec![(
                "tools".into(),
                "git-lfs=/nix/store/[hash]-git-lfs-3.6.1/bin/git-lfs".into(),
            )],
        }
    }

    #[test]
    fn evidence_text() {
        let mut r = report(StepStatus::Passed);
        r.steps[1].outcomes.pop();
        r.steps[2] = step(
            3,
            "never reached",
            StepStatus::Passed,
            vec![Outcome::pass("exit status 0")],
        );
        insta::assert_snapshot!(render(&scenario(), &r));
    }

    #[test]
    fn failure_message_of_a_broken_claim() {
        insta::assert_snapshot!(failure_message(
            "m2",
            &scenario(),
            &report(StepStatus::Failed),
            "cc-ci",
            "cc-ci (ssh root@ci.example:22)"
        ));
    }

    #[test]
    fn failure_message_of_a_step_that_could_not_run() {
        insta::assert_snapshot!(failure_message(
            "m2",
            &scenario(),
            &report(StepStatus::Error(
                "ssh: connection to ci.example:22 timed out after 10s".into()
            )),
            "cc-ci",
            "cc-ci (ssh root@ci.example:22)"
        ));
    }
}
