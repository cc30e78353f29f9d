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
    run_gate(&RunConfig::for_root(root, target), "g", a).map_err(|e| e.to_string())
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
    let e = run_gate(&RunConfig::for_root(&r, "here"), "missing", &args(&[]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no scenario folder"), "{e}");
}

/// Accept every pending snapshot of a test root (what `cargo insta accept` does).
fn accept_snapshots(dir: &Path) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            accept_snapshots(&p);
        } else if let Some(s) = p.to_str().and_then(|s| s.strip_suffix(".new")) {
            std::fs::rename(&p, s).unwrap();
        }
    }
}

fn cfg(root: &Path, run_id: &str, allow_mutation: bool) -> RunConfig {
    let mut c = RunConfig::for_root(root, "here");
    c.run_id = run_id.into();
    c.allow_mutation = allow_mutation;
    c
}

#[test]
fn an_action_runs_once_per_run_and_its_outputs_reach_every_scenario() {
    const ACTION: &str = "title = \"count and say\"\nclaim = \"an action\"\n[[steps]]\nrun = { cmd = \"echo ran >> count; echo value-42\" }\ncapture = ['(?P<v>value-\\d+)']\nrecord = \"none\"\n";
    const USER: &str = "title = \"u\"\nclaim = \"c\"\nuses = [\"act\"]\n[[steps]]\nrun = { cmd = \"test ${act.v} = value-42 && echo ok\" }\n";
    let r = root("action", &[("one.toml", USER), ("two.toml", USER)]);
    std::fs::create_dir_all(r.join("scenarios/g/actions")).unwrap();
    std::fs::write(r.join("scenarios/g/actions/act.toml"), ACTION).unwrap();
    let runs = || {
        std::fs::read_to_string(r.join("count"))
            .unwrap_or_default()
            .lines()
            .count()
    };
    // First run: every snapshot is new (the action's and the scenarios'), which is reported
    // apart: both pass on their claims; the action ran once for both.
    let c = run_gate(&cfg(&r, "run-1", false), "g", &args(&[])).unwrap();
    assert_eq!((c.num_passed, c.num_failed, runs()), (2, 0, 1));
    action_in_the_reports(&r.join("target/witness/g@here"));
    accept_snapshots(&r.join("snapshots"));
    // A new run runs it again, and now its evidence and theirs are the committed ones.
    let c = run_gate(&cfg(&r, "run-2", false), "g", &args(&[])).unwrap();
    assert_eq!((c.num_passed, c.num_failed, runs()), (2, 0, 2));
    // Another process of the same run (nextest) reads the stored outputs: no third run.
    let c = run_gate(&cfg(&r, "run-2", false), "g", &args(&[])).unwrap();
    assert_eq!((c.num_passed, c.num_failed, runs()), (2, 0, 2));
    // The action's evidence changes (its output does): the scenarios still judge what it
    // saw; their claims hold, so they pass, with the changed evidence reported as
    // `differs` (and failing them under WITNESS_EVIDENCE=strict).
    let snap = r.join("snapshots/g/actions/act@here.snap");
    let committed = std::fs::read_to_string(&snap).unwrap();
    std::fs::write(&snap, committed.replace("value-42", "value-41")).unwrap();
    let c = run_gate(&cfg(&r, "run-3", false), "g", &args(&[])).unwrap();
    assert_eq!((c.num_passed, c.num_failed, runs()), (2, 0, 3));
    let json = std::fs::read_to_string(r.join("target/witness/g@here/report.json")).unwrap();
    assert_eq!(
        json.matches("\"evidence\": \"differs\"").count(),
        2,
        "{json}"
    );
    let mut strict = cfg(&r, "run-4", false);
    strict.evidence_strict = true;
    let c = run_gate(&strict, "g", &args(&[])).unwrap();
    assert_eq!((c.num_passed, c.num_failed, runs()), (0, 2, 4));
    std::fs::write(&snap, committed).unwrap();
    let snap = std::fs::read_to_string(r.join("snapshots/g/actions/act@here.snap")).unwrap();
    assert!(snap.contains("count and say"), "{snap}");
}

