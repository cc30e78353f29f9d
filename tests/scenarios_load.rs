//! Every committed scenario and action file loads, and every variable it reads is known on
//! the real target — offline, before any gate runs against a host (a typo in step 5 of a
//! mutating scenario is found here, not after the sweep has been fired). The same check as
//! `witness check`.

use std::path::PathBuf;

fn root() -> PathBuf {
    witness::RunConfig::from_env()
        .expect("the WITNESS_* variables are valid")
        .root
}

fn gates() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/")
        .map(|g| g.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The real host's target: it must give every variable the gates read (the twin's
/// run-dependent ones come from its connection file when it is up).
#[test]
fn every_file_loads_and_every_variable_is_known_on_the_real_target() {
    let t = witness::target::load(&root(), "cc-ci").expect("targets.toml has cc-ci");
    let mut errors = Vec::new();
    let mut n = 0;
    for gate in gates() {
        match witness::runner::check_gate(&root(), &gate, &t) {
            Ok(files) => n += files,
            Err(e) => errors.extend(e),
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n\n"));
    assert!(n > 0, "no scenario files under scenarios/");
}
