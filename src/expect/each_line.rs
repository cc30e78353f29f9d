//! `each_line`: a closed world over a probe's lines. Every non-empty stdout line must be of
//! one of the kinds the scenario declares (a regex it matches, or a line of a captured
//! variable), each with why it belongs; any other line is red and named.
//!
//! This is the check "what must be there, and nothing else": the scenario states the kinds
//! that belong, never the bad spellings someone thought of, so a line of a kind nobody
//! foresaw (a new variable, a new PATH entry) fails on its own.

use crate::interp::Vars;
use crate::report::Outcome;
use crate::scenario::{LineKind, LineMatcher};

/// How many lines of no declared kind a failure names before it only counts them.
const SHOWN: usize = 12;

/// Judge `stdout` against the declared `kinds`. A `line_of` variable that was never captured
/// is caught before the step runs (the step is then not witnessed), so here it reads empty.
pub(super) fn each_line(kinds: &[LineKind], stdout: &str, vars: &Vars) -> Outcome {
    let expected = format!(
        "every stdout line is of a declared kind: {}",
        kinds.iter().map(describe).collect::<Vec<_>>().join("; ")
    );
    let mut counts = vec![0usize; kinds.len()];
    let mut undeclared: Vec<&str> = Vec::new();
    let mut judged = Vec::new();
    for line in stdout.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
        judged.push(line.to_string());
        match kinds.iter().position(|k| is_of(k, line, vars)) {
            Some(i) => counts[i] += 1,
            None => undeclared.push(line),
        }
    }
    let tally = kinds
        .iter()
        .zip(&counts)
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{n} {}", k.is))
        .collect::<Vec<_>>();
    let tally = if tally.is_empty() {
        "no line".to_string()
    } else {
        tally.join(", ")
    };
    if undeclared.is_empty() {
        return Outcome {
            seen: Some(format!("{} line(s): {tally}", judged.len())),
            matched_lines: judged,
            ..Outcome::pass(expected)
        };
    }
    let mut seen = format!(
        "{} line(s) of no declared kind: {}",
        undeclared.len(),
        undeclared
            .iter()
            .take(SHOWN)
            .map(|l| format!("`{l}`"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    if undeclared.len() > SHOWN {
        seen.push_str(&format!(" (and {} more)", undeclared.len() - SHOWN));
    }
    seen.push_str(&format!("; declared: {tally}"));
    Outcome {
        matched_lines: undeclared.iter().map(|l| l.to_string()).collect(),
        ..Outcome::fail(expected, seen)
    }
}

fn is_of(kind: &LineKind, line: &str, vars: &Vars) -> bool {
    match &kind.matcher {
        LineMatcher::Regex(re) => re.is_match(line),
        LineMatcher::LineOf(var) => is_line_of(vars, var, line),
        LineMatcher::ValueOf(re, var) => re
            .captures(line)
            .and_then(|c| c.name("value"))
            .is_some_and(|v| is_line_of(vars, var, v.as_str())),
    }
}

fn is_line_of(vars: &Vars, var: &str, text: &str) -> bool {
    vars.get(var)
        .is_some_and(|v| v.lines().any(|l| l.trim_end() == text))
}

fn describe(kind: &LineKind) -> String {
    match &kind.matcher {
        LineMatcher::Regex(re) => format!("/{}/ ({})", super::show(re), kind.is),
        LineMatcher::LineOf(var) => format!("a line of ${{{var}}} ({})", kind.is),
        LineMatcher::ValueOf(re, var) => format!(
            "/{}/ whose value is a line of ${{{var}}} ({})",
            super::show(re),
            kind.is
        ),
    }
}
