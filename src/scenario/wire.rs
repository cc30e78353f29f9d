//! Serde wire types: the scenario file exactly as written.
//!
//! These types only describe the TOML shape. They are converted into the validated
//! domain types of [`super::model`] by [`super::load`], which is where defaults,
//! cross-field rules and span-carrying errors live.
//!
//! Every struct is `deny_unknown_fields`: a misspelt key (`expect_exitt`) in a gate
//! would otherwise silently weaken the claim it witnesses. Step kinds are *keys* of the
//! step table (`[steps.run]`, `[steps.systemd]`, …) rather than an internally tagged
//! `kind = "run"`: serde buffers internally tagged enums and loses toml's spans, so a
//! typo inside a step would only point at the `[[steps]]` header.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

/// Top level of `scenarios/<gate>/<name>.toml`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScenarioWire {
    #[schemars(with = "String")]
    pub(crate) title: Spanned<String>,
    #[schemars(with = "String")]
    pub(crate) claim: Spanned<String>,
    #[serde(default)]
    pub(crate) mutates: bool,
    /// It runs Nix builds on the target (load on a production host, store paths left): it
    /// says so, and runs with no other building scenario or action on that target.
    #[serde(default)]
    pub(crate) builds: bool,
    /// A reason to skip this scenario unless `--ignored` is given (like `#[ignore]`).
    pub(crate) ignore: Option<String>,
    /// Run-scoped actions (`scenarios/<gate>/actions/<name>.toml`) this scenario observes:
    /// each runs at most once per gate run, before the scenario, and its variables are
    /// readable as `${<action>.<variable>}`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub(crate) uses: Vec<Spanned<String>>,
    #[serde(default)]
    pub(crate) redact: Vec<RedactWire>,
    #[serde(default)]
    #[schemars(with = "Vec<StepWire>")]
    pub(crate) steps: Vec<Spanned<StepWire>>,
    /// Instead of `[[steps]]`: the steps of a sibling scenario (its file stem), judged again
    /// under this scenario's claim (e.g. the host's health re-checked after the sweep), so no
    /// step is copied between files.
    #[schemars(with = "Option<String>")]
    pub(crate) steps_from: Option<Spanned<String>>,
}

/// An extra redaction filter, applied after the built-in ones.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RedactWire {
    #[schemars(with = "String")]
    pub(crate) regex: Spanned<String>,
    pub(crate) replace: String,
}

/// One `[[steps]]` table: common fields plus exactly one step-kind key.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepWire {
    pub(crate) name: Option<String>,
    #[schemars(with = "Option<String>")]
    pub(crate) timeout: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) expect: ExpectWire,
    /// Regexes with named groups, matched against stdout; each group becomes `${group}`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub(crate) capture: Vec<Spanned<String>>,
    pub(crate) retry: Option<RetryWire>,
    /// What output the evidence keeps: `all` (default), `matched`, `none`.
    pub(crate) record: Option<RecordWire>,

    #[schemars(with = "Option<RunWire>")]
    pub(crate) run: Option<Spanned<RunWire>>,
    #[schemars(with = "Option<SystemdWire>")]
    pub(crate) systemd: Option<Spanned<SystemdWire>>,
    #[schemars(with = "Option<JournalWire>")]
    pub(crate) journal: Option<Spanned<JournalWire>>,
    #[schemars(with = "Option<HttpWire>")]
    pub(crate) http: Option<Spanned<HttpWire>>,
    #[schemars(with = "Option<DroneWire>")]
    pub(crate) drone: Option<Spanned<DroneWire>>,
    #[schemars(with = "Option<ProcessWire>")]
    pub(crate) process: Option<Spanned<ProcessWire>>,
    /// Every command in some directories, each resolved to its real path (`name=path` lines,
    /// the first directory holding a name winning, as a shell's PATH lookup does).
    #[schemars(with = "Option<CommandsWire>")]
    pub(crate) commands: Option<Spanned<CommandsWire>>,
    /// Every unit whose closure holds a store path (and units named on purpose): what makes
    /// its processes' environment, one fact a line, from a built system or the live host.
    #[schemars(with = "Option<UnitsWire>")]
    pub(crate) units: Option<Spanned<UnitsWire>>,
    /// Judge a value the run already holds (an action's captured log or tools), without
    /// running anything: it becomes the step's stdout. `{ of, under }` takes only the lines of
    /// `of` that begin with `under`, that prefix cut off.
    #[schemars(with = "Option<ValueWire>")]
    pub(crate) value: Option<Spanned<ValueWire>>,
    /// In observe mode (`WITNESS_OBSERVE=1`, the nightly gate), what this step does instead of
    /// changing the target: it watches for the next natural run (a timer's fire, someone
    /// else's build) and records the same variables. Only on a step that changes the target.
    #[schemars(with = "Option<ObserveWire>")]
    pub(crate) observe: Option<Spanned<ObserveWire>>,
}

