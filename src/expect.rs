//! Expectations: judge one observation, producing one outcome per check.
//!
//! Each outcome says what was expected and, when it failed, what was seen; the engine
//! puts both in the evidence and in the failure message.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

mod coverage;
mod each_line;
mod regression;

pub(crate) use coverage::by_source;

use crate::interp::{Quote, Vars};
use crate::judging::JudgingDate;
use crate::report::{Observation, Outcome};
use crate::scenario::{Contains, Expect, Normalize, SameAs, SameNormalize};

/// Evaluate every expectation of a step against its observation.
pub(crate) fn evaluate(
    e: &Expect,
    obs: &Observation,
    vars: &Vars,
    judging: &JudgingDate,
) -> Vec<Outcome> {
    let mut out = Vec::new();
    if let (Some(want), Some(_)) = (e.exit, obs.exit_applies.then_some(())) {
        let seen = match (obs.exit, &obs.signal) {
            (Some(c), _) => format!("exit status {c}"),
            (None, Some(s)) => format!("killed by signal {s}"),
            (None, None) => "no exit status".into(),
        };
        out.push(Outcome::check(
            obs.exit == Some(want),
            format!("exit status {want}"),
            seen,
        ));
    }
    for re in &e.stdout {
        out.push(present("stdout", re, &obs.stdout));
    }
    for re in &e.stdout_absent {
        out.push(absent("stdout", re, &obs.stdout));
    }
    for re in &e.stderr {
        out.push(present("stderr", re, &obs.stderr));
    }
    for re in &e.stderr_absent {
        out.push(absent("stderr", re, &obs.stderr));
    }
    if !e.stdout_in_order.is_empty() {
        out.push(in_order(&e.stdout_in_order, &obs.stdout));
    }
    if let Some(want) = &e.stdout_equals {
        out.push(match vars.interpolate(want, Quote::Raw) {
            Ok(want) => {
                let seen = obs.stdout.trim();
                let want = want.trim();
                let mut shown = seen.to_string();
                // Redaction may hide the difference (two store hashes both become
                // `[hash]`), so say where the raw values part.
                if let Some(i) = seen.chars().zip(want.chars()).position(|(a, b)| a != b) {
                    shown.push_str(&format!(
                        " (differs from the expected value at character {})",
                        i + 1
                    ));
                }
                Outcome::check(seen == want, format!("stdout equals `{want}`"), shown)
            }
            Err(err) => Outcome::check(false, format!("stdout equals `{want}`"), err.to_string()),
        });
    }
    for (re, n) in &e.count {
        out.push(count(re, *n, &obs.stdout));
    }
    if let Some(c) = &e.contains {
        out.push(contains(c, &obs.stdout));
    }
    if let Some(sa) = &e.same_as {
        out.push(same_as(sa, &obs.stdout, vars, judging));
    }
    if let Some(so) = &e.subset_of {
        out.push(coverage::subset_of(so, &obs.stdout, vars, judging));
    }
    if !e.each_line.is_empty() {
        out.push(each_line::each_line(&e.each_line, &obs.stdout, vars));
    }
    if let Some(r) = &e.regression {
        out.extend(regression::evaluate(r, &obs.stdout, vars, judging));
    }
    out
}

/// Parity: this probe's stdout equals an earlier probe's (a variable), after normalization.
fn same_as(sa: &SameAs, stdout: &str, vars: &Vars, judging: &JudgingDate) -> Outcome {
    let expected = match &sa.lines {
        Some(re) => format!(
            "stdout lines /{}/ are the same as in ${{{}}}",
            show(re),
            sa.var
        ),
        None => format!("stdout is the same as ${{{}}}", sa.var),
    };
    if let Some(broken) = missing_or_expired(sa, stdout, vars, judging) {
        return Outcome::check(false, expected, broken);
    }
    let Some(other) = vars.get(&sa.var) else {
        return Outcome::check(
            false,
            expected,
            format!("${{{}}} was never captured", sa.var),
        );
    };
    let platform = match coverage::platform_of(sa.platform.as_deref(), vars) {
        Ok(p) => p,
        Err(seen) => return Outcome::fail(expected, seen),
    };
    // What one side alone has because it is the platform's is its own class, not compared.
    let classed = coverage::one_sided(platform.as_ref(), &keyed(sa, other), &keyed(sa, stdout));
    let skip: BTreeSet<&str> = classed.iter().map(|p| p.tool.as_str()).collect();
    let (left, right) = (normalized(sa, other, &skip), normalized(sa, stdout, &skip));
    if left == right {
        return coverage::passed(expected, classed, "");
    }
    // Red, and still saying which differences were the platform's (they are not in the diff).
    let mut seen = show_diff(&left, &right);
    if !classed.is_empty() {
        seen.push_str(&format!(
            "\n(not compared, the platform's: {})",
            coverage::by_source(&classed)
        ));
    }
    Outcome {
        platform: classed,
        ..Outcome::fail(expected, seen)
    }
}

