//! Validated domain types: a scenario as the engine runs it.
//!
//! Everything here has passed [`super::load`]: regexes compile, durations parse, each step
//! has exactly one kind, variables refer to something that exists, and a step that changes
//! the target sits in a scenario marked `mutates = true`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

use crate::judging::JudgingDate;

/// A loaded scenario file.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// File stem, e.g. `no_failed_units`; the trial is `<gate>::<id>`.
    pub id: String,
    pub(crate) path: PathBuf,
    pub(crate) title: String,
    pub(crate) claim: String,
    pub(crate) mutates: bool,
    /// Runs Nix builds on the target: one such scenario or action at a time per target.
    pub(crate) builds: bool,
    pub(crate) ignore: Option<String>,
    /// Run-scoped actions this scenario observes, with where each is named.
    pub(crate) uses: Vec<(String, Loc)>,
    pub(crate) redact: Vec<(Regex, String)>,
    pub steps: Vec<Step>,
}

/// A place in a scenario file, kept for errors found after loading (variables are checked
/// once the target's names are known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub(crate) line: usize,
    pub(crate) col: usize,
    pub(crate) line_text: String,
}

/// A `${name}` (or a named variable such as `same_as.var`) used by a step.
#[derive(Debug, Clone)]
pub struct VarRef {
    pub(crate) name: String,
    pub(crate) loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Step {
    /// A display name: the `name` key, else derived from the kind.
    pub name: String,
    pub(crate) timeout: Duration,
    pub(crate) expect: Expect,
    pub(crate) capture: Vec<Regex>,
    pub(crate) retry: Option<Retry>,
    pub(crate) record: Record,
    pub(crate) kind: StepKind,
    /// Variables this step reads.
    pub(crate) refs: Vec<VarRef>,
    /// Variables this step defines for the steps after it (captures, marks, invocation
    /// ids, build numbers).
    pub(crate) defines: Vec<String>,
    /// What the step does in observe mode instead of changing the target (only on a step
    /// that changes it).
    pub(crate) observe: Option<Observe>,
}

impl Step {
    /// The variables this step reads (its `${name}`s and the variables its expectations name).
    pub fn reads(&self) -> impl Iterator<Item = &str> {
        self.refs.iter().map(|r| r.name.as_str())
    }

    /// The variables this step defines for the steps after it.
    pub fn defines(&self) -> &[String] {
        &self.defines
    }
}

/// The observing counterpart of a step that changes the target: watch for the next natural
/// run instead of making one, within a bound. It defines the same variables.
#[derive(Debug, Clone)]
pub struct Observe {
    pub(crate) within: Duration,
    pub(crate) what: ObserveWhat,
}

/// What an observing step waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObserveWhat {
    /// The unit's next start that witness did not make (a template, e.g. a unit name).
    UnitStart(String),
    /// The next build of the step's Drone repo.
    DroneBuild,
}

/// How long an observing step waits unless its file says otherwise: a daily timer fires
/// within 24 hours of any moment; two more cover a randomized delay and a late start.
pub(crate) const DEFAULT_OBSERVE_WITHIN: Duration = Duration::from_secs(26 * 3600);

impl Scenario {
    /// Does a run of it change the target? In observe mode a scenario that has `observe`
    /// alternatives, one on every step that changes the target, only watches. One marked
    /// `mutates = true` without any (its `run` commands may change the host: the loader
    /// cannot tell) still changes it.
    pub(crate) fn changes_target(&self, observe: bool) -> bool {
        let observes = self.steps.iter().any(|s| s.observe.is_some())
            && self
                .steps
                .iter()
                .all(|s| !s.kind.mutates() || s.observe.is_some());
        self.mutates && !(observe && observes)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub(crate) interval: Duration,
    pub(crate) deadline: Duration,
}

/// How much of a step's output goes into the evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    All,
    /// Only the stdout lines that an expectation matched.
    Matched,
    None,
}

