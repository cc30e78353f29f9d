//! Evidence: a scenario report rendered as the text a reviewer diffs, asserted as an insta
//! snapshot at `snapshots/<gate>/<scenario>.snap`; and the failure message of a failed trial.
//!
//! The snapshot body holds only what is stable across runs of a healthy host (commands,
//! exit statuses, selected redacted output, each expectation's outcome); attempts, elapsed
//! times and the target's address go in the failure message or the snapshot header.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

pub(crate) mod select;

use crate::config::DEFAULT_TARGET;
pub(crate) use crate::report::Evidence;
use crate::report::{ScenarioReport, StepReport, StepStatus};
use crate::scenario::Scenario;

/// The evidence state and the snapshot file it is about (relative to the project root).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct EvidenceCheck {
    pub(crate) state: Evidence,
    pub(crate) file: String,
}

impl EvidenceCheck {
    /// One line for a person: `same`, `new (recorded for review: …)`, `differs from …`.
    pub(crate) fn describe(&self) -> String {
        match self.state {
            Evidence::Same => format!("same as {}", self.file),
            Evidence::New => format!(
                "new: no {} committed; recorded for review as {}.new (cargo insta review)",
                self.file, self.file
            ),
            Evidence::Differs => format!(
                "differs from {} (diff above; {}.new written for cargo insta review)",
                self.file, self.file
            ),
        }
    }
}

/// Snapshot header metadata (`info:` in the `.snap` file).
#[derive(serde::Serialize)]
struct Info<'a> {
    target: &'a str,
    title: &'a str,
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
/// other than the twin, whose outputs differ). insta settings are thread-local, so they are
/// built and bound here, inside the trial.
pub(crate) fn compare_snapshot(
    root: &Path,
    gate: &str,
    sc: &Scenario,
    target: &str,
    text: &str,
) -> EvidenceCheck {
    compare_in(root, gate, "", sc, target, text)
}

/// Compare an action's evidence with `snapshots/<gate>/actions/<name>.snap`: recorded once
/// per gate run, by whichever trial ran the action.
pub(crate) fn compare_action_snapshot(
    root: &Path,
    gate: &str,
    action: &Scenario,
    target: &str,
    text: &str,
) -> EvidenceCheck {
    compare_in(root, gate, "actions", action, target, text)
}

/// How to accept evidence after review, for messages.
pub(crate) fn review_hint(gate: &str, target: &str) -> String {
    format!(
        "review: cargo insta review   (or accept all: INSTA_UPDATE=always WITNESS_TARGET={target} cargo test --test {gate})"
    )
}

/// Compare `text` with the snapshot of `sc` under `snapshots/<gate>/<sub>`: insta prints the
/// diff and writes `.snap.new` (as its settings say) when they are not the same.
fn compare_in(
    root: &Path,
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
    let committed = root.join(&file).is_file();
    let dir = root.join("snapshots").join(gate).join(sub);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(&dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_input_file(&sc.path);
    settings.set_description(sc.claim.clone());
    settings.set_info(&Info {
        target,
        title: &sc.title,
    });
    settings.set_omit_expression(true);
    if target != DEFAULT_TARGET {
        settings.set_snapshot_suffix(target);
    }
    let name = sc.id.clone();
    let text = text.to_string();
    let result = catch_unwind(AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_snapshot!(name, text));
    }));
    let state = match (committed, result.is_ok()) {
        (true, true) => Evidence::Same,
        (true, false) => Evidence::Differs,
        // None was committed (insta may have just written one, under INSTA_UPDATE=always).
        (false, _) => Evidence::New,
    };
    EvidenceCheck {
        state,
        file: file.display().to_string(),
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
