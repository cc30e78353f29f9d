//! The committed JSON Schemas (`schemas/*.schema.json`) accept every committed scenario and
//! action file and a freshly written `report.json`, and reject broken ones, as an editor or a
//! CI consumer validating against them would. Offline: the gate runs on the `local` target in
//! a temporary root.
//!
//! A crate of its own so that its validator (`jsonschema`, the largest crate of a cold
//! build) is not a dev-dependency of `witness`: the gates' test binaries compile without it.

use std::path::{Path, PathBuf};

use libtest_mimic::Arguments;
use serde_json::{Value, json};
use witness::schema::Kind;
use witness::{RunConfig, run_gate};

/// The repository root (this crate lives in `schemas/validate`).
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn committed(kind: Kind) -> Value {
    let path = repo().join(kind.committed_path());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (UPDATE_SCHEMAS=1 cargo test --test schemas writes it)",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn validator(kind: Kind) -> jsonschema::Validator {
    jsonschema::validator_for(&committed(kind))
        .unwrap_or_else(|e| panic!("{} is not a valid JSON Schema: {e}", kind.committed_path()))
}

/// Every schema error of `instance`, one per line (`at /steps/0/run: …`), empty when valid.
fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect()
}

/// A TOML document as the JSON value a schema validator sees (what taplo does too).
fn toml_to_json(src: &str) -> Value {
    let t: toml::Table = toml::from_str(src).expect("TOML");
    serde_json::to_value(t).expect("TOML as JSON")
}

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            toml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

#[test]
fn every_committed_scenario_and_action_file_validates() {
    let v = validator(Kind::Scenario);
    let mut files = Vec::new();
    toml_files(&repo().join("scenarios"), &mut files);
    files.sort();
    // An empty walk would pass silently: the gates have 20 scenario and action files and more.
    assert!(
        files.len() >= 20,
        "only {} files under scenarios/",
        files.len()
    );
    let bad: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let src = std::fs::read_to_string(f).unwrap();
            let e = errors(&v, &toml_to_json(&src));
            (!e.is_empty()).then(|| format!("{}:\n  {}", f.display(), e.join("\n  ")))
        })
        .collect();
    assert!(
        bad.is_empty(),
        "rejected by the scenario schema:\n{}",
        bad.join("\n")
    );
}

const GOOD: &str = r#"title = "t"
claim = "c"
[[steps]]
timeout = "30s"
run = { cmd = "true" }
expect = { stdout = ["^ok$"] }
record = "matched"
"#;

/// Broken scenario files the loader refuses; the schema must refuse each too (an editor then
/// marks what `cargo test` would), and accept the good one.
#[test]
fn the_scenario_schema_rejects_what_the_loader_rejects() {
    let v = validator(Kind::Scenario);
    let good = toml_to_json(GOOD);
    assert_eq!(errors(&v, &good), Vec::<String>::new());
    witness::scenario::load::load_str(Path::new("good.toml"), GOOD).unwrap();
    for (what, from, to) in [
        (
            "an unknown key",
            "cmd = \"true\"",
            "cmd = \"true\", locall = true",
        ),
        ("a wrong type", "timeout = \"30s\"", "timeout = 30"),
        (
            "an unknown choice",
            "record = \"matched\"",
            "record = \"some\"",
        ),
        ("a missing claim", "claim = \"c\"\n", ""),
        ("an unknown top-level key", "title = \"t\"", "titel = \"t\""),
    ] {
        let src = GOOD.replace(from, to);
        assert_ne!(src, GOOD, "{what}: the replacement did not apply");
        assert!(
            witness::scenario::load::load_str(Path::new("bad.toml"), &src).is_err(),
            "{what}: the loader accepts\n{src}"
        );
        let e = errors(&v, &toml_to_json(&src));
        assert!(!e.is_empty(), "{what}: the schema accepts\n{src}");
        eprintln!("{what}: {}", e.join("; "));
    }
}

/// A gate run on this machine, one scenario passing and one failing (so `message` and `exit`
/// are filled), and its report.json.
fn fresh_report() -> Value {
    let root = std::env::temp_dir().join(format!("witness-schemas-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("scenarios/g")).unwrap();
    std::fs::write(root.join("targets.toml"), "[targets.here]\nlocal = true\n").unwrap();
    std::fs::write(
        root.join("scenarios/g/p.toml"),
        GOOD.replace("true", "echo ok"),
    )
    .unwrap();
    std::fs::write(
        root.join("scenarios/g/f.toml"),
        "title = \"f\"\nclaim = \"c\"\n[[steps]]\nrun = { cmd = \"echo no; exit 3\" }\n",
    )
    .unwrap();
    let mut cfg = RunConfig::for_root(&root, "here");
    cfg.run_id = "schemas".into();
    let args = Arguments::from_iter(["g", "--test-threads", "1"]);
    let _ = run_gate(&cfg, "g", &args).unwrap();
    let path = root.join("target/witness/g@here/report.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_dir_all(&root);
    serde_json::from_str(&text).unwrap()
}

/// A way to break a valid report.
type Break = fn(&mut Value);

#[test]
fn a_fresh_report_validates_and_broken_ones_do_not() {
    let v = validator(Kind::Report);
    let report = fresh_report();
    // Under CI a new snapshot fails p too; f fails in any case, so a message and an exit are there.
    assert!(report["counts"]["failed"].as_u64() >= Some(1), "{report:#}");
    assert_eq!(errors(&v, &report), Vec::<String>::new(), "{report:#}");

    let broken: [(&str, Break); 5] = [
        ("a wrong type", |r| r["counts"]["passed"] = json!("one")),
        ("an unknown verdict", |r| {
            r["scenarios"][0]["verdict"] = json!("green")
        }),
        ("a missing identity", |r| {
            r.as_object_mut().unwrap().remove("identity");
        }),
        ("another schema version", |r| {
            r["schema"] = json!("witness-report/2")
        }),
        ("an absent fact dropped instead of null", |r| {
            r["identity"]
                .as_object_mut()
                .unwrap()
                .remove("current_system");
        }),
    ];
    for (what, break_it) in broken {
        let mut r = report.clone();
        break_it(&mut r);
        let e = errors(&v, &r);
        assert!(!e.is_empty(), "{what}: the report schema accepts it");
        eprintln!("{what}: {}", e.join("; "));
    }
}

/// The committed targets.toml validates against the targets schema; what the loader refuses
/// (an unknown key, a secret that is not a table, a port out of range) the schema refuses too.
#[test]
fn the_targets_file_validates_and_broken_ones_do_not() {
    let v = validator(Kind::Targets);
    let src = std::fs::read_to_string(repo().join("targets.toml")).unwrap();
    let e = errors(&v, &toml_to_json(&src));
    assert!(e.is_empty(), "targets.toml:\n  {}", e.join("\n  "));
    for broken in [
        "[targets.x]\nlocall = true\n",
        "[targets.x]\nport = 70000\n",
        "[targets.x.secrets]\ntoken = \"plain\"\n",
        "[targets.x.secrets.token]\nfile = \"/f\"\npath = \"/g\"\n",
        "[other]\n",
    ] {
        assert!(
            !errors(&v, &toml_to_json(broken)).is_empty(),
            "accepted: {broken:?}"
        );
    }
}
