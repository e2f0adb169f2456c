//! Integration tests for keld-config: resolution, layering, overrides, diagnostics.

mod cache;
mod catalog;
mod checks;
mod diagnostics;
mod differential;
mod files;
mod layering;
mod limits;
mod overrides;
mod permissions;
mod properties;
mod render;
mod resolution;
mod secrets;
