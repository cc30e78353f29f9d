//! Inventories judged with the platform class: `subset_of` (every command a probe lists is
//! covered) and the platform half of `same_as` (a command one side alone has, because it
//! is NixOS's own).
//!
//! A command is *covered* when the other inventory names it, *the platform's* when the
//! evaluator's facts say so (`crate::platform`: it resolves into a platform package's store
//! path, or is a platform wrapper), *waived* when an exception in force names it or its
//! package; anything else is red, named with where it resolved. The platform's are never
//! waivers: the outcome carries them apart, and the report lists them as their own class.

use std::collections::{BTreeMap, BTreeSet};

use crate::interp::Vars;
use crate::judging::JudgingDate;
use crate::platform::Platform;
use crate::report::{Outcome, PlatformTool};
use crate::scenario::{SubsetOf, ToolWaiver};

/// The platform facts a check names, read from its variable: `Ok(None)` when it names
/// none, `Err` (what was seen) when the variable is unset or holds no package fact, so an
/// evaluator that gave nothing never passes as "nothing is the platform's".
pub(super) fn platform_of(var: Option<&str>, vars: &Vars) -> Result<Option<Platform>, String> {
    let Some(var) = var else { return Ok(None) };
    let text = vars
        .get(var)
        .ok_or_else(|| format!("${{{var}}} (the platform facts) was never captured"))?;
    let p = Platform::parse(text);
    if p.len().0 == 0 {
        return Err(format!(
            "${{{var}}} holds no `platform package <name> <store path>` line: the evaluator gave no platform facts"
        ));
    }
    Ok(Some(p))
}

/// The commands only one side has (by key) that are the platform's, with what they come
/// from; `left` and `right` are `key → resolved path`.
pub(super) fn one_sided(
    platform: Option<&Platform>,
    left: &BTreeMap<String, String>,
    right: &BTreeMap<String, String>,
) -> Vec<PlatformTool> {
    let Some(p) = platform else {
        return Vec::new();
    };
    let only = |a: &BTreeMap<String, String>, b: &BTreeMap<String, String>| {
        a.iter()
            .filter(|(k, _)| !b.contains_key(*k))
            .filter_map(|(k, v)| {
                p.source(k, v).map(|from| PlatformTool {
                    tool: k.clone(),
                    from,
                })
            })
            .collect::<Vec<_>>()
    };
    let mut out = only(left, right);
    out.extend(only(right, left));
    out
}

/// The first exception past the judging date, as what a check saw.
pub(super) fn expired(except: &[ToolWaiver], judging: &JudgingDate) -> Option<String> {
    except.iter().find(|w| !w.in_force(judging)).map(|w| {
        format!(
            "the exception for {} expired on {} ({}): renew it with a new date and reason, or remove it",
            w.what(),
            w.expires,
            w.reason
        )
    })
}

/// A check that held, saying which differences were the platform's (and carrying them).
pub(super) fn passed(expected: String, platform: Vec<PlatformTool>, also: &str) -> Outcome {
    let mut seen = also.to_string();
    if !platform.is_empty() {
        if !seen.is_empty() {
            seen.push_str("; ");
        }
        seen.push_str(&format!("the platform's: {}", by_source(&platform)));
    }
    Outcome {
        ok: true,
        expected,
        seen: (!seen.is_empty()).then_some(seen),
        matched_lines: Vec::new(),
        platform,
    }
}

/// `gawk (awk, gawk); xz (xz)`: the platform's commands, by what they come from.
pub(crate) fn by_source(platform: &[PlatformTool]) -> String {
    let mut from: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for p in platform {
        from.entry(p.from.as_str()).or_default().insert(&p.tool);
    }
    from.iter()
        .map(|(f, tools)| {
            format!(
                "{f} ({})",
                tools.iter().copied().collect::<Vec<_>>().join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `subset_of`: every `name=resolved path` line of stdout names a command of `${var}`, or
/// is the platform's, or an exception in force covers it.
pub(super) fn subset_of(
    so: &SubsetOf,
    stdout: &str,
    vars: &Vars,
    judging: &JudgingDate,
) -> Outcome {
    let expected = format!(
        "every command listed is in ${{{}}}{}, or an exception covers it",
        so.var,
        match &so.platform {
            Some(p) => format!(", or the platform's (${{{p}}})"),
            None => String::new(),
        }
    );
    if let Some(seen) = expired(&so.except, judging) {
        return Outcome::fail(expected, seen);
    }
    let Some(cover) = vars.get(&so.var) else {
        return Outcome::fail(expected, format!("${{{}}} was never captured", so.var));
    };
    let platform = match platform_of(so.platform.as_deref(), vars) {
        Ok(p) => p,
        Err(seen) => return Outcome::fail(expected, seen),
    };
    let names: BTreeSet<&str> = cover
        .lines()
        .map(|l| l.split_once('=').map_or(l, |(k, _)| k).trim())
        .filter(|k| !k.is_empty())
        .collect();
    let (mut covered, mut classed, mut waived, mut missing) = (0, Vec::new(), 0, Vec::new());
    for (tool, path) in stdout.lines().filter_map(|l| l.split_once('=')) {
        if names.contains(tool) {
            covered += 1;
        } else if let Some(from) = platform.as_ref().and_then(|p| p.source(tool, path)) {
            classed.push(PlatformTool {
                tool: tool.to_string(),
                from,
            });
        } else if so
            .except
            .iter()
            .any(|w| w.covers(tool, &super::package_of(path)))
        {
            waived += 1;
        } else {
            missing.push(format!("{tool}={path}"));
        }
    }
    let listed = covered + classed.len() + waived + missing.len();
    if listed == 0 {
        return Outcome::fail(expected, "no `name=path` line listed: nothing to judge");
    }
    if !missing.is_empty() {
        return Outcome::fail(
            expected,
            format!(
                "{} of {listed} commands are not in ${{{}}}, not the platform's and not waived: {}",
                missing.len(),
                so.var,
                missing.join(", ")
            ),
        );
    }
    let also = format!(
        "{listed} commands: {covered} in ${{{}}}, {} the platform's, {waived} waived",
        so.var,
        classed.len()
    );
    passed(expected, classed, &also)
}
