//! The gate's closing line: how many scenarios passed, failed (a claim is broken), errored
//! (could not be witnessed), were refused (mutation not allowed) or skipped, and the gate's
//! verdict — which, unlike libtest's `ok`, is never PASSED while anything did not run.

use std::collections::BTreeMap;
use std::sync::Mutex;

use libtest_mimic::Conclusion;

use crate::report::{Evidence, Verdict};

/// How a gate run ended, as its exit status says it (README: exit statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GateVerdict {
    /// Every claim that ran holds: exit 0.
    Passed,
    /// A claim is broken: exit 1.
    Failed,
    /// Something could not be witnessed (an error, a refusal, an unusable target, no
    /// scenarios): exit 2.
    NotWitnessed,
    /// No target was asked for and the default one (the twin) is not up: nothing ran, every
    /// trial is ignored. Exit 2 for `witness <gate>`; a fresh clone's `cargo test` reads it as
    /// libtest does ignored tests (exit 0), its closing line saying NOT WITNESSED.
    NoTarget,
}

impl GateVerdict {
    pub(crate) fn exit_code(self) -> u8 {
        match self {
            GateVerdict::Passed => 0,
            GateVerdict::Failed => 1,
            GateVerdict::NotWitnessed | GateVerdict::NoTarget => 2,
        }
    }
}

/// Verdicts of the scenarios of one gate run, filled in by the trials as they end, and how
/// their evidence compared (reported apart from the verdict).
#[derive(Debug, Default)]
pub(crate) struct Tally {
    counts: Mutex<BTreeMap<Verdict, u64>>,
    evidence: Mutex<BTreeMap<Evidence, u64>>,
}

impl Tally {
    pub(crate) fn record_evidence(&self, e: Option<Evidence>) {
        if let Some(e) = e {
            *self
                .evidence
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(e)
                .or_default() += 1;
        }
    }

    /// `; evidence: 5 same, 2 new, 0 differs` when any evidence was compared.
    fn evidence_part(&self) -> String {
        let ev = self.evidence.lock().unwrap_or_else(|e| e.into_inner());
        if ev.is_empty() {
            return String::new();
        }
        let n = |e: Evidence| ev.get(&e).copied().unwrap_or(0);
        format!(
            "; evidence: {} same, {} new, {} differs",
            n(Evidence::Same),
            n(Evidence::New),
            n(Evidence::Differs)
        )
    }

    pub(crate) fn record(&self, v: Verdict) {
        *self
            .counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(v)
            .or_default() += 1;
    }

    fn count(&self, v: Verdict) -> u64 {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&v)
            .copied()
            .unwrap_or(0)
    }

    /// The gate's verdict: failed when a claim is broken, not witnessed when a scenario
    /// errored or was refused, else passed (skips by request — a filter, a read-only run —
    /// are the caller's choice and shown as INCOMPLETE in the closing line).
    pub(crate) fn verdict(&self) -> GateVerdict {
        if self.count(Verdict::Failed) > 0 {
            GateVerdict::Failed
        } else if self.count(Verdict::Error) + self.count(Verdict::Refused) > 0 {
            GateVerdict::NotWitnessed
        } else {
            GateVerdict::Passed
        }
    }

    /// The closing line. `not_loaded` counts scenarios of the gate not even loaded
    /// (`--exact` loads one file).
    pub(crate) fn closing_line(
        &self,
        gate: &str,
        target: &str,
        c: &Conclusion,
        not_loaded: u64,
    ) -> String {
        let skipped = c.num_ignored + c.num_filtered_out + not_loaded;
        let (passed, failed, error, refused) = (
            self.count(Verdict::Passed),
            self.count(Verdict::Failed),
            self.count(Verdict::Error),
            self.count(Verdict::Refused),
        );
        let verdict = if failed > 0 {
            "FAILED"
        } else if error > 0 || refused > 0 {
            "NOT WITNESSED (some scenarios could not run)"
        } else if skipped > 0 {
            "INCOMPLETE (not every scenario ran)"
        } else {
            "PASSED"
        };
        format!(
            "witness: gate {gate} on target {target}: {verdict} — {passed} passed, {failed} failed, {error} error, {refused} refused (mutation not allowed), {skipped} skipped{}",
            self.evidence_part()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conclusion(ignored: u64, filtered: u64) -> Conclusion {
        Conclusion {
            num_filtered_out: filtered,
            num_passed: 0,
            num_failed: 0,
            num_ignored: ignored,
            num_measured: 0,
        }
    }

    #[test]
    fn the_verdict_counts_each_kind_and_is_passed_only_when_all_passed() {
        let t = Tally::default();
        t.record(Verdict::Passed);
        assert_eq!(
            t.closing_line("m", "twin", &conclusion(0, 0), 0),
            "witness: gate m on target twin: PASSED — 1 passed, 0 failed, 0 error, 0 refused (mutation not allowed), 0 skipped"
        );
        assert!(
            t.closing_line("m", "twin", &conclusion(1, 0), 0)
                .contains("INCOMPLETE")
        );
        assert!(
            t.closing_line("m", "twin", &conclusion(0, 0), 2)
                .contains("2 skipped")
        );
        t.record_evidence(Some(Evidence::New));
        assert!(
            t.closing_line("m", "twin", &conclusion(0, 0), 0)
                .ends_with("PASSED — 1 passed, 0 failed, 0 error, 0 refused (mutation not allowed), 0 skipped; evidence: 0 same, 1 new, 0 differs")
        );
        t.record(Verdict::Refused);
        assert!(
            t.closing_line("m", "twin", &conclusion(0, 0), 0)
                .contains("NOT WITNESSED")
        );
        t.record(Verdict::Error);
        t.record(Verdict::Failed);
        assert_eq!(
            t.closing_line("m", "twin", &conclusion(0, 0), 0),
            "witness: gate m on target twin: FAILED — 1 passed, 1 failed, 1 error, 1 refused (mutation not allowed), 0 skipped; evidence: 0 same, 1 new, 0 differs"
        );
    }
}
