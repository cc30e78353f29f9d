//! `cargo xtask nightly-check`: the nightly gate unit tested for real, in the twin.
//!
//! It installs what an operator installs on a cc-ci host (`packaging/nightly/`: the
//! `witness` binary, the `witness-nightly` runner, the service and the timer, the scenarios
//! and snapshots, a targets.toml whose target is the host itself), then:
//! 1. fires the service on the pristine twin: it must end `inactive` (green) and leave the
//!    gate reports under /var/lib/witness; observing (the runner sets `WITNESS_OBSERVE`), M2
//!    judges every claim on the sweep timer's own fire and another party's build (made to
//!    happen while it waits: [`crate::natural`]), so its verdict is PASSED, not INCOMPLETE,
//!    and its report says observed;
//! 2. breaks the host (a failed unit, `failed-unit`) and fires it again: the unit must end
//!    `failed`, `systemctl --failed` must list it, and the report must name the red claim
//!    (M2.2, host healthy). A sabotage of the repository would not do: the gate is pinned to
//!    the reviewed commit, which a later commit does not change — what a nightly run can
//!    catch is the host drifting away from what was reviewed;
//! 3. restores the twin and clears the failed state.
//!
//! Both runs also prove what the unit leaves for operators: each run's reports copied to
//! `history/<gate>@twin/<time>/`, the oldest beyond `WITNESS_HISTORY_KEEP` pruned (two old
//! runs are planted first, so two real runs are enough to see both go), and the
//! node_exporter textfile `witness.prom` in `WITNESS_TEXTFILE_DIR` saying the gate passed
//! (green) or not, with its failed count (red).
//!
//! Why inside the twin, against the `local` target: on cc-ci the nightly gate is a unit of
//! the host itself (a NixOS module), like the sweep it watches; it needs no SSH key to
//! production lying on another machine, and `systemctl --failed` on the host is where an
//! operator already looks. The twin is Debian bookworm like this machine, so the binary
//! built here runs there unchanged.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::natural;
use crate::twin::{self, Twin};
use crate::util::{self, cargo};

/// The sabotage the red run uses, and the scenario it must turn red.
const SABOTAGE: &str = "failed-unit";
const RED_SCENARIO: &str = "m2::c2_host_healthy";
/// The gate whose report the red run must name the claim in.
const RED_GATE: &str = "m2";
/// Runs the installed unit keeps per gate (`WITNESS_HISTORY_KEEP`), and the history runs
/// planted before the first fire: both are older than any real run, so pruning takes them.
const KEEP: usize = 2;
const PLANTED: [&str; 2] = ["2000-01-01T000000Z", "2000-01-02T000000Z"];
/// Where the installed unit writes witness.prom (not the state directory, its default: the
/// variable is what is proven).
const TEXTFILE_DIR: &str = "/var/lib/node-exporter-textfile";

pub fn run(_args: &[String]) -> Result<()> {
    util::run(Command::new(cargo()).args(["build", "--bin", "witness"]))?;
    twin::with_twin("nightly-check", |tw| {
        let result = check(tw);
        // Whatever happened: the twin pristine again, the unit's failed state cleared.
        let restored = twin::run(&["restore".to_string()]);
        let _ = twin::ask(tw, "systemctl reset-failed witness-nightly.service");
        result?;
        restored
    })
}