/// `observe = { systemd = { next = "x.service" } }` or `observe = { drone = { next = true } }`,
/// with an optional bound `within` (default `26h`: a daily timer's next fire, with slack).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ObserveWire {
    /// How long to wait for the natural run; `26h` unless given.
    #[schemars(with = "Option<String>")]
    pub(crate) within: Option<Spanned<String>>,
    /// The next start of this unit that witness did not make (a new InvocationID).
    pub(crate) systemd: Option<ObserveSystemdWire>,
    /// The next build of the step's repo (a number above the newest when the wait begins).
    pub(crate) drone: Option<ObserveDroneWire>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ObserveSystemdWire {
    /// The unit whose next natural start is watched for (the one the step starts).
    pub(crate) next: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ObserveDroneWire {
    /// `true`: the next build of the repo, whoever made it.
    pub(crate) next: bool,
}

/// A process of a unit, found through the unit's cgroup (never by command line alone), and
/// what its environment resolves: `/proc/<pid>/environ` variables and tools on its PATH.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProcessWire {
    /// The unit whose cgroup (and sub-cgroups) holds the process.
    pub(crate) unit: String,
    /// Regex on the process's command line (arguments joined by spaces); the newest match wins.
    #[schemars(with = "String")]
    pub(crate) cmdline: Spanned<String>,
    /// Environment variables of the process to report: a list of names (`NAME=value` lines, in
    /// that order), or `"all"`: every variable of its `/proc/<pid>/environ`, one `NAME=value`
    /// line each (a newline in a value written `\n`), sorted, for a closed-world check
    /// (`each_line`) on the process's whole environment.
    #[serde(default)]
    pub(crate) env: EnvWire,
    /// Tools to resolve on the process's own PATH, each to its real path (`tool=/nix/store/…`).
    #[serde(default)]
    pub(crate) resolve: Vec<String>,
    /// A tool not on the PATH: `fail` the step (default) or only `record` it as `tool=MISSING`
    /// (an action observes; the scenarios that read its outputs judge).
    pub(crate) missing: Option<MissingWire>,
    /// Record the process's whole PATH inventory as `${inventory}`: every command name
    /// resolvable on its PATH, `name=/real/path`, the first directory holding it winning.
    #[serde(default)]
    pub(crate) inventory: bool,
    /// Look for the process on the target itself, every `poll` (e.g. `"20ms"`) until the
    /// step's timeout, and read it the moment it appears: for a process that lives under a
    /// second (a recipe's test process), which a `retry` over SSH can miss. The target's bash
    /// then matches `cmdline` first (`[[ … =~ … ]]`, POSIX extended regex) and witness again:
    /// write it in what both read alike (e.g. `-m pytest`, `run_recipe_ci\.py`).
    #[schemars(with = "Option<String>")]
    pub(crate) poll: Option<Spanned<String>>,
    /// With `poll`: watch only while a process of the unit matches this regex (the process
    /// that would start the one looked for, e.g. `run_recipe_ci\.py` for its test process).
    /// When none is left and none matching `cmdline` came, the step records that (empty
    /// output) rather than waiting out its timeout: a run that never started its test is a
    /// fact for the scenarios to judge, not a probe that could not look.
    #[schemars(with = "Option<String>")]
    pub(crate) while_running: Option<Spanned<String>>,
}

/// `process.env`: the names to report, or `"all"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum EnvWire {
    /// These variables, in this order (an unset one prints `NAME=`).
    Names(Vec<String>),
    /// `"all"`: every variable the process has.
    All(AllWire),
}

impl Default for EnvWire {
    fn default() -> Self {
        Self::Names(Vec::new())
    }
}

/// The word `"all"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AllWire {
    All,
}