/// The key of a line a parity check compares: the `key` group of `lines`, else the text
/// before the first `=`.
fn key_of<'l>(sa: &SameAs, l: &'l str) -> &'l str {
    match sa.lines.as_ref().and_then(|re| re.captures(l)?.name("key")) {
        Some(k) => k.as_str(),
        None => l.split_once('=').map_or(l, |(k, _)| k),
    }
}

/// The lines `lines` selects as `key → value` (the text after the first `=`).
fn keyed(sa: &SameAs, t: &str) -> BTreeMap<String, String> {
    t.lines()
        .filter(|l| sa.lines.as_ref().is_none_or(|re| re.is_match(l)))
        .map(|l| {
            let value = l.split_once('=').map_or("", |(_, v)| v.trim_end());
            (key_of(sa, l).to_string(), value.to_string())
        })
        .collect()
}

/// Why a parity check fails before any comparison: a tool MISSING on either side, or an
/// exception past its date.
fn missing_or_expired(
    sa: &SameAs,
    stdout: &str,
    vars: &Vars,
    judging: &JudgingDate,
) -> Option<String> {
    // A tool missing on both sides is not "the same": it is missing.
    if let Some(l) = stdout
        .lines()
        .chain(vars.get(&sa.var).unwrap_or("").lines())
        .find(|l| l.ends_with("=MISSING") && sa.lines.as_ref().is_none_or(|re| re.is_match(l)))
    {
        return Some(format!("`{l}`: MISSING never equals MISSING"));
    }
    // An exception past its date fails the check, naming it (renew it or remove it).
    coverage::expired(&sa.except, judging)
}

/// The lines of `t` a parity check compares: those `lines` selects, less the excepted
/// tools and those in `skip` (the platform's), each cut to its `key` and normalized as asked.
fn normalized(sa: &SameAs, t: &str, skip: &BTreeSet<&str>) -> String {
    let excepted = |l: &str| {
        let key = key_of(sa, l);
        let value = l.split_once('=').map_or("", |(_, v)| v.trim_end());
        skip.contains(key) || sa.except.iter().any(|w| w.covers(key, &package_of(value)))
    };
    let mut lines: Vec<String> = t
        .lines()
        .filter(|l| sa.lines.as_ref().is_none_or(|re| re.is_match(l)))
        .filter(|l| !excepted(l))
        .map(|l| {
            // A `(?P<key>…)` group in `lines` compares only that part of each line
            // (e.g. which recipes have an outcome, whatever the outcome was).
            let l = match sa.lines.as_ref().and_then(|re| re.captures(l)?.name("key")) {
                Some(k) => k.as_str(),
                None => l.trim_end(),
            };
            if sa.normalize.contains(&SameNormalize::StorePath) {
                normalize_store_paths(l)
            } else {
                l.to_string()
            }
        })
        .filter(|l| !l.is_empty())
        .collect();
    if sa.normalize.contains(&SameNormalize::SortedLines) {
        lines.sort();
        lines.dedup();
    }
    lines.join("\n") + "\n"
}

