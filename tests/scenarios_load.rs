//! Every committed scenario and action file loads, and every variable it reads is known on
//! each committed target — offline, before any gate runs against a host (a typo in step 5
//! of a mutating scenario is found here, not after the sweep has been fired).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use witness::action::Actions;
use witness::scenario::check::check_vars;
use witness::scenario::load::load_file;

fn root() -> PathBuf {
    witness::RunConfig::from_env().root
}

fn gates() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/")
        .map(|g| g.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn tomls(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .map(|f| f.unwrap().path())
        .filter(|f| f.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_scenario_and_action_file_loads() {
    let mut n = 0;
    let mut errors = Vec::new();
    for gate in gates() {
        for f in tomls(&gate).into_iter().chain(tomls(&gate.join("actions"))) {
            n += 1;
            if let Err(e) = load_file(&f) {
                errors.push(e.to_string());
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n\n"));
    assert!(n > 0, "no scenario files under scenarios/");
}

/// The real host's target and the twin's static part: each must give every variable the
/// gates read (the twin's run-dependent ones — its Drone URL and the store paths it built —
/// come from its connection file, listed here).
#[test]
fn every_variable_is_known_on_the_real_target() {
    let t = witness::target::load(&root(), "cc-ci").expect("targets.toml has cc-ci");
    let given: BTreeSet<String> = t.vars.keys().chain(t.secrets.keys()).cloned().collect();
    let mut errors = Vec::new();
    for gate in gates() {
        let name = gate.file_name().unwrap().to_string_lossy().into_owned();
        let actions = Actions::load(&gate, &name);
        let outputs = actions.outputs();
        for f in tomls(&gate.join("actions")) {
            let a = load_file(&f).unwrap();
            if let Err(e) = check_vars(&a, &given, &Default::default()) {
                errors.push(e.to_string());
            }
        }
        for f in tomls(&gate) {
            let sc = load_file(&f).unwrap();
            if let Err(e) = check_vars(&sc, &given, &outputs) {
                errors.push(e.to_string());
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n\n"));
}
