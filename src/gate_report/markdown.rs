//! `report.md`: the gate run as a reviewer pastes it into a REVIEW file — the verdict, the
//! host identity, one table of scenarios, one section per run-scoped action (what it fired
//! or triggered, when, for how long), then each scenario's claim, steps (command, exit,
//! attempts, duration) and evidence excerpt, and the failure message when red.
//!
//! What is not passed comes first (failed, error, refused, then skipped), and a passed
//! scenario's section is folded (`<details>`): on a red run the reader starts at what broke.

use std::fmt::Write as _;

use super::headline;
use super::wire::{Action, Identity, Report, Scenario, Verdict};

/// Commands longer than this are cut in the step table (report.json has them whole).
const COMMAND_CELL: usize = 80;

pub(crate) fn render(r: &Report) -> String {
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

    let order = scenario_table(&mut m, r);
    waivers(&mut m, r);
    platform(&mut m, r);
    for a in &r.actions {
        action(&mut m, a);
    }
    for s in order {
        scenario(&mut m, s);
    }
    m
}

/// The table of scenarios, what needs a reader first; returns that order.
fn scenario_table<'r>(m: &mut String, r: &'r Report) -> Vec<&'r Scenario> {
    let _ = writeln!(
        m,
        "## Scenarios\n\n| scenario | verdict | evidence | title |\n|---|---|---|---|"
    );
    let mut order: Vec<&Scenario> = r.scenarios.iter().collect();
    // Stable: within one verdict the scenarios keep their (name) order.
    order.sort_by_key(|s| rank(s.verdict));
    for s in &order {
        let _ = writeln!(
            m,
            "| `{}` | **{}** | {} | {} |",
            s.name,
            s.verdict,
            s.evidence.map_or("—".to_string(), |e| e.to_string()),
            cell(&s.title)
        );
    }
    order
}

/// The waivers in force, if any.
fn waivers(m: &mut String, r: &Report) {
    if !r.waivers.is_empty() {
        let _ = writeln!(
            m,
            "\n## Waivers in force\n\n| scenario | waived | until | reason |\n|---|---|---|---|"
        );
        for w in &r.waivers {
            let _ = writeln!(
                m,
                "| `{}` | {} | {} | {} |",
                w.scenario,
                waived(w),
                w.expires,
                cell(&w.reason)
            );
        }
    }
}

/// The differences classed as the platform's: beside the waivers, never among them (the
/// evaluator said they are NixOS's own; no claim was bent).
fn platform(m: &mut String, r: &Report) {
    if r.platform.is_empty() {
        return;
    }
    let _ = writeln!(
        m,
        "\n## The platform's (classed by the module system, not waived)\n\n\
         Commands one path reached and the other did not because they are NixOS's own: a package \
         every definition of which in `environment.systemPackages` is a NixOS module's, or a \
         setuid wrapper of NixOS's.\n\n| scenario | step | comes from | commands |\n|---|---|---|---|"
    );
    for p in &r.platform {
        let _ = writeln!(
            m,
            "| `{}` | {} | {} | `{}` |",
            p.scenario,
            p.step,
            cell(&p.from),
            p.tools.join("`, `")
        );
    }
}

/// What a waiver waives: a failed unit, commands, packages' commands.
fn waived(w: &super::wire::Waiver) -> String {
    if !w.unit.is_empty() {
        return format!("`{}`", w.unit);
    }
    let mut parts = Vec::new();
    if !w.tools.is_empty() {
        parts.push(format!("commands `{}`", w.tools.join("`, `")));
    }
    if !w.packages.is_empty() {
        parts.push(format!("the commands of `{}`", w.packages.join("`, `")));
    }
    parts.join(" and ")
}

/// Where a verdict sorts: what needs a reader first.
fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Failed => 0,
        Verdict::Error => 1,
        Verdict::Refused => 2,
        Verdict::Skipped => 3,
        Verdict::Passed => 4,
    }
}

/// One action's section: what it fired or triggered (its outputs: the InvocationID, the
/// build number), when, for how long, and why it failed.
fn action(m: &mut String, a: &Action) {
    let _ = writeln!(m, "\n## Action `{}`: {}\n", a.name, a.verdict);
    let _ = writeln!(
        m,
        "{}{}\n",
        a.title,
        if a.mutates {
            " (changes the target)"
        } else {
            ""
        }
    );
    let _ = writeln!(m, "| | |\n|---|---|");
    let started = a.started_utc.as_deref().unwrap_or("(not recorded)");
    let _ = writeln!(m, "| started (UTC) | `{}` |", cell(started));
    let duration = a.duration_ms.map_or("(not recorded)".to_string(), seconds);
    let _ = writeln!(m, "| duration | {duration} |");
    let _ = writeln!(m, "| what it did | {} |", cell(&what_it_did(a)));
    for (k, v) in &a.outputs {
        let _ = writeln!(m, "| `{}` | `{}` |", cell(k), cell(&cut(v, COMMAND_CELL)));
    }
    if let Some(msg) = &a.message {
        let _ = writeln!(m, "\nWhy it failed:\n\n```text\n{}\n```", msg.trim_end());
    }
}

