//! The run configuration: every `WITNESS_*` (and `CI`, `NEXTEST_RUN_ID`) environment
//! variable is read here, once, into a [`RunConfig`] that is passed down.
//!
//! Nothing else in the library reads the environment for settings (secrets named
//! `{ env = "VAR" }` in `targets.toml` and `HOME`/`SSH_AUTH_SOCK` for ssh are values, not
//! settings). A newcomer reading this file sees every knob; the README lists the same.

use std::path::PathBuf;

use thiserror::Error;

/// A `WITNESS_*` variable set to none of its accepted values: a usage error (exit 64). Here,
/// not in `crate::error`, so the configuration stays a leaf of the module graph.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{name}={value:?} is not an accepted value (accepted: {accepted})")]
pub struct ConfigError {
    pub(crate) name: &'static str,
    pub(crate) value: String,
    pub(crate) accepted: String,
}

/// Every environment variable a run of witness reads, with what it means: `witness --help`
/// lists them (the README's table says the same at length).
pub const ENV_VARS: &[(&str, &str)] = &[
    (
        "WITNESS_TARGET",
        "the target from targets.toml (default twin)",
    ),
    (
        "WITNESS_TARGETS",
        "a targets file outside the checkout, added to targets.toml",
    ),
    (
        "WITNESS_ROOT",
        "the project root: scenarios/, snapshots/, targets.toml (default this checkout)",
    ),
    (
        "WITNESS_ALLOW_MUTATION",
        "1|true|yes: scenarios that change the target may run (0|false|no: refused)",
    ),
    (
        "WITNESS_READ_ONLY",
        "1|true|yes: scenarios that change the target are skipped, not refused",
    ),
    (
        "WITNESS_OBSERVE",
        "1|true|yes: watch for the next natural run instead of making one",
    ),
    (
        "WITNESS_ALL_STEPS",
        "1|true|yes: the steps after a failed one still run",
    ),
    (
        "WITNESS_EVIDENCE",
        "report (default) | strict: new or differing evidence fails its scenario",
    ),
    (
        "WITNESS_ROLE",
        "builder | adversary | nightly: who runs it, shown in the report",
    ),
    (
        "WITNESS_OUTPUT_LIMIT",
        "bytes kept per output stream, head and tail (default 16777216)",
    ),
    (
        "WITNESS_LOCK_WAIT",
        "seconds a mutating run waits for the target's lock (default 7200)",
    ),
    (
        "WITNESS_STATE_DIR",
        "where locks, per-run state and reports go (default target/witness)",
    ),
    (
        "WITNESS_SIGNING_KEY",
        "sign the run's attestation: an SSH private key file, a public key file whose private half is in ssh-agent, or key::<type> <base64> (as git's user.signingkey)",
    ),
    (
        "WITNESS_RUN_ID",
        "one gate run across processes (nextest's NEXTEST_RUN_ID wins)",
    ),
    (
        "CI",
        "set (not 0/false): INSTA_UPDATE=auto writes nothing (insta's rule)",
    ),
    (
        "INSTA_UPDATE",
        "new (default: .snap.new for review) | always | unseen | no | force | auto (new, or no under CI)",
    ),
];

/// What becomes of evidence that is new or differs from the committed snapshot:
/// `INSTA_UPDATE` read as insta reads it, so `cargo insta review` finds what it expects.
/// witness writes the files itself (insta's own assertion panics and prints its summary,
/// and an installed binary would ask `cargo metadata` for the workspace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotUpdate {
    /// `<name>.snap.new` beside the committed file, for `cargo insta review` (`new`, unset,
    /// and `auto` outside CI).
    Review,
    /// The `.snap` itself is written (`always`, `1`, `force`).
    Accept,
    /// A new snapshot is written as the `.snap`, a differing one as `.snap.new` (`unseen`).
    Unseen,
    /// Nothing is written (`no`, and `auto` under CI).
    Nothing,
}

