//! The report vocabulary: what a step saw ([`Observation`]), how one check came out
//! ([`Outcome`]), and how steps and scenarios ended ([`StepReport`], [`ScenarioReport`]).
//!
//! A leaf module: `steps`, `expect`, `engine` and `evidence` all speak these types, and it
//! depends on none of them, so no module cycle can form through it.

use std::time::Duration;

/// What a step saw.
#[derive(Debug, Clone, Default)]
pub(crate) struct Observation {
    /// The command or request, as a person would type it (secrets still in: the engine
    /// redacts before anything is shown).
    pub(crate) command: String,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) stdout_dropped: u64,
    pub(crate) stderr_dropped: u64,
    pub(crate) exit: Option<i32>,
    pub(crate) signal: Option<String>,
    /// Whether `expect.exit` applies (not to HTTP or to systemd waits).
    pub(crate) exit_applies: bool,
    pub(crate) timed_out: bool,
    pub(crate) elapsed: Duration,
    /// Kind-specific checks, judged alongside the expectations.
    pub(crate) checks: Vec<Outcome>,
    /// How to reproduce by hand.
    pub(crate) manual: Option<String>,
    /// Variables the step defines itself (journal marks, invocation ids, build numbers).
    pub(crate) defines: Vec<(String, String)>,
    /// The step saw what it was waiting for, so a failure now is the answer, not a reason
    /// to look again (a process found whose PATH lacks a tool will not grow it).
    pub(crate) settled: bool,
    /// In observe mode, the natural run the step watched instead of making one: which run
    /// and when it began (for the report's action section; never in the evidence).
    pub(crate) observed: Option<String>,
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub(crate) ok: bool,
    /// What was expected, e.g. `stdout matches /^active$/`.
    pub expected: String,
    /// What was seen, when it matters (always on failure).
    pub(crate) seen: Option<String>,
    /// Lines of stdout this check matched (for `record = "matched"`).
    pub(crate) matched_lines: Vec<String>,
    /// Differences this check found the platform's, not the claim's (a command of a NixOS
    /// package or setuid wrapper, as the module system says): listed in the report as their
    /// own class, never as waivers.
    pub(crate) platform: Vec<PlatformTool>,
}

/// A command that reached one path and not the other because it is the platform's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformTool {
    pub(crate) tool: String,
    /// What of the platform it comes from: a package's name (`gawk`) or
    /// `setuid wrapper` (`/run/wrappers/bin`).
    pub(crate) from: String,
}

impl Outcome {
    /// A check that held; nothing seen worth showing.
    pub(crate) fn pass(expected: impl Into<String>) -> Self {
        Outcome {
            ok: true,
            expected: expected.into(),
            seen: None,
            matched_lines: Vec::new(),
            platform: Vec::new(),
        }
    }

    /// A check that did not hold, with what was seen instead.
    pub(crate) fn fail(expected: impl Into<String>, seen: impl Into<String>) -> Self {
        Outcome::check(false, expected, seen)
    }

    /// A check either way, with what was seen.
    pub(crate) fn check(ok: bool, expected: impl Into<String>, seen: impl Into<String>) -> Self {
        Outcome {
            ok,
            expected: expected.into(),
            seen: Some(seen.into()),
            matched_lines: Vec::new(),
            platform: Vec::new(),
        }
    }

    /// The stdout lines this check matched, for `record = "matched"`.
    pub(crate) fn with_lines(mut self, lines: Vec<String>) -> Self {
        self.matched_lines = lines;
        self
    }
}

/// Why a step did not pass, or that it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepStatus {
    Passed,
    /// It ran and an expectation did not hold: the claim is broken.
    Failed,
    /// It could not be carried out (transport, variable, request error): the claim is not
    /// witnessed either way. The message is redacted.
    Error(String),
    /// An earlier step did not pass.
    Skipped,
}