/// Observed (the natural runs it watched, which and when) or made by witness itself.
pub(super) fn what_it_did(a: &Action) -> String {
    match (a.observed.is_empty(), a.mutates) {
        (false, _) => format!(
            "observed (witness fired nothing): {}",
            a.observed.join("; ")
        ),
        (true, true) => "fired or triggered by witness".into(),
        (true, false) => "read only".into(),
    }
}

fn seconds(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

/// One scenario's section; a passed one folded, as nothing in it needs reading.
fn scenario(m: &mut String, s: &Scenario) {
    let folded = s.verdict == Verdict::Passed;
    if folded {
        let _ = writeln!(
            m,
            "\n<details><summary><code>{}</code>: passed</summary>\n",
            html(&s.name)
        );
    } else {
        let _ = writeln!(m, "\n## `{}`: {}\n", s.name, s.verdict);
    }
    let _ = writeln!(m, "{}\n", s.title);
    for line in s.claim.lines() {
        let _ = writeln!(m, "> {line}");
    }
    let _ = writeln!(m, "\nFile: `{}`\n", s.file);
    if !s.steps.is_empty() {
        steps(m, s);
    }
    if let Some(msg) = &s.message {
        let _ = writeln!(
            m,
            "\nWhy it is not passed:\n\n```text\n{}\n```",
            msg.trim_end()
        );
    }
    if folded {
        let _ = writeln!(m, "\n</details>");
    }
}

/// A scenario's step table and the evidence excerpt of its steps.
fn steps(m: &mut String, s: &Scenario) {
    let _ = writeln!(
        m,
        "| # | step | status | command | exit | attempts | duration |\n|---|---|---|---|---|---|---|"
    );
    for st in &s.steps {
        let _ = writeln!(
            m,
            "| {} | {} | {} | `{}` | {} | {} | {} |",
            st.index,
            cell(&st.name),
            st.status,
            cell(&cut(&first_line(&st.command), COMMAND_CELL)),
            st.exit.map_or("–".to_string(), |e| e.to_string()),
            st.attempts,
            seconds(st.duration_ms)
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

/// Text safe inside HTML (the folded section's summary).
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn identity(m: &mut String, i: &Identity) {
    let _ = writeln!(m, "## Host identity\n\n| | |\n|---|---|");
    for (k, v) in identity_rows(i) {
        let _ = writeln!(m, "| {k} | `{}` |", cell(&v));
    }
    if let Some(h) = &i.hostname {
        let _ = writeln!(m, "| host name | `{}` |", cell(h));
    }
    if let Some(j) = &i.judged_on {
        let how = if j.pinned {
            "pinned by the target (`judged_on`)"
        } else {
            "today (UTC)"
        };
        let _ = writeln!(m, "| waivers judged on | `{}`, {how} |", j.date);
    }
    if let Some(t) = &i.targets_file {
        let _ = writeln!(m, "| targets file (WITNESS_TARGETS) | `{}` |", cell(t));
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

/// The identity table's fixed rows: what ran where, from which commits.
fn identity_rows(i: &Identity) -> [(&'static str, String); 10] {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "(not read)".into());
    let host_key = if i.local {
        "none: the target is this machine (no SSH)".to_string()
    } else {
        opt(&i.host_key)
    };
    [
        ("target", i.transport.clone()),
        ("SSH host key (verified)", host_key),
        ("/run/current-system", opt(&i.current_system)),
        ("/run/booted-system", opt(&i.booted_system)),
        (
            "flake checkout",
            match &i.flake {
                Some(f) => format!("{f} @ {}", opt(&i.flake_commit)),
                None => "(no flake variable on this target)".into(),
            },
        ),
        (
            "witness",
            format!(
                "{} built from {}",
                i.witness_version,
                opt(&i.witness_commit)
            ),
        ),
        (
            "role",
            i.role
                .clone()
                .unwrap_or_else(|| "(not given: WITNESS_ROLE)".into()),
        ),
        ("run", i.run_id.clone()),
        ("started (UTC)", i.started_utc.clone()),
        ("ended (UTC)", i.ended_utc.clone()),
    ]
}

/// A multi-line command in one table cell: its first line that says something (not blank,
/// a comment or `set -…`), then `…`. report.json has the whole command.
fn first_line(s: &str) -> String {
    let mut lines = s.lines().map(str::trim);
    let first = lines
        .clone()
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("set -"))
        .unwrap_or_default();
    if lines.nth(1).is_some() {
        format!("{first} …")
    } else {
        first.to_string()
    }
}

/// At most `max` characters, cut with `…`.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{} …", s[..i].trim_end()),
        None => s.to_string(),
    }
}

/// Text safe inside a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::wire::{Counts, Scenario, Step, StepStatus, Verdict, Waiver};
    use super::*;

    /// A red run: one failed scenario, one passed (named so it would sort first), one
    /// action, a multi-line and an over-long command. Shared with the JUnit tests.
    pub(in super::super) fn red_run() -> Report {
        let step = |index, status, evidence: &[&str]| Step {
            index,
            name: format!("step {index}"),
            kind: "run".into(),
            status,
            command: "systemctl is-system-running | cat".into(),
            exit: Some(1),
            attempts: 3,
            duration_ms: 1250,
            evidence: evidence.iter().map(|l| l.to_string()).collect(),
        };
        let mut r = Report {
            schema: super::super::wire::SCHEMA.into(),
            gate: "m2".into(),
            target: "here".into(),
            complete: false,
            counts: Counts {
                failed: 1,
                ..Counts::default()
            },
            identity: Identity {
                target: "here".into(),
                transport: "here (local)".into(),
                local: true,
                reviewed: [("head_commit".to_string(), "abc123".to_string())].into(),
                witness_version: "0.1.0".into(),
                witness_commit: Some("0123abcd-dirty".into()),
                scenario_files: [("scenarios/m2/c2.toml".to_string(), "f00d".to_string())].into(),
                run_id: "run-1".into(),
                started_utc: "2026-11-22T10:00:00Z".into(),
                ended_utc: "2026-11-22T10:00:05Z".into(),
                ..Identity::default()
            },
            scenarios: vec![Scenario {
                name: "m2::c2".into(),
                file: "scenarios/m2/c2.toml".into(),
                title: "M2.2 Host healthy".into(),
                claim: "M2.2: `systemctl --failed` empty.".into(),
                verdict: Verdict::Failed,
                evidence: None,
                message: Some("scenario m2::c2 FAILED\nexpected running, saw degraded".into()),
                steps: vec![
                    step(1, StepStatus::Failed, &["degraded"]),
                    step(2, StepStatus::Skipped, &[]),
                ],
            }],
            waivers: vec![Waiver {
                scenario: "m2::c2".into(),
                unit: "x.service".into(),
                tools: vec![],
                packages: vec![],
                reason: "upstream bug | #12".into(),
                expires: "2026-12-31".into(),
            }],
            platform: vec![super::super::wire::Platform {
                scenario: "m2::c2".into(),
                step: 1,
                from: "gawk".into(),
                tools: vec!["awk".into(), "gawk".into()],
            }],
            actions: Vec::new(),
        };
        r.identity.judged_on = Some(super::super::wire::JudgedOn {
            date: "2026-12-05".into(),
            pinned: true,
        });
        r.scenarios[0].steps[1].command =
            "set -e\n# a scratch clone\nd=$(mktemp -d)\ngit clone -q /etc/cc-ci \"$d\"".into();
        let mut passed = r.scenarios[0].clone();
        passed.name = "m2::a_passes".into();
        passed.title = "Passes".into();
        passed.verdict = Verdict::Passed;
        passed.message = None;
        passed.steps.truncate(1);
        passed.steps[0].status = StepStatus::Passed;
        passed.steps[0].command = format!("nix eval --json {}", "--arg x y ".repeat(20));
        r.scenarios.insert(0, passed);
        r.counts.passed = 1;
        r.identity.hostname = Some("cc-ci".into());
        r.actions = vec![Action {
            name: "m2::actions::sweep".into(),
            title: "Fire the nightly sweep once".into(),
            mutates: true,
            verdict: Verdict::Passed,
            started_utc: Some("2026-11-22T10:00:01Z".into()),
            duration_ms: Some(1_804_250),
            outputs: [("invocation".to_string(), "0a1b2c".to_string())].into(),
            message: None,
            observed: Vec::new(),
        }];
        r
    }

    #[test]
    fn a_red_run_on_the_local_target_reads_as_a_review_section() {
        let md = render(&red_run());
        // What is red reads first; the passed scenario is folded below it.
        let (red, passed) = (
            md.find("## `m2::c2`").unwrap(),
            md.find("<details>").unwrap(),
        );
        assert!(red < passed, "{md}");
        insta::assert_snapshot!(md);
    }
}
