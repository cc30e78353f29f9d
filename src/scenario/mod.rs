//! Scenario files: the TOML wire format, the validated model, and the loader between them.

pub mod check;
pub mod load;
pub mod model;
pub(crate) mod wire;

pub use model::*;

#[cfg(test)]
mod observe_tests;