impl SnapshotUpdate {
    /// `INSTA_UPDATE`'s value, as insta names it (for messages).
    pub(crate) fn name(self) -> &'static str {
        match self {
            SnapshotUpdate::Review => "new",
            SnapshotUpdate::Accept => "always",
            SnapshotUpdate::Unseen => "unseen",
            SnapshotUpdate::Nothing => "no",
        }
    }

    fn from_env(ci: bool) -> Result<Self, ConfigError> {
        let accepted = ["auto", "new", "always", "1", "unseen", "no", "force"];
        Ok(match one_of("INSTA_UPDATE", &accepted)?.as_deref() {
            // Unset: `new`, as the project's `.config/insta.yaml` says for its own tests (a
            // cold CI run leaves something to review); `auto` is insta's: nothing under CI.
            Some("auto") if ci => SnapshotUpdate::Nothing,
            None | Some("auto" | "new") => SnapshotUpdate::Review,
            Some("always" | "1" | "force") => SnapshotUpdate::Accept,
            Some("unseen") => SnapshotUpdate::Unseen,
            _ => SnapshotUpdate::Nothing,
        })
    }
}

/// The accepted spellings of a yes/no variable.
const FLAG_VALUES: &[&str] = &["1", "true", "yes", "0", "false", "no"];

/// A yes/no variable: unset or empty is no; any other value must be one of [`FLAG_VALUES`].
fn flag(name: &'static str) -> Result<bool, ConfigError> {
    Ok(matches!(
        one_of(name, FLAG_VALUES)?.as_deref(),
        Some("1" | "true" | "yes")
    ))
}

/// A variable that takes one of `accepted` (unset or empty: `None`).
fn one_of(name: &'static str, accepted: &[&str]) -> Result<Option<String>, ConfigError> {
    match std::env::var(name) {
        Ok(v) if v.is_empty() => Ok(None),
        Ok(v) if accepted.contains(&v.as_str()) => Ok(Some(v)),
        Ok(v) => Err(ConfigError {
            name,
            value: v,
            accepted: accepted.join(", "),
        }),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(v)) => Err(ConfigError {
            name,
            value: v.to_string_lossy().into_owned(),
            accepted: accepted.join(", "),
        }),
    }
}

/// A whole number (unset or empty: `None`).
fn number(name: &'static str) -> Result<Option<usize>, ConfigError> {
    match std::env::var(name) {
        Ok(v) if v.is_empty() => Ok(None),
        Ok(v) => v.parse().map(Some).map_err(|_| ConfigError {
            name,
            value: v,
            accepted: "a whole number".into(),
        }),
        Err(_) => Ok(None),
    }
}

/// The SSH key types `ssh-keygen -Y sign` signs with (OpenSSH 8.x and later), as a public key
/// line names them.
const KEY_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/// What `WITNESS_SIGNING_KEY` accepts, as its error says.
const SIGNING_KEY_FORMS: &str = "an existing SSH private key file, a public key file whose private half is in ssh-agent, \
     or key::<type> <base64> for a key in ssh-agent (as git's user.signingkey)";

/// The key a run signs its attestation with (`WITNESS_SIGNING_KEY`), as git's
/// `user.signingkey` takes one for SSH signing. Only where the key is: its private half never
/// passes through witness (`ssh-keygen -Y sign` reads the file, or asks ssh-agent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningKey {
    /// A private key file, or a public key file whose private half ssh-agent holds.
    File(PathBuf),
    /// `key::<type> <base64>`: a public key literal whose private half ssh-agent holds.
    Agent(String),
}

