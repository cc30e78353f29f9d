//! The node_exporter textfile of the nightly gate (`witness metrics REPORT…`): one sample
//! per gate and target of each metric below, from the runs' `report.json`, so an operator
//! alerts on a red or stale gate the way they alert on everything else of the host.
//!
//! ```text
//! witness_gate_passed{gate,target}                    1 when every claim that ran holds, else 0
//! witness_gate_verdict{gate,target,verdict}           1 for the closing line's word, 0 for the others
//! witness_gate_complete{gate,target}                  1 when every scenario has a result
//! witness_gate_scenarios{gate,target,verdict}         scenarios per verdict
//! witness_gate_last_run_timestamp_seconds{gate,target} when the run ended (Unix seconds)
//! witness_gate_duration_seconds{gate,target}          the run's wall time
//! ```
//!
//! `witness_gate_passed` is what the nightly unit's state says (the exit status 0): a
//! read-only run skips what changes the host, so M2 there is always INCOMPLETE, and a
//! metric that followed the closing line's word would never be 1. The word is there too,
//! as `witness_gate_verdict`, and the skips as `witness_gate_scenarios{verdict="skipped"}`.
//!
//! Pure: reports in, the Prometheus text exposition format out. The nightly script writes it
//! atomically (a temporary file, then `mv`), as node_exporter's textfile collector asks.

use std::fmt::Write as _;
use std::time::UNIX_EPOCH;

use super::headline;
use super::wire::Report;

/// A metric's samples for one report: extra label (name, value), and the value.
type Samples = Vec<(Option<(&'static str, &'static str)>, f64)>;

/// How a metric reads its samples off one report.
type Sample = fn(&Report) -> Samples;

/// Each metric: name, HELP text, and its samples for one report.
const METRICS: [(&str, &str, Sample); 6] = [
    (
        "witness_gate_passed",
        "1 when every claim that ran holds (none failed, errored or was refused), else 0.",
        passed,
    ),
    (
        "witness_gate_verdict",
        "1 for the gate's verdict as its closing line says it, 0 for the others.",
        verdict,
    ),
    (
        "witness_gate_complete",
        "1 when every scenario of the gate has a result in the run.",
        complete,
    ),
    (
        "witness_gate_scenarios",
        "Scenarios of the gate's last run, by verdict.",
        scenarios,
    ),
    (
        "witness_gate_last_run_timestamp_seconds",
        "When the gate's last run ended (Unix time).",
        last_run,
    ),
    (
        "witness_gate_duration_seconds",
        "Wall time of the gate's last run.",
        duration,
    ),
];

/// The metrics, each with its HELP and TYPE once, then one sample per report.
pub fn render(reports: &[Report]) -> String {
    let mut out = String::new();
    for (name, help, sample) in METRICS {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for r in reports {
            for (extra, value) in sample(r) {
                let mut labels = format!(
                    "gate=\"{}\",target=\"{}\"",
                    label(&r.gate),
                    label(&r.target)
                );
                if let Some((k, v)) = extra {
                    let _ = write!(labels, ",{k}=\"{v}\"");
                }
                let _ = writeln!(out, "{name}{{{labels}}} {value}");
            }
        }
    }
    out
}

fn passed(r: &Report) -> Samples {
    let c = &r.counts;
    let held = c.failed == 0 && c.error == 0 && c.refused == 0;
    vec![(None, f64::from(u8::from(held)))]
}

fn verdict(r: &Report) -> Samples {
    let word = headline(r);
    [
        ("passed", "PASSED"),
        ("failed", "FAILED"),
        ("not_witnessed", "NOT WITNESSED"),
        ("incomplete", "INCOMPLETE"),
    ]
    .into_iter()
    .map(|(label, w)| (Some(("verdict", label)), f64::from(u8::from(word == w))))
    .collect()
}

fn complete(r: &Report) -> Samples {
    vec![(None, f64::from(u8::from(r.complete)))]
}

fn scenarios(r: &Report) -> Samples {
    let c = &r.counts;
    [
        ("passed", c.passed),
        ("failed", c.failed),
        ("error", c.error),
        ("refused", c.refused),
        ("skipped", c.skipped),
    ]
    .into_iter()
    .map(|(v, n)| (Some(("verdict", v)), n as f64))
    .collect()
}

fn last_run(r: &Report) -> Samples {
    unix(&r.identity.ended_utc)
        .map(|t| (None, t))
        .into_iter()
        .collect()
}

fn duration(r: &Report) -> Samples {
    match (unix(&r.identity.started_utc), unix(&r.identity.ended_utc)) {
        (Some(s), Some(e)) => vec![(None, e - s)],
        _ => Vec::new(),
    }
}

/// An RFC 3339 time as Unix seconds; None when absent or unreadable (the sample is left
/// out rather than guessed).
fn unix(t: &str) -> Option<f64> {
    let t = humantime::parse_rfc3339(t).ok()?;
    Some(t.duration_since(UNIX_EPOCH).ok()?.as_secs_f64())
}

/// A label value as the exposition format escapes it.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_red_run_and_a_green_one_read_as_metrics() {
        let red = super::super::markdown::tests::red_run();
        let mut green = red.clone();
        green.target = "twin".into();
        green.complete = true;
        green
            .scenarios
            .retain(|s| s.verdict == super::super::wire::Verdict::Passed);
        green.counts = super::super::wire::Counts {
            passed: 1,
            ..Default::default()
        };
        insta::assert_snapshot!(render(&[red, green]));
    }
}
