//! Nothing here: this crate exists for its tests (`tests/validate.rs`), which validate the
//! committed scenarios and a fresh `report.json` against witness's JSON Schemas.