/// The action that ran once is in all three reports: report.json's `actions` (when, how
/// long, its outputs), a JUnit test case of its own with its duration, a report.md section.
fn action_in_the_reports(dir: &Path) {
    let report: witness::gate_report::wire::Report =
        witness::gate_report::read_json(&dir.join("report.json")).unwrap();
    let [a] = report.actions.as_slice() else {
        panic!("one action expected: {:?}", report.actions)
    };
    assert_eq!(
        (a.name.as_str(), a.title.as_str(), a.verdict.label()),
        ("g::actions::act", "count and say", "passed")
    );
    assert_eq!(a.outputs.get("v").map(String::as_str), Some("value-42"));
    let started = a.started_utc.as_deref().unwrap_or_default();
    assert!(
        started.ends_with('Z') && started >= report.identity.started_utc.as_str(),
        "{a:?}"
    );
    assert!(a.duration_ms.is_some(), "{a:?}");
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(
        junit.contains(r#"<testcase name="g::actions::act" classname="g""#),
        "{junit}"
    );
    let suite = junit.lines().find(|l| l.contains("<testsuite ")).unwrap();
    for attr in ["timestamp=\"", "time=\"", "hostname=\""] {
        assert!(suite.contains(attr), "{attr} missing: {suite}");
    }
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("## Action `g::actions::act`: passed"), "{md}");
    assert!(md.contains("| `v` | `value-42` |"), "{md}");
}

#[test]
fn a_failing_action_fails_every_scenario_using_it_and_names_it() {
    const ACTION: &str = "title = \"broken fire\"\nclaim = \"an action\"\n[[steps]]\nrun = { cmd = \"echo ran >> count; exit 3\" }\n";
    const USER: &str =
        "title = \"u\"\nclaim = \"c\"\nuses = [\"fire\"]\n[[steps]]\nrun = { cmd = \"true\" }\n";
    let r = root("action-fail", &[("one.toml", USER), ("two.toml", USER)]);
    std::fs::create_dir_all(r.join("scenarios/g/actions")).unwrap();
    std::fs::write(r.join("scenarios/g/actions/fire.toml"), ACTION).unwrap();
    let c = run_gate(&cfg(&r, "f-1", false), "g", &args(&[])).unwrap();
    assert_eq!((c.num_passed, c.num_failed), (0, 2));
    let ran = std::fs::read_to_string(r.join("count")).unwrap();
    assert_eq!(ran.lines().count(), 1, "the failing action ran once");
    let stored = std::fs::read_to_string(r.join("target/witness/runs/f-1/g/fire.json")).unwrap();
    assert!(stored.contains("exit status 3"), "{stored}");
}

#[test]
fn a_mutating_action_is_refused_without_permission_and_never_runs() {
    const ACTION: &str = "title = \"fire\"\nclaim = \"an action\"\nmutates = true\n[[steps]]\nrun = { cmd = \"echo ran >> count\" }\n";
    const USER: &str =
        "title = \"u\"\nclaim = \"c\"\nuses = [\"fire\"]\n[[steps]]\nrun = { cmd = \"true\" }\n";
    let r = root("action-refused", &[("one.toml", USER)]);
    std::fs::create_dir_all(r.join("scenarios/g/actions")).unwrap();
    std::fs::write(r.join("scenarios/g/actions/fire.toml"), ACTION).unwrap();
    let c = run_gate(&cfg(&r, "m-1", false), "g", &args(&[])).unwrap();
    assert_eq!(c.num_failed, 1);
    assert!(!r.join("count").exists(), "a refused action must not run");
}

#[test]
fn an_unknown_variable_late_in_a_mutating_scenario_is_refused_before_step_one() {
    const SC: &str = "title = \"m\"\nclaim = \"c\"\nmutates = true\n[[steps]]\nrun = { cmd = \"touch fired\" }\n[[steps]]\nrun = { cmd = \"true\" }\n[[steps]]\nrun = { cmd = \"true\" }\n[[steps]]\nrun = { cmd = \"true\" }\n[[steps]]\nrun = { cmd = \"echo ${typo}\" }\n";
    let r = root("late-typo", &[("m.toml", SC)]);
    let c = run_gate(&cfg(&r, "t-1", true), "g", &args(&[])).unwrap();
    assert_eq!(c.num_failed, 1);
    assert!(!r.join("fired").exists(), "step 1 must not have run");
    // The same scenario without the typo does run step 1 (the test can go red).
    std::fs::write(r.join("scenarios/g/m.toml"), SC.replace("${typo}", "typo")).unwrap();
    let _ = run_gate(&cfg(&r, "t-2", true), "g", &args(&[])).unwrap();
    assert!(r.join("fired").exists());
}

