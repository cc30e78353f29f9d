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
    // No target asked for and no twin up: every scenario ignored, the verdict NOT WITNESSED,
    // exit 2 (never a pass, never a broken claim).
    let o = Command::new(env!("CARGO_BIN_EXE_witness"))
        .arg("g")
        .env("WITNESS_ROOT", &r)
        .env_remove("WITNESS_TARGET")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(&o), 2, "{out}");
    assert!(out.contains("2 ignored"), "{out}");
    assert!(
        out.lines()
            .last()
            .is_some_and(|l| l.contains("NOT WITNESSED")),
        "{out}"
    );
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

/// The nightly unit's runner (`packaging/nightly/witness-nightly`) on this machine: each
/// run's reports go to the history, the oldest beyond WITNESS_HISTORY_KEEP pruned, and the
/// node_exporter textfile says per gate whether it passed, its counts and when it ran.
#[test]
fn the_nightly_runner_keeps_the_last_reports_and_writes_the_textfile() {
    let r = root("nightly", &[("h.toml", HOLDS)]);
    std::fs::create_dir_all(r.join("scenarios/red")).unwrap();
    std::fs::write(r.join("scenarios/red/b.toml"), BROKEN).unwrap();
    let state = r.join("state");
    let textfile = r.join("textfile");
    let nightly = || {
        Command::new("sh")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/nightly/witness-nightly"))
            .env("WITNESS_BIN", env!("CARGO_BIN_EXE_witness"))
            .env("WITNESS_ROOT", &r)
            .env("WITNESS_TARGET", "here")
            .env("WITNESS_GATES", "g red")
            .env("WITNESS_STATE_DIR", &state)
            .env("WITNESS_TEXTFILE_DIR", &textfile)
            .env("WITNESS_HISTORY_KEEP", "2")
            .env("INSTA_UPDATE", "no")
            .env_remove("CI")
            // Three nightly runs are three runs, also when this test runs under nextest.
            .env_remove("NEXTEST_RUN_ID")
            .env_remove("WITNESS_RUN_ID")
            .env_remove("WITNESS_ALLOW_MUTATION")
            .env_remove("WITNESS_EVIDENCE")
            .env_remove("WITNESS_SIGNING_KEY")
            .output()
            .unwrap()
    };
    let runs = |gate: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(state.join(format!("history/{gate}@here")))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let first = nightly();
    assert_eq!(code(&first), 1, "a red gate fails the unit: {first:?}");
    // The nightly signs with a key of its own, made on its first run, and says the
    // allowed_signers line that trusts it; a run verifies against that line.
    let said = String::from_utf8_lossy(&first.stdout);
    let line = said
        .lines()
        .find_map(|l| l.split("add to allowed_signers: ").nth(1))
        .unwrap_or_else(|| panic!("no allowed_signers line in:\n{said}"));
    assert!(said.contains("made the signing key"), "{said}");
    assert!(
        line.starts_with("witness-nightly namespaces=\"witness\" ssh-ed25519 "),
        "{line}"
    );
    let allowed = r.join("allowed_signers");
    std::fs::write(&allowed, format!("{line}\n")).unwrap();
    let o = witness(
        &r,
        &[
            "verify",
            state.join("g@here").to_str().unwrap(),
            "--allowed-signers",
            allowed.to_str().unwrap(),
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(&o), 0, "{out}");
    assert!(
        out.contains("signed by witness-nightly (ssh-ed25519 key SHA256:"),
        "{out}"
    );
    let oldest = runs("g");
    assert_eq!(oldest.len(), 1);
    for _ in 0..2 {
        let again = nightly();
        let said = String::from_utf8_lossy(&again.stdout);
        assert!(
            !said.contains("made the signing key"),
            "one key, kept: {said}"
        );
    }
    let kept = runs("g");
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(
        !kept.contains(&oldest[0]),
        "the oldest run was pruned: {kept:?}"
    );
    assert_eq!(runs("red").len(), 2);
    let report = state
        .join("history/red@here")
        .join(&runs("red")[1])
        .join("report.md");
    assert!(std::fs::read_to_string(report).unwrap().contains("red::b"));
    let prom = std::fs::read_to_string(textfile.join("witness.prom")).unwrap();
    for line in [
        "witness_gate_passed{gate=\"g\",target=\"here\"} 1",
        "witness_gate_passed{gate=\"red\",target=\"here\"} 0",
        "witness_gate_verdict{gate=\"red\",target=\"here\",verdict=\"failed\"} 1",
        "witness_gate_scenarios{gate=\"red\",target=\"here\",verdict=\"failed\"} 1",
        "witness_gate_scenarios{gate=\"g\",target=\"here\",verdict=\"passed\"} 1",
        "# TYPE witness_gate_last_run_timestamp_seconds gauge",
    ] {
        assert!(prom.lines().any(|l| l == line), "{line} not in:\n{prom}");
    }
    let last = prom
        .lines()
        .find_map(|l| {
            l.strip_prefix("witness_gate_last_run_timestamp_seconds{gate=\"g\",target=\"here\"} ")
        })
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or_default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - last).abs() < 120.0, "last run {last}, now {now}");
    // No temporary file is left for the collector to read.
    let names: Vec<_> = std::fs::read_dir(&textfile)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names, ["witness.prom"]);
    // A report that cannot be read is no metric at all: exit 2, nothing printed.
    let o = witness(&r, &["metrics", "/nonexistent/report.json"]);
    assert_eq!((code(&o), o.stdout.is_empty()), (2, true));
}

