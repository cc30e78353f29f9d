//! Who and what a gate run witnessed: the host (its verified SSH host key, the running and
//! booted systems, the flake checkout's commit), the claim it was pinned to (the target's
//! reviewed variables), and the witness that ran (version, the commit it was built from,
//! the sha256 of every scenario file). Gathered once per run with read-only commands over
//! the target's own transport; a fact that cannot be read is reported absent rather than
//! failing the run.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::wire::{Identity, JudgedOn};
use crate::config::RunConfig;
use crate::target::TargetRuntime;
use crate::transport::ExecOpts;

/// The target variables that pin a claim, reported as "reviewed".
const REVIEWED: &[&str] = &[
    "base_commit",
    "head_commit",
    "canon_commit",
    "reviewed_system",
    "reviewed_cc_ci_run",
];

pub(crate) fn gather(cfg: &RunConfig, gate: &str, rt: &TargetRuntime) -> Identity {
    let started_utc = now_utc();
    let red = rt.redactor();
    let ask = |cmd: &str| -> Option<String> {
        let opts = ExecOpts {
            deadline: Duration::from_secs(30),
            output_limit: 64 * 1024,
        };
        let out = rt.remote.exec(cmd, opts).ok()?;
        let text = out.stdout.text().trim().to_string();
        (out.exit == Some(0) && !text.is_empty()).then(|| red.secrets_only(&text))
    };
    let flake = rt.target.vars.get("flake").cloned();
    let flake_commit = flake.as_ref().and_then(|f| {
        let dir = shlex::try_quote(f).ok()?;
        ask(&format!("git -C {dir} rev-parse HEAD"))
    });
    Identity {
        target: rt.target.name.clone(),
        transport: rt.describe(),
        local: rt.ssh.is_none(),
        host_key: rt.ssh.as_ref().and_then(|p| {
            // Connect if nothing has yet, so the key is the one actually verified.
            let _ = p.check();
            p.verified_host_key()
        }),
        current_system: ask("readlink -e /run/current-system"),
        booted_system: ask("readlink -e /run/booted-system"),
        hostname: ask("cat /proc/sys/kernel/hostname"),
        judged_on: Some(JudgedOn {
            date: rt.judging.date().to_string(),
            pinned: rt.judging.is_pinned(),
        }),
        flake,
        flake_commit,
        reviewed: reviewed(&rt.target.vars),
        started_utc,
        ..own(cfg, gate)
    }
}

/// The identity of a run whose target could not even be loaded: only witness's side.
pub(crate) fn unusable_target(cfg: &RunConfig, gate: &str) -> Identity {
    Identity {
        target: cfg.target.clone(),
        transport: "(target unusable)".into(),
        started_utc: now_utc(),
        ..own(cfg, gate)
    }
}

/// What witness knows without the target: itself, the scenario files, the run.
fn own(cfg: &RunConfig, gate: &str) -> Identity {
    Identity {
        witness_version: env!("CARGO_PKG_VERSION").to_string(),
        witness_commit: witness_commit(),
        scenario_files: scenario_hashes(&cfg.root, gate),
        targets_file: cfg.targets_file.as_ref().map(|f| match std::fs::read(f) {
            Ok(bytes) => format!("{} sha256:{:x}", f.display(), Sha256::digest(&bytes)),
            Err(e) => format!("{} (unreadable: {e})", f.display()),
        }),
        role: cfg.role.clone(),
        run_id: cfg.run_id.clone(),
        ..Identity::default()
    }
}

fn reviewed(vars: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    REVIEWED
        .iter()
        .filter_map(|k| vars.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect()
}

pub(crate) fn now_utc() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// The commit this witness was built from. A packaged build says it at compile time
/// (`WITNESS_GIT_COMMIT`, which the flake sets from its own revision); under cargo the
/// code is the checkout it was compiled from, so ask git there, and say `-dirty` when
/// anything in that tree differs from the commit (code, scenarios, snapshots alike: the
/// scenario files' own hashes are in the report too). None when neither is known.
fn witness_commit() -> Option<String> {
    if let Some(c) = option_env!("WITNESS_GIT_COMMIT").filter(|c| !c.is_empty()) {
        return Some(c.to_string());
    }
    let dir = env!("CARGO_MANIFEST_DIR");
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let head = git(&["rev-parse", "HEAD"])?;
    let dirty = git(&["status", "--porcelain"]).is_none_or(|s| !s.is_empty());
    Some(if dirty { format!("{head}-dirty") } else { head })
}

/// sha256 of every `.toml` under `scenarios/<gate>` (actions included), by path.
pub(crate) fn scenario_hashes(root: &Path, gate: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let dir = root.join("scenarios").join(gate);
    for sub in [dir.clone(), dir.join("actions")] {
        let Ok(entries) = std::fs::read_dir(&sub) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toml")
                && let Ok(bytes) = std::fs::read(&p)
            {
                let rel = p.strip_prefix(root).unwrap_or(&p).display().to_string();
                out.insert(rel, format!("{:x}", Sha256::digest(&bytes)));
            }
        }
    }
    out
}
