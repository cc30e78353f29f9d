//! The engine on the `local` target (this machine, no twin): captured shell code never runs
//! whatever quoting context it is interpolated into, retries end when the expectation holds
//! or the deadline passes, captures feed later steps, secrets never reach the report or the
//! failure message, and steps after a failure are skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use witness::engine::run_scenario;
use witness::evidence::{failure_message, render};
use witness::report::{ScenarioReport, StepStatus};
use witness::scenario::Scenario;
use witness::scenario::load::load_str;
use witness::target::{SecretSource, Target, TargetRuntime, TargetTransport};

/// A scratch directory the commands run in (the local target runs in the current
/// directory, so every command `cd`s here first).
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("witness-engine-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn local(secrets: BTreeMap<String, SecretSource>) -> TargetRuntime {
    let target = Target {
        name: "here".into(),
        transport: TargetTransport::Local,
        vars: BTreeMap::new(),
        secrets,
        judged_on: None,
    };
    TargetRuntime::new(
        target,
        Path::new(env!("CARGO_MANIFEST_DIR")),
        witness::transport::DEFAULT_OUTPUT_LIMIT,
    )
}

fn run(rt: &TargetRuntime, body: &str) -> (Scenario, ScenarioReport) {
    let src = format!("title = \"t\"\nclaim = \"a test claim\"\n{body}");
    let sc = load_str(Path::new("scenarios/test/t.toml"), &src).unwrap_or_else(|e| panic!("{e}"));
    let r = run_scenario(&sc, rt, &|_| {});
    (sc, r)
}

/// Shell code printed by the target, captured, then interpolated into every quoting
/// context a scenario author may write: each copy arrives byte-exact and none of it runs.
#[test]
fn captured_shell_code_never_runs_in_any_context() {
    let dir = scratch("interp");
    let d = dir.display();
    // The value the "target" prints: every shell metacharacter that could run something.
    let value = "a'b \"c\" `touch ran1` $(touch ran2) ${HOME} \\ $((1+1)) ; touch ran3";
    std::fs::write(dir.join("value"), value).unwrap();
    let body = format!(
        r#"
[[steps]]
run = {{ cmd = "cat {d}/value" }}
capture = ['\A(?P<v>.*)\z']

[[steps]]
run = {{ cmd = '''
cd {d}
echo ${{v}} > bare
echo "${{v}}" > double
echo '${{v}}' > single
echo "$(echo "${{v}}")" > subst
x=${{v}}; echo "$x" > assign
cat <<EOF > heredoc
${{v}}
EOF
cat <<'EOF' > quoted-heredoc
${{v}}
EOF
ls
''' }}
expect = {{ stdout_absent = ['^ran'] }}
"#
    );
    let (sc, r) = run(&local(BTreeMap::new()), &body);
    assert!(
        r.passed(),
        "{}",
        failure_message("g", &sc, &r, "here", "local")
    );
    for f in [
        "bare",
        "double",
        "single",
        "subst",
        "assign",
        "heredoc",
        "quoted-heredoc",
    ] {
        let got = std::fs::read_to_string(dir.join(f)).unwrap();
        assert_eq!(got, format!("{value}\n"), "context {f}");
    }
    for ran in ["ran1", "ran2", "ran3"] {
        assert!(!dir.join(ran).exists(), "{ran} was created: the value ran");
    }
}

#[test]
fn retry_ends_when_the_expectation_holds() {
    let dir = scratch("retry");
    let d = dir.display();
    // Passes on the third attempt: the counter file grows by one line per attempt.
    let (sc, r) = run(
        &local(BTreeMap::new()),
        &format!(
            "[[steps]]\nrun = {{ cmd = \"echo x >> {d}/n; wc -l < {d}/n\" }}\nretry = {{ interval = \"50ms\", deadline = \"10s\" }}\nexpect = {{ stdout_equals = \"3\" }}\n"
        ),
    );
    assert!(
        r.passed(),
        "{}",
        failure_message("g", &sc, &r, "here", "local")
    );
    assert_eq!(r.steps[0].attempts, 3);
    // And a deadline that passes first fails, naming the attempts.
    let (sc, r) = run(
        &local(BTreeMap::new()),
        "[[steps]]\nrun = { cmd = \"echo no\" }\nretry = { interval = \"50ms\", deadline = \"300ms\" }\nexpect = { stdout = ['yes'] }\n",
    );
    assert!(!r.passed());
    let msg = failure_message("g", &sc, &r, "here", "local");
    assert!(msg.contains("attempts: "), "{msg}");
    assert!(r.steps[0].attempts > 1, "{:?}", r.steps[0].attempts);
}

