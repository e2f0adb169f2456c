//! The `keld` binary from the outside: one test binary for all of keld-cli's
//! integration tests except the `features/*.feature` scenarios (`tests/features.rs`).
//!
//! Every test runs the real binary in a [`support::Sandbox`]: a temp dir with HOME and
//! XDG_CONFIG_HOME, a cleared environment and a stand-in restic that records what it
//! was given. The tests that need the real restic are in [`real_restic`]; `cargo test
//! -p keld-cli real_restic` runs only them (`KELD_TEST_RESTIC` picks the restic).

#[path = "../support/mod.rs"]
mod support;

mod before_anything_runs;
mod commands;
mod completions;
mod control_characters;
mod drill;
mod errors;
mod examples;
mod exit_codes;
mod hardening;
mod help_and_dry_run;
mod hostile_config;
mod operations;
mod options;
mod output;
mod pings;
mod presets;
mod real_restic;
mod schedule;
mod show_command;
mod signals;
mod terminal;

/// Two presets sharing a repository.
const TWO_PRESETS: &str = r#"
[global]
repo = "/srv/restic"

[home]
_arguments = ["/home/me"]

[work]
_arguments = ["/work"]
"#;

/// One preset, so no `--preset` is needed.
const ONE_PRESET: &str = r#"
[home]
repo = "/srv/restic"
_arguments = ["/home/me"]
"#;
