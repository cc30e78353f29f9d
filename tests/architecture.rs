//! The module graph of `src/` has no cycle: a newcomer can read the library bottom-up
//! (`report`, `config`, `error` first; `runner` last). A `use crate::x` in a module that `x`
//! depends on, directly or not, fails here, naming the cycle; so does an edge out of one of
//! the leaves ARCHITECTURE.md names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the top-level modules it uses (tests excluded).
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(src).unwrap().to_string_lossy().into_owned();
            let top = rel
                .split('/')
                .next()
                .unwrap()
                .trim_end_matches(".rs")
                .to_string();
            if top == "lib" || !rel.ends_with(".rs") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            let deps = g.entry(top.clone()).or_default();
            for name in uses(code) {
                if name != top {
                    deps.insert(name);
                }
            }
        }
    }
    g
}

/// The top-level modules a piece of code names through `crate::`, grouped imports
/// (`use crate::{a::X, b}`) included; comment lines (docs that mention `crate::x`) are not
/// code and are left out.
fn uses(code: &str) -> BTreeSet<String> {
    let code: String = code
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| format!("{l}\n"))
        .collect();
    let code = code.as_str();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + 7..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            names.extend(group.split(',').map(|p| ident(p.trim())));
        } else {
            names.insert(ident(rest));
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

/// Every module that reaches itself, with the way round.
fn cycles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut found = Vec::new();
    for m in g.keys() {
        if let Some(p) = path_to(g, m, m, &mut BTreeSet::new()) {
            found.push(format!("{m} -> {}", p.join(" -> ")));
        }
    }
    found
}

fn path_to(
    g: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    to: &str,
    seen: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    for d in g.get(from).into_iter().flatten() {
        if d == to {
            return Some(vec![d.clone()]);
        }
        if seen.insert(d.clone())
            && let Some(mut p) = path_to(g, d, to, seen)
        {
            p.insert(0, d.clone());
            return Some(p);
        }
    }
    None
}

#[test]
fn no_module_cycle_in_src() {
    let g = graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(
        g.contains_key("engine") && g.contains_key("report"),
        "{g:?}"
    );
    let cycles = cycles(&g);
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
    for leaf in ["report", "config", "error", "redact"] {
        assert!(
            g[leaf].is_empty(),
            "{leaf} is a leaf (ARCHITECTURE.md): {:?}",
            g[leaf]
        );
    }
}

/// The check goes red: a planted `steps -> engine` edge (what `Observation` <-> `Outcome` once
/// was) is a cycle, found through a grouped import too.
#[test]
fn a_planted_cycle_is_found() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("engine".into())
        .or_default()
        .extend(uses("use crate::steps::run_step;"));
    g.entry("steps".into())
        .or_default()
        .extend(uses("use crate::{report::Observation, engine::StepCtx};"));
    g.entry("report".into()).or_default();
    assert_eq!(
        cycles(&g),
        ["engine -> steps -> engine", "steps -> engine -> steps"]
    );
    g.get_mut("steps").unwrap().remove("engine");
    assert!(cycles(&g).is_empty());
}

/// A comment naming a module is not an edge; the code after it is.
#[test]
fn comments_are_not_edges() {
    let found = uses(
        "//! see [`crate::engine`]\n/// `crate::runner` calls this\nuse crate::report::Verdict;",
    );
    assert_eq!(found, BTreeSet::from(["report".to_string()]));
}