#[test]
fn a_failure_skips_the_steps_after_it_and_names_them() {
    let (sc, r) = run(
        &local(BTreeMap::new()),
        "[[steps]]\nrun = { cmd = \"false\" }\n[[steps]]\nname = \"later\"\nrun = { cmd = \"true\" }\n",
    );
    assert!(!r.passed());
    assert!(matches!(r.steps[1].status, StepStatus::Skipped));
    let msg = failure_message("g", &sc, &r, "here", "local");
    assert!(
        msg.contains("skipped after the failure: step 2 `later`"),
        "{msg}"
    );
}

#[test]
fn a_secret_reaches_neither_the_evidence_nor_the_failure_message() {
    const SECRET: &str = "hunter2-very-secret";
    // A secret file on the target, as `/run/secrets/…` is on cc-ci.
    let dir = scratch("secret");
    std::fs::write(dir.join("token"), format!("{SECRET}\n")).unwrap();
    let mut secrets = BTreeMap::new();
    secrets.insert(
        "token".to_string(),
        SecretSource::TargetFile(dir.join("token").display().to_string()),
    );
    let rt = local(secrets);
    let (sc, r) = run(
        &rt,
        "[[steps]]\nrun = { cmd = \"echo token is ${token}; echo ${token} >&2; exit 1\" }\n",
    );
    assert!(!r.passed());
    let msg = failure_message("g", &sc, &r, "here", "local");
    let evidence = render(&sc, &r);
    assert!(msg.contains("token is"), "the step did run: {msg}");
    for text in [&msg, &evidence, &format!("{r:?}")] {
        assert!(!text.contains(SECRET), "secret leaked:\n{text}");
    }
}