fn check(tw: &Twin) -> Result<()> {
    install(tw)?;
    println!("nightly-check: green run (pristine twin)…");
    let (state, report) = fire(tw)?;
    if state != "inactive" {
        bail!("the nightly unit ended `{state}` on the pristine twin; its report:\n{report}");
    }
    if !report.contains("PASSED") {
        bail!("the green run's report does not say PASSED:\n{report}");
    }
    println!("nightly-check: green: unit inactive, report written");
    let kept_runs = history(tw)?;
    if kept_runs.len() != KEEP || kept_runs[0] != PLANTED[1] {
        bail!(
            "after one run with {KEEP} kept and {PLANTED:?} planted, history/{RED_GATE}@twin \
             should hold {} and the new run; it holds {kept_runs:?}",
            PLANTED[1]
        );
    }
    // Observing, no M2 claim is skipped: every claim ran and holds, the word is PASSED.
    textfile(
        tw,
        &[
            &format!("witness_gate_passed{{gate=\"{RED_GATE}\",target=\"twin\"}} 1"),
            &format!(
                "witness_gate_verdict{{gate=\"{RED_GATE}\",target=\"twin\",verdict=\"passed\"}} 1"
            ),
        ],
    )?;
    for what in [
        "observed (witness fired nothing): nightly-sweep.service: run ",
        "started by nightly-sweep.timer, not by witness",
        "observed (witness fired nothing): recipe-maintainers/cc-ci: build #",
    ] {
        if !report.contains(what) {
            bail!("the green run's M2 report does not say `{what}`:\n{report}");
        }
    }
    println!("nightly-check: green: history kept and pruned to {KEEP}, witness.prom says passed");

    println!("nightly-check: red run (sabotage {SABOTAGE})…");
    twin::run(&["sabotage".to_string(), SABOTAGE.to_string()])?;
    let (state, report) = fire(tw)?;
    if state != "failed" {
        bail!("the nightly unit ended `{state}` under sabotage {SABOTAGE}; expected failed");
    }
    let failed = twin::ask(tw, "systemctl --failed --plain --no-legend --no-pager")?;
    if !failed.contains("witness-nightly.service") {
        bail!("`systemctl --failed` does not list witness-nightly.service:\n{failed}");
    }
    if !report.contains(RED_SCENARIO) {
        bail!("the red run's report does not name {RED_SCENARIO}:\n{report}");
    }
    println!(
        "nightly-check: red: unit failed, listed by `systemctl --failed`, report names {RED_SCENARIO}"
    );
    let kept_runs = history(tw)?;
    if kept_runs.len() != KEEP || kept_runs.iter().any(|h| PLANTED.contains(&h.as_str())) {
        bail!(
            "after two runs history/{RED_GATE}@twin should hold exactly them; it holds {kept_runs:?}"
        );
    }
    let kept = twin::ask(
        tw,
        &format!(
            "cat /var/lib/witness/history/{RED_GATE}@twin/{}/report.md",
            kept_runs[KEEP - 1]
        ),
    )?;
    if !kept.contains(RED_SCENARIO) {
        bail!("the red run's kept report does not name {RED_SCENARIO}:\n{kept}");
    }
    let prom = textfile(
        tw,
        &[&format!(
            "witness_gate_passed{{gate=\"{RED_GATE}\",target=\"twin\"}} 0"
        )],
    )?;
    let failed = format!(
        "witness_gate_scenarios{{gate=\"{RED_GATE}\",target=\"twin\",verdict=\"failed\"}} "
    );
    if !prom
        .lines()
        .filter_map(|l| l.strip_prefix(&failed))
        .any(|n| n.parse::<u64>().is_ok_and(|n| n >= 1))
    {
        bail!("witness.prom does not count the failed scenario:\n{prom}");
    }
    println!(
        "nightly-check: red: the red run kept in history, witness.prom says failed (count included)"
    );
    Ok(())
}

/// The gate's history directory, oldest first.
fn history(tw: &Twin) -> Result<Vec<String>> {
    let out = twin::ask(
        tw,
        &format!("ls -1 /var/lib/witness/history/{RED_GATE}@twin | sort"),
    )?;
    Ok(out.lines().map(str::to_string).collect())
}

/// witness.prom as node_exporter would read it; each of `lines` must be one of its lines.
fn textfile(tw: &Twin, lines: &[&str]) -> Result<String> {
    let prom = twin::ask(tw, &format!("cat {TEXTFILE_DIR}/witness.prom"))?;
    for l in lines {
        if !prom.lines().any(|p| p == *l) {
            bail!("{TEXTFILE_DIR}/witness.prom lacks `{l}`:\n{prom}");
        }
    }
    Ok(prom)
}

/// Start the unit and see its run through (the sweep's fire and a build happen on their own
/// while M2 waits for them), then its state and the M2 report.
fn fire(tw: &Twin) -> Result<(String, String)> {
    natural::run_nightly_unit(tw)?;
    let state = twin::ask(tw, "systemctl is-active witness-nightly.service")?;
    let report = twin::ask(
        tw,
        &format!(
            "cat /var/lib/witness/{RED_GATE}@twin/report.md 2>/dev/null || \
             journalctl -q -u witness-nightly.service -n 80 --no-pager"
        ),
    )?;
    Ok((state.trim().to_string(), report))
}

