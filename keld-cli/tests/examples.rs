//! The files under `examples/` run through the real `keld`, so they cannot rot.
//!
//! Every preset of every example config is resolved with `keld --show-command --json
//! --verbose`: it must exit 0, print nothing on stderr (no warning about a flag restic
//! does not have), and produce the command line the example's comments promise. The
//! healthchecks and database-dump hooks run for real through `keld` with a stand-in
//! `restic` and `curl`, and the systemd units are checked by `systemd-analyze verify`
//! and by resolving their `ExecStart=` lines against the long example.
//!
//! Each test runs keld with an empty environment, a temporary HOME and a PATH of
//! `/usr/bin:/bin` (plus a directory of stand-ins where needed).

#[path = "examples/sandbox.rs"]
mod sandbox;
mod support;

#[path = "examples/configs.rs"]
mod configs;
#[path = "examples/hooks.rs"]
mod hooks;
#[path = "examples/links.rs"]
mod links;
#[path = "examples/systemd.rs"]
mod systemd;