/// The `commands` step: directories to list, in lookup order.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommandsWire {
    /// Directories in lookup order: each a template or `{ of, under }` (the lines of a value
    /// under a prefix, as a `value` step takes them), and each may hold several separated by
    /// `:` or newlines, as a PATH does. Entries that are not absolute are skipped.
    #[schemars(with = "Vec<ValueWire>")]
    pub(crate) dirs: Vec<ValueWire>,
    /// Only these command names (default: every command).
    #[serde(default)]
    pub(crate) names: Vec<String>,
    /// A directory that begins with a key is read under its value instead:
    /// `{ "/run/current-system" = "${top}" }` reads a built system's runtime paths in it.
    #[serde(default)]
    pub(crate) read_under: BTreeMap<String, String>,
}

/// The `units` step: exactly one of `system` and `live`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnitsWire {
    /// A built system (its toplevel, a template): its unit files and drop-ins are read.
    pub(crate) system: Option<String>,
    /// The running host, as systemd resolves its units (`systemctl show`).
    #[serde(default)]
    pub(crate) live: bool,
    /// The store path a unit's closure must hold to be listed (a template: `${ccrun}`); without
    /// it, only the units of `also`.
    pub(crate) holding: Option<String>,
    /// Units listed whatever they hold (e.g. `drone-runner-exec.service`).
    #[serde(default)]
    pub(crate) also: Vec<String>,
    /// Scripts read as wrappers too, by label: `{ "cc-ci-run" = "${ccrun}/bin/cc-ci-run" }`
    /// gives `cc-ci-run PATH entry: …` and `cc-ci-run execs: …` lines.
    #[serde(default)]
    pub(crate) scripts: BTreeMap<String, String>,
}

/// `process.missing`.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum MissingWire {
    Fail,
    Record,
}

/// A Drone CI build: trigger one (or read an existing one), wait for it, read a step's log.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DroneWire {
    /// Server URL, e.g. `${drone_url}`.
    pub(crate) server: String,
    /// `owner/name`.
    pub(crate) repo: String,
    /// Name of the target secret holding the API token.
    pub(crate) token_secret: String,
    /// Trigger a new build (changes the target)…
    pub(crate) trigger: Option<DroneTriggerWire>,
    /// …or look at an existing build number.
    pub(crate) build: Option<String>,
    /// Expected final status; `success` unless given.
    pub(crate) status: Option<String>,
    /// The step (by name: numbers shift) whose log becomes the step's stdout; with `log`,
    /// only a cross-check of the name of the step found there.
    pub(crate) log_step: Option<String>,
    /// The log to read by position, `"STAGE/STEP"` (Drone's `logs/1/2`), as a person
    /// reading the build's API does; its log becomes the step's stdout.
    #[schemars(with = "Option<String>")]
    pub(crate) log: Option<Spanned<String>>,
    /// How often to poll the build; `5s` unless given.
    #[schemars(with = "Option<String>")]
    pub(crate) poll: Option<Spanned<String>>,
    /// Variable that receives the build number; `build` unless given.
    pub(crate) build_var: Option<String>,
    /// `false`: return once the build is created (its number in `build_var`), without
    /// waiting; a later `build = "${build}"` step waits for it.
    pub(crate) wait: Option<bool>,
}

