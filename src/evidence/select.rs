//! Evidence selection: which of a step's output goes into its report, after redaction.
//!
//! `record = "all"` keeps the first lines of stdout (the rest counted), `"matched"` only the
//! lines an expectation matched, `"none"` nothing; failure messages get the last lines of
//! each stream. Redaction happens here, as the report is built, so nothing unredacted
//! leaves the engine.

use crate::redact::Redactor;
use crate::report::{Observation, Outcome, PlatformTool, StepReport, StepStatus};
use crate::scenario::{Record, Step};

/// Most stdout lines a step keeps in the evidence; the rest are counted.
const EVIDENCE_LINES: usize = 200;
/// Lines of output shown in a failure message.
const FAILURE_TAIL: usize = 20;

/// The redacted report of one attempt of `step` (status `Passed`; the engine sets the real one).
pub(crate) fn step_report(
    index: usize,
    step: &Step,
    obs: &Observation,
    outcomes: Vec<Outcome>,
    red: &Redactor,
) -> StepReport {
    let stdout = red.apply(&obs.stdout);
    let stderr = red.apply(&obs.stderr);
    let (evidence, evidence_more) = select(step.record, &stdout, &outcomes, red);
    StepReport {
        index,
        name: red.apply(&step.name),
        kind: step.kind.label(),
        status: StepStatus::Passed,
        command: red.apply(&obs.command),
        exit: obs.exit,
        exit_applies: obs.exit_applies,
        signal: obs.signal.clone(),
        timed_out: obs.timed_out,
        timeout: step.timeout,
        evidence,
        evidence_more,
        stdout_tail: tail(&stdout, FAILURE_TAIL),
        stderr_tail: tail(&stderr, FAILURE_TAIL / 2),
        stdout_dropped: obs.stdout_dropped,
        stderr_dropped: obs.stderr_dropped,
        outcomes: outcomes
            .into_iter()
            .map(|o| Outcome {
                ok: o.ok,
                expected: red.apply(&o.expected),
                seen: o.seen.map(|s| red.apply(&s)),
                matched_lines: Vec::new(),
                platform: o
                    .platform
                    .into_iter()
                    .map(|p| PlatformTool {
                        tool: red.apply(&p.tool),
                        from: red.apply(&p.from),
                    })
                    .collect(),
            })
            .collect(),
        attempts: 1,
        elapsed: obs.elapsed,
        manual: obs.manual.as_ref().map(|m| red.secrets_only(m)),
    }
}

/// The evidence lines of a (redacted) stdout for a record mode, and how many were left out.
fn select(
    record: Record,
    stdout: &str,
    outcomes: &[Outcome],
    red: &Redactor,
) -> (Vec<String>, usize) {
    match record {
        Record::All => {
            let lines: Vec<&str> = stdout.lines().collect();
            let kept = lines
                .iter()
                .take(EVIDENCE_LINES)
                .map(|s| s.to_string())
                .collect();
            (kept, lines.len().saturating_sub(EVIDENCE_LINES))
        }
        Record::Matched => {
            let mut seen = Vec::new();
            for o in outcomes {
                for l in &o.matched_lines {
                    let l = red.apply(l);
                    if !seen.contains(&l) {
                        seen.push(l);
                    }
                }
            }
            (seen, 0)
        }
        Record::None => (Vec::new(), 0),
    }
}

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> Vec<String> {
    let v: Vec<String> = text.lines().map(str::to_string).collect();
    v[v.len().saturating_sub(n)..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_modes_select_lines() {
        let red = Redactor::new();
        let out = "a\nb\nc\n";
        let matched = vec![Outcome::pass("x").with_lines(vec!["b".into(), "b".into()])];
        assert_eq!(
            select(Record::All, out, &matched, &red),
            (vec!["a".into(), "b".into(), "c".into()], 0)
        );
        assert_eq!(
            select(Record::Matched, out, &matched, &red),
            (vec!["b".into()], 0)
        );
        assert_eq!(select(Record::None, out, &matched, &red), (vec![], 0));
        let many: String = (0..250).map(|i| format!("{i}\n")).collect();
        let (kept, more) = select(Record::All, &many, &[], &red);
        assert_eq!((kept.len(), more, kept[199].as_str()), (200, 50, "199"));
        assert_eq!(tail(&many, 2), vec!["248".to_string(), "249".into()]);
    }
}
