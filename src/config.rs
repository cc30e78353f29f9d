//! The run configuration: every `WITNESS_*` (and `CI`, `NEXTEST_RUN_ID`) environment
//! variable is read here, once, into a [`RunConfig`] that is passed down.
//!
//! Nothing else in the library reads the environment for settings (secrets named
//! `{ env = "VAR" }` in `targets.toml` and `HOME`/`SSH_AUTH_SOCK` for ssh are values, not
//! settings). A newcomer reading this file sees every knob; the README lists the same.

use std::path::PathBuf;

/// Default bound on each output stream (16 MiB); the excess is counted, not kept.
pub const DEFAULT_OUTPUT_LIMIT: usize = 16 * 1024 * 1024;

/// The target used when `WITNESS_TARGET` is unset.
pub(crate) const DEFAULT_TARGET: &str = "twin";

/// Settings of one gate run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Project root (`scenarios/`, `snapshots/`, `targets.toml`, `target/`):
    /// `WITNESS_ROOT`, else this crate's directory.
    pub root: PathBuf,
    /// `WITNESS_TARGET`, else `twin`.
    pub target: String,
    /// `WITNESS_ALLOW_MUTATION=1|true|yes`: scenarios that change the target may run.
    pub allow_mutation: bool,
    /// `WITNESS_READ_ONLY=1|true|yes`: scenarios that change the target (or observe an
    /// action that does) are skipped, not refused: the nightly gate's mode.
    pub read_only: bool,
    /// `WITNESS_OBSERVE=1|true|yes`: a step that changes the target and has an `observe`
    /// alternative watches for the next natural run instead (the nightly gate's mode); an
    /// action or scenario that then changes nothing needs no `WITNESS_ALLOW_MUTATION`.
    pub observe: bool,
    /// `WITNESS_OUTPUT_LIMIT`: bytes kept per output stream (head and tail), default 16 MiB.
    pub output_limit: usize,
    /// `CI` set: snapshots are compared, never written.
    pub ci: bool,
    /// Identifies one gate run across processes (nextest runs one process per scenario):
    /// `NEXTEST_RUN_ID` when set, else `WITNESS_RUN_ID`, else made up per process.
    pub run_id: String,
    /// No progress lines (libtest's `--quiet` / `--format terse`; nextest's listing).
    pub quiet: bool,
    /// `WITNESS_STATE_DIR`: where locks, per-run state and reports go, for an installed
    /// witness whose root is read-only (the nightly service); else `<root>/target/witness`.
    pub state_override: Option<PathBuf>,
    /// `WITNESS_ROLE`: who ran it (`builder`, `adversary`, `nightly`), shown in the report.
    pub role: Option<String>,
    /// `WITNESS_EVIDENCE=strict` (the builder's CI): evidence that is `new` or `differs`
    /// fails its scenario too. Otherwise the claims alone decide, and evidence is reported.
    pub evidence_strict: bool,
    /// `WITNESS_TARGETS`: a targets file outside the checkout, added to `targets.toml`.
    pub targets_file: Option<PathBuf>,
    /// `WITNESS_TARGET` was given. When it was not and the twin is not up, a gate skips its
    /// scenarios (saying how to run them) instead of failing: a fresh clone's `cargo test`
    /// is green. Asked for by name, an unusable target is an error.
    pub target_explicit: bool,
    /// `WITNESS_LOCK_WAIT` (seconds, default 7200): how long a mutating run waits for the
    /// target-side mutation lock another run holds before it is refused.
    pub lock_wait: std::time::Duration,
    /// `WITNESS_ALL_STEPS=1|true|yes`: a scenario's steps after a failed one still run, so
    /// each is judged (the sabotage matrix's mode; the verdict is the same).
    pub all_steps: bool,
}

impl RunConfig {
    /// Who holds the target's mutation lock, for a second run to read: this machine, process,
    /// run, role and what it is doing.
    pub(crate) fn lock_holder(&self, what: &str) -> String {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "?".into());
        format!(
            "{what} from {host} (pid {}, run {}, role {}, since {})",
            std::process::id(),
            self.run_id,
            self.role.as_deref().unwrap_or("unset"),
            humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        )
    }
}

impl RunConfig {
    /// Read the environment.
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        RunConfig {
            root: var("WITNESS_ROOT")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
            target: var("WITNESS_TARGET").unwrap_or_else(|| DEFAULT_TARGET.to_string()),
            allow_mutation: matches!(
                var("WITNESS_ALLOW_MUTATION").as_deref(),
                Some("1" | "true" | "yes")
            ),
            read_only: matches!(
                var("WITNESS_READ_ONLY").as_deref(),
                Some("1" | "true" | "yes")
            ),
            observe: matches!(
                var("WITNESS_OBSERVE").as_deref(),
                Some("1" | "true" | "yes")
            ),
            output_limit: var("WITNESS_OUTPUT_LIMIT")
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_OUTPUT_LIMIT),
            ci: var("CI").is_some_and(|v| v != "false" && v != "0"),
            run_id: var("NEXTEST_RUN_ID")
                .or_else(|| var("WITNESS_RUN_ID"))
                .unwrap_or_else(new_run_id),
            quiet: false,
            state_override: var("WITNESS_STATE_DIR").map(PathBuf::from),
            role: var("WITNESS_ROLE"),
            evidence_strict: var("WITNESS_EVIDENCE").as_deref() == Some("strict"),
            targets_file: var("WITNESS_TARGETS").map(PathBuf::from),
            target_explicit: var("WITNESS_TARGET").is_some(),
            lock_wait: std::time::Duration::from_secs(
                var("WITNESS_LOCK_WAIT")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(7200),
            ),
            all_steps: matches!(
                var("WITNESS_ALL_STEPS").as_deref(),
                Some("1" | "true" | "yes")
            ),
        }
    }

    /// A configuration for tests: defaults, no environment read.
    pub fn for_root(root: impl Into<PathBuf>, target: &str) -> Self {
        RunConfig {
            root: root.into(),
            target: target.to_string(),
            allow_mutation: false,
            read_only: false,
            observe: false,
            output_limit: DEFAULT_OUTPUT_LIMIT,
            ci: false,
            run_id: new_run_id(),
            quiet: false,
            state_override: None,
            role: None,
            evidence_strict: false,
            targets_file: None,
            target_explicit: true,
            lock_wait: std::time::Duration::from_secs(7200),
            all_steps: false,
        }
    }

    /// A line for a person watching a long run (stderr, plain lines: CI logs keep them), unless quiet.
    pub(crate) fn progress(&self, label: &str, line: &str) {
        if !self.quiet {
            eprintln!("[{label}] {line}");
        }
    }

    /// Where locks, per-run state and reports live: `WITNESS_STATE_DIR`, else
    /// `target/witness` under the root.
    pub(crate) fn state_dir(&self) -> PathBuf {
        self.state_override
            .clone()
            .unwrap_or_else(|| self.root.join("target").join("witness"))
    }
}

/// A run id unique on this machine: start time and process id.
fn new_run_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}-{}", now.as_millis(), std::process::id())
}
