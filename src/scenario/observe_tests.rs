//! The `observe` field of a step (observe mode's counterpart of a step that changes the
//! target): what loads, what it means for `changes_target`, and every refusal, whole.

use std::path::Path;
use std::time::Duration;

use super::load::load_str;
use super::{DEFAULT_OBSERVE_WITHIN, ObserveWhat, Scenario};

const HEAD: &str = "title = \"t\"\nclaim = \"c\"\nmutates = true\n";
const FIRE: &str = "systemd = { start = \"nightly-sweep.service\", no_block = true }";
const TRIGGER: &str = "[steps.drone]\nserver = \"http://d\"\nrepo = \"o/r\"\ntoken_secret = \"t\"\ntrigger = { params = { A = \"1\" } }\nwait = false";

fn load(body: &str) -> Result<Scenario, String> {
    load_str(
        Path::new("scenarios/m2/actions/x.toml"),
        &format!("{HEAD}{body}"),
    )
    .map_err(|e| e.to_string())
}

#[test]
fn a_fire_and_a_trigger_with_observe_alternatives_change_nothing_in_observe_mode() {
    let sc = load(&format!(
        "[[steps]]\n{FIRE}\nobserve = {{ systemd = {{ next = \"nightly-sweep.service\" }} }}\n\
         [[steps]]\nobserve = {{ within = \"90s\", drone = {{ next = true }} }}\n{TRIGGER}\n"
    ))
    .unwrap();
    let o = sc.steps[0].observe.as_ref().unwrap();
    assert_eq!(
        o.what,
        ObserveWhat::UnitStart("nightly-sweep.service".into())
    );
    assert_eq!(o.within, DEFAULT_OBSERVE_WITHIN);
    let o = sc.steps[1].observe.as_ref().unwrap();
    assert_eq!(o.what, ObserveWhat::DroneBuild);
    assert_eq!(o.within, Duration::from_secs(90));
    // The observed step defines what the firing one does: the steps after it run unchanged.
    assert_eq!(sc.steps[0].defines, ["invocation"]);
    assert_eq!(sc.steps[1].defines, ["build"]);
    assert!(sc.changes_target(false), "firing, it changes the target");
    assert!(!sc.changes_target(true), "observing, it changes nothing");
}

#[test]
fn one_target_changing_step_without_an_alternative_still_changes_the_target() {
    let sc = load(&format!(
        "[[steps]]\n{FIRE}\nobserve = {{ systemd = {{ next = \"nightly-sweep.service\" }} }}\n\
         [[steps]]\n{TRIGGER}\n"
    ))
    .unwrap();
    assert!(sc.changes_target(true));
    // Marked `mutates` with no observe at all (a `run` step may change the host): changes it.
    let sc = load("[[steps]]\nrun = { cmd = \"touch /x\" }\n").unwrap();
    assert!(sc.changes_target(true));
}

/// Every refusal of a misplaced or malformed `observe`, whole, in one snapshot.
#[test]
fn observe_loader_messages() {
    let rows: Vec<(&str, String)> = vec![
        (
            "on a step that changes nothing",
            "[[steps]]\nrun = { cmd = \"true\" }\nobserve = { systemd = { next = \"x.service\" } }\n"
                .into(),
        ),
        (
            "another unit than the one started",
            format!("[[steps]]\n{FIRE}\nobserve = {{ systemd = {{ next = \"other.service\" }} }}\n"),
        ),
        (
            "a drone observation on a unit start",
            format!("[[steps]]\n{FIRE}\nobserve = {{ drone = {{ next = true }} }}\n"),
        ),
        (
            "both kinds",
            format!(
                "[[steps]]\n{FIRE}\nobserve = {{ systemd = {{ next = \"nightly-sweep.service\" }}, drone = {{ next = true }} }}\n"
            ),
        ),
        (
            "drone next = false",
            format!("[[steps]]\nobserve = {{ drone = {{ next = false }} }}\n{TRIGGER}\n"),
        ),
        (
            "a bad bound",
            format!(
                "[[steps]]\n{FIRE}\nobserve = {{ within = \"a day\", systemd = {{ next = \"nightly-sweep.service\" }} }}\n"
            ),
        ),
        (
            "an unknown key",
            format!("[[steps]]\n{FIRE}\nobserve = {{ systemd = {{ nxt = \"nightly-sweep.service\" }} }}\n"),
        ),
    ];
    let mut out = String::new();
    for (what, body) in rows {
        let e = load(&body)
            .map(|_| "LOADED (no error)".to_string())
            .unwrap_or_else(|e| e);
        out.push_str(&format!("── {what}\n{e}\n\n"));
    }
    insta::assert_snapshot!(out);
}