#[derive(Debug, Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DroneTriggerWire {
    pub(crate) branch: Option<String>,
    pub(crate) commit: Option<String>,
    /// Build parameters: they reach the pipeline steps as environment variables.
    #[serde(default)]
    pub(crate) params: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetryWire {
    #[schemars(with = "String")]
    pub(crate) interval: Spanned<String>,
    #[schemars(with = "String")]
    pub(crate) deadline: Spanned<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunWire {
    #[schemars(with = "String")]
    pub(crate) cmd: Spanned<String>,
    /// Run on the machine running witness instead of the target.
    #[serde(default)]
    pub(crate) local: bool,
    /// Working directory (for `local` steps: relative to the workspace root).
    pub(crate) cwd: Option<String>,
    /// Environment variables exported for the command, each value byte-exact: the way to
    /// hand a value to a program a second shell reads (`bash -c 'echo "$V"'`).
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub(crate) env: Option<Spanned<BTreeMap<String, String>>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SystemdWire {
    /// `systemctl show` of this unit; with `properties`, each must equal.
    pub(crate) unit: Option<String>,
    #[serde(default)]
    pub(crate) properties: BTreeMap<String, String>,
    /// "No failed units", minus an allowlist.
    pub(crate) failed: Option<FailedWire>,
    /// Start this unit and wait until it finishes (mutates the target).
    pub(crate) start: Option<String>,
    /// Wait (read-only) until this unit's current run finishes.
    pub(crate) wait: Option<String>,
    /// With `start`: return once the start job is queued and the run has begun (its
    /// InvocationID known), instead of waiting for it to finish.
    #[serde(default)]
    pub(crate) no_block: bool,
    /// With `start`/`wait`: the variable that receives the run's InvocationID;
    /// `invocation` unless given.
    pub(crate) invocation_var: Option<String>,
    /// With `wait`: how the run must end; `success` unless given. `any` records how it
    /// ended (`ActiveState`, `Result` in the evidence) without failing the step: an action
    /// observes, and the scenarios that read its evidence judge (a sweep cut short is a
    /// broken claim, not a run that could not be witnessed).
    pub(crate) result: Option<String>,
}

#[derive(Debug, Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FailedWire {
    /// Waivers: failed units the claim tolerates for a while, each with why and until when.
    #[serde(default)]
    #[schemars(with = "Vec<WaiverWire>")]
    pub(crate) allow: Vec<Spanned<WaiverWire>>,
}

/// `{ unit = "x.service", reason = "…", expires = "2026-12-31" }`: no waiver without a
/// reason and an end.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WaiverWire {
    pub(crate) unit: String,
    pub(crate) reason: String,
    #[schemars(with = "String")]
    pub(crate) expires: Spanned<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct JournalWire {
    /// Record the journal's current cursor as `${<mark>}`.
    pub(crate) mark: Option<String>,
    /// Read this unit's journal…
    pub(crate) unit: Option<String>,
    /// …strictly after the cursor recorded by an earlier `mark` step…
    #[schemars(with = "Option<String>")]
    pub(crate) after: Option<Spanned<String>>,
    /// …or the lines of one run of it: an InvocationID (`${invocation}`, `${sweep.invocation}`).
    #[schemars(with = "Option<String>")]
    pub(crate) invocation: Option<Spanned<String>>,
    /// `journalctl -o` format; `cat` (message only) by default.
    pub(crate) output: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HttpWire {
    #[schemars(with = "String")]
    pub(crate) url: Spanned<String>,
    pub(crate) method: Option<MethodWire>,
    #[serde(default)]
    pub(crate) headers: BTreeMap<String, String>,
    /// Name of a target secret sent as `Authorization: Bearer <secret>`.
    pub(crate) bearer_secret: Option<String>,
    pub(crate) body: Option<String>,
    pub(crate) status: Option<u16>,
    /// JSON pointer → expected JSON value.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub(crate) json: BTreeMap<String, toml::Value>,
    /// A PEM file with extra trusted roots (TLS stays verified).
    pub(crate) ca_file: Option<String>,
}

/// A `value` step: a template, or the lines of a template under a prefix.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum ValueWire {
    /// The whole value (e.g. `"${drone_build.log}"`).
    Whole(String),
    /// The lines of `of` that begin with `under` (both templates), each without that prefix.
    Under(ValueUnderWire),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ValueUnderWire {
    pub(crate) of: String,
    pub(crate) under: String,
    /// Each line taken is split at this separator into lines of its own (a PATH at `:`).
    pub(crate) split: Option<String>,
}

/// Expectations on a step's observed output.
#[derive(Debug, Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpectWire {
    /// Expected exit status; `0` unless given. Ignored by steps without one (http).
    pub(crate) exit: Option<i32>,
    /// Accept any exit status (for probes whose status carries no meaning).
    #[serde(default)]
    pub(crate) any_exit: bool,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub(crate) stdout: Vec<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub(crate) stdout_absent: Vec<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub(crate) stderr: Vec<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub(crate) stderr_absent: Vec<Spanned<String>>,
    /// Regexes that must match stdout lines in this order.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub(crate) stdout_in_order: Vec<Spanned<String>>,
    /// Trimmed stdout must equal this (after interpolation, e.g. `"${built}"`).
    pub(crate) stdout_equals: Option<String>,
    #[serde(default)]
    pub(crate) count: Vec<CountWire>,
    pub(crate) contains: Option<ContainsWire>,
    /// Parity: stdout must equal an earlier variable (e.g. a whole-stdout capture of another
    /// probe), after normalization; a difference is shown as a diff.
    pub(crate) same_as: Option<SameAsWire>,
    /// Coverage: every `name=path` line of stdout names a command of `var`, or is the
    /// platform's (`platform`), or is covered by an exception in force.
    pub(crate) subset_of: Option<SubsetOfWire>,
    /// Closed world: every non-empty stdout line must be of one of these kinds (a regex it
    /// matches, or a line of a captured variable), each saying why it belongs.
    #[serde(default)]
    #[schemars(with = "Vec<LineKindWire>")]
    pub(crate) each_line: Vec<Spanned<LineKindWire>>,
    /// A sweep fire judged by meaning against the last fire before the deploy: every green
    /// run promoted, failure signatures, no program missing.
    pub(crate) regression: Option<super::regression::RegressionWire>,
}

/// One kind of line an `each_line` check accepts: a `regex`, a `line_of`, or both (the regex's
/// `value` group is one of the variable's lines).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LineKindWire {
    /// The line matches this regex.
    #[schemars(with = "Option<String>")]
    pub(crate) regex: Option<Spanned<String>>,
    /// The line equals one of the lines of this captured variable (named without `${}`).
    pub(crate) line_of: Option<String>,
    /// Why a line of this kind belongs: shown in the evidence and the report.
    pub(crate) is: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubsetOfWire {
    /// The variable listing the commands that cover (`name=path` or `name` lines).
    pub(crate) var: String,
    /// The variable holding the evaluator's platform facts (`platform package <name> <store
    /// path>`, `platform wrapper <name> <resolved path>` lines).
    pub(crate) platform: Option<String>,
    /// Exceptions, each a waiver: commands (`tools`) or packages' commands (`packages`) not
    /// required, for a reason, until a date.
    #[serde(default)]
    #[schemars(with = "Vec<ExceptWire>")]
    pub(crate) except: Vec<Spanned<ExceptWire>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SameAsWire {
    pub(crate) var: String,
    /// Compare only the lines matching this regex (on both sides).
    #[schemars(with = "Option<String>")]
    pub(crate) lines: Option<Spanned<String>>,
    /// `store-path` (hashes and versions away), `sorted-lines`, or `none` (trailing space only).
    #[serde(default)]
    pub(crate) normalize: Vec<SameNormalizeWire>,
    /// Exceptions, each a waiver: lines whose key (the `key` group, else the text before the
    /// first `=`) is one of `tools` are not compared, for a reason, until a date.
    #[serde(default)]
    #[schemars(with = "Vec<ExceptWire>")]
    pub(crate) except: Vec<Spanned<ExceptWire>>,
    /// The variable holding the evaluator's platform facts: a command on one side only that
    /// resolves into a platform package (or is a platform wrapper) is classed as the
    /// platform's, not compared.
    pub(crate) platform: Option<String>,
}

/// `{ tools = ["ssh", "scp"], reason = "…", expires = "2026-12-31" }` or `{ packages =
/// ["openssh"], … }`: a difference between two inventories the claim tolerates for a while,
/// with why and until when.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExceptWire {
    #[serde(default)]
    pub(crate) tools: Vec<String>,
    /// Packages (store names) whose commands are excepted, whatever the commands are called.
    #[serde(default)]
    pub(crate) packages: Vec<String>,
    pub(crate) reason: String,
    #[schemars(with = "String")]
    pub(crate) expires: Spanned<String>,
}

/// Exactly `lines` stdout lines match `regex` (the "exactly 1 hit" grep proofs).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CountWire {
    #[schemars(with = "String")]
    pub(crate) regex: Spanned<String>,
    pub(crate) lines: usize,
}

