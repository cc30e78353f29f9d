//! Every committed scenario file loads (a broken gate file fails here too, not only when its
//! gate runs against a host).

use witness::scenario::load::load_file;

#[test]
fn every_scenario_file_loads() {
    let dir = witness::RunConfig::from_env().root.join("scenarios");
    let mut n = 0;
    let mut errors = Vec::new();
    for gate in std::fs::read_dir(&dir).expect("scenarios/") {
        let gate = gate.unwrap().path();
        for f in std::fs::read_dir(&gate).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "toml") {
                n += 1;
                if let Err(e) = load_file(&f) {
                    errors.push(e.to_string());
                }
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n\n"));
    assert!(n > 0, "no scenario files under {}", dir.display());
}
