//! Scenario files: the TOML wire format, the validated model, and the loader between them.

pub(crate) mod check;
pub mod load;
pub(crate) mod model;
pub(crate) mod regression;
pub(crate) mod wire;

pub use model::*;

#[cfg(test)]
mod observe_tests;
