//! JSON Schemas of the two formats others write or read: scenario (and action) files, for
//! an editor's completion and checks (taplo / Even Better TOML), and `report.json`, for CI
//! and scripts. `witness schema scenario|report` prints them; `schemas/*.schema.json` are
//! the committed copies, which `tests/schemas.rs` regenerates and compares (and `schemas/validate`
//! validates files against).
//!
//! Generated from the serde wire types ([`crate::scenario::wire`], [`crate::gate_report::wire`])
//! with schemars, never written by hand, so a field added to a wire type reaches the schema
//! or the freshness test goes red. Doc comments become descriptions.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::gate_report::wire::{Report, SCHEMA};
use crate::scenario::wire::ScenarioWire;

/// The formats with a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `scenarios/<gate>/<name>.toml` and `scenarios/<gate>/actions/<name>.toml`.
    Scenario,
    /// `report.json`, schema `witness-report/1`.
    Report,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Scenario, Kind::Report];

    /// `scenario` or `report`, as `witness schema` takes it.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Scenario => "scenario",
            Kind::Report => "report",
        }
    }

    /// The committed copy, relative to the project root.
    pub fn committed_path(self) -> String {
        format!("schemas/{}.schema.json", self.name())
    }

    /// The schema as JSON.
    pub(crate) fn schema(self) -> Value {
        // Draft-07 rather than schemars' default 2020-12: it is the draft editors' JSON
        // Schema support (taplo included) handles fully, and jsonschema validates it alike.
        let settings = SchemaSettings::draft07();
        let mut schema = match self {
            // A scenario file is read: its contract is what deserializing accepts.
            Kind::Scenario => {
                let mut s = root::<ScenarioWire>(settings, "witness scenario file");
                without_null(&mut s);
                s
            }
            // A report is written: its contract is what serializing produces (an absent fact
            // is `null`, present), which is what a reader of report.json can rely on.
            Kind::Report => root::<Report>(settings.for_serialize(), "witness report.json"),
        };
        if self == Kind::Report {
            // The version string is the one value the wire type cannot say by its type; a
            // reader checks it before anything else (a `witness-report/2` is another schema).
            schema["properties"]["schema"]["const"] = Value::from(SCHEMA);
        }
        schema
    }

    /// The schema as the committed file holds it: pretty JSON and a final newline.
    pub fn text(self) -> String {
        let mut s = serde_json::to_string_pretty(&self.schema())
            .expect("a serde_json::Value always serializes");
        s.push('\n');
        s
    }
}

fn root<T: JsonSchema>(settings: SchemaSettings, title: &str) -> Value {
    let mut v = settings
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    v["title"] = Value::from(title);
    v
}

/// TOML has no null: an optional key is absent or of its type. schemars writes `Option<T>` as
/// "T or null"; dropping the null alternative lets an editor name the real fault (`locall`
/// is not allowed) instead of "not valid under any of the schemas listed in 'anyOf'".
fn without_null(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(types)) = m.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    m.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(alternatives)) = m.get("anyOf") {
                let null = serde_json::json!({ "type": "null" });
                let rest: Vec<&Value> = alternatives.iter().filter(|a| **a != null).collect();
                if let [Value::Object(only)] = rest.as_slice() {
                    let only = only.clone();
                    m.remove("anyOf");
                    for (k, x) in only {
                        m.entry(k).or_insert(x);
                    }
                }
            }
            m.values_mut().for_each(without_null);
        }
        Value::Array(items) => items.iter_mut().for_each(without_null),
        _ => {}
    }
}