#[derive(Debug, Clone)]
pub enum StepKind {
    Run(RunStep),
    Systemd(SystemdStep),
    Journal(JournalStep),
    Http(HttpStep),
    Drone(DroneStep),
    Process(ProcessStep),
    /// Every command of some directories, resolved.
    Commands(CommandsStep),
    /// The units that run a store path, and what makes their environment.
    Units(UnitsStep),
    /// A value already held (a template such as `${drone_build.log}`), judged as stdout.
    Value(ValueStep),
}

/// What a `value` step judges: the value of a template, or only its lines under a prefix.
#[derive(Debug, Clone)]
pub struct ValueStep {
    pub(crate) of: String,
    /// Only the lines that begin with this (a template), without it.
    pub(crate) under: Option<String>,
    /// Each line taken split at this into lines of its own.
    pub(crate) split: Option<String>,
}

impl StepKind {
    /// Does this step change the target? Such steps need `mutates = true`.
    pub(crate) fn mutates(&self) -> bool {
        match self {
            StepKind::Systemd(SystemdStep::Start { .. }) => true,
            StepKind::Http(h) => !matches!(h.method.as_str(), "GET" | "HEAD" | "OPTIONS"),
            StepKind::Drone(d) => d.trigger.is_some(),
            _ => false,
        }
    }

    pub(crate) fn label(&self) -> &'static str {
        match self {
            StepKind::Run(_) => "run",
            StepKind::Systemd(_) => "systemd",
            StepKind::Journal(_) => "journal",
            StepKind::Http(_) => "http",
            StepKind::Drone(_) => "drone",
            StepKind::Process(_) => "process",
            StepKind::Commands(_) => "commands",
            StepKind::Units(_) => "units",
            StepKind::Value(_) => "value",
        }
    }
}