/// What differs between two normalized texts, as a line diff (only the changes when the
/// texts are long).
fn show_diff(left: &str, right: &str) -> String {
    let diff = similar::TextDiff::from_lines(left, right);
    // A long comparison (a whole PATH inventory) shows only what differs.
    let long = left.lines().count().max(right.lines().count()) > 30;
    let mut shown = String::from("differs (- earlier, + this probe):");
    let mut equal = 0;
    for change in diff.iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Delete => "-",
            similar::ChangeTag::Insert => "+",
            similar::ChangeTag::Equal if long => {
                equal += 1;
                continue;
            }
            similar::ChangeTag::Equal => " ",
        };
        shown.push_str(&format!("\n{sign} {}", change.value().trim_end()));
    }
    if equal > 0 {
        shown.push_str(&format!("\n({equal} equal lines not shown)"));
    }
    shown
}

/// The store name of the package a resolved path lies in (`openssh`); empty outside the store.
pub(crate) fn package_of(resolved: &str) -> String {
    if resolved.starts_with("/nix/store/") {
        store_name(resolved)
    } else {
        String::new()
    }
}

/// Every `/nix/store/<hash>-name-version…` in a line becomes its bare name.
fn normalize_store_paths(line: &str) -> String {
    static PATH: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"/nix/store/[0-9a-z]{32}-[^/:\s\x22']+").expect("regex"));
    PATH.replace_all(line, |c: &regex::Captures| store_name(&c[0]))
        .into_owned()
}

fn show(re: &Regex) -> String {
    // Regexes are compiled with a `(?m)` prefix; show them as written.
    re.as_str().trim_start_matches("(?m)").to_string()
}

fn present(stream: &str, re: &Regex, text: &str) -> Outcome {
    let lines: Vec<String> = matching_lines(re, text);
    if re.is_match(text) {
        Outcome {
            ok: true,
            expected: format!("{stream} matches /{}/", show(re)),
            seen: None,
            matched_lines: lines,
            platform: Vec::new(),
        }
    } else {
        Outcome::check(
            false,
            format!("{stream} matches /{}/", show(re)),
            format!("no match in {} lines of {stream}", text.lines().count()),
        )
    }
}

fn absent(stream: &str, re: &Regex, text: &str) -> Outcome {
    let lines = matching_lines(re, text);
    let expected = format!("{stream} has no match for /{}/", show(re));
    if re.is_match(text) {
        let first = lines.first().cloned().unwrap_or_else(|| {
            re.find(text)
                .map(|m| m.as_str().to_string())
                .unwrap_or_default()
        });
        Outcome::check(false, expected, format!("matched: {first}"))
    } else {
        Outcome::pass(expected)
    }
}

fn matching_lines(re: &Regex, text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| re.is_match(l))
        .map(str::to_string)
        .collect()
}

fn in_order(res: &[Regex], text: &str) -> Outcome {
    let shown: Vec<String> = res.iter().map(|r| format!("/{}/", show(r))).collect();
    let expected = format!("stdout lines match in order: {}", shown.join(" then "));
    let mut lines = text.lines();
    let mut matched = Vec::new();
    for (i, re) in res.iter().enumerate() {
        match lines.by_ref().find(|l| re.is_match(l)) {
            Some(l) => matched.push(l.to_string()),
            None => {
                let seen = if i == 0 {
                    format!("no line matches {}", shown[0])
                } else {
                    format!(
                        "no line matches {} after `{}`",
                        shown[i],
                        matched.last().cloned().unwrap_or_default()
                    )
                };
                return Outcome::check(false, expected, seen);
            }
        }
    }
    Outcome {
        ok: true,
        expected,
        seen: None,
        matched_lines: matched,
        platform: Vec::new(),
    }
}

fn count(re: &Regex, want: usize, text: &str) -> Outcome {
    let lines = matching_lines(re, text);
    let expected = format!(
        "exactly {want} stdout line{} match /{}/",
        if want == 1 { "" } else { "s" },
        show(re)
    );
    let seen = if lines.is_empty() {
        "0 lines".to_string()
    } else {
        format!("{} line(s): {}", lines.len(), lines.join(" | "))
    };
    Outcome {
        ok: lines.len() == want,
        expected,
        seen: Some(seen),
        matched_lines: lines,
        platform: Vec::new(),
    }
}