impl SigningKey {
    /// Parse a `WITNESS_SIGNING_KEY` value: `key::` and a public key line, or a path to an
    /// existing file (`~/` is the home directory, as git reads it).
    fn parse(value: &str) -> Result<Self, ConfigError> {
        let refuse = || ConfigError {
            name: "WITNESS_SIGNING_KEY",
            value: value.to_string(),
            accepted: SIGNING_KEY_FORMS.into(),
        };
        if let Some(literal) = value.strip_prefix("key::") {
            let mut words = literal.split_whitespace();
            let (Some(kind), Some(blob)) = (words.next(), words.next()) else {
                return Err(refuse());
            };
            use base64::Engine as _;
            let decodes = base64::engine::general_purpose::STANDARD
                .decode(blob)
                .is_ok();
            return if KEY_TYPES.contains(&kind) && decodes {
                Ok(SigningKey::Agent(format!("{kind} {blob}")))
            } else {
                Err(refuse())
            };
        }
        let path = match value.strip_prefix("~/") {
            Some(rest) => std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(rest))
                .ok_or_else(refuse)?,
            None => PathBuf::from(value),
        };
        if path.is_file() {
            Ok(SigningKey::File(path))
        } else {
            Err(refuse())
        }
    }

    /// Where the key is, for a person (never the key's secret: there is none here).
    pub fn describe(&self) -> String {
        match self {
            SigningKey::File(p) => p.display().to_string(),
            SigningKey::Agent(k) => format!("key::{k} (in ssh-agent)"),
        }
    }
}

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
    /// What becomes of new or differing evidence (`INSTA_UPDATE`).
    pub snapshot_update: SnapshotUpdate,
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
    /// `WITNESS_SIGNING_KEY`: the key the run's in-toto attestation is signed with (a DSSE
    /// envelope beside report.json); unset: the attestation is written unsigned, and said so.
    pub signing_key: Option<SigningKey>,
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
    /// Read the environment. Every `WITNESS_*` value is validated: one that is set but is none
    /// of its accepted values is an error naming the variable and them (never read as the
    /// default: `WITNESS_ALLOW_MUTATION=on` does not quietly mean "no").
    pub fn from_env() -> Result<Self, ConfigError> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let ci = var("CI").is_some_and(|v| v != "false" && v != "0");
        Ok(RunConfig {
            root: var("WITNESS_ROOT")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
            target: var("WITNESS_TARGET").unwrap_or_else(|| DEFAULT_TARGET.to_string()),
            allow_mutation: flag("WITNESS_ALLOW_MUTATION")?,
            read_only: flag("WITNESS_READ_ONLY")?,
            observe: flag("WITNESS_OBSERVE")?,
            output_limit: number("WITNESS_OUTPUT_LIMIT")?.unwrap_or(DEFAULT_OUTPUT_LIMIT),
            ci,
            snapshot_update: SnapshotUpdate::from_env(ci)?,
            run_id: var("NEXTEST_RUN_ID")
                .or_else(|| var("WITNESS_RUN_ID"))
                .unwrap_or_else(new_run_id),
            quiet: false,
            state_override: var("WITNESS_STATE_DIR").map(PathBuf::from),
            role: var("WITNESS_ROLE"),
            evidence_strict: one_of("WITNESS_EVIDENCE", &["report", "strict"])?.as_deref()
                == Some("strict"),
            targets_file: var("WITNESS_TARGETS").map(PathBuf::from),
            target_explicit: var("WITNESS_TARGET").is_some(),
            lock_wait: std::time::Duration::from_secs(
                number("WITNESS_LOCK_WAIT")?.map_or(7200, |n| n as u64),
            ),
            all_steps: flag("WITNESS_ALL_STEPS")?,
            signing_key: var("WITNESS_SIGNING_KEY")
                .map(|v| SigningKey::parse(&v))
                .transpose()?,
        })
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
            snapshot_update: SnapshotUpdate::Review,
            run_id: new_run_id(),
            quiet: false,
            state_override: None,
            role: None,
            evidence_strict: false,
            targets_file: None,
            target_explicit: true,
            lock_wait: std::time::Duration::from_secs(7200),
            all_steps: false,
            signing_key: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `WITNESS_SIGNING_KEY` takes what git's `user.signingkey` takes for SSH; anything else
    /// is refused naming the variable and the forms, never read as "unsigned".
    #[test]
    fn a_signing_key_is_a_file_or_an_agent_key_literal() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("id_ed25519");
        std::fs::write(&key, "not read here").unwrap();
        assert_eq!(
            SigningKey::parse(key.to_str().unwrap()),
            Ok(SigningKey::File(key.clone()))
        );
        assert_eq!(
            SigningKey::parse("key::ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGwBkivAPM1v alice"),
            Ok(SigningKey::Agent(
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGwBkivAPM1v".into()
            ))
        );
        for bad in [
            "/nonexistent/id_ed25519",
            "key::ssh-ed25519",
            "key::ssh-dss AAAAB3NzaC1kc3M=",
            "key::ssh-ed25519 not*base64",
        ] {
            let e = SigningKey::parse(bad).unwrap_err();
            assert_eq!(e.name, "WITNESS_SIGNING_KEY");
            assert!(
                e.to_string().starts_with(&format!(
                    "WITNESS_SIGNING_KEY={bad:?} is not an accepted value (accepted: an existing SSH private key file"
                )),
                "{e}"
            );
        }
    }
}
