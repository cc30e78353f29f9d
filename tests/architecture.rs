//! The module graph of `src/` has no cycle: a newcomer can read the library bottom-up
//! (`report`, `config`, `error` first; `runner` last). A `use crate::x` in a module that `x`
//! depends on, directly or not, fails here, naming the cycle.

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
            for (i, _) in code.match_indices("crate::") {
                let name: String = code[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != top {
                    deps.insert(name);
                }
            }
        }
    }
    g
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
    let mut cycles = Vec::new();
    for m in g.keys() {
        if let Some(p) = path_to(&g, m, m, &mut BTreeSet::new()) {
            cycles.push(format!("{m} -> {}", p.join(" -> ")));
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
    assert!(
        g["report"].is_empty(),
        "report is the leaf vocabulary: {:?}",
        g["report"]
    );
}
