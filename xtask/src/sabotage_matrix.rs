//! `cargo xtask sabotage-matrix`: proves every gate scenario can fail. For each sabotage
//! switch of the cc-ci twin, break the twin, run the scenarios that witness the broken claim,
//! require each to FAIL with a message that names the claim and says why, then restore.
//! A scenario that stays green under its sabotage fails the matrix.
//!
//! Every step of a sabotaged scenario is judged (`WITNESS_ALL_STEPS=1`: the engine does not
//! skip the steps after a failed one), and the report of each run says which steps failed.
//! The matrix ends with `steps shown red: X/Y`: of the Y steps of the gates' scenarios it
//! ran, X failed on their own check under at least one sabotage (status `failed`, not an
//! error, and reading no variable of an earlier step that did not pass: not a cascade). Each
//! step is printed with the sabotages that showed it red; a step never shown red is listed.
//!
//! Runs with `CI=true` and `INSTA_UPDATE=no`, so a sabotaged run can never write or update a snapshot.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::natural::{self, Naturals};
use crate::twin::{self, Reddens, Twin};
use crate::util::cargo;

/// `cargo xtask sabotage-matrix [--gate G] [NAME..]`: every sabotage (or the named ones),
/// each with its scenarios (or only gate G's: the M1 rows alone need no sweep fire).
pub fn run(args: &[String]) -> Result<()> {
    let mut gate = None;
    let mut only: Vec<&str> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--gate" {
            let Some(g) = it.next() else {
                bail!("usage: cargo xtask sabotage-matrix [--gate G] [NAME..]");
            };
            gate = Some(g.as_str());
        } else {
            only.push(a);
        }
    }
    let (rows, red_steps) = twin::with_twin("sabotage-matrix", |tw| {
        let result = run_matrix(tw, &only, gate);
        // Restore even when the matrix failed half-way: the twin must not stay sabotaged.
        let restored = restore();
        let rows = result?;
        restored?;
        Ok(rows)
    })?;
    println!(
        "\n{:<22} {:<28} {:<6} message",
        "sabotage", "scenario", "red?"
    );
    for (sab, sc, red, msg) in &rows {
        println!(
            "{sab:<22} {sc:<28} {:<6} {msg}",
            if *red { "red" } else { "GREEN" }
        );
    }
    let bad = rows.iter().filter(|r| !r.2).count();
    // A case "passes" when its scenario went red as it should; the plain closing line lets
    // CI count them like any test runner's.
    if bad == 0 {
        println!("sabotage matrix: every scenario went red under its sabotage, naming its claim");
    }
    println!("matrix: {} passed, {bad} failed", rows.len() - bad);
    steps_shown_red(&rows, &red_steps, gate)?;
    if bad > 0 {
        bail!(
            "{bad} scenario(s) did not go red, or went red without naming the claim and the reason"
        );
    }
    Ok(())
}

type Row = (String, String, bool, String);

/// Per scenario (`<gate>::<id>`), per step number, the sabotages under which it failed on its
/// own check.
type RedSteps = BTreeMap<String, BTreeMap<u64, BTreeSet<String>>>;

/// `steps shown red: X/Y`, over the steps of every scenario of the gates the rows ran (all
/// of a gate's scenarios count, not only those in the matrix); each step with the sabotages
/// that showed it red, and the steps never shown red.
fn steps_shown_red(rows: &[Row], red: &RedSteps, gate: Option<&str>) -> Result<()> {
    let gates: BTreeSet<&str> = rows
        .iter()
        .filter_map(|(_, sc, _, _)| sc.split_once("::").map(|(g, _)| g))
        .filter(|g| gate.is_none_or(|only| only == *g))
        .collect();
    let (mut shown, mut total) = (0, 0);
    let mut never = Vec::new();
    for g in gates {
        let dir = scenarios_dir(g);
        let files = witness::scenario::load::toml_files(&dir)
            .with_context(|| format!("reading {}", dir.display()))?;
        for f in files {
            let sc = witness::scenario::load::load_file(&f).map_err(|e| anyhow::anyhow!("{e}"))?;
            let name = format!("{g}::{}", sc.id);
            for (i, step) in sc.steps.iter().enumerate() {
                let n = i as u64 + 1;
                total += 1;
                match red.get(&name).and_then(|s| s.get(&n)) {
                    Some(by) if !by.is_empty() => {
                        shown += 1;
                        let by: Vec<&str> = by.iter().map(String::as_str).collect();
                        println!(
                            "shown red: {name} step {n} ({}) by {}",
                            step.name,
                            by.join(", ")
                        );
                    }
                    _ => never.push(format!("{name} step {n} ({})", step.name)),
                }
            }
        }
    }
    for n in &never {
        println!("never shown red: {n}");
    }
    println!(
        "steps shown red: {shown}/{total} (a step counts when it failed on its own check, not as a cascade)"
    );
    Ok(())
}

fn scenarios_dir(gate: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("scenarios")
        .join(gate)
}

