//! The JSON Schemas in `schemas/` are the wire types' own: regenerated here and compared with
//! the committed files, and printed by `witness schema`. That they accept every committed
//! scenario and a fresh `report.json`, and reject broken ones, is checked by the workspace
//! member `schemas/validate` (its validator is a large crate: kept out of the gates' build).
//!
//! After changing a wire type: `UPDATE_SCHEMAS=1 cargo test --test schemas` rewrites the
//! committed files (or `cargo run --bin witness -- schema scenario > schemas/scenario.schema.json`).

use std::path::PathBuf;
use std::process::Command;

use witness::schema::Kind;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_schemas_are_the_wire_types_own() {
    let mut stale = Vec::new();
    for kind in Kind::ALL {
        let path = repo().join(kind.committed_path());
        let fresh = kind.text();
        if std::fs::read_to_string(&path).ok().as_deref() == Some(fresh.as_str()) {
            continue;
        }
        if std::env::var_os("UPDATE_SCHEMAS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &fresh).unwrap();
        } else {
            stale.push(kind.committed_path());
        }
    }
    assert!(
        stale.is_empty(),
        "{} differ from the wire types (src/scenario/wire.rs, src/gate_report/wire.rs); regenerate \
         with `UPDATE_SCHEMAS=1 cargo test --test schemas` (or `cargo run --bin witness -- schema \
         scenario|report > schemas/<name>.schema.json`), review and commit",
        stale.join(" and ")
    );
}

#[test]
fn witness_schema_prints_them_and_refuses_other_names() {
    let bin = env!("CARGO_BIN_EXE_witness");
    for kind in Kind::ALL {
        let out = Command::new(bin)
            .args(["schema", kind.name()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8(out.stdout).unwrap(), kind.text());
    }
    for args in [
        &["schema"][..],
        &["schema", "target"],
        &["schema", "report", "x"],
    ] {
        let out = Command::new(bin).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(64), "{args:?}: {out:?}");
    }
}

/// Each schema names itself (`$id`) and uses only the `format`s JSON Schema defines: a
/// validator meeting schemars' own (`uint64`, `int32`, …) either ignores it or refuses the
/// schema, and an editor warns on every use.
#[test]
fn committed_schemas_have_an_id_and_only_standard_formats() {
    const STANDARD: &[&str] = &[
        "date-time",
        "date",
        "time",
        "email",
        "idn-email",
        "hostname",
        "idn-hostname",
        "ipv4",
        "ipv6",
        "uri",
        "uri-reference",
        "iri",
        "iri-reference",
        "uri-template",
        "json-pointer",
        "relative-json-pointer",
        "regex",
    ];
    fn formats(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(f) = m.get("format").and_then(|f| f.as_str()) {
                    out.push(f.to_string());
                }
                m.values().for_each(|x| formats(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| formats(x, out)),
            _ => {}
        }
    }
    for kind in Kind::ALL {
        let path = repo().join(kind.committed_path());
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["$id"], kind.id(), "{}: $id", path.display());
        let mut found = Vec::new();
        formats(&v, &mut found);
        found.retain(|f| !STANDARD.contains(&f.as_str()));
        assert!(
            found.is_empty(),
            "{}: non-standard formats {found:?}",
            path.display()
        );
    }
}
