//! `report.md`: the gate run as a reviewer pastes it into a REVIEW file — the verdict, the
//! host identity, one table of scenarios, then each scenario's claim, steps (command, exit,
//! attempts, duration) and evidence excerpt, and the failure message when red.

use std::fmt::Write as _;

use super::headline;
use super::wire::{Identity, Report};

pub fn render(r: &Report) -> String {
    let mut m = String::new();
    let c = &r.counts;
    let _ = writeln!(
        m,
        "# Gate {} on {}: {} — {} passed, {} failed, {} error, {} refused, {} skipped\n",
        r.gate,
        r.target,
        headline(r),
        c.passed,
        c.failed,
        c.error,
        c.refused,
        c.skipped
    );
    if !r.complete {
        let _ = writeln!(
            m,
            "> Not every scenario of the gate has a result in this run.\n"
        );
    }
    identity(&mut m, &r.identity);

    let _ = writeln!(
        m,
        "## Scenarios\n\n| scenario | verdict | title |\n|---|---|---|"
    );
    for s in &r.scenarios {
        let _ = writeln!(
            m,
            "| `{}` | **{}** | {} |",
            s.name,
            s.verdict,
            cell(&s.title)
        );
    }
    if !r.waivers.is_empty() {
        let _ = writeln!(
            m,
            "\n## Waivers in force\n\n| scenario | unit | until | reason |\n|---|---|---|---|"
        );
        for w in &r.waivers {
            let _ = writeln!(
                m,
                "| `{}` | `{}` | {} | {} |",
                w.scenario,
                w.unit,
                w.expires,
                cell(&w.reason)
            );
        }
    }
    for s in &r.scenarios {
        let _ = writeln!(m, "\n## `{}`: {}\n", s.name, s.verdict);
        let _ = writeln!(m, "{}\n", s.title);
        for line in s.claim.lines() {
            let _ = writeln!(m, "> {line}");
        }
        let _ = writeln!(m, "\nFile: `{}`\n", s.file);
        if !s.steps.is_empty() {
            let _ = writeln!(
                m,
                "| # | step | status | command | exit | attempts | duration |\n|---|---|---|---|---|---|---|"
            );
            for st in &s.steps {
                let _ = writeln!(
                    m,
                    "| {} | {} | {} | `{}` | {} | {} | {:.1}s |",
                    st.index,
                    cell(&st.name),
                    st.status,
                    cell(first_line(&st.command)),
                    st.exit.map_or("–".to_string(), |e| e.to_string()),
                    st.attempts,
                    st.duration_ms as f64 / 1000.0
                );
            }
            let evidence: Vec<String> = s
                .steps
                .iter()
                .filter(|st| !st.evidence.is_empty())
                .map(|st| {
                    format!(
                        "step {} ({}):\n{}",
                        st.index,
                        st.name,
                        st.evidence
                            .iter()
                            .map(|l| format!("  | {l}"))
                            .collect::<Vec<_>>()
                            .join("\n")
                    )
                })
                .collect();
            if !evidence.is_empty() {
                let _ = writeln!(m, "\nEvidence:\n\n```text\n{}\n```", evidence.join("\n"));
            }
        }
        if let Some(msg) = &s.message {
            let _ = writeln!(
                m,
                "\nWhy it is not passed:\n\n```text\n{}\n```",
                msg.trim_end()
            );
        }
    }
    m
}

fn identity(m: &mut String, i: &Identity) {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "(not read)".into());
    let _ = writeln!(m, "## Host identity\n\n| | |\n|---|---|");
    let rows = [
        ("target", i.transport.clone()),
        ("SSH host key (verified)", opt(&i.host_key)),
        ("/run/current-system", opt(&i.current_system)),
        ("/run/booted-system", opt(&i.booted_system)),
        (
            "flake checkout",
            format!("{} @ {}", opt(&i.flake), opt(&i.flake_commit)),
        ),
        (
            "witness",
            format!(
                "{} (checkout {})",
                i.witness_version,
                opt(&i.witness_commit)
            ),
        ),
        ("role", opt(&i.role)),
        (
            "run",
            format!("{}: {} → {}", i.run_id, i.started_utc, i.ended_utc),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(m, "| {k} | `{}` |", cell(&v));
    }
    for (k, v) in &i.reviewed {
        let _ = writeln!(m, "| reviewed `{k}` | `{}` |", cell(v));
    }
    let _ = writeln!(m, "\nScenario files (sha256):\n");
    for (f, h) in &i.scenario_files {
        let _ = writeln!(m, "- `{f}` `{h}`");
    }
    m.push('\n');
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Text safe inside a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
