use super::*;
use crate::scenario::load::load_str;

const ON: &str = "2026-12-05";

/// The `expect.regression` of a one-step scenario, as a scenario writes it.
fn regression(toml: &str) -> Regression {
    let src = format!(
        "title = \"t\"\nclaim = \"c\"\n[[steps]]\nrun = {{ cmd = \"true\" }}\n[steps.expect.regression]\n{toml}\n"
    );
    load_str(std::path::Path::new("t.toml"), &src)
        .unwrap()
        .steps
        .remove(0)
        .expect
        .regression
        .unwrap()
}

fn judge(r: &Regression, stdout: &str, vars: &[(&str, &str)]) -> Vec<Outcome> {
    let mut v = Vars::default();
    for (k, val) in vars {
        v.set(k, *val);
    }
    evaluate(r, stdout, &v, &JudgingDate::pinned(ON).unwrap())
}

const PROMOTED: &str = r#"promoted = { green = '^sweep: (?P<recipe>\S+) rc=0\b', promoted = '^sweep: (?P<recipe>\S+) rc=0 promoted \S+→(?P<version>\S+)$', known_good = "kg", before = "before", may_fail = [{ recipe = "gitea", reason = "the warm canonical is up", expires = "2026-12-31" }] }"#;

const BEFORE: &str = "sweep: gitea rc=0 GREEN-BUT-PROMOTE-FAILED\nsweep: discourse rc=1\n";
const AFTER: &str = "sweep: custom-html rc=0 promoted custom-html→1.13.0\nsweep: gitea rc=0 GREEN-BUT-PROMOTE-FAILED\nsweep: discourse rc=1\n";
const KG: &str = "started=@100\nwritten=@200\n{\"custom-html\": \"1.13.0\", \"gitea\": \"3.5.3\"}";

#[test]
fn a_promote_recorded_during_the_fire_and_a_known_failed_promote_pass() {
    let r = regression(PROMOTED);
    let o = judge(&r, AFTER, &[("before", BEFORE), ("kg", KG)]);
    assert!(o[0].ok, "{:?}", o[0].seen);
    assert_eq!(o[0].matched_lines.len(), 2);
}

#[test]
fn a_promote_line_the_record_does_not_follow_is_red() {
    let r = regression(PROMOTED);
    let stale = r#"{"custom-html": "1.12.0", "gitea": "3.5.3"}"#;
    let o = judge(&r, AFTER, &[("before", BEFORE), ("kg", stale)]);
    assert!(!o[0].ok);
    assert!(
        o[0].seen
            .as_deref()
            .unwrap()
            .contains("custom-html: promoted to 1.13.0, but the known-good record says 1.12.0")
    );
    // Right version, but written before the fire: not this fire's promote.
    let o = judge(
        &r,
        AFTER,
        &[("before", BEFORE), ("kg", &KG.replace("@200", "@50"))],
    );
    assert!(!o[0].ok);
    assert!(
        o[0].seen
            .as_deref()
            .unwrap()
            .contains("last written before this fire began")
    );
}

#[test]
fn a_green_run_left_unpromoted_is_red_unless_known_and_as_before() {
    let r = regression(PROMOTED);
    let vars = |before| [("before", before), ("kg", KG)];
    // custom-html green, no promote line.
    let o = judge(&r, "sweep: custom-html rc=0\n", &vars(BEFORE));
    assert!(
        o[0].seen
            .as_deref()
            .unwrap()
            .contains("custom-html: green and not promoted, and no known non-regression names it")
    );
    // gitea's promote failing is known, but before the deploy it did not fail.
    let o = judge(
        &r,
        "sweep: gitea rc=0 GREEN-BUT-PROMOTE-FAILED\n",
        &vars("sweep: gitea rc=0 promoted gitea→3.5.3\n"),
    );
    assert!(!o[0].ok);
    assert!(
        o[0].seen
            .as_deref()
            .unwrap()
            .contains("this failure is new")
    );
}

#[test]
fn a_known_non_regression_expires() {
    let r = regression(&PROMOTED.replace("2026-12-31", "2026-12-01"));
    let o = judge(&r, AFTER, &[("before", BEFORE), ("kg", KG)]);
    assert!(
        o[0].seen
            .as_deref()
            .unwrap()
            .contains("expired on 2026-12-01")
    );
    assert_eq!(r.known().len(), 1);
}