/// The items found in stdout must contain every listed item (superset-or-equal).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContainsWire {
    /// Each match of this regex (group `item` if present, else the whole match) is one item.
    #[schemars(with = "String")]
    pub(crate) item: Spanned<String>,
    pub(crate) all_of: Vec<String>,
    /// Normalize items first: `store-path` turns `/nix/store/<hash>-git-lfs-3.6.1/bin` into `git-lfs`.
    pub(crate) normalize: Option<ContainsNormalizeWire>,
}

// Enum-like fields as serde enums: toml then reports the value's span and the choices
// (`unknown variant `x`, expected one of …`) with no hand-written check.

/// `record = "all" | "matched" | "none"`.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RecordWire {
    All,
    Matched,
    None,
}

/// An HTTP method, upper case as on the wire.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub(crate) enum MethodWire {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
}

impl MethodWire {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MethodWire::Get => "GET",
            MethodWire::Head => "HEAD",
            MethodWire::Post => "POST",
            MethodWire::Put => "PUT",
            MethodWire::Patch => "PATCH",
            MethodWire::Delete => "DELETE",
            MethodWire::Options => "OPTIONS",
        }
    }
}

/// `same_as.normalize` items.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum SameNormalizeWire {
    StorePath,
    SortedLines,
}

/// `contains.normalize`.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ContainsNormalizeWire {
    None,
    StorePath,
}
