//! No regression in a sweep's outcomes, judged by meaning (`expect.regression`), on the
//! journal of one fire (the step's stdout) against the last fire before the deploy:
//!
//! - `promoted`: every recipe whose run is green in this fire was promoted: its promote line,
//!   and the known-good record, read on the host after the fire, names the promoted version
//!   and was written during the fire. A green recipe left unpromoted is red unless its
//!   promote failed the same way before the deploy and a known non-regression names it.
//! - `failures`: every failed test of this fire is of a known red and fails as it did before
//!   the deploy: the same test id, the same exception type (qualified) and the same message,
//!   normalized ([`pytest`]).
//! - `programs_found`: no line of this fire says a program could not be found, in any
//!   spelling ([`programs`]).
//!
//! The known non-regressions (`may_fail`, `known_reds`) are the scenario's, with a reason
//! and a date, and the report lists them with the waivers.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

use crate::interp::Vars;
use crate::judging::JudgingDate;
use crate::report::Outcome;

mod programs;
mod pytest;

use crate::scenario::regression::{Failures, Known, Promoted, Regression};

// ---------------------------------------------------------------------------------------
// Judging.

/// One outcome per check asked for.
pub(crate) fn evaluate(
    r: &Regression,
    stdout: &str,
    vars: &Vars,
    on: &JudgingDate,
) -> Vec<Outcome> {
    let mut out = Vec::new();
    if let Some(p) = &r.promoted {
        out.push(promoted(p, stdout, vars, on));
    }
    if let Some(f) = &r.failures {
        out.push(failures(f, stdout, vars, on));
    }
    if r.programs_found {
        out.push(programs_found(stdout));
    }
    out
}

/// The first known non-regression past its date, as what a check saw.
fn expired(known: &[Known], on: &JudgingDate) -> Option<String> {
    known.iter().find(|k| !on.holds(&k.expires)).map(|k| {
        format!(
            "the known non-regression of {} expired on {} ({}): renew it with a new date and reason, or remove it",
            k.recipe, k.expires, k.reason
        )
    })
}

fn in_force<'k>(known: &'k [Known], recipe: &str) -> Option<&'k Known> {
    known.iter().find(|k| k.recipe == recipe)
}

/// `recipe → version` of the lines `re` matches (version empty when `re` has none).
fn recipes(re: &Regex, text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| {
            let c = re.captures(l)?;
            Some((
                c.name("recipe")?.as_str().to_string(),
                c.name("version").map_or("", |m| m.as_str()).to_string(),
            ))
        })
        .collect()
}

/// The known-good record as probed: the JSON object, and (when both were given) when it was
/// last written and when the fire began.
type Record = (BTreeMap<String, String>, Option<(i64, i64)>);

fn read_record(text: &str) -> Result<Record, String> {
    let json_at = text.find('{').unwrap_or(text.len());
    let (head, json) = text.split_at(json_at);
    let map: BTreeMap<String, String> = serde_json::from_str(json.trim())
        .map_err(|e| format!("not a JSON object of recipe → version: {e}"))?;
    let stamp = |key: &str| -> Result<Option<i64>, String> {
        head.lines()
            .find_map(|l| l.trim().strip_prefix(key)?.strip_prefix('='))
            .map(|v| {
                v.trim_start_matches('@')
                    .parse()
                    .map_err(|_| format!("`{key}={v}` is not unix seconds"))
            })
            .transpose()
    };
    let times = match (stamp("written")?, stamp("started")?) {
        (Some(w), Some(s)) => Some((w, s)),
        _ => None,
    };
    Ok((map, times))
}

fn promoted(p: &Promoted, stdout: &str, vars: &Vars, on: &JudgingDate) -> Outcome {
    let expected = format!(
        "every green run is promoted: its promote line, and the known-good record (${{{}}}) names the version{}; a promote may fail only where it failed before the deploy (${{{}}}) and a known non-regression names it",
        p.known_good, ", written during this fire (when the probe says when)", p.before
    );
    if let Some(seen) = expired(&p.may_fail, on) {
        return Outcome::fail(expected, seen);
    }
    let (Some(before), Some(record)) = (vars.get(&p.before), vars.get(&p.known_good)) else {
        let var = if vars.get(&p.before).is_none() {
            &p.before
        } else {
            &p.known_good
        };
        return Outcome::fail(expected, format!("${{{var}}} was never captured"));
    };
    let (record, written) = match read_record(record) {
        Ok(r) => r,
        Err(e) => return Outcome::fail(expected, format!("${{{}}}: {e}", p.known_good)),
    };
    let green = recipes(&p.green, stdout);
    let done = recipes(&p.promoted, stdout);
    let unpromoted_before: BTreeSet<String> = {
        let (g, d) = (recipes(&p.green, before), recipes(&p.promoted, before));
        g.into_keys().filter(|r| !d.contains_key(r)).collect()
    };
    let (mut seen, mut red) = (Vec::new(), Vec::new());
    for recipe in green.keys() {
        let kg = record.get(recipe).map_or("nothing", String::as_str);
        let judged = match done.get(recipe) {
            Some(version) => recorded(recipe, version, kg, written),
            None => unpromoted(recipe, kg, p, unpromoted_before.contains(recipe)),
        };
        match judged {
            Ok(line) => seen.push(line),
            Err(line) => red.push(line),
        }
    }
    if green.is_empty() {
        seen.push("no green run in this fire".into());
    }
    if red.is_empty() {
        Outcome::pass(expected).with_lines(seen)
    } else {
        Outcome::fail(expected, red.join("\n")).with_lines(seen)
    }
}