/// One step as reported (all text redacted).
#[derive(Debug, Clone)]
pub struct StepReport {
    pub(crate) index: usize,
    pub(crate) name: String,
    pub(crate) kind: &'static str,
    pub status: StepStatus,
    pub command: String,
    pub(crate) exit: Option<i32>,
    pub(crate) exit_applies: bool,
    pub(crate) signal: Option<String>,
    pub timed_out: bool,
    pub(crate) timeout: Duration,
    /// Evidence lines, selected by the step's `record` mode.
    pub evidence: Vec<String>,
    pub(crate) evidence_more: usize,
    pub(crate) stdout_tail: Vec<String>,
    pub(crate) stderr_tail: Vec<String>,
    pub stdout_dropped: u64,
    pub(crate) stderr_dropped: u64,
    pub outcomes: Vec<Outcome>,
    pub attempts: u32,
    pub elapsed: Duration,
    pub(crate) manual: Option<String>,
}

impl StepReport {
    /// A step that did not run (an earlier one failed), or whose report is filled later.
    pub(crate) fn skipped(index: usize, name: &str, kind: &'static str, timeout: Duration) -> Self {
        StepReport {
            index,
            name: name.to_string(),
            kind,
            status: StepStatus::Skipped,
            command: String::new(),
            exit: None,
            exit_applies: false,
            signal: None,
            timed_out: false,
            timeout,
            evidence: Vec::new(),
            evidence_more: 0,
            stdout_tail: Vec::new(),
            stderr_tail: Vec::new(),
            stdout_dropped: 0,
            stderr_dropped: 0,
            outcomes: Vec::new(),
            attempts: 0,
            elapsed: Duration::ZERO,
            manual: None,
        }
    }
}

/// How a scenario ended, for the gate's closing line and the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Every step ran and every expectation held.
    Passed,
    /// A claim is broken: an expectation did not hold.
    Failed,
    /// The claim could not be witnessed: target unreachable, host key refused, deadline,
    /// secret unreadable, an action failed, a broken scenario file.
    Error,
    /// It changes the target and mutation was not allowed.
    Refused,
    /// Ignored, or filtered out of this run.
    Skipped,
}

impl Verdict {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Error => "error",
            Verdict::Refused => "refused",
            Verdict::Skipped => "skipped",
        }
    }
}

/// How a run's evidence compares with the snapshot committed for its target. Reported on
/// its own; the verdict comes from the claims (only `WITNESS_EVIDENCE=strict` fails on
/// anything but `Same`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Evidence {
    /// No snapshot is committed for this target: recorded (`.snap.new`) for review.
    New,
    /// The committed snapshot, unchanged.
    Same,
    /// It differs from the committed snapshot (the diff is printed; `.snap.new` written).
    Differs,
}

impl Evidence {
    /// The state of several snapshots together: `differs` over `new` over `same`.
    pub(crate) fn worst(states: impl IntoIterator<Item = Evidence>) -> Option<Evidence> {
        states.into_iter().max_by_key(|e| match e {
            Evidence::Same => 0,
            Evidence::New => 1,
            Evidence::Differs => 2,
        })
    }
}

/// A scenario as reported.
#[derive(Debug, Clone, Default)]
pub struct ScenarioReport {
    pub steps: Vec<StepReport>,
    /// Variables captured by the scenario's steps (redacted), for the evidence.
    pub captures: Vec<(String, String)>,
    /// How its evidence (and that of the actions it observes) compares with the committed
    /// snapshots; `None` when not compared (a claim failed, or nothing ran).
    pub(crate) evidence: Option<Evidence>,
}

impl ScenarioReport {
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.status == StepStatus::Passed)
    }

    pub(crate) fn first_failure(&self) -> Option<&StepReport> {
        self.steps
            .iter()
            .find(|s| !matches!(s.status, StepStatus::Passed | StepStatus::Skipped))
    }

    /// Failed when an expectation did not hold, error when a step could not be carried out.
    pub(crate) fn verdict(&self) -> Verdict {
        match self.first_failure().map(|s| &s.status) {
            None => Verdict::Passed,
            Some(StepStatus::Error(_)) => Verdict::Error,
            // A deadline that passed leaves the claim unwitnessed rather than broken.
            Some(_) if self.first_failure().is_some_and(|s| s.timed_out) => Verdict::Error,
            Some(_) => Verdict::Failed,
        }
    }
}