/// A flood over the output bound keeps its last line: the verdict a sweep prints at the end
/// is what a claim reads.
#[test]
fn a_flood_keeps_its_last_line() {
    let target = Target {
        name: "here".into(),
        transport: TargetTransport::Local,
        vars: BTreeMap::new(),
        secrets: BTreeMap::new(),
        judged_on: None,
    };
    let rt = TargetRuntime::new(target, Path::new(env!("CARGO_MANIFEST_DIR")), 64 * 1024);
    let started = std::time::Instant::now();
    let (sc, r) = run(
        &rt,
        "[[steps]]\nrun = { cmd = \"echo 'sweep: started'; yes flood | head -c 50000000; echo; echo 'sweep: gitea rc=0'\" }\nexpect = { stdout = ['^sweep: started$', '^sweep: gitea rc=0$'] }\n",
    );
    assert!(
        r.passed(),
        "{}",
        failure_message("g", &sc, &r, "here", "local")
    );
    assert!(
        r.steps[0].stdout_dropped > 49_000_000,
        "{}",
        r.steps[0].stdout_dropped
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

/// A comparison with a variable no step captured is not witnessed (an error, exit 2), never a
/// broken claim: the step is not run and not retried, and the report names the variable.
#[test]
fn a_comparison_with_a_variable_never_captured_is_not_witnessed() {
    for expect in [
        r#"each_line = [{ line_of = "set", is = "a line of the set" }]"#,
        r#"same_as = { var = "set" }"#,
        r#"subset_of = { var = "set" }"#,
    ] {
        let (_, r) = run(
            &local(BTreeMap::new()),
            &format!(
                r#"
[[steps]]
run = {{ cmd = "echo nothing" }}
# The capture matches, but its `set` group takes no part in the match.
capture = ['^(?:(?P<set>something)|nothing)$']
[[steps]]
run = {{ cmd = "echo a" }}
retry = {{ interval = "1s", deadline = "60s" }}
expect = {{ {expect} }}
"#
            ),
        );
        assert_eq!(r.steps[0].status, StepStatus::Passed, "{expect}");
        match &r.steps[1].status {
            StepStatus::Error(m) => assert!(m.contains("`${set}` was never captured"), "{m}"),
            s => panic!("{expect}: expected an error, got {s:?}"),
        }
        assert_eq!(r.steps[1].attempts, 1, "{expect}: not retried");
    }
}

/// `value = { of, under }` judges only the lines of a value under a prefix, without it (the
/// loader's own cut of an action's facts, so no scenario copies an `awk` prefix cut).
#[test]
fn a_value_under_a_prefix_is_its_lines_without_it() {
    let (_, r) = run(
        &local(BTreeMap::new()),
        r#"
[[steps]]
run = { cmd = "printf 'a: 1\nb: 2\nab: 3\nb: 4\n'" }
capture = ['(?s)(?P<facts>.*)']
[[steps]]
value = { of = "${facts}", under = "b: " }
expect = { stdout_equals = "2\n4" }
"#,
    );
    assert!(r.passed(), "{:?}", r.steps[1].outcomes);
    assert_eq!(r.steps[1].command, "# the lines of ${facts} under `b: `");
    // A PATH under its name, one entry a line.
    let (_, r) = run(
        &local(BTreeMap::new()),
        r#"
[[steps]]
run = { cmd = "printf 'HOME=/root\nPATH=/a/bin:/b/bin\n'" }
capture = ['(?s)(?P<env>.*)']
[[steps]]
value = { of = "${env}", under = "PATH=", split = ":" }
expect = { stdout_equals = "/a/bin\n/b/bin" }
"#,
    );
    assert!(r.passed(), "{:?}", r.steps[1].outcomes);
}

/// `units` on a built system's files (here a made-up one on this machine): the unit file and
/// its drop-in in systemd's order, its ExecStart wrapper's PATH and exec, one fact a line.
#[test]
fn units_of_a_built_system_are_read_whole() {
    let d = scratch("units");
    let sys = d.join("etc/systemd/system");
    std::fs::create_dir_all(sys.join("sweep.service.d")).unwrap();
    let wrapper = d.join("sweep-wrapper");
    std::fs::write(
        &wrapper,
        "#!/bin/sh\nexport PATH=\"/nix/store/aaaa-cc-ci-run/bin:$PATH\"\nexec cc-ci-run runner/nightly_sweep.py\n",
    )
    .unwrap();
    std::fs::write(
        sys.join("sweep.service"),
        format!(
            "[Service]\nEnvironment=\"PATH=/nix/store/bbbb-coreutils-9.1/bin\"\nExecStart={}\n",
            wrapper.display()
        ),
    )
    .unwrap();
    std::fs::write(
        sys.join("sweep.service.d/10-x.conf"),
        "[Service]\nEnvironment=PYTHONPATH=/p\n",
    )
    .unwrap();
    std::fs::write(
        sys.join("other.service"),
        "[Service]\nExecStart=/bin/true\n",
    )
    .unwrap();
    let (_, r) = run(
        &local(BTreeMap::new()),
        &format!(
            "[[steps]]\nunits = {{ system = \"{}\", holding = \"/nix/store/none\", also = [\"sweep.service\"] }}\n",
            d.display()
        ),
    );
    assert!(r.passed(), "{:?}", r.steps[0]);
    let out: Vec<&str> = r.steps[0].evidence.iter().map(String::as_str).collect();
    assert_eq!(
        out,
        [
            "unit sweep.service: drop-in: 10-x.conf",
            "unit sweep.service: Environment PATH entry: /nix/store/bbbb-coreutils-9.1/bin",
            "unit sweep.service: Environment: PYTHONPATH=/p",
            &format!("unit sweep.service: ExecStart: {}", wrapper.display()),
            "unit sweep.service: wrapper PATH entry: /nix/store/aaaa-cc-ci-run/bin",
            "unit sweep.service: wrapper PATH entry: $PATH",
            "unit sweep.service: wrapper execs: cc-ci-run runner/nightly_sweep.py",
        ]
    );
}

/// A system that did not build has no unit directory: `units` says so as a fact (the scenarios
/// judge it red), never fails as a probe (which would leave the claim unwitnessed).
#[test]
fn units_of_a_system_that_did_not_build_is_a_fact() {
    let (_, r) = run(
        &local(BTreeMap::new()),
        "[[steps]]\nunits = { system = \"/nonexistent/top\", also = [\"x.service\"] }\n",
    );
    assert!(r.passed(), "{:?}", r.steps[0]);
    assert_eq!(
        r.steps[0].evidence,
        ["no unit directory: /nonexistent/top/etc/systemd/system (not a built system)"]
    );
}