/// A promoted recipe: the record names the version, written during the fire (when known).
fn recorded(
    recipe: &str,
    version: &str,
    kg: &str,
    written: Option<(i64, i64)>,
) -> Result<String, String> {
    match written {
        _ if kg != version => Err(format!(
            "{recipe}: promoted to {version}, but the known-good record says {kg}"
        )),
        Some((w, s)) if w < s => Err(format!(
            "{recipe}: promoted to {version}, and the known-good record says {kg}, but it was last written before this fire began ({w} < {s})"
        )),
        _ => Ok(format!("{recipe}: promoted {version}; known-good {kg}")),
    }
}

/// A green recipe without a promote: only a known failed promote that failed before too.
fn unpromoted(recipe: &str, kg: &str, p: &Promoted, failed_before: bool) -> Result<String, String> {
    match (in_force(&p.may_fail, recipe), failed_before) {
        (Some(_), true) => Ok(format!(
            "{recipe}: green, not promoted, as before the deploy (a known non-regression); known-good {kg}"
        )),
        (Some(_), false) => Err(format!(
            "{recipe}: green and not promoted, and before the deploy its promote did not fail: a known non-regression names it, but this failure is new"
        )),
        (None, _) => Err(format!(
            "{recipe}: green and not promoted, and no known non-regression names it"
        )),
    }
}

fn failures(f: &Failures, stdout: &str, vars: &Vars, on: &JudgingDate) -> Outcome {
    let expected = format!(
        "every failed test is of a known red and fails as before the deploy (${{{}}}): the same test, exception type and message (normalized)",
        f.before
    );
    if let Some(seen) = expired(&f.known_reds, on) {
        return Outcome::fail(expected, seen);
    }
    let Some(before) = vars.get(&f.before) else {
        return Outcome::fail(expected, format!("${{{}}} was never captured", f.before));
    };
    let (then, now) = (pytest::failures(before), pytest::failures(stdout));
    let recipe_of = |id: &str| {
        f.recipe
            .captures(id)
            .and_then(|c| c.name("recipe"))
            .map_or(String::new(), |m| m.as_str().to_string())
    };
    let mut red = Vec::new();
    // A known red must have been seen failing before the deploy: a baseline with none of
    // its failures read is no baseline.
    for k in &f.known_reds {
        if !then.keys().any(|id| recipe_of(id) == k.recipe) {
            red.push(format!(
                "{}: named a known red, but no failed test of it was read in ${{{}}}",
                k.recipe, f.before
            ));
        }
    }
    let mut seen = Vec::new();
    for (id, sig) in &now {
        let recipe = recipe_of(id);
        match same_failure(
            id,
            sig,
            in_force(&f.known_reds, &recipe).is_some(),
            &recipe,
            then.get(id),
        ) {
            Ok(line) => seen.push(line),
            Err(line) => red.push(line),
        }
    }
    if red.is_empty() {
        Outcome::pass(expected).with_lines(seen)
    } else {
        Outcome::fail(expected, red.join("\n")).with_lines(seen)
    }
}

/// A failed test of this fire against the same test before the deploy.
fn same_failure(
    id: &str,
    sig: &pytest::Signature,
    known: bool,
    recipe: &str,
    old: Option<&pytest::Signature>,
) -> Result<String, String> {
    match old {
        _ if !known => Err(format!(
            "{id}: {sig}\n  a failure of {}, which no known red names",
            if recipe.is_empty() {
                "an unknown recipe"
            } else {
                recipe
            }
        )),
        None => Err(format!(
            "{id}: {sig}\n  a new failure: the test did not fail before the deploy"
        )),
        Some(old) if old.kind != sig.kind => Err(format!(
            "{id}: a new error class: {} (before the deploy: {})\n  now:    {sig}\n  before: {old}",
            sig.kind, old.kind
        )),
        Some(old) if old != sig => Err(format!(
            "{id}: {} with another message\n  now:    {sig}\n  before: {old}",
            sig.kind
        )),
        Some(_) => Ok(format!("{id}: {sig}")),
    }
}

fn programs_found(stdout: &str) -> Outcome {
    let expected = "no line says a program could not be found (a shell's or launcher's not found, ENOENT on exec, not found on PATH, git's not a git command, Python's FileNotFoundError or shutil.which None, exit status 127)";
    let found = programs::missing_programs(stdout);
    if found.is_empty() {
        return Outcome::pass(expected);
    }
    let seen = found
        .iter()
        .map(|m| {
            let what = if m.program.is_empty() {
                "a program"
            } else {
                &m.program
            };
            format!("{what} could not be found ({}): {}", m.by, m.line)
        })
        .collect::<Vec<_>>();
    Outcome::fail(expected, seen.join("\n")).with_lines(found.into_iter().map(|m| m.line).collect())
}

#[cfg(test)]
mod tests;