/// Copy the installation into the twin's root file system and reload systemd.
fn install(tw: &Twin) -> Result<()> {
    let root = util::workspace_root();
    let rootfs = twin::rootfs();
    let put = |from: &Path, to: &str, mode: u32| -> Result<()> {
        let dest = rootfs.join(to.trim_start_matches('/'));
        std::fs::create_dir_all(dest.parent().expect("a file path"))?;
        std::fs::copy(from, &dest)
            .with_context(|| format!("copying {} to {}", from.display(), dest.display()))?;
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(mode))?;
        Ok(())
    };
    let pkg = root.join("packaging/nightly");
    put(
        &util::target_dir().join("debug/witness"),
        "/usr/local/bin/witness",
        0o755,
    )?;
    put(
        &pkg.join("witness-nightly"),
        "/usr/local/lib/witness/witness-nightly",
        0o755,
    )?;
    put(
        &pkg.join("witness-nightly.service"),
        "/etc/systemd/system/witness-nightly.service",
        0o644,
    )?;
    put(
        &pkg.join("witness-nightly.timer"),
        "/etc/systemd/system/witness-nightly.timer",
        0o644,
    )?;
    let share = rootfs.join("usr/local/share/witness");
    std::fs::create_dir_all(&share)?;
    for dir in ["scenarios", "snapshots"] {
        let _ = util::remove_tree(&share.join(dir));
        util::run(
            Command::new("cp")
                .arg("-a")
                .arg(root.join(dir))
                .arg(share.join(dir)),
        )?;
    }
    std::fs::write(share.join("targets.toml"), targets_toml(&root)?)?;
    std::fs::create_dir_all(rootfs.join("etc/witness"))?;
    std::fs::write(
        rootfs.join("etc/witness/nightly.env"),
        format!(
            "# Read by witness-nightly.service.\n\
         WITNESS_ROOT=/usr/local/share/witness\n\
         WITNESS_BIN=/usr/local/bin/witness\n\
         WITNESS_TARGET=twin\n\
         WITNESS_GATES=\"m1 m2\"\n\
         WITNESS_HISTORY_KEEP={KEEP}\n\
         WITNESS_TEXTFILE_DIR={TEXTFILE_DIR}\n\
         # What changes the host is skipped, never run; the runner observes the sweep's fire\n\
         # and the next Drone build instead (WITNESS_OBSERVE).\n\
         WITNESS_READ_ONLY=1\n"
        ),
    )?;
    // A history from an earlier check goes; two runs older than any real one are planted.
    let history = rootfs.join(format!("var/lib/witness/history/{RED_GATE}@twin"));
    let _ = util::remove_tree(&rootfs.join("var/lib/witness/history"));
    let _ = util::remove_tree(&rootfs.join(TEXTFILE_DIR.trim_start_matches('/')));
    for old in PLANTED {
        std::fs::create_dir_all(history.join(old))?;
        std::fs::write(history.join(old).join("report.md"), "planted\n")?;
    }
    twin::ask(
        tw,
        "systemctl daemon-reload && systemctl enable witness-nightly.timer 2>&1 && \
         systemctl is-enabled witness-nightly.timer",
    )
    .map(drop)
}

/// The installed witness's targets.toml: the twin's target as this machine sees it (its
/// variables, pinned commits and store paths included), but `local = true`: the gate runs
/// on the host it judges. The target keeps the name `twin` so the committed twin snapshots
/// are the evidence it is compared with.
fn targets_toml(root: &Path) -> Result<String> {
    let target = witness::target::load(root, "twin").context("reading the twin target")?;
    let mut vars = toml::Table::new();
    for (k, v) in &target.vars {
        vars.insert(k.clone(), toml::Value::String(v.clone()));
    }
    let mut secrets = toml::Table::new();
    for (k, s) in &target.secrets {
        let mut t = toml::Table::new();
        match s {
            witness::target::SecretSource::TargetFile(f) => {
                t.insert("file".into(), toml::Value::String(f.clone()))
            }
            witness::target::SecretSource::Env(e) => {
                t.insert("env".into(), toml::Value::String(e.clone()))
            }
        };
        secrets.insert(k.clone(), toml::Value::Table(t));
    }
    let mut twin = toml::Table::new();
    twin.insert("local".into(), toml::Value::Boolean(true));
    // The twin's pinned judging date goes with it: a fixture judged itself on another day
    // must give the same verdicts.
    if let Some(on) = &target.judged_on {
        twin.insert("judged_on".into(), toml::Value::String(on.date().into()));
    }
    twin.insert("vars".into(), toml::Value::Table(vars));
    twin.insert("secrets".into(), toml::Value::Table(secrets));
    let mut targets = toml::Table::new();
    targets.insert("twin".into(), toml::Value::Table(twin));
    let mut doc = toml::Table::new();
    doc.insert("targets".into(), toml::Value::Table(targets));
    Ok(format!(
        "# Written by `cargo xtask nightly-check`: the twin judging itself.\n{}",
        toml::to_string(&doc)?
    ))
}