#[test]
fn the_loader_asks_for_the_groups_and_reads_the_variables() {
    let src = "title = \"t\"\nclaim = \"c\"\n[[steps]]\nrun = { cmd = \"true\" }\n[steps.expect.regression]\npromoted = { green = 'rc=0', promoted = '(?P<recipe>x)', known_good = \"k\", before = \"b\" }\n";
    let err = load_str(std::path::Path::new("t.toml"), src)
        .unwrap_err()
        .to_string();
    assert!(err.contains("needs a `(?P<recipe>…)` group"), "{err}");
    let r = regression(PROMOTED);
    assert_eq!(r.named(), vec!["kg", "before"]);
}

const FAILURES: &str = r#"failures = { before = "before", known_reds = [{ recipe = "discourse", reason = "sidekiq never comes up", expires = "2026-12-31" }] }"#;

fn pytest_log(recipe: &str, e_lines: &str, kind: &str) -> String {
    format!(
        "=== test session starts ===\n\
         ___ test_sidekiq_running ___\n\
         >       assert out.returncode == 0\n\
         {e_lines}\n\
         tests/{recipe}/test_upgrade.py:13: {kind}\n\
         === short test summary info ===\n\
         FAILED tests/{recipe}/test_upgrade.py::test_sidekiq_running - {kind}...\n\
         === 1 failed in 0.03s ===\n"
    )
}

#[test]
fn a_known_red_failing_as_before_passes_whatever_changed_from_run_to_run() {
    let r = regression(FAILURES);
    let before = pytest_log(
        "discourse",
        "E       AssertionError: container at 0x7f01 not running after 3.2s",
        "AssertionError",
    );
    let after = pytest_log(
        "discourse",
        "E       AssertionError: container at 0x55aa not running after 10.0s",
        "AssertionError",
    );
    let o = judge(&r, &after, &[("before", &before)]);
    assert!(o[0].ok, "{:?}", o[0].seen);
    assert_eq!(o[0].matched_lines.len(), 1);
}

#[test]
fn a_known_red_with_a_new_error_class_or_message_is_red() {
    let r = regression(FAILURES);
    let before = pytest_log(
        "discourse",
        "E       AssertionError: container not running",
        "AssertionError",
    );
    let after = pytest_log(
        "discourse",
        "E       subprocess.CalledProcessError: Command '['docker']' returned non-zero exit status 1.",
        "CalledProcessError",
    );
    let o = judge(&r, &after, &[("before", &before)]);
    let seen = o[0].seen.as_deref().unwrap();
    assert!(
        seen.contains(
            "a new error class: subprocess.CalledProcessError (before the deploy: AssertionError)"
        ),
        "{seen}"
    );
    let after = pytest_log(
        "discourse",
        "E       AssertionError: container gone",
        "AssertionError",
    );
    let o = judge(&r, &after, &[("before", &before)]);
    assert!(
        o[0].seen
            .as_deref()
            .unwrap()
            .contains("AssertionError with another message")
    );
}

#[test]
fn a_failure_of_a_recipe_no_known_red_names_or_a_baseline_without_failures_is_red() {
    let r = regression(FAILURES);
    let before = pytest_log("discourse", "E       AssertionError: x", "AssertionError");
    let after = format!(
        "{before}{}",
        pytest_log("gitea", "E       AssertionError: y", "AssertionError")
    );
    let o = judge(&r, &after, &[("before", &before)]);
    assert!(
        o[0].seen
            .as_deref()
            .unwrap()
            .contains("a failure of gitea, which no known red names")
    );
    let o = judge(&r, "", &[("before", "sweep: discourse rc=1\n")]);
    assert!(
        o[0].seen
            .as_deref()
            .unwrap()
            .contains("no failed test of it was read")
    );
}

#[test]
fn a_program_not_found_in_any_spelling_is_red() {
    let r = regression("programs_found = true");
    assert!(judge(&r, AFTER, &[])[0].ok);
    let o = judge(
        &r,
        "----- Captured stderr setup -----\ngit: 'crypt' is not a git command. See 'git --help'.\n",
        &[],
    );
    assert!(!o[0].ok);
    assert!(
        o[0].seen
            .as_deref()
            .unwrap()
            .starts_with("git-crypt could not be found (git)")
    );
}

#[test]
fn a_record_not_found_on_the_host_is_red_saying_so() {
    let r = regression(PROMOTED);
    let probed = "started=@100\nwritten=stat: cannot statx '/var/lib/cc-ci/known-good.json': No such file or directory\ncat: /var/lib/cc-ci/known-good.json: No such file or directory\n";
    let o = judge(&r, AFTER, &[("before", BEFORE), ("kg", probed)]);
    assert!(!o[0].ok);
    assert!(
        o[0].seen
            .as_deref()
            .unwrap()
            .starts_with("${kg}: not a JSON object of recipe → version")
    );
}