#[test]
fn a_read_only_run_skips_what_changes_the_target_instead_of_refusing_it() {
    const ACTION: &str = "title = \"fire\"\nclaim = \"an action\"\nmutates = true\n[[steps]]\nrun = { cmd = \"echo ran >> count\" }\n";
    const USER: &str =
        "title = \"u\"\nclaim = \"c\"\nuses = [\"fire\"]\n[[steps]]\nrun = { cmd = \"true\" }\n";
    let r = root(
        "read-only",
        &[("mutates.toml", MUTATES), ("uses.toml", USER)],
    );
    std::fs::create_dir_all(r.join("scenarios/g/actions")).unwrap();
    std::fs::write(r.join("scenarios/g/actions/fire.toml"), ACTION).unwrap();
    let mut c = cfg(&r, "ro-1", false);
    c.read_only = true;
    let out = run_gate(&c, "g", &args(&[])).unwrap();
    assert_eq!((out.num_failed, out.num_ignored), (0, 2));
    assert!(
        !r.join("count").exists(),
        "nothing that changes the target ran"
    );
    // The report says why each was skipped (JUnit's `<skipped message>`, report.json).
    let dir = r.join("target/witness/g@here");
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert_eq!(
        junit.matches(r#"<skipped message="skipped: it changes the target, and this run is read-only (WITNESS_READ_ONLY); it was not run, so its claim is not witnessed here" type="skipped">"#).count(),
        2,
        "{junit}"
    );
    // Without it, the same scenarios are refused: failing trials.
    let out = run_gate(&cfg(&r, "ro-2", false), "g", &args(&[])).unwrap();
    assert_eq!(out.num_failed, 2);
}

/// A gate run leaves report.md, report.json and junit.xml under
/// `<state dir>/<gate>@<target>/`, with every scenario's verdict and the host identity,
/// and a secret the scenarios print appears in none of them.
#[test]
fn a_gate_run_leaves_three_reports_without_its_secret() {
    const SECRET: &str = "s3cr3t-planted-value-91";
    const PASSES: &str =
        "title = \"p\"\nclaim = \"claim p\"\n[[steps]]\nrun = { cmd = \"echo token=${tok}\" }\n";
    const FAILS: &str = "title = \"f\"\nclaim = \"claim f\"\n[[steps]]\nrun = { cmd = \"echo ${tok} >&2; echo ${tok}; exit 3\" }\n";
    let r = root("reports", &[("p.toml", PASSES), ("f.toml", FAILS)]);
    let secret_file = r.join("tok");
    std::fs::write(&secret_file, SECRET).unwrap();
    std::fs::write(
        r.join("targets.toml"),
        format!(
            "[targets.here]\nlocal = true\n[targets.here.vars]\nflake = \"{}\"\nhead_commit = \"abc1230000000000000000000000000000000000\"\n[targets.here.secrets]\ntok = {{ file = \"{}\" }}\n",
            r.display(),
            secret_file.display()
        ),
    )
    .unwrap();
    // First run: p's evidence is new (pending), accepted; the second run is the one read.
    let _ = run_gate(&cfg(&r, "rep-0", false), "g", &args(&[])).unwrap();
    accept_snapshots(&r.join("snapshots"));
    let mut c = cfg(&r, "rep-1", false);
    c.role = Some("adversary".into());
    let _ = run_gate(&c, "g", &args(&[])).unwrap();
    let dir = r.join("target/witness/g@here");
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    let json = std::fs::read_to_string(dir.join("report.json")).unwrap();
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    for (name, text) in [
        ("report.md", &md),
        ("report.json", &json),
        ("junit.xml", &junit),
    ] {
        assert!(!text.contains(SECRET), "{name} holds the secret:\n{text}");
        assert!(
            text.contains("g::f") && text.contains("g::p"),
            "{name}:\n{text}"
        );
    }
    let report: witness::gate_report::wire::Report = serde_json::from_str(&json).unwrap();
    assert_eq!(report.schema, "witness-report/1");
    assert!(report.complete);
    assert_eq!((report.counts.passed, report.counts.failed), (1, 1));
    assert_eq!(report.identity.role.as_deref(), Some("adversary"));
    assert_eq!(
        report
            .identity
            .reviewed
            .get("head_commit")
            .map(String::as_str),
        Some("abc1230000000000000000000000000000000000")
    );
    assert_eq!(report.identity.scenario_files.len(), 2);
    assert!(md.contains("# Gate g on here: FAILED"), "{md}");
    assert!(md.contains("claim f"), "{md}");
    assert!(
        md.contains("| SSH host key (verified) | `none: the target is this machine (no SSH)` |"),
        "{md}"
    );
    assert!(junit.contains("<failure"), "{junit}");
    assert!(
        junit.contains(r#"<property name="reviewed.head_commit" value="abc1230000000000000000000000000000000000"/>"#),
        "{junit}"
    );
    // The host identity: what this machine could say, the rest absent rather than guessed.
    let id = &report.identity;
    assert!(id.local && id.host_key.is_none(), "{id:?}");
    assert_eq!(id.flake.as_deref(), Some(r.to_str().unwrap()));
    assert_eq!(id.flake_commit, None, "the temp root is not a git checkout");
    assert!(
        id.started_utc.ends_with('Z') && id.ended_utc >= id.started_utc,
        "{id:?}"
    );
    assert_eq!(id.witness_version, env!("CARGO_PKG_VERSION"));
    assert!(id.witness_commit.is_some(), "built from a git checkout");
    // Per step: command, exit, attempts, duration; the secret's place shows [secret].
    let f = report.scenarios.iter().find(|s| s.name == "g::f").unwrap();
    assert_eq!(
        (f.steps[0].exit, f.steps[0].attempts),
        (Some(3), 1),
        "{f:?}"
    );
    assert!(f.steps[0].command.contains("[secret]"), "{f:?}");
    // The failing scenario's message is in the report, redacted.
    assert!(f.message.as_deref().unwrap().contains("[secret]"), "{f:?}");
}

/// nextest runs each scenario in its own process, with one run id: each process adds its
/// result, and the last leaves the whole report (one identity, gathered once).
#[test]
fn trials_of_one_run_in_separate_processes_make_one_report() {
    const OK: &str =
        "title = \"o\"\nclaim = \"c\"\n[[steps]]\nrun = { cmd = \"true\" }\nrecord = \"none\"\n";
    let r = root("per-process", &[("a.toml", OK), ("b.toml", OK)]);
    let _ = run_gate(&cfg(&r, "pp-0", false), "g", &args(&[])).unwrap();
    accept_snapshots(&r.join("snapshots"));
    let report = || -> witness::gate_report::wire::Report {
        witness::gate_report::read_json(&r.join("target/witness/g@here/report.json")).unwrap()
    };
    let c = run_gate(&cfg(&r, "pp-1", false), "g", &args(&["--exact", "g::a"])).unwrap();
    assert_eq!(c.num_passed, 1);
    let first = report();
    assert!(!first.complete, "one of two scenarios so far");
    let c = run_gate(&cfg(&r, "pp-1", false), "g", &args(&["--exact", "g::b"])).unwrap();
    assert_eq!(c.num_passed, 1);
    let whole = report();
    assert!(whole.complete);
    assert_eq!(whole.counts.passed, 2);
    assert_eq!(
        whole.identity.started_utc, first.identity.started_utc,
        "the identity of the run is gathered once"
    );
}

/// `evidence diff` on real runs: two runs with the same output agree; a run where a
/// scenario's command prints something else disagrees, naming that scenario only.
#[test]
fn two_runs_agree_until_a_command_output_changes() {
    use witness::gate_report::{diff, read_json, wire::Report};
    const READS: &str = "title = \"r\"\nclaim = \"c\"\n[[steps]]\nrun = { cmd = \"cat state\" }\n";
    const STEADY: &str =
        "title = \"s\"\nclaim = \"c\"\n[[steps]]\nrun = { cmd = \"echo steady\" }\n";
    let r = root("diff", &[("reads.toml", READS), ("steady.toml", STEADY)]);
    std::fs::write(r.join("state"), "healthy\n").unwrap();
    let _ = run_gate(&cfg(&r, "d-0", false), "g", &args(&[])).unwrap();
    accept_snapshots(&r.join("snapshots"));
    let json = r.join("target/witness/g@here/report.json");
    let run = |id: &str, role: &str| -> Report {
        let mut c = cfg(&r, id, false);
        c.role = Some(role.into());
        let _ = run_gate(&c, "g", &args(&[])).unwrap();
        read_json(&json).unwrap()
    };
    let builder = run("d-1", "builder");
    let adversary = run("d-2", "adversary");
    let same = diff::compare(&builder, &adversary);
    assert!(same.agree(), "{same:?}");
    assert!(same.notes.iter().any(|n| n.what == "role"), "{same:?}");

    std::fs::write(r.join("state"), "degraded\n").unwrap();
    let sabotaged = run("d-3", "adversary");
    let c = diff::compare(&builder, &sabotaged);
    assert_eq!(c.scenarios(), ["g::reads"], "{c:?}");
    let text = diff::render("builder", "adversary", &c);
    // `cat state` still exits 0, so the claim holds both times: the runs disagree on
    // what was seen (the evidence), which is what the diff is for.
    assert!(text.contains("B: step 1: degraded"), "{text}");
    assert!(!text.contains("— verdict:"), "{text}");
}

#[test]
fn a_waiver_needs_a_real_date_and_the_old_plain_form_is_gone() {
    let waiver = |allow: &str| {
        format!(
            "title = \"w\"\nclaim = \"c\"\n[[steps]]\nsystemd = {{ failed = {{ allow = [{allow}] }} }}\n"
        )
    };
    let r = root(
        "waiver",
        &[
            (
                "bad_day.toml",
                &waiver(r#"{ unit = "x.service", reason = "r", expires = "2026-02-30" }"#),
            ),
            ("plain.toml", &waiver(r#""x.service""#)),
        ],
    );
    let c = gate(&r, "here", &args(&[])).unwrap();
    assert_eq!(c.num_failed, 2);
    let report: witness::gate_report::wire::Report =
        witness::gate_report::read_json(&r.join("target/witness/g@here/report.json")).unwrap();
    let message = |name: &str| {
        report
            .scenarios
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.message.clone())
            .unwrap()
    };
    let bad_day = message("g::bad_day");
    assert!(
        bad_day.contains("bad_day.toml:4:")
            && bad_day.contains("`expires = \"2026-02-30\"` is not a date"),
        "{bad_day}"
    );
    let plain = message("g::plain");
    assert!(plain.contains("plain.toml:4:"), "{plain}");
}

#[test]
fn an_unknown_role_is_refused_before_anything_runs() {
    let r = root("role", &[("a.toml", IGNORED)]);
    let mut c = cfg(&r, "role-1", false);
    c.role = Some("auditor".into());
    let e = run_gate(&c, "g", &args(&[])).unwrap_err().to_string();
    assert!(e.contains("WITNESS_ROLE=`auditor` is not a role"), "{e}");
}

/// The claims are the verdict; the evidence is reported apart: `new` where no snapshot is
/// committed for the target (passed, recorded for review), `differs` where one is and says
/// otherwise (passed, diff shown), and under `WITNESS_EVIDENCE=strict` both fail.
#[test]
fn evidence_is_reported_apart_from_the_verdict() {
    const HOLDS: &str = "title = \"h\"\nclaim = \"c\"\n[[steps]]\nrun = { cmd = \"echo hello\" }\n";
    let r = root("evidence", &[("holds.toml", HOLDS)]);
    let report = |r: &Path| {
        std::fs::read_to_string(r.join("target/witness/g@here/report.json")).unwrap_or_default()
    };
    let cfg = RunConfig::for_root(&r, "here");
    // No snapshot committed for `here`: PASSED, evidence new.
    let c = run_gate(&cfg, "g", &args(&[])).unwrap();
    assert_eq!((c.num_passed, c.num_failed), (1, 0));
    assert!(
        report(&r).contains("\"evidence\": \"new\""),
        "{}",
        report(&r)
    );
    // Strict: the same run fails, for its evidence.
    let strict = RunConfig {
        evidence_strict: true,
        ..RunConfig::for_root(&r, "here")
    };
    let c = run_gate(&strict, "g", &args(&[])).unwrap();
    assert_eq!((c.num_passed, c.num_failed), (0, 1));
    // A committed snapshot that says otherwise: PASSED (the claim holds), evidence differs.
    let snap = r.join("snapshots/g/holds@here.snap");
    std::fs::create_dir_all(snap.parent().unwrap()).unwrap();
    std::fs::write(&snap, "---\nsource: x\n---\nsomething else\n").unwrap();
    let c = run_gate(&cfg, "g", &args(&[])).unwrap();
    assert_eq!((c.num_passed, c.num_failed), (1, 0));
    assert!(
        report(&r).contains("\"evidence\": \"differs\""),
        "{}",
        report(&r)
    );
    let c = run_gate(&strict, "g", &args(&[])).unwrap();
    assert_eq!((c.num_passed, c.num_failed), (0, 1));
    // A claim that does not hold fails whatever the evidence, and compares none.
    std::fs::write(
        r.join("scenarios/g/holds.toml"),
        HOLDS.replace("echo hello", "false"),
    )
    .unwrap();
    let c = run_gate(&cfg, "g", &args(&[])).unwrap();
    assert_eq!((c.num_passed, c.num_failed), (0, 1));
    assert!(!report(&r).contains("\"evidence\": \""), "{}", report(&r));
}

/// `WITNESS_TARGETS` adds targets from a file outside the checkout (replacing one of the same
/// name), and a short commit variable is resolved on the target to its full hash before any
/// scenario runs; one that does not resolve makes the target unusable, naming it. The
/// report names the targets file and its hash.
#[test]
fn targets_outside_the_checkout_and_commits_resolved_on_the_target() {
    let repo = std::env::temp_dir().join(format!("witness-runner-repo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&repo);
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(["-c", "user.email=w@w", "-c", "user.name=w"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    std::fs::create_dir_all(&repo).unwrap();
    git(&["init", "-q"]);
    git(&["commit", "-q", "--allow-empty", "-m", "c"]);
    let full = git(&["rev-parse", "HEAD"]);
    let claim = "title = \"c\"\nclaim = \"c\"\n[[steps]]\nrun = { cmd = \"git -C ${flake} rev-parse HEAD\" }\nexpect = { stdout_equals = \"${head_commit}\" }\n";
    let r = root("targets", &[("pinned.toml", claim)]);
    // The committed targets.toml knows `here` without the claim's variables.
    let extra = r.join("adversary-targets.toml");
    let pin = |commit: &str| {
        std::fs::write(
            &extra,
            format!(
                "[targets.here]\nlocal = true\n[targets.here.vars]\nflake = \"{}\"\nhead_commit = \"{commit}\"\n",
                repo.display()
            ),
        )
        .unwrap()
    };
    let cfg = RunConfig {
        targets_file: Some(extra.clone()),
        ..RunConfig::for_root(&r, "here")
    };
    pin(&full[..7]);
    let c = run_gate(&cfg, "g", &args(&[])).unwrap();
    assert_eq!((c.num_passed, c.num_failed), (1, 0));
    let report = std::fs::read_to_string(r.join("target/witness/g@here/report.json")).unwrap();
    assert!(
        report.contains(&format!("\"head_commit\": \"{full}\"")),
        "{report}"
    );
    assert!(
        report.contains("adversary-targets.toml sha256:"),
        "{report}"
    );
    // Without the file, the committed target lacks the variables: refused before step 1.
    let c = gate(&r, "here", &args(&[])).unwrap();
    assert_eq!((c.num_passed, c.num_failed), (0, 1));
    // A commit that does not resolve: every trial fails, naming the variable.
    pin("deadbee");
    let c = run_gate(&cfg, "g", &args(&[])).unwrap();
    assert_eq!((c.num_passed, c.num_failed), (0, 1));
    let report = std::fs::read_to_string(r.join("target/witness/g@here/report.json")).unwrap();
    assert!(
        report.contains("`head_commit` = `deadbee` is not a full commit hash"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&repo);
}

/// Scenarios that build (`builds = true`) run one at a time on a target: two of them, each
/// failing if the other is inside its critical section, both pass with four test threads.
#[test]
fn building_scenarios_run_one_at_a_time() {
    const BUILDS: &str = "title = \"b\"\nclaim = \"c\"\nbuilds = true\n[[steps]]\nrun = { cmd = \"mkdir inside && sleep 0.5 && rmdir inside\" }\n";
    let r = root(
        "builds",
        &[("a.toml", BUILDS), ("b.toml", BUILDS), ("c.toml", BUILDS)],
    );
    let c = run_gate(
        &RunConfig::for_root(&r, "here"),
        "g",
        &Arguments::from_iter(["g", "--test-threads", "4"]),
    )
    .unwrap();
    assert_eq!((c.num_passed, c.num_failed), (3, 0));
    // Without `builds`, the same scenarios overlap and trip over each other.
    for f in ["a", "b", "c"] {
        std::fs::write(
            r.join(format!("scenarios/g/{f}.toml")),
            BUILDS.replace("builds = true\n", ""),
        )
        .unwrap();
    }
    let c = run_gate(
        &RunConfig::for_root(&r, "here"),
        "g",
        &Arguments::from_iter(["g", "--test-threads", "4"]),
    )
    .unwrap();
    assert!(c.num_failed > 0, "the check cannot tell overlap from none");
}

#[test]
fn observing_an_action_needs_no_permission_but_one_without_an_alternative_is_still_refused() {
    // Every target-changing step has an `observe` counterpart: observing, nothing is fired, so
    // it runs without WITNESS_ALLOW_MUTATION (and here, where nothing starts the unit, ends in
    // the bounded wait's message rather than a refusal).
    const OBSERVING: &str = "title = \"fire\"\nclaim = \"an action\"\nmutates = true\n[[steps]]\nsystemd = { start = \"witness-none.service\", no_block = true }\nobserve = { within = \"1s\", systemd = { next = \"witness-none.service\" } }\n";
    // A `run` step may change the host: no alternative, so still refused.
    const FIRING: &str = "title = \"fire\"\nclaim = \"an action\"\nmutates = true\n[[steps]]\nrun = { cmd = \"echo ran >> count\" }\n";
    const USER: &str =
        "title = \"u\"\nclaim = \"c\"\nuses = [\"fire\"]\n[[steps]]\nrun = { cmd = \"true\" }\n";
    let r = root("observe", &[("uses.toml", USER)]);
    std::fs::create_dir_all(r.join("scenarios/g/actions")).unwrap();
    let action = r.join("scenarios/g/actions/fire.toml");
    let mut c = cfg(&r, "ob-1", false);
    c.observe = true;
    std::fs::write(&action, OBSERVING).unwrap();
    let out = run_gate(&c, "g", &args(&[])).unwrap();
    assert_eq!(out.num_failed, 1);
    let report = std::fs::read_to_string(r.join("target/witness/g@here/report.md")).unwrap();
    assert!(!report.contains("REFUSED"), "{report}");
    assert!(
        report.contains("| what it did | observed (witness fired nothing): nothing came |"),
        "{report}"
    );
    assert!(
        report.contains("no natural start of witness-none.service within [duration]"),
        "{report}"
    );

    std::fs::write(&action, FIRING).unwrap();
    c.run_id = "ob-2".into();
    let out = run_gate(&c, "g", &args(&[])).unwrap();
    assert_eq!(out.num_failed, 1);
    let report = std::fs::read_to_string(r.join("target/witness/g@here/report.md")).unwrap();
    assert!(
        report
            .contains("REFUSED: scenario g::uses observes action `fire`, which changes the target"),
        "{report}"
    );
    assert!(!r.join("count").exists(), "a refused action must not run");
}
