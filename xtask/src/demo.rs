//! `cargo xtask demo`: the newcomer's first command. The gate binaries compile while the twin
//! comes up (both said on screen, nothing silent), both gates run against it, then a result
//! table, each gate's own verdict line and the path of its reports; twin down (only if this
//! demo started it).

use std::process::Command;

use anyhow::{Result, bail};

use crate::twin;
use crate::util::cargo;

const GATES: &[&str] = &["m1", "m2"];

pub fn run(_args: &[String]) -> Result<()> {
    // Compile the gates while the twin is built or booted: on a fresh clone both take
    // minutes, and neither needs the other. Cargo's own progress shows the compile.
    eprintln!(
        "xtask demo: compiling the gate binaries (cargo build --test m1 --test m2) while the twin comes up…"
    );
    let mut compile = Command::new(cargo())
        .args(["build", "--test", "m1", "--test", "m2"])
        .spawn()?;
    let outcome = twin::with_twin("demo", |_| {
        let built = compile.wait()?;
        if !built.success() {
            bail!("compiling the gate binaries failed ({built})");
        }
        run_gates()
    });
    let _ = compile.kill();
    let (mut rows, verdicts) = outcome?;
    // Trials finish in any order; the table reads better by claim.
    rows.sort();
    print_table(&rows);
    for line in &verdicts {
        println!("{line}");
    }
    let bad = rows.iter().filter(|r| r.2 != "ok").count();
    if bad > 0 {
        bail!("{bad} scenario(s) did not pass");
    }
    Ok(())
}

/// A result row: (gate, scenario, libtest's result).
type Row = (String, String, String);

/// (gate, scenario, result) per trial, parsed from libtest's `test NAME ... RESULT` lines,
/// and each gate's own closing line and report path, as the gate printed them.
fn run_gates() -> Result<(Vec<Row>, Vec<String>)> {
    let mut rows = Vec::new();
    let mut verdicts = Vec::new();
    for gate in GATES {
        eprintln!("xtask demo: gate {gate} on the twin…");
        let out = Command::new(cargo())
            .args([
                "test",
                "--quiet",
                "--test",
                gate,
                "--",
                "--test-threads",
                "2",
            ])
            .env("WITNESS_TARGET", "twin")
            .env("WITNESS_ALLOW_MUTATION", "1")
            .output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let closing: Vec<String> = stdout
            .lines()
            .chain(stderr.lines())
            .filter(|l| l.starts_with("witness: gate ") && l.contains(" — "))
            .map(str::to_string)
            .collect();
        // Said at once, not only in the summary: a newcomer sees the first verdict as soon as
        // the first gate has one.
        for line in &closing {
            eprintln!("xtask demo: {line}");
        }
        verdicts.extend(closing);
        verdicts.extend(
            stderr
                .lines()
                .filter_map(|l| l.strip_prefix("[witness] reports: "))
                .map(|p| {
                    format!("  gate {gate}: reports (report.md, report.json, junit.xml) in {p}")
                }),
        );
        let mut found = false;
        for line in stdout.lines() {
            if let Some(rest) = line.strip_prefix("test ")
                && let Some((name, result)) = rest.split_once(" ... ")
            {
                found = true;
                let scenario = name.split_once("::").map(|x| x.1).unwrap_or(name);
                rows.push((
                    gate.to_string(),
                    scenario.to_string(),
                    result.trim().to_string(),
                ));
            }
        }
        if !out.status.success() || !found {
            // Show the harness's own report: it names what failed and why.
            eprintln!("{stdout}");
            eprintln!("{stderr}");
            if !found {
                rows.push((
                    gate.to_string(),
                    "(gate did not run)".into(),
                    "FAILED".into(),
                ));
            }
        }
    }
    Ok((rows, verdicts))
}

fn print_table(rows: &[Row]) {
    let w = rows.iter().map(|r| r.1.len()).max().unwrap_or(8).max(8);
    println!("\n{:<4}  {:<w$}  result", "gate", "scenario");
    println!("{:-<4}  {:-<w$}  ------", "", "");
    for (g, s, r) in rows {
        // libtest's words, said as the gate's verdicts.
        let r = match r.as_str() {
            "ok" => "passed",
            "ignored" => "skipped",
            other => other,
        };
        println!("{g:<4}  {s:<w$}  {r}");
    }
}