fn contains(c: &Contains, text: &str) -> Outcome {
    let items: BTreeSet<String> = c
        .item
        .captures_iter(text)
        .map(|cap| {
            cap.name("item")
                .or_else(|| cap.get(0))
                .map(|m| m.as_str())
                .unwrap_or("")
                .to_string()
        })
        .map(|s| match c.normalize {
            Normalize::None => s,
            Normalize::StorePath => store_name(&s),
        })
        .collect();
    let missing: Vec<&String> = c.all_of.iter().filter(|w| !items.contains(*w)).collect();
    let extra: Vec<&String> = items.iter().filter(|i| !c.all_of.contains(i)).collect();
    let expected = format!("items contain all of [{}]", c.all_of.join(", "));
    let mut seen = format!(
        "{} item(s): [{}]",
        items.len(),
        items.iter().cloned().collect::<Vec<_>>().join(", ")
    );
    if !missing.is_empty() {
        seen.push_str(&format!(
            "; MISSING: [{}]",
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !extra.is_empty() {
        seen.push_str(&format!(
            "; extra: [{}]",
            extra
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Outcome::check(missing.is_empty(), expected, seen)
}

/// `/nix/store/<hash>-git-lfs-3.6.1/bin` → `git-lfs`; `python3-3.12.8-env` → `python3-env`.
///
/// Follows Nix's `parseDrvName`: the name ends before the first `-` followed by a digit.
/// An `-env` suffix (python and buildEnv environments) is kept, as it tells what the item is.
pub(crate) fn store_name(path: &str) -> String {
    static STORE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^/nix/store/[0-9a-z]{32}-([^/]+)").expect("regex"));
    let full = STORE
        .captures(path)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str())
        .unwrap_or(path);
    let mut name = Vec::new();
    for part in full.split('-') {
        if part.starts_with(|c: char| c.is_ascii_digit()) && !name.is_empty() {
            break;
        }
        name.push(part);
    }
    let mut name = name.join("-");
    if full.ends_with("-env") && !name.ends_with("-env") {
        name.push_str("-env");
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load::load_str;

    fn obs(stdout: &str, exit: i32) -> Observation {
        Observation {
            stdout: stdout.into(),
            exit: Some(exit),
            exit_applies: true,
            ..Observation::default()
        }
    }

    /// Build an `Expect` from TOML, as a scenario would write it.
    fn expect(toml: &str) -> Expect {
        let src = format!(
            "title = \"t\"\nclaim = \"c\"\n[[steps]]\nrun = {{ cmd = \"true\" }}\n[steps.expect]\n{toml}\n"
        );
        load_str(std::path::Path::new("t.toml"), &src)
            .unwrap()
            .steps
            .remove(0)
            .expect
    }

    /// Every expectation judged on a pinned day, never the system clock.
    const ON: &str = "2026-12-05";

    fn judge(e: &Expect, o: &Observation, v: &Vars) -> Vec<Outcome> {
        evaluate(e, o, v, &JudgingDate::pinned(ON).unwrap())
    }

    fn oks(e: &Expect, o: &Observation) -> Vec<bool> {
        judge(e, o, &Vars::default()).iter().map(|o| o.ok).collect()
    }

    #[test]
    fn exit_status_defaults_to_zero() {
        let e = expect("");
        assert_eq!(oks(&e, &obs("", 0)), vec![true]);
        assert_eq!(oks(&e, &obs("", 3)), vec![false]);
        let e = expect("exit = 3");
        assert_eq!(oks(&e, &obs("", 3)), vec![true]);
        let e = expect("any_exit = true");
        assert!(oks(&e, &obs("", 7)).is_empty());
    }

    #[test]
    fn signal_is_reported() {
        let o = Observation {
            signal: Some("KILL".into()),
            exit_applies: true,
            ..Observation::default()
        };
        let r = judge(&expect(""), &o, &Vars::default());
        assert_eq!(r[0].seen.as_deref(), Some("killed by signal KILL"));
    }

    #[test]
    fn present_and_absent() {
        let e = expect("stdout = ['^active$']\nstdout_absent = ['failed']");
        assert_eq!(oks(&e, &obs("x\nactive\n", 0)), vec![true, true, true]);
        assert_eq!(
            oks(&e, &obs("inactive\nfailed\n", 0)),
            vec![true, false, false]
        );
        let e = expect("stderr = ['warn']\nstderr_absent = ['error']");
        let mut o = obs("", 0);
        o.stderr = "warn: x".into();
        assert_eq!(oks(&e, &o), vec![true, true, true]);
        o.stderr = "error".into();
        assert_eq!(oks(&e, &o), vec![true, false, false]);
    }

    #[test]
    fn exact_count_of_lines() {
        let e = expect("count = [{ regex = 'withPackages', lines = 1 }]");
        assert_eq!(
            oks(&e, &obs("a.nix:3: withPackages\n", 0)),
            vec![true, true]
        );
        assert_eq!(
            oks(
                &e,
                &obs("a.nix:3: withPackages\nb.nix:9: withPackages\n", 0)
            ),
            vec![true, false]
        );
        assert_eq!(oks(&e, &obs("", 0)), vec![true, false]);
    }

    #[test]
    fn in_order() {
        let e = expect("stdout_in_order = ['lfs_roundtrip PASSED', 'gitea rc=0']");
        assert_eq!(
            oks(
                &e,
                &obs("test_lfs_roundtrip PASSED\nsweep: gitea rc=0\n", 0)
            ),
            vec![true, true]
        );
        let r = judge(
            &e,
            &obs("sweep: gitea rc=0\ntest_lfs_roundtrip PASSED\n", 0),
            &Vars::default(),
        );
        assert!(!r[1].ok);
        assert!(
            r[1].seen
                .as_ref()
                .unwrap()
                .contains("after `test_lfs_roundtrip PASSED`")
        );
    }

    #[test]
    fn superset_with_store_paths_normalized() {
        let e = expect(
            "contains = { item = '/nix/store/[^:\"]+', all_of = ['git', 'git-lfs', 'bash'], normalize = 'store-path' }",
        );
        let path = "export PATH=\"/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-git-2.47.2/bin:/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-git-lfs-3.6.1/bin:/nix/store/cccccccccccccccccccccccccccccccc-bash-5.2p37/bin:/nix/store/dddddddddddddddddddddddddddddddd-jq-1.7.1/bin\"";
        let r = judge(&e, &obs(path, 0), &Vars::default());
        assert!(r[1].ok, "{r:?}");
        assert!(r[1].seen.as_ref().unwrap().contains("extra: [jq]"));
        let without_lfs = path.replace("git-lfs", "curl");
        let r = judge(&e, &obs(&without_lfs, 0), &Vars::default());
        assert!(!r[1].ok);
        assert!(r[1].seen.as_ref().unwrap().contains("MISSING: [git-lfs]"));
    }

    #[test]
    fn parity_with_a_diff() {
        let e = expect("same_as = { var = 'timer', normalize = ['store-path', 'sorted-lines'] }");
        let mut v = Vars::default();
        v.set("timer", "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-git-lfs-3.6.1/bin/git-lfs\n/usr/bin/bash\n");
        let drone = "/usr/bin/bash\n/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-git-lfs-3.6.1/bin/git-lfs\n";
        let r = judge(&e, &obs(drone, 0), &v);
        assert!(r[1].ok, "{r:?}");
        let r = judge(&e, &obs("/usr/bin/bash\n", 0), &v);
        assert!(!r[1].ok);
        assert!(
            r[1].seen
                .as_ref()
                .unwrap()
                .contains("- git-lfs/bin/git-lfs"),
            "{r:?}"
        );
        let r = judge(&e, &obs("x", 0), &Vars::default());
        assert!(r[1].seen.as_ref().unwrap().contains("never captured"));
    }

    #[test]
    fn each_line_is_a_closed_world() {
        let e = expect(
            "each_line = [{ regex = '^PATH=', is = \"set by cc-ci-run\" }, { line_of = 'unit', is = \"the unit's\" }]",
        );
        let mut v = Vars::default();
        v.set("unit", "LANG=C.UTF-8\nTZDIR=/etc/zoneinfo\n");
        let r = judge(&e, &obs("PATH=/a\nLANG=C.UTF-8\n\n", 0), &v);
        assert!(r[1].ok, "{r:?}");
        assert_eq!(
            r[1].seen.as_deref(),
            Some("2 line(s): 1 set by cc-ci-run, 1 the unit's")
        );
        // A line of no declared kind is red, named, whatever it is.
        let r = judge(&e, &obs("PATH=/a\nPYTHONPATH=/x\nLANG=C\n", 0), &v);
        assert!(!r[1].ok);
        let seen = r[1].seen.as_deref().unwrap();
        assert!(
            seen.starts_with("2 line(s) of no declared kind: `PYTHONPATH=/x` | `LANG=C`"),
            "{seen}"
        );
        // A line of a variable matches whole, never as a prefix.
        let r = judge(&e, &obs("LANG=C.UTF-8x\n", 0), &v);
        assert!(!r[1].ok);
        // A regex's `value` group that must be a line of a variable.
        let e = expect(
            "each_line = [{ regex = '^unit \\S+: wrapper PATH entry: (?P<value>.*)$', line_of = 'unit', is = \"declared\" }]",
        );
        let ok = judge(
            &e,
            &obs(
                "unit a.service: wrapper PATH entry: TZDIR=/etc/zoneinfo\n",
                0,
            ),
            &v,
        );
        assert!(ok[1].ok, "{ok:?}");
        let red = judge(
            &e,
            &obs("unit a.service: wrapper PATH entry: /x/bin\n", 0),
            &v,
        );
        assert!(!red[1].ok);
    }

    #[test]
    fn parity_never_counts_missing_as_the_same() {
        let e = expect("same_as = { var = 'timer', lines = '^(git-lfs|bash)=' }");
        let mut v = Vars::default();
        v.set("timer", "git-lfs=MISSING\nbash=/nix/store/b/bin/bash\n");
        let r = judge(
            &e,
            &obs("git-lfs=MISSING\nbash=/nix/store/b/bin/bash\n", 0),
            &v,
        );
        assert!(!r[1].ok, "{r:?}");
        assert!(
            r[1].seen
                .as_ref()
                .unwrap()
                .contains("MISSING never equals MISSING")
        );
        v.set(
            "timer",
            "git-lfs=/nix/store/l/bin/git-lfs\nbash=/nix/store/b/bin/bash\n",
        );
        let r = judge(
            &e,
            &obs(
                "git-lfs=/nix/store/l/bin/git-lfs\nbash=/nix/store/b/bin/bash\nother=MISSING\n",
                0,
            ),
            &v,
        );
        assert!(r[1].ok, "lines outside `lines` do not count: {r:?}");
    }

    #[test]
    fn parity_can_compare_one_part_of_each_line() {
        let e = expect(
            "same_as = { var = 'before', lines = '^sweep: (?P<key>\\S+) ', normalize = ['sorted-lines'] }",
        );
        let mut v = Vars::default();
        v.set("before", "sweep: a rc=0\nsweep: b promoted b→1\nnoise\n");
        let r = judge(
            &e,
            &obs("sweep: b SKIP no-new-version\nsweep: a rc=0\n", 0),
            &v,
        );
        assert!(r[1].ok, "{r:?}");
        let r = judge(&e, &obs("sweep: a rc=0\n", 0), &v);
        assert!(
            !r[1].ok && r[1].seen.as_ref().unwrap().contains("- b"),
            "{r:?}"
        );
    }

    #[test]
    fn parity_of_whole_inventories_with_exceptions() {
        let inventory =
            |extra: &str| format!("bash=/nix/store/b/bin/bash\ngit=/nix/store/g/bin/git\n{extra}");
        let mut v = Vars::default();
        v.set("timer", inventory(""));
        // A name on one side only is a difference; so is one name resolving to two paths.
        let e = expect("same_as = { var = 'timer' }");
        let r = judge(&e, &obs(&inventory("ssh=/nix/store/o/bin/ssh\n"), 0), &v);
        assert!(!r[1].ok);
        assert!(
            r[1].seen
                .as_ref()
                .unwrap()
                .contains("+ ssh=/nix/store/o/bin/ssh"),
            "{r:?}"
        );
        let other_git = inventory("").replace("/nix/store/g/", "/nix/store/h/");
        let r = judge(&e, &obs(&other_git, 0), &v);
        assert!(!r[1].ok, "{r:?}");
        // An exception in force leaves its tools out of the comparison.
        let e = expect(
            "same_as = { var = 'timer', except = [{ tools = ['ssh', 'scp'], reason = 'host sw/bin', expires = '2999-12-31' }] }",
        );
        let r = judge(&e, &obs(&inventory("ssh=/nix/store/o/bin/ssh\n"), 0), &v);
        assert!(r[1].ok, "{r:?}");
        let r = judge(&e, &obs(&inventory("gzip=/nix/store/z/bin/gzip\n"), 0), &v);
        assert!(!r[1].ok, "an exception covers only its tools: {r:?}");
        // After its date it is red, naming it, whatever the inventories.
        let e = expect(
            "same_as = { var = 'timer', except = [{ tools = ['ssh'], reason = 'host sw/bin', expires = '2020-01-31' }] }",
        );
        let r = judge(&e, &obs(&inventory(""), 0), &v);
        assert!(!r[1].ok);
        assert!(
            r[1].seen
                .as_ref()
                .unwrap()
                .contains("commands ssh expired on 2020-01-31"),
            "{r:?}"
        );
    }

    /// Platform facts as an evaluator step prints them.
    const PLATFORM: &str = "platform package gawk /nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-gawk-5.3.1\n\
        platform wrapper sudo /run/wrappers/wrappers.x1/sudo\n";

    #[test]
    fn parity_classes_what_one_side_alone_has_from_the_platform_apart() {
        let timer = "bash=/nix/store/b/bin/bash\n";
        let drone = "awk=/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-gawk-5.3.1/bin/gawk\n\
            bash=/nix/store/b/bin/bash\nsudo=/run/wrappers/wrappers.x1/sudo\n";
        let mut v = Vars::default();
        v.set("timer", timer);
        v.set("facts", PLATFORM);
        let e = expect("same_as = { var = 'timer', platform = 'facts' }");
        let r = judge(&e, &obs(drone, 0), &v);
        assert!(r[1].ok, "{r:?}");
        assert_eq!(
            r[1].seen.as_deref(),
            Some("the platform's: gawk (awk); setuid wrapper (/run/wrappers/bin) (sudo)")
        );
        assert_eq!(r[1].platform.len(), 2);
        // A tool that is not the platform's stays a difference, named.
        let more = format!("{drone}ssh=/nix/store/o-openssh-9.9/bin/ssh\n");
        let r = judge(&e, &obs(&more, 0), &v);
        assert!(!r[1].ok);
        let seen = r[1].seen.as_deref().unwrap();
        assert!(
            seen.contains("+ ssh=/nix/store/o-openssh-9.9/bin/ssh"),
            "{seen}"
        );
        assert!(
            seen.ends_with("\n(not compared, the platform's: gawk (awk); setuid wrapper (/run/wrappers/bin) (sudo))"),
            "the platform's are not in the diff, and said: {seen}"
        );
        assert!(!seen.contains("+ awk"), "{seen}");
        assert_eq!(
            r[1].platform.len(),
            2,
            "the report lists them on a red run too"
        );
        // Without the facts the same inventories are red: the class comes from them alone.
        let bare = expect("same_as = { var = 'timer' }");
        assert!(!judge(&bare, &obs(drone, 0), &v)[1].ok);
        // Facts that name no package (an evaluator that failed) never pass as "none".
        v.set("facts", "");
        let r = judge(&e, &obs(drone, 0), &v);
        assert!(!r[1].ok);
        assert!(
            r[1].seen
                .as_deref()
                .unwrap()
                .contains("no `platform package"),
            "{r:?}"
        );
    }

    #[test]
    fn the_same_name_at_two_paths_is_never_the_platforms() {
        let mut v = Vars::default();
        v.set("timer", "awk=/nix/store/c-gawk-5.3.1/bin/gawk\n");
        v.set("facts", PLATFORM);
        let e = expect("same_as = { var = 'timer', platform = 'facts' }");
        let drone = "awk=/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-gawk-5.3.1/bin/gawk\n";
        assert!(!judge(&e, &obs(drone, 0), &v)[1].ok);
    }

    #[test]
    fn coverage_of_a_list_by_another_the_platform_and_waivers() {
        let old = "git=/nix/store/g-git-2.47/bin/git\n\
            awk=/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-gawk-5.3.1/bin/gawk\n\
            ssh=/nix/store/oooooooooooooooooooooooooooooooo-openssh-9.9/bin/ssh\n";
        let mut v = Vars::default();
        v.set(
            "new",
            "git=/nix/store/g2-git-2.47/bin/git\nbash=/nix/store/b/bin/bash\n",
        );
        v.set("facts", PLATFORM);
        let e = expect(
            "subset_of = { var = 'new', platform = 'facts', except = [{ packages = ['openssh'], reason = 'kept for operators', expires = '2026-12-31' }] }",
        );
        let r = judge(&e, &obs(old, 0), &v);
        assert!(r[1].ok, "{r:?}");
        assert_eq!(
            r[1].seen.as_deref(),
            Some("3 commands: 1 in ${new}, 1 the platform's, 1 waived; the platform's: gawk (awk)")
        );
        // Not in the new list, not the platform's, not waived: red, named with its path.
        let r = judge(
            &e,
            &obs(&format!("{old}xz=/nix/store/x-xz-5.6/bin/xz\n"), 0),
            &v,
        );
        assert!(!r[1].ok);
        assert_eq!(
            r[1].seen.as_deref(),
            Some(
                "1 of 4 commands are not in ${new}, not the platform's and not waived: xz=/nix/store/x-xz-5.6/bin/xz"
            )
        );
        // Nothing listed is nothing witnessed.
        assert!(!judge(&e, &obs("", 0), &v)[1].ok);
    }

    #[test]
    fn an_exception_holds_through_its_last_day_on_the_judging_date() {
        let mut v = Vars::default();
        v.set("new", "git=/nix/store/g/bin/git\n");
        let e = expect(
            "subset_of = { var = 'new', except = [{ tools = ['ssh'], reason = 'operators', expires = '2026-12-31' }] }",
        );
        let old = obs("ssh=/nix/store/o-openssh-9.9/bin/ssh\n", 0);
        let on = |d: &str| evaluate(&e, &old, &v, &JudgingDate::pinned(d).unwrap());
        assert!(on("2026-12-30")[1].ok, "the day before");
        assert!(on("2026-12-31")[1].ok, "the day of");
        let after = on("2027-01-01");
        assert!(!after[1].ok, "the day after");
        assert_eq!(
            after[1].seen.as_deref(),
            Some(
                "the exception for commands ssh expired on 2026-12-31 (operators): renew it with a new date and reason, or remove it"
            )
        );
    }

    #[test]
    fn store_names() {
        assert_eq!(
            store_name("/nix/store/zxlx9jnylh7la5m48bsqb1wfm5l9r0bd-cc-ci-run"),
            "cc-ci-run"
        );
        assert_eq!(
            store_name("/nix/store/zxlx9jnylh7la5m48bsqb1wfm5l9r0bd-python3-3.12.8-env/bin"),
            "python3-env"
        );
        assert_eq!(
            store_name("/nix/store/zxlx9jnylh7la5m48bsqb1wfm5l9r0bd-bash-5.2p37/bin"),
            "bash"
        );
        assert_eq!(
            store_name("/nix/store/zxlx9jnylh7la5m48bsqb1wfm5l9r0bd-abra-0.13.0-beta"),
            "abra"
        );
    }

    #[test]
    fn equality_with_an_earlier_capture() {
        let e = expect("stdout_equals = '${built}'");
        let mut v = Vars::default();
        v.set("built", "/nix/store/x-nixos-system");
        let r = judge(&e, &obs("/nix/store/x-nixos-system\n", 0), &v);
        assert!(r.iter().all(|o| o.ok));
        let r = judge(&e, &obs("/nix/store/y-nixos-system\n", 0), &v);
        assert!(!r[1].ok);
        let r = judge(&e, &obs("x", 0), &Vars::default());
        assert!(r[1].seen.as_ref().unwrap().contains("unknown variable"));
    }
}
