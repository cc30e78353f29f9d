//! Run-scoped actions: things a gate does at most once per gate run, observed by every
//! scenario that `uses` them.
//!
//! On a production host a sweep fire takes about 30 minutes and deploys real apps, a Drone
//! build about 3; a gate must not fire once per scenario that looks at the fire. An action
//! is a file `scenarios/<gate>/actions/<name>.toml` with the shape of a scenario (title,
//! claim, `mutates`, steps). Its outputs are the variables its steps define (captures,
//! journal marks, InvocationIDs, build numbers), read by scenarios as `${<name>.<var>}`.
//! A scenario that uses an action runs after the action has finished.
//!
//! Once per run, across threads and processes: within a process a `OnceLock` per action;
//! across processes (nextest runs one per scenario, all with the same `NEXTEST_RUN_ID`) an
//! exclusive flock on `target/witness/runs/<run>/<gate>/<name>.lock`, held while the
//! action runs, and its result stored next to it as `<name>.json`: the first process runs
//! it, the others wait for the lock and read the result. While it runs, a mutating action
//! holds the target's exclusive lock. Its evidence is recorded once, as its own snapshot
//! `snapshots/<gate>/actions/<name>.snap`. An action that fails fails every scenario using
//! it, naming the action.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::config::RunConfig;
use crate::engine::run_steps;
use crate::error::{ActionError, ActionProblem, ActionRefused, LoadError};
use crate::evidence::{self, EvidenceCheck};
use crate::lock::{flock, lock_builds, lock_on_target, lock_target};
use crate::scenario::check::{check_vars, defined_vars};
use crate::scenario::{Scenario, load::load_file};
use crate::target::TargetRuntime;

/// Why an action's outputs are not available.
#[derive(Debug, Clone)]
pub(crate) enum ActionUnavailable {
    /// It changes the target and mutation is not allowed.
    Refused(ActionRefused),
    /// It ran and failed, or could not be run.
    Failed(ActionError),
}

/// `name`'s outputs are unavailable: it failed.
fn fail(name: &str, problem: ActionProblem) -> ActionUnavailable {
    ActionUnavailable::Failed(ActionError {
        action: name.to_string(),
        problem,
    })
}

/// What a scenario gets from an action it uses.
#[derive(Debug, Clone)]
pub(crate) struct ActionOutputs {
    /// The outputs as `<action>.<var>` pairs.
    pub(crate) vars: Vec<(String, String)>,
    /// How the action's evidence compares with its committed snapshot (`None` when it has
    /// not been compared). Its outputs are what it saw either way: the scenarios judge their
    /// claims on them; the evidence is reported apart.
    pub(crate) evidence: Option<EvidenceCheck>,
}

/// An action's outputs, or why there are none.
type ActionResult = Result<ActionOutputs, ActionUnavailable>;

/// What an action left, as stored for the other processes of the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    /// `None` when it passed; the redacted failure otherwise.
    failure: Option<String>,
    outputs: BTreeMap<String, String>,
    /// How its evidence compares with the committed snapshot.
    #[serde(default)]
    evidence: Option<EvidenceCheck>,
    /// When it began (RFC 3339 UTC) and how long it took, for the gate report: the sweep
    /// fire's and the Drone build's time appear nowhere else. Absent in an older result.
    #[serde(default)]
    started_utc: Option<String>,
    #[serde(default)]
    duration_ms: Option<u64>,
    /// In observe mode, the natural runs it watched instead of making them (empty: it fired
    /// or triggered them itself).
    #[serde(default)]
    observed: Vec<String>,
}

/// An action as the gate report shows it: what ran once for the run, when, how long, and
/// what it fired or triggered (its outputs: InvocationIDs, build numbers; secrets gone).
#[derive(Debug, Clone)]
pub(crate) struct ActionRun {
    pub(crate) name: String,
    pub(crate) title: String,
    pub(crate) mutates: bool,
    pub(crate) started_utc: Option<String>,
    pub(crate) duration_ms: Option<u64>,
    /// `None` when it passed.
    pub(crate) failure: Option<String>,
    pub(crate) outputs: BTreeMap<String, String>,
    /// What it observed instead of firing (observe mode): which run or build, when it began.
    pub(crate) observed: Vec<String>,
}