/// The steps of `scenario` that failed on their own check in the last run's report: status
/// `failed` (an error — a variable never captured, a transport failure — is not a check that
/// failed), and no variable the step reads comes from an earlier step of the scenario that did
/// not pass (that failure would be a cascade of the earlier one).
fn failed_on_own_check(gate: &str, scenario: &str) -> Result<BTreeSet<u64>> {
    let status = step_statuses(gate, scenario);
    let id = scenario.split_once("::").map_or(scenario, |(_, id)| id);
    let file = scenarios_dir(gate).join(format!("{id}.toml"));
    let sc = witness::scenario::load::load_file(&file).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(own_failures(&sc.steps, &status))
}

/// The rule of [`failed_on_own_check`], over loaded steps and `index → status`.
fn own_failures(
    steps: &[witness::scenario::Step],
    status: &BTreeMap<u64, String>,
) -> BTreeSet<u64> {
    let not_passed = |n: u64| status.get(&n).is_some_and(|s| s != "passed");
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| (i as u64 + 1, step))
        .filter(|(n, _)| status.get(n).is_some_and(|s| s == "failed"))
        .filter(|(n, step)| {
            let reads: BTreeSet<&str> = step.reads().collect();
            !steps[..(*n as usize - 1)]
                .iter()
                .enumerate()
                .any(|(j, earlier)| {
                    not_passed(j as u64 + 1)
                        && earlier.defines().iter().any(|d| reads.contains(d.as_str()))
                })
        })
        .map(|(n, _)| n)
        .collect()
}

/// Each step's status (`passed`, `failed`, `error`, `skipped`) in the last run's report of
/// `scenario`.
fn step_statuses(gate: &str, scenario: &str) -> BTreeMap<u64, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/witness")
        .join(format!("{gate}@twin"))
        .join("report.json");
    let Ok(text) = std::fs::read_to_string(path) else {
        return BTreeMap::new();
    };
    let Ok(report) = serde_json::from_str::<serde_json::Value>(&text) else {
        return BTreeMap::new();
    };
    report["scenarios"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["name"] == scenario)
        .flat_map(|s| s["steps"].as_array().into_iter().flatten())
        .filter_map(|st| Some((st["index"].as_u64()?, st["status"].as_str()?.to_string())))
        .collect()
}

fn run_matrix(tw: &Twin, only: &[&str], gate: Option<&str>) -> Result<(Vec<Row>, RedSteps)> {
    let mut rows = Vec::new();
    let mut red_steps = RedSteps::new();
    let all = twin::sabotages()?;
    if let Some(unknown) = only.iter().find(|n| !all.iter().any(|s| s.name == **n)) {
        bail!(
            "no sabotage named `{unknown}` in {}",
            twin::sabotage_dir().display()
        );
    }
    for s in &all {
        let sabotage = s.name.as_str();
        if !only.is_empty() && !only.contains(&sabotage) {
            continue;
        }
        let cases: Vec<&Reddens> = s
            .reddens
            .iter()
            .filter(|r| gate.is_none_or(|g| r.scenario.starts_with(&format!("{g}::"))))
            .collect();
        if cases.is_empty() {
            continue;
        }
        eprintln!("sabotage-matrix: {sabotage}");
        twin::run(&["sabotage".to_string(), sabotage.to_string()])?;
        let outputs = gate_runs(tw, s, &cases)?;
        for Reddens {
            scenario,
            claim,
            because: why,
        } in cases
        {
            let scenario = scenario.as_str();
            let (gate, _) = scenario.split_once("::").unwrap_or(("m1", scenario));
            let by_step = red_steps.entry(scenario.to_string()).or_default();
            for n in failed_on_own_check(gate, scenario)? {
                by_step.entry(n).or_default().insert(sabotage.to_string());
            }
            let (red, msg) = judge_case(&outputs[gate], scenario, claim, why);
            rows.push((sabotage.to_string(), scenario.to_string(), red, msg));
        }
        restore()?;
    }
    Ok((rows, red_steps))
}

/// One gate run per gate of the row, with only the row's scenarios (the others skipped): the
/// gate's actions run once for all of them, as in a real run. Gate → its stdout.
fn gate_runs<'c>(
    tw: &Twin,
    s: &twin::Sabotage,
    cases: &[&'c Reddens],
) -> Result<BTreeMap<&'c str, String>> {
    let mut outputs: BTreeMap<&str, String> = BTreeMap::new();
    for r in cases {
        let (gate, _) = r.scenario.split_once("::").unwrap_or(("m1", &r.scenario));
        if outputs.contains_key(gate) {
            continue;
        }
        let wanted: BTreeSet<&str> = cases
            .iter()
            .map(|c| c.scenario.as_str())
            .filter(|sc| sc.starts_with(&format!("{gate}::")))
            .collect();
        let mut cmd = Command::new(cargo());
        cmd.args(["test", "--quiet", "--test", gate, "--", "--exact"])
            .args(skip_all_but(gate, &wanted)?)
            .env("WITNESS_TARGET", "twin")
            .env("WITNESS_ALL_STEPS", "1")
            .env("CI", "true")
            .env("INSTA_UPDATE", "no");
        let stdout = if s.observe {
            observing(tw, cmd)?
        } else {
            let out = cmd.env("WITNESS_ALLOW_MUTATION", "1").output()?;
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        outputs.insert(gate, stdout);
    }
    Ok(outputs)
}

