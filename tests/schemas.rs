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
        &["schema", "targets"],
        &["schema", "report", "x"],
    ] {
        let out = Command::new(bin).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(64), "{args:?}: {out:?}");
    }
}