#[derive(Debug, Clone)]
pub struct RunStep {
    pub(crate) cmd: String,
    pub(crate) local: bool,
    pub(crate) cwd: Option<String>,
    /// Exported for the command, values interpolated as-is (templates).
    pub(crate) env: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub enum SystemdStep {
    Show {
        unit: String,
        properties: BTreeMap<String, String>,
    },
    NoFailed {
        allow: Vec<Waiver>,
    },
    Start {
        unit: String,
        /// Return once the run has begun instead of when it ends.
        no_block: bool,
        invocation_var: String,
    },
    Wait {
        unit: String,
        invocation_var: String,
        /// `result = "any"`: a failed run is recorded, not a failed step.
        any_result: bool,
    },
}

/// A process found through its unit's cgroup.
/// The variable a `process` step with `inventory = true` defines.
pub(crate) const INVENTORY_VAR: &str = "inventory";
/// The variable every `process` step defines: the process's working directory.
pub(crate) const CWD_VAR: &str = "cwd";

#[derive(Debug, Clone)]
pub struct ProcessStep {
    pub(crate) unit: String,
    pub(crate) cmdline: Regex,
    pub(crate) env: EnvSelection,
    pub(crate) resolve: Vec<String>,
    /// A tool missing from the PATH fails the step (else it is only recorded).
    pub(crate) fail_on_missing: bool,
    /// Define `${inventory}`: every command resolvable on the process's PATH (`name=path`).
    pub(crate) inventory: bool,
    /// Catch the process on the target, polling this often (a short-lived test process).
    pub(crate) poll: Option<Duration>,
    /// With `poll`: watch only while a process of the unit matches this.
    pub(crate) while_running: Option<Regex>,
}

/// Which of a process's environment variables a `process` step prints.
#[derive(Debug, Clone)]
pub(crate) enum EnvSelection {
    /// These, in this order.
    Names(Vec<String>),
    /// Every variable of its `/proc/<pid>/environ`, sorted.
    All,
}

/// The directories a `commands` step lists (templates), and the prefixes read elsewhere.
#[derive(Debug, Clone)]
pub struct CommandsStep {
    pub(crate) dirs: Vec<ValueStep>,
    /// Only these command names (empty: all).
    pub(crate) names: Vec<String>,
    /// `(prefix, read under)`: a directory beginning with the prefix is read under the other.
    pub(crate) read_under: Vec<(String, String)>,
}

/// What a `units` step reads: a built system (`Some(toplevel)`) or the live host (`None`).
#[derive(Debug, Clone)]
pub struct UnitsStep {
    pub(crate) system: Option<String>,
    pub(crate) holding: Option<String>,
    pub(crate) also: Vec<String>,
    /// `(label, path)`: scripts read as wrappers beside the units.
    pub(crate) scripts: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct DroneStep {
    pub(crate) server: String,
    pub(crate) repo: String,
    pub(crate) token_secret: String,
    pub(crate) trigger: Option<DroneTrigger>,
    pub(crate) build: Option<String>,
    pub(crate) status: String,
    pub(crate) log_step: Option<String>,
    /// The log to read by (stage, step) number; `log_step` then cross-checks the name.
    pub(crate) log_at: Option<(i64, i64)>,
    pub(crate) poll: Duration,
    pub(crate) build_var: String,
    /// Wait for the build to finish (else return once it is created).
    pub(crate) wait: bool,
}

#[derive(Debug, Clone)]
pub struct DroneTrigger {
    pub(crate) branch: Option<String>,
    pub(crate) commit: Option<String>,
    pub(crate) params: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub enum JournalStep {
    Mark {
        var: String,
    },
    Read {
        unit: String,
        scope: JournalScope,
        output: String,
    },
}

/// Which lines of a unit's journal a read sees.
#[derive(Debug, Clone)]
pub enum JournalScope {
    /// Strictly after a cursor marked earlier (the mark's variable name).
    After(String),
    /// One run of the unit: an InvocationID (a template, e.g. `${sweep.invocation}`).
    Invocation(String),
}

#[derive(Debug, Clone)]
pub struct HttpStep {
    pub(crate) method: String,
    pub(crate) url: String,
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) bearer_secret: Option<String>,
    pub(crate) body: Option<String>,
    pub(crate) status: u16,
    pub(crate) json: BTreeMap<String, serde_json::Value>,
    pub(crate) ca_file: Option<String>,
}

/// Expectations on one observation. Regexes are compiled in multi-line mode.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// `None`: any exit status is fine.
    pub(crate) exit: Option<i32>,
    pub(crate) stdout: Vec<Regex>,
    pub(crate) stdout_absent: Vec<Regex>,
    pub(crate) stderr: Vec<Regex>,
    pub(crate) stderr_absent: Vec<Regex>,
    pub(crate) stdout_in_order: Vec<Regex>,
    pub(crate) stdout_equals: Option<String>,
    pub(crate) count: Vec<(Regex, usize)>,
    pub(crate) contains: Option<Contains>,
    pub(crate) same_as: Option<SameAs>,
    pub(crate) subset_of: Option<SubsetOf>,
    /// Closed world: every stdout line is of one of these declared kinds.
    pub(crate) each_line: Vec<LineKind>,
    /// A sweep fire judged against the last one before the deploy (`crate::expect::regression`).
    pub(crate) regression: Option<super::regression::Regression>,
}

impl Expect {
    /// The variables the expectations read by name (not by `${}`): each must have been
    /// captured when the step runs, or the step could not be judged.
    pub(crate) fn named_vars(&self) -> Vec<&str> {
        let mut out = Vec::new();
        if let Some(sa) = &self.same_as {
            out.push(sa.var.as_str());
            out.extend(sa.platform.as_deref());
        }
        if let Some(so) = &self.subset_of {
            out.push(so.var.as_str());
            out.extend(so.platform.as_deref());
        }
        out.extend(self.each_line.iter().filter_map(|k| match &k.matcher {
            LineMatcher::LineOf(v) | LineMatcher::ValueOf(_, v) => Some(v.as_str()),
            LineMatcher::Regex(_) => None,
        }));
        if let Some(r) = &self.regression {
            out.extend(r.named());
        }
        out
    }
}

/// One declared kind of line of a closed-world `each_line` check: what it looks like and
/// why it is there.
#[derive(Debug, Clone)]
pub struct LineKind {
    pub(crate) matcher: LineMatcher,
    /// Why a line of this kind belongs (shown in the evidence, e.g. `NixOS' default unit path`).
    pub(crate) is: String,
}

/// How a line is recognised as of a kind.
#[derive(Debug, Clone)]
pub enum LineMatcher {
    /// The line matches this regex.
    Regex(Regex),
    /// The line equals one of the lines of this captured variable.
    LineOf(String),
    /// The line matches the regex, and its `value` group is one of the lines of the variable
    /// (`unit <any>: wrapper PATH entry: <one of ${declared}>`).
    ValueOf(Regex, String),
}

/// Coverage: every command this probe lists (`name=resolved path` lines) is named in an
/// earlier variable, or is the platform's, or a waiver in force covers it.
#[derive(Debug, Clone)]
pub struct SubsetOf {
    pub(crate) var: String,
    /// The variable holding the evaluator's platform facts (`crate::platform`).
    pub(crate) platform: Option<String>,
    pub(crate) except: Vec<ToolWaiver>,
}

#[derive(Debug, Clone)]
pub struct SameAs {
    pub(crate) var: String,
    pub(crate) lines: Option<Regex>,
    pub(crate) normalize: Vec<SameNormalize>,
    /// Keys (tool names) whose lines are not compared while the exception holds.
    pub(crate) except: Vec<ToolWaiver>,
    /// The variable holding the evaluator's platform facts: a command on one side only that
    /// is the platform's is classed so, not compared (`crate::platform`).
    pub(crate) platform: Option<String>,
}

/// A tolerated difference between two inventories (tool names), with its reason and the
/// last day it holds (UTC), like a [`Waiver`] of a failed unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolWaiver {
    pub(crate) tools: Vec<String>,
    /// Packages (store names, `openssh`) whose commands the waiver covers, whatever their names.
    pub(crate) packages: Vec<String>,
    pub(crate) reason: String,
    /// `YYYY-MM-DD`, validated at load.
    pub(crate) expires: String,
}