/// Did `scenario` go red in the gate's output `all`, naming its claim and the reason; and the
/// first line of what it saw (its `seen:`/`error:` line, or the line after a block's label).
fn judge_case(all: &str, scenario: &str, claim: &str, why: &str) -> (bool, String) {
    let failed = all.lines().any(|l| {
        l.strip_prefix("test ")
            .and_then(|r| r.split_once(" ... "))
            .is_some_and(|(n, r)| n.trim() == scenario && r.trim() == "FAILED")
    });
    // Judged on this scenario's own failure message, not the gate's whole output.
    let text = section(all, scenario);
    let names_claim = text.contains(&format!("claim: {claim}"));
    let says_why = text.contains(why);
    let lines: Vec<&str> = text.lines().collect();
    let msg = lines
        .iter()
        .position(|l| {
            let t = l.trim_start();
            t.starts_with("seen:") || t.starts_with("error:")
        })
        .map(|i| {
            let here = lines[i].trim();
            if here == "seen:" {
                format!("seen: {}", lines.get(i + 1).unwrap_or(&"").trim())
            } else {
                here.to_string()
            }
        })
        .unwrap_or_else(|| "(no failure message)".to_string());
    if failed && !(names_claim && says_why) {
        eprintln!("{text}");
    }
    (
        failed && names_claim && says_why,
        msg.chars().take(160).collect(),
    )
}

/// Runs the gate `cmd` in observe mode, making the twin's natural events as its stderr says
/// it waits for them; returns its stdout. The sweep timer is put back whatever happens.
fn observing(tw: &Twin, mut cmd: Command) -> Result<String> {
    let mut gate = cmd
        .env("WITNESS_OBSERVE", "1")
        .env_remove("WITNESS_ALLOW_MUTATION")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdout = gate.stdout.take().context("the gate's stdout")?;
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let mut made = Naturals::default();
    let mut followed = Ok(());
    // An unreadable line ends the reading, not the function: the timer is restored below.
    let stderr = BufReader::new(gate.stderr.take().context("the gate's stderr")?);
    for line in stderr.lines().map_while(Result::ok) {
        eprintln!("{line}");
        if followed.is_ok() {
            followed = made.on_line(tw, &line);
        }
    }
    gate.wait()?;
    let restored = natural::restore_timer(tw);
    followed?;
    restored?;
    out.join()
        .map_err(|_| anyhow::anyhow!("reading the gate's stdout panicked"))?
        .context("reading the gate's stdout")
}

/// `--skip` for every scenario of `gate` but `wanted` (with `--exact`, names match whole).
fn skip_all_but(gate: &str, wanted: &BTreeSet<&str>) -> Result<Vec<String>> {
    let dir = scenarios_dir(gate);
    let mut args = Vec::new();
    for p in witness::scenario::load::toml_files(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
    {
        let name = format!(
            "{gate}::{}",
            p.file_stem().unwrap_or_default().to_string_lossy()
        );
        if !wanted.contains(name.as_str()) {
            args.push("--skip".to_string());
            args.push(name);
        }
    }
    Ok(args)
}

/// The failure message libtest prints for `scenario` (`---- NAME ----` up to the next one).
fn section(all: &str, scenario: &str) -> String {
    let head = format!("---- {scenario} ----");
    let Some(start) = all.find(&head) else {
        return String::new();
    };
    let rest = &all[start + head.len()..];
    let end = [rest.find("\n---- "), rest.find("\nfailures:\n")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    rest[..end].to_string()
}

fn restore() -> Result<()> {
    twin::run(&["restore".to_string()])
}

#[cfg(test)]
mod tests {

    /// A step counts as shown red when it failed on its own check: not an error, and not
    /// reading what an earlier step that did not pass captured (a cascade).
    #[test]
    fn a_cascade_is_not_shown_red() {
        let src = r#"title = "t"
claim = "c"
[[steps]]
run = { cmd = "echo a" }
capture = ['^(?P<a>.*)$']
[[steps]]
value = "${a}"
[[steps]]
run = { cmd = "true" }
[[steps]]
run = { cmd = "true" }
"#;
        let sc = witness::scenario::load::load_str(std::path::Path::new("t.toml"), src).unwrap();
        let st = |v: &[&str]| {
            v.iter()
                .enumerate()
                .map(|(i, s)| (i as u64 + 1, s.to_string()))
                .collect()
        };
        // Step 1 failed: step 2 (reads its capture) is a cascade; step 3 failed on its own;
        // step 4 could not be judged (an error).
        let own = super::own_failures(&sc.steps, &st(&["failed", "failed", "failed", "error"]));
        assert_eq!(own.into_iter().collect::<Vec<_>>(), vec![1, 3]);
        // With step 1 passing, step 2's failure is its own.
        let own = super::own_failures(&sc.steps, &st(&["passed", "failed", "passed", "passed"]));
        assert_eq!(own.into_iter().collect::<Vec<_>>(), vec![2]);
    }
}