/// A command line like any other: help per command listing the environment, a typo is a
/// usage error with the name it was probably meant to be, a `WITNESS_*` value none of the
/// accepted ones is a usage error naming the variable and them, and a closed pipe ends the
/// process quietly (no panic).
#[test]
fn help_typos_bad_values_and_a_closed_pipe() {
    let r = root("cli-shape", &[("h.toml", HOLDS)]);
    let o = witness(&r, &["--help"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(&o), 0);
    for (name, _) in witness::ENV_VARS {
        assert!(out.contains(name), "--help lists {name}:\n{out}");
    }
    // The README's table of environment variables says the same.
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for (name, _) in witness::ENV_VARS {
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "README lists {name}"
        );
    }
    let o = witness(&r, &["check", "--help"]);
    assert_eq!(code(&o), 0);
    assert!(String::from_utf8_lossy(&o.stdout).contains("Usage: witness check"));
    // A typo of a command: no gate is run, the command is suggested.
    let o = witness(&r, &["chek"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 64, "{err}");
    assert!(err.contains("a similar name exists: `check`"), "{err}");
    assert_eq!(code(&witness(&r, &["schema", "scenarios"])), 64);
    // A value that would silently have meant the default.
    for (var, value) in [
        ("WITNESS_ALLOW_MUTATION", "on"),
        ("WITNESS_EVIDENCE", "STRICT"),
        ("WITNESS_OUTPUT_LIMIT", "16M"),
        ("WITNESS_SIGNING_KEY", "/nonexistent/id_ed25519"),
        ("WITNESS_SIGNING_KEY", "key::ssh-ed25519"),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_witness"))
            .arg("g")
            .env("WITNESS_ROOT", &r)
            .env("WITNESS_TARGET", "here")
            .env(var, value)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(code(&o), 64, "{var}={value}: {err}");
        assert!(
            err.contains(&format!("{var}=\"{value}\" is not an accepted value")),
            "{err}"
        );
    }
    // `witness check | true`: the reader is gone before witness writes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_witness"))
        .arg("check")
        .env("WITNESS_ROOT", &r)
        .env("WITNESS_TARGET", "here")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(o.status.code(), Some(101), "{err}");
}

/// Evidence as a person reads it. A cold run (nothing committed for the target) says each
/// new piece of evidence once, in witness's words: no insta panic, no "Stopped on the first
/// failure". `INSTA_UPDATE=no` writes nothing and never says it wrote a `.snap.new`;
/// `INSTA_UPDATE=always` over differing evidence says it differs and was rewritten, never
/// "same".
#[test]
fn evidence_is_reported_once_in_witness_words() {
    let r = root("evidence", &[("h.toml", HOLDS)]);
    let run = |update: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_witness"));
        // As installed: no cargo on the PATH, no workspace variables (insta would ask
        // `cargo metadata` where its snapshots live; witness uses WITNESS_ROOT).
        c.arg("g")
            .env("WITNESS_ROOT", &r)
            .env("WITNESS_TARGET", "here")
            .env("PATH", "/usr/bin:/bin")
            .env_remove("CARGO_MANIFEST_DIR")
            .env_remove("INSTA_WORKSPACE_ROOT")
            .env_remove("CI")
            .env_remove("WITNESS_EVIDENCE");
        match update {
            Some(u) => c.env("INSTA_UPDATE", u),
            None => c.env_remove("INSTA_UPDATE"),
        };
        let o = c.output().unwrap();
        assert_eq!(code(&o), 0, "{o:?}");
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let snap = r.join("snapshots/g/h@here.snap");
    let pending = r.join("snapshots/g/h@here.snap.new");
    let quiet = |out: &str| {
        for insta_words in [
            "panicked",
            "snapshot assertion",
            "Stopped on the first failure",
        ] {
            assert!(!out.contains(insta_words), "{insta_words:?} in:\n{out}");
        }
    };

    // Cold: new, recorded for review, said once.
    let out = run(None);
    quiet(&out);
    let new = "its evidence: new: no snapshots/g/h@here.snap committed; recorded for review as snapshots/g/h@here.snap.new";
    assert_eq!(out.matches(new).count(), 1, "{out}");
    assert!(out.contains("evidence: 0 same, 1 new, 0 differs"), "{out}");
    assert!(pending.is_file() && !snap.exists());

    // INSTA_UPDATE=no: nothing written, and none claimed.
    std::fs::remove_file(&pending).unwrap();
    let out = run(Some("no"));
    quiet(&out);
    assert!(!out.contains(".snap.new"), "{out}");
    assert!(out.contains("its evidence: new: no snapshots/g/h@here.snap committed; not recorded (INSTA_UPDATE=no)"), "{out}");
    assert!(!pending.exists() && !snap.exists());

    // INSTA_UPDATE=always: written in place; the next run is the same.
    let out = run(Some("always"));
    quiet(&out);
    assert!(out.contains("its evidence: new: no snapshots/g/h@here.snap committed; written as snapshots/g/h@here.snap (INSTA_UPDATE=always)"), "{out}");
    assert!(snap.is_file() && !pending.exists());
    let out = run(None);
    assert!(
        out.contains("its evidence: same as snapshots/g/h@here.snap"),
        "{out}"
    );
    assert!(out.contains("evidence: 1 same, 0 new, 0 differs"), "{out}");

    // Differing evidence under INSTA_UPDATE=always: differs, rewritten, never "same".
    std::fs::write(
        r.join("scenarios/g/h.toml"),
        HOLDS.replace("${greeting}", "${greeting} again"),
    )
    .unwrap();
    let out = run(Some("always"));
    quiet(&out);
    assert!(!out.contains("same as"), "{out}");
    assert!(out.contains("its evidence: differs from snapshots/g/h@here.snap; rewritten with this run's (INSTA_UPDATE=always)"), "{out}");
    assert!(out.contains("evidence: 0 same, 0 new, 1 differs"), "{out}");
    assert!(out.contains("+    | hi again"), "the diff is shown: {out}");
    assert!(std::fs::read_to_string(&snap).unwrap().contains("hi again"));
    let out = run(None);
    assert!(out.contains("evidence: 1 same, 0 new, 0 differs"), "{out}");
}

/// The nightly unit as packaged (`packaging/nightly/witness-nightly.service`, which `cargo
/// xtask nightly-check` runs in the twin) and as the NixOS module writes it (`flake.nix`)
/// carry the same sandboxing, and neither is restarted by a switch mid-run.
#[test]
fn the_nightly_unit_and_the_nixos_module_agree() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let unit =
        std::fs::read_to_string(repo.join("packaging/nightly/witness-nightly.service")).unwrap();
    let flake = std::fs::read_to_string(repo.join("flake.nix")).unwrap();
    let sandbox: Vec<(&str, &str)> = unit
        .lines()
        .skip_while(|l| !l.starts_with("# Sandboxing"))
        .take_while(|l| !l.starts_with("# Not here"))
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .collect();
    assert!(sandbox.len() >= 10, "{sandbox:?}");
    for (key, value) in sandbox {
        let nix = match value {
            "yes" => "true".to_string(),
            other => format!("\"{other}\""),
        };
        let line = format!("{key} = {nix};");
        assert!(flake.contains(&line), "flake.nix lacks `{line}`");
    }
    assert!(unit.contains("\nX-RestartIfChanged=false\n"));
    assert!(flake.contains("restartIfChanged = false;"));
    assert!(unit.contains("\nEnvironment=XDG_CACHE_HOME=/var/cache/witness\n"));
    assert!(flake.contains("XDG_CACHE_HOME = \"/var/cache/witness\";"));
}
