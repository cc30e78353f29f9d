//! The `witness` binary as people and CI use it: its exit statuses (0 claims hold, 1 a claim
//! is broken, 2 could not witness, 64 usage), `--version`, `check` and `diff`. Runs on this
//! machine only (the `local` target), no twin needed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let root = std::env::temp_dir().join(format!("witness-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("scenarios/g")).unwrap();
    std::fs::write(
        root.join("targets.toml"),
        "[targets.here]\nlocal = true\n[targets.here.vars]\ngreeting = \"hi\"\n",
    )
    .unwrap();
    for (f, body) in files {
        std::fs::write(root.join("scenarios/g").join(f), body).unwrap();
    }
    root
}

fn witness(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_witness"))
        .args(args)
        .env("WITNESS_ROOT", root)
        .env("WITNESS_TARGET", "here")
        .env_remove("WITNESS_ALLOW_MUTATION")
        .env_remove("WITNESS_EVIDENCE")
        .output()
        .unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

const HOLDS: &str =
    "title = \"h\"\nclaim = \"c\"\n[[steps]]\nrun = { cmd = \"echo ${greeting}\" }\n";
const BROKEN: &str =
    "title = \"b\"\nclaim = \"c\"\n[[steps]]\nrun = { cmd = \"echo ${greeting}; exit 3\" }\n";
const MUTATES: &str = "title = \"m\"\nclaim = \"c\"\nmutates = true\n[[steps]]\nsystemd = { start = \"x.service\" }\n";

#[test]
fn exit_statuses_say_held_broken_or_not_witnessed() {
    let r = root("held", &[("h.toml", HOLDS)]);
    assert_eq!(code(&witness(&r, &["g"])), 0);
    let r = root("broken", &[("h.toml", HOLDS), ("b.toml", BROKEN)]);
    assert_eq!(code(&witness(&r, &["g"])), 1);
    let r = root("refused", &[("h.toml", HOLDS), ("m.toml", MUTATES)]);
    assert_eq!(code(&witness(&r, &["g"])), 2);
    // A broken claim outranks what could not be witnessed.
    let r = root("both", &[("b.toml", BROKEN), ("m.toml", MUTATES)]);
    assert_eq!(code(&witness(&r, &["g"])), 1);
    // An unknown target: nothing witnessed.
    let o = Command::new(env!("CARGO_BIN_EXE_witness"))
        .arg("g")
        .env("WITNESS_ROOT", &r)
        .env("WITNESS_TARGET", "nowhere")
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
}

#[test]
fn usage_version_check_and_diff() {
    let r = root("usage", &[("h.toml", HOLDS)]);
    assert_eq!(code(&witness(&r, &[])), 64);
    assert_eq!(code(&witness(&r, &["--bogus"])), 64);
    assert_eq!(code(&witness(&r, &["diff", "only-one"])), 64);
    let v = witness(&r, &["--version"]);
    assert_eq!(code(&v), 0);
    assert!(
        String::from_utf8_lossy(&v.stdout)
            .starts_with(&format!("witness {}", env!("CARGO_PKG_VERSION")))
    );
    // check: offline, against the target's variables.
    let o = witness(&r, &["check"]);
    assert_eq!(code(&o), 0, "{o:?}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("gate g: 1 files load"));
    std::fs::write(
        r.join("scenarios/g/typo.toml"),
        "title = \"t\"\nclaim = \"c\"\n[[steps]]\nrun = { cmd = \"echo ${greting}\" }\n",
    )
    .unwrap();
    let o = witness(&r, &["check", "g"]);
    assert_eq!(code(&o), 1);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("typo.toml:4:21: step 1"), "{err}");
    std::fs::remove_file(r.join("scenarios/g/typo.toml")).unwrap();
    // diff: a run against itself agrees; against a broken run it does not; no report is 2.
    assert_eq!(code(&witness(&r, &["g"])), 0);
    let a = r.join("a.json");
    std::fs::copy(r.join("target/witness/g@here/report.json"), &a).unwrap();
    let a = a.to_str().unwrap();
    assert_eq!(code(&witness(&r, &["diff", a, a])), 0);
    std::fs::write(r.join("scenarios/g/h.toml"), BROKEN).unwrap();
    assert_eq!(code(&witness(&r, &["g"])), 1);
    let b = r.join("target/witness/g@here");
    assert_eq!(code(&witness(&r, &["diff", a, b.to_str().unwrap()])), 1);
    assert_eq!(code(&witness(&r, &["diff", a, "/nonexistent"])), 2);
}
