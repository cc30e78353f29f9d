//! `cargo xtask demo`: the newcomer's first command. Twin up, both gates against it, a short
//! result table, twin down (only if this demo started it).

use std::process::Command;

use anyhow::{Result, bail};

use crate::test::cargo;
use crate::twin;

const GATES: &[&str] = &["m1", "m2"];

pub fn run(_args: &[String]) -> Result<()> {
    let mut rows = twin::with_twin("demo", |_| run_gates())?;
    // Trials finish in any order; the table reads better by claim.
    rows.sort();
    print_table(&rows);
    let bad = rows.iter().filter(|r| r.2 != "ok").count();
    if bad > 0 {
        bail!("{bad} scenario(s) did not pass");
    }
    Ok(())
}

/// (gate, scenario, result) per trial, parsed from libtest's `test NAME ... RESULT` lines.
fn run_gates() -> Result<Vec<(String, String, String)>> {
    let mut rows = Vec::new();
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
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
            if !found {
                rows.push((
                    gate.to_string(),
                    "(gate did not run)".into(),
                    "FAILED".into(),
                ));
            }
        }
    }
    Ok(rows)
}

fn print_table(rows: &[(String, String, String)]) {
    let w = rows.iter().map(|r| r.1.len()).max().unwrap_or(8).max(8);
    println!("\n{:<4}  {:<w$}  result", "gate", "scenario");
    println!("{:-<4}  {:-<w$}  ------", "", "");
    for (g, s, r) in rows {
        println!("{g:<4}  {s:<w$}  {r}");
    }
    for gate in GATES {
        let mine: Vec<_> = rows.iter().filter(|r| r.0 == *gate).collect();
        let ok = mine.iter().filter(|r| r.2 == "ok").count();
        println!(
            "gate {gate}: {}  ({ok}/{} scenarios passed)",
            if ok == mine.len() && !mine.is_empty() {
                "GREEN"
            } else {
                "RED"
            },
            mine.len()
        );
    }
}
