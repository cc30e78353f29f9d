//! The report's JSON form, schema `witness-report/1`: what `report.json` holds and what
//! `evidence diff` reads. Serde types only; kept apart from the run's own types so the
//! schema changes only on purpose (bump [`SCHEMA`] when a field changes meaning or goes).
//!
//! ```text
//! Report      { schema, gate, target, complete, counts, identity, scenarios[], waivers[] }
//! Identity    { target, transport, local, host_key?, current_system?, booted_system?, flake?,
//!               flake_commit?, reviewed{name: value}, witness_version, witness_commit?,
//!               scenario_files{path: sha256}, role?, run_id, started_utc, ended_utc }
//! Scenario    { name, file, title, claim, verdict, message?, steps[] }
//! Step        { index, name, kind, status, command, exit?, attempts, duration_ms, evidence[] }
//! Waiver      { scenario, unit? | tools[] packages[], reason, expires }
//! Platform    { scenario, step, from, tools[] }
//! Action      { name, title, mutates, verdict, started_utc?, duration_ms?, outputs{name: value},
//!               message?, observed[]+ }
//! ```
//! Added within witness-report/1 as optional fields: `Report.actions[]` (absent when the
//! gate ran no action), `Identity.hostname?`, `Identity.targets_file?`, `Scenario.evidence?`,
//! `Action.observed[]` (absent when the action fired or triggered its runs itself),
//! `Identity.judged_on? { date, pinned }` (the date waivers were judged on), `Report.platform[]`
//! (differences classed as the platform's, absent when none).
//! `verdict` is one of passed, failed, error, refused, skipped; `status` one of passed,
//! failed, error, skipped. `?` marks a field that is `null` when it could not be read (a
//! fact missing from the host is reported absent, never guessed). Times are RFC 3339 UTC.
//! Every text is redacted before it is written.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub(crate) const SCHEMA: &str = "witness-report/1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    pub schema: String,
    pub(crate) gate: String,
    pub(crate) target: String,
    /// Every scenario of the gate has a result (false while a run is under way, or when
    /// `--exact`/a filter ran only some).
    pub complete: bool,
    pub counts: Counts,
    pub identity: Identity,
    pub scenarios: Vec<Scenario>,
    /// Waivers in force during the run.
    pub(crate) waivers: Vec<Waiver>,
    /// Differences classed as the platform's (NixOS's own packages and setuid wrappers, as
    /// the module system says), beside the waivers and never among them. Optional field
    /// added in witness-report/1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) platform: Vec<Platform>,
    /// The run-scoped actions that ran in this run (a sweep fire, a Drone build), once
    /// each. Optional field added in witness-report/1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
    pub(crate) error: u64,
    pub(crate) refused: u64,
    pub(crate) skipped: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Identity {
    pub(crate) target: String,
    /// How the target was reached (`twin (root@127.0.0.1:2222)`, `here (local)`).
    pub(crate) transport: String,
    /// The target is this machine: there is no SSH host key to verify.
    #[serde(default)]
    pub local: bool,
    /// The host key the SSH transport verified against known_hosts (`SHA256:… (type)`).
    pub host_key: Option<String>,
    pub(crate) current_system: Option<String>,
    pub(crate) booted_system: Option<String>,
    /// The flake checkout on the host (the target's `flake` variable) and its HEAD.
    pub flake: Option<String>,
    pub flake_commit: Option<String>,
    /// The claim's pinned variables (reviewed commits and store paths).
    pub reviewed: BTreeMap<String, String>,
    pub witness_version: String,
    /// The commit witness was built from, `-dirty` when the tree differed from it.
    pub witness_commit: Option<String>,
    /// sha256 of every scenario and action file of the gate.
    pub scenario_files: BTreeMap<String, String>,
    /// The targets file given by `WITNESS_TARGETS` (outside the checkout) and its sha256:
    /// `<path> sha256:<hex>`. Optional field added in witness-report/1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) targets_file: Option<String>,
    pub role: Option<String>,
    /// The target's own host name (`/proc/sys/kernel/hostname` read on it). Optional field
    /// added in witness-report/1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hostname: Option<String>,
    /// The date the run's waivers were judged on, and whether the target pinned it
    /// (`judged_on`) or it was today's (UTC). Optional field added in witness-report/1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) judged_on: Option<JudgedOn>,
    pub(crate) run_id: String,
    pub started_utc: String,
    pub ended_utc: String,
}

/// The run's judging date (see `crate::judging`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct JudgedOn {
    /// `YYYY-MM-DD`.
    pub(crate) date: String,
    /// Pinned by the target; false: today's date (UTC) when the run began.
    pub(crate) pinned: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Scenario {
    /// `<gate>::<id>`.
    pub name: String,
    pub(crate) file: String,
    pub(crate) title: String,
    pub(crate) claim: String,
    pub(crate) verdict: Verdict,
    /// The failure message, when not passed.
    pub message: Option<String>,
    pub steps: Vec<Step>,
    /// How its evidence compares with the committed snapshots, apart from the verdict:
    /// `new`, `same` or `differs`; absent when it was not compared (the claim did not hold,
    /// or nothing ran). Added in witness-report/1 as an optional field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) evidence: Option<EvidenceState>,
}