/// The actions of the gate that ran in this run, by name: their stored results. One
/// refused or never used left nothing and is not listed.
pub(crate) fn ran_in(cfg: &RunConfig, gate: &str) -> Vec<ActionRun> {
    let defs = Actions::load(&cfg.root.join("scenarios").join(gate), gate).defs;
    let dir = run_dir(cfg, gate);
    defs.into_iter()
        .filter_map(|(name, def)| {
            let mut s = read_stored(&dir.join(format!("{name}.json")))?;
            let def = def.ok();
            // It was observing (it would change the target, but not in this mode) and saw
            // nothing: say so, rather than read as an action that changes nothing.
            if s.observed.is_empty()
                && def
                    .as_ref()
                    .is_some_and(|d| d.mutates && !d.changes_target(cfg.observe))
            {
                s.observed.push("nothing came".into());
            }
            Some(ActionRun {
                title: def.as_ref().map(|d| d.title.clone()).unwrap_or_default(),
                mutates: def.is_some_and(|d| d.changes_target(cfg.observe)),
                started_utc: s.started_utc,
                observed: s.observed,
                duration_ms: s.duration_ms,
                failure: s.failure,
                outputs: s.outputs,
                name,
            })
        })
        .collect()
}

/// The actions of one gate, and what each left in this run.
pub(crate) struct Actions {
    gate: String,
    defs: BTreeMap<String, Result<Scenario, String>>,
    results: BTreeMap<String, OnceLock<ActionResult>>,
}

impl Actions {
    /// Load `scenarios/<gate>/actions/*.toml` (none is fine). A broken file is kept as its
    /// error, reported to the scenarios that use it.
    pub(crate) fn load(gate_dir: &Path, gate: &str) -> Self {
        let dir = gate_dir.join("actions");
        let mut defs = BTreeMap::new();
        for p in crate::scenario::load::toml_files(&dir).unwrap_or_default() {
            if let Some(name) = p.file_stem().map(|s| s.to_string_lossy().into_owned()) {
                defs.insert(name, load_file(&p).map_err(|e| e.to_string()));
            }
        }
        let results = defs.keys().map(|k| (k.clone(), OnceLock::new())).collect();
        Actions {
            gate: gate.to_string(),
            defs,
            results,
        }
    }

    /// The outputs of each action, by name (a broken action file has none).
    pub(crate) fn outputs(&self) -> BTreeMap<String, Vec<String>> {
        self.defs
            .iter()
            .map(|(k, d)| (k.clone(), d.as_ref().map(defined_vars).unwrap_or_default()))
            .collect()
    }

    /// Does this action change the target (in observe mode, when it has `observe`
    /// alternatives on every such step, it only watches)?
    pub(crate) fn changes_target(&self, name: &str, observe: bool) -> bool {
        matches!(self.defs.get(name), Some(Ok(a)) if a.changes_target(observe))
    }

    /// The action's outputs as `<name>.<var>` pairs, running it first if nothing in this run
    /// has. Blocks while another thread or process runs it.
    pub(crate) fn get(
        &self,
        name: &str,
        cfg: &RunConfig,
        rt: &TargetRuntime,
        given: &BTreeSet<String>,
    ) -> ActionResult {
        let fail = |problem| fail(name, problem);
        let (Some(def), Some(cell)) = (self.defs.get(name), self.results.get(name)) else {
            return Err(fail(ActionProblem::NoSuchAction));
        };
        let def = def.as_ref().map_err(|e| {
            fail(ActionProblem::Load {
                diagnostic: e.clone(),
            })
        })?;
        cell.get_or_init(|| self.once(name, def, cfg, rt, given))
            .clone()
    }