impl ToolWaiver {
    /// In force on the run's judging date.
    pub(crate) fn in_force(&self, on: &JudgingDate) -> bool {
        on.holds(&self.expires)
    }

    /// It names the command `tool`, or `package`, the store name of the package the command
    /// resolved into (empty when it resolved outside the store).
    pub(crate) fn covers(&self, tool: &str, package: &str) -> bool {
        self.tools.iter().any(|t| t == tool)
            || (!package.is_empty() && self.packages.iter().any(|p| p == package))
    }

    /// What it waives, for a person: `commands ssh, scp` and/or `package openssh`.
    pub(crate) fn what(&self) -> String {
        let mut parts = Vec::new();
        if !self.tools.is_empty() {
            parts.push(format!("commands {}", self.tools.join(", ")));
        }
        if !self.packages.is_empty() {
            parts.push(format!("package {}", self.packages.join(", ")));
        }
        parts.join(" and ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameNormalize {
    StorePath,
    SortedLines,
}

#[derive(Debug, Clone)]
pub struct Contains {
    pub(crate) item: Regex,
    pub(crate) all_of: Vec<String>,
    pub(crate) normalize: Normalize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalize {
    None,
    /// `/nix/store/<hash>-<name>-<version>[/…]` → `<name>`.
    StorePath,
}

/// A tolerated exception to a claim (a failed unit), with its reason and the last day it
/// holds (UTC). After that day the claim is judged without it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Waiver {
    pub(crate) unit: String,
    pub(crate) reason: String,
    /// `YYYY-MM-DD`, validated at load.
    pub(crate) expires: String,
}

impl Waiver {
    /// In force on the run's judging date.
    pub(crate) fn in_force(&self, on: &JudgingDate) -> bool {
        on.holds(&self.expires)
    }
}
