//! Integration tests for keld-config: resolution, layering, overrides, diagnostics.

mod catalog;
mod diagnostics;
mod layering;
mod overrides;
mod properties;
mod render;
mod resolution;
mod secrets;