    fn once(
        &self,
        name: &str,
        def: &Scenario,
        cfg: &RunConfig,
        rt: &TargetRuntime,
        given: &BTreeSet<String>,
    ) -> ActionResult {
        let fail = |problem| fail(name, problem);
        if def.changes_target(cfg.observe) && !cfg.allow_mutation {
            return Err(ActionUnavailable::Refused(ActionRefused {
                action: name.to_string(),
                title: def.title.clone(),
            }));
        }
        check_vars(def, given, &BTreeMap::new())
            .map_err(|e: LoadError| fail(ActionProblem::Vars(Arc::new(e))))?;
        let dir = run_dir(cfg, &self.gate);
        if let Err(e) = std::fs::create_dir_all(&dir) {
            return Err(fail(ActionProblem::CreateDir {
                dir,
                source: Arc::new(e),
            }));
        }
        let lock_path = dir.join(format!("{name}.lock"));
        let lock = match flock(&lock_path, true) {
            Ok(l) => l,
            Err(e) => {
                return Err(fail(ActionProblem::Lock {
                    path: lock_path,
                    source: Arc::new(e),
                }));
            }
        };
        let stored_path = dir.join(format!("{name}.json"));
        let stored = match read_stored(&stored_path) {
            Some(s) => s,
            None => {
                let began = std::time::SystemTime::now();
                let mut s = self.run(name, def, cfg, rt);
                s.started_utc = Some(humantime::format_rfc3339_seconds(began).to_string());
                s.duration_ms = Some(
                    u64::try_from(began.elapsed().unwrap_or_default().as_millis())
                        .unwrap_or(u64::MAX),
                );
                let text = serde_json::to_string_pretty(&s).expect("plain strings serialize");
                if let Err(e) = crate::atomic_file::write(&stored_path, text.as_bytes()) {
                    return Err(fail(ActionProblem::Store {
                        path: stored_path,
                        source: Arc::new(e),
                    }));
                }
                s
            }
        };
        drop(lock);
        match stored.failure {
            Some(failure) => Err(fail(ActionProblem::Ran { failure })),
            None => Ok(ActionOutputs {
                vars: stored
                    .outputs
                    .into_iter()
                    .map(|(k, v)| (format!("{name}.{k}"), v))
                    .collect(),
                evidence: stored.evidence,
            }),
        }
    }

    /// Run the action's steps under the target lock and record its evidence.
    fn run(&self, name: &str, def: &Scenario, cfg: &RunConfig, rt: &TargetRuntime) -> Stored {
        let failed = |failure: String| Stored {
            failure: Some(failure),
            outputs: BTreeMap::new(),
            evidence: None,
            started_utc: None,
            duration_ms: None,
            observed: Vec::new(),
        };
        let mutates = def.changes_target(cfg.observe);
        let _lock = match lock_target(&cfg.state_dir(), &cfg.target, mutates) {
            Ok(l) => l,
            Err(e) => return failed(e.to_string()),
        };
        let label = format!("{} action {name}", self.gate);
        let progress = |line: &str| cfg.progress(&label, line);
        let _builds = if def.builds {
            progress("runs Nix builds on the target: one building scenario or action at a time");
            match lock_builds(&cfg.state_dir(), &cfg.target) {
                Ok(l) => Some(l),
                Err(e) => return failed(e.to_string()),
            }
        } else {
            None
        };
        // What changes the target holds the lock on the target itself too: two runs from
        // two machines never both mutate it.
        let _on_target = if mutates {
            match lock_on_target(rt, &cfg.lock_holder(&label), cfg.lock_wait, &progress) {
                Ok(l) => Some(l),
                Err(e) => return failed(e.to_string()),
            }
        } else {
            None
        };
        progress(&format!("runs once for this gate run: {}", def.title));
        let run = run_steps(def, rt, &[], &progress);
        if !run.report.passed() {
            return failed(evidence::failure_message(
                &self.gate,
                def,
                &run.report,
                &cfg.target,
                &rt.describe(),
            ));
        }
        let text = evidence::render(def, &run.report);
        // A changed observation (a tool now MISSING) is what the scenarios judge: the outputs
        // stay usable, and how the evidence compares is carried to them.
        // Observed, its watching steps read differently from firing ones: that evidence is
        // its own snapshot, `<name>.observed.snap`, compared with observed runs only.
        let snapshot = if run.observed.is_empty() {
            def.clone()
        } else {
            Scenario {
                id: format!("{}.observed", def.id),
                ..def.clone()
            }
        };
        let check =
            evidence::compare_action_snapshot(cfg, &self.gate, &snapshot, &cfg.target, &text);
        progress(&format!("done; evidence {}", check.describe()));
        // Outputs are stored on disk for the run's other processes: secret values go.
        let red = rt.redactor();
        for o in &run.observed {
            progress(&format!("observed: {}", red.secrets_only(o)));
        }
        Stored {
            failure: None,
            evidence: Some(check),
            started_utc: None,
            duration_ms: None,
            observed: run.observed.iter().map(|o| red.secrets_only(o)).collect(),
            outputs: run
                .defined
                .into_iter()
                .map(|(k, v)| (k, red.secrets_only(&v)))
                .collect(),
        }
    }
}

/// `target/witness/runs/<run id>/<gate>`.
fn run_dir(cfg: &RunConfig, gate: &str) -> PathBuf {
    let id: String = cfg
        .run_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    cfg.state_dir().join("runs").join(id).join(gate)
}

fn read_stored(path: &Path) -> Option<Stored> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}