/// How a scenario's evidence compares with the committed snapshots (the run's
/// [`crate::report::Evidence`], as data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceState {
    New,
    Same,
    Differs,
}

impl From<crate::report::Evidence> for EvidenceState {
    fn from(e: crate::report::Evidence) -> Self {
        use crate::report::Evidence as E;
        match e {
            E::New => EvidenceState::New,
            E::Same => EvidenceState::Same,
            E::Differs => EvidenceState::Differs,
        }
    }
}

impl std::fmt::Display for EvidenceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EvidenceState::New => "new",
            EvidenceState::Same => "same",
            EvidenceState::Differs => "differs",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    pub(crate) index: usize,
    pub name: String,
    pub(crate) kind: String,
    pub(crate) status: StepStatus,
    pub command: String,
    pub exit: Option<i32>,
    pub attempts: u32,
    pub(crate) duration_ms: u64,
    /// The evidence excerpt the snapshot keeps for this step.
    pub(crate) evidence: Vec<String>,
}

/// How a scenario ended (the run's [`crate::report::Verdict`], as data).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Passed,
    Failed,
    Error,
    Refused,
    Skipped,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        crate::report::Verdict::from(self).label()
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl From<crate::report::Verdict> for Verdict {
    fn from(v: crate::report::Verdict) -> Self {
        use crate::report::Verdict as V;
        match v {
            V::Passed => Verdict::Passed,
            V::Failed => Verdict::Failed,
            V::Error => Verdict::Error,
            V::Refused => Verdict::Refused,
            V::Skipped => Verdict::Skipped,
        }
    }
}

impl From<Verdict> for crate::report::Verdict {
    fn from(v: Verdict) -> Self {
        use crate::report::Verdict as V;
        match v {
            Verdict::Passed => V::Passed,
            Verdict::Failed => V::Failed,
            Verdict::Error => V::Error,
            Verdict::Refused => V::Refused,
            Verdict::Skipped => V::Skipped,
        }
    }
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Passed,
    Failed,
    Error,
    Skipped,
}

impl StepStatus {
    pub(crate) fn label(self) -> &'static str {
        match self {
            StepStatus::Passed => "passed",
            StepStatus::Failed => "failed",
            StepStatus::Error => "error",
            StepStatus::Skipped => "skipped",
        }
    }
}

impl std::fmt::Display for StepStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl From<&crate::report::StepStatus> for StepStatus {
    fn from(s: &crate::report::StepStatus) -> Self {
        use crate::report::StepStatus as S;
        match s {
            S::Passed => StepStatus::Passed,
            S::Failed => StepStatus::Failed,
            S::Error(_) => StepStatus::Error,
            S::Skipped => StepStatus::Skipped,
        }
    }
}

/// A run-scoped action as it ran once for the gate run: what it fired or triggered (its
/// outputs: an InvocationID, a build number; secrets redacted), when, for how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Action {
    /// `<gate>::actions::<name>`.
    pub name: String,
    pub title: String,
    pub(crate) mutates: bool,
    /// passed or failed (an action refused never ran, and is not listed).
    pub verdict: Verdict,
    /// RFC 3339 UTC; `null` from a result of an older witness.
    pub started_utc: Option<String>,
    pub duration_ms: Option<u64>,
    pub outputs: BTreeMap<String, String>,
    /// Why it failed.
    pub(crate) message: Option<String>,
    /// Observe mode (`WITNESS_OBSERVE`): the natural runs it watched instead of firing or
    /// triggering them (which run or build, when it began). Absent when it made them itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) observed: Vec<String>,
}

/// Commands one path reached and the other did not because they are the platform's: what
/// they come from (a package's name, or the setuid wrappers), in which step of which scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Platform {
    pub(crate) scenario: String,
    /// The step's index (1-based).
    pub(crate) step: usize,
    /// A NixOS package's name (`gawk`) or `setuid wrapper (/run/wrappers/bin)`.
    pub(crate) from: String,
    pub(crate) tools: Vec<String>,
}

/// A waiver in force during the run, and the scenario whose claim it bends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Waiver {
    pub(crate) scenario: String,
    /// The failed unit a `systemctl --failed` waiver tolerates (empty for a parity exception).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) unit: String,
    /// The command names a parity exception leaves out of the comparison.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) tools: Vec<String>,
    /// The packages whose commands an exception covers, whatever they are called.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) packages: Vec<String>,
    pub(crate) reason: String,
    pub(crate) expires: String,
}
