//! The runner as libtest-mimic sees it: broken files are failing trials, mutation is
//! refused by default, listing connects to nothing, empty or missing gates are errors.
//! Runs on this machine only (the `local` target), no twin needed.

use std::path::{Path, PathBuf};

use libtest_mimic::Arguments;
use witness::{RunConfig, run_gate};

fn root(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let root = std::env::temp_dir().join(format!("witness-runner-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("scenarios/g")).unwrap();
    std::fs::write(root.join("targets.toml"), "[targets.here]\nlocal = true\n").unwrap();
    for (f, body) in files {
        std::fs::write(root.join("scenarios/g").join(f), body).unwrap();
    }
    root
}

fn args(extra: &[&str]) -> Arguments {
    let mut v = vec!["g", "--test-threads", "1"];
    v.extend_from_slice(extra);
    Arguments::from_iter(v)
}

fn gate(root: &Path, target: &str, a: &Arguments) -> Result<libtest_mimic::Conclusion, String> {
    run_gate(&RunConfig::for_root(root, target), "g", a)
}

const BROKEN: &str =
    "title = \"b\"\nclaim = \"c\"\n[[steps]]\nrun = { cmd = \"true\", locall = true }\n";
const MUTATES: &str = "title = \"m\"\nclaim = \"c\"\nmutates = true\n[[steps]]\nsystemd = { start = \"x.service\" }\n";
const IGNORED: &str = "title = \"i\"\nclaim = \"c\"\nignore = \"needs a person\"\n[[steps]]\nrun = { cmd = \"true\" }\n";

#[test]
fn broken_file_and_refused_mutation_fail_their_trials_only() {
    let r = root(
        "fail",
        &[
            ("broken.toml", BROKEN),
            ("mutates.toml", MUTATES),
            ("later.toml", IGNORED),
        ],
    );
    // Mutation is only allowed by WITNESS_ALLOW_MUTATION, which this test never sets.
    let c = gate(&r, "here", &args(&[])).unwrap();
    assert_eq!((c.num_failed, c.num_ignored, c.num_passed), (2, 1, 0));
}

#[test]
fn listing_connects_to_nothing() {
    let r = root(
        "list",
        &[("broken.toml", BROKEN), ("mutates.toml", MUTATES)],
    );
    // An unknown target would fail every trial; listing must not even look at it.
    let c = gate(&r, "no-such-target", &args(&["--list"])).unwrap();
    assert_eq!(c.num_failed, 0);
}

#[test]
fn unknown_target_fails_every_trial() {
    let r = root(
        "target",
        &[(
            "a.toml",
            IGNORED
                .replace("ignore = \"needs a person\"\n", "")
                .as_str(),
        )],
    );
    let c = gate(&r, "no-such-target", &args(&[])).unwrap();
    assert_eq!(c.num_failed, 1);
}

#[test]
fn exact_loads_only_the_named_scenario() {
    let r = root(
        "exact",
        &[("broken.toml", BROKEN), ("mutates.toml", MUTATES)],
    );
    let c = gate(&r, "here", &args(&["--exact", "g::broken"])).unwrap();
    assert_eq!((c.num_failed, c.num_passed), (1, 0));
    let c = gate(&r, "here", &args(&["--exact", "g::nope"])).unwrap();
    assert_eq!(c.num_failed + c.num_passed, 0);
}

#[test]
fn empty_or_missing_gate_is_an_error() {
    let r = root("empty", &[]);
    let e = gate(&r, "here", &args(&[])).unwrap_err();
    assert!(e.contains("holds no scenario files"), "{e}");
    let e = run_gate(&RunConfig::for_root(&r, "here"), "missing", &args(&[])).unwrap_err();
    assert!(e.contains("no scenario folder"), "{e}");
}
