//! JSON Schemas of the formats others write or read: scenario (and action) files and the
//! targets file, for an editor's completion and checks (taplo / Even Better TOML), and
//! `report.json`, for CI and scripts. `witness schema scenario|targets|report` prints them;
//! `schemas/*.schema.json` are the committed copies, which `tests/schemas.rs` regenerates
//! and compares (and `schemas/validate` validates files against).
//!
//! Generated from the serde wire types ([`crate::scenario::wire`], the targets file's in
//! [`crate::target`], [`crate::gate_report::wire`]) with schemars, never written by hand, so
//! a field added to a wire type reaches the schema or the freshness test goes red. Doc
//! comments become descriptions. Each schema has an `$id`, and only the `format`s JSON
//! Schema defines (schemars' `uint64`, `int32`, … are its own: a validator either ignores
//! them or refuses the schema; the bound they stand for stays as `minimum`).

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::gate_report::wire::{Report, SCHEMA};
use crate::scenario::wire::ScenarioWire;
use crate::target::TargetsFileWire;

/// The formats with a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `scenarios/<gate>/<name>.toml` and `scenarios/<gate>/actions/<name>.toml`.
    Scenario,
    /// `targets.toml`, and a `WITNESS_TARGETS` file.
    Targets,
    /// `report.json`, schema `witness-report/1`.
    Report,
}

/// The `format`s draft-07 defines; any other is dropped.
const STANDARD_FORMATS: &[&str] = &[
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

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Scenario, Kind::Targets, Kind::Report];

    /// `scenario`, `targets` or `report`, as `witness schema` takes it.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Scenario => "scenario",
            Kind::Targets => "targets",
            Kind::Report => "report",
        }
    }

    /// The schema's `$id`: a name, not an address (nothing is fetched from it).
    pub fn id(self) -> &'static str {
        match self {
            Kind::Scenario => "urn:witness:scenario",
            Kind::Targets => "urn:witness:targets",
            Kind::Report => "urn:witness:report:1",
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
            Kind::Targets => {
                let mut s = root::<TargetsFileWire>(settings, "witness targets file");
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
        standard_formats(&mut schema);
        schema["$id"] = Value::from(self.id());
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

/// Drop every `format` JSON Schema does not define (schemars names integer widths so).
fn standard_formats(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| !STANDARD_FORMATS.contains(&f))
            {
                m.remove("format");
            }
            m.values_mut().for_each(standard_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(standard_formats),
        _ => {}
    }
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
