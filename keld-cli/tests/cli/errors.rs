//! How keld reports a broken config and its own warnings.

use assert_cmd::prelude::*;
use predicates::prelude::*;
use predicates::str::contains;

use crate::support::{Sandbox, stdout_of};

#[test]
fn config_syntax_error_names_file_line_and_column() {
    let sandbox = Sandbox::new();
    let config = sandbox.write_user_config("[home]\nrepo = \"/srv\n");
    sandbox
        .keld(&["-n", "snapshots"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains(format!("{}:2:", config.display())))
        .stderr(contains("invalid TOML"));
}

#[test]
fn errors_are_uncoloured_without_a_terminal() {
    Sandbox::new()
        .keld(&[])
        .assert()
        .code(1)
        .stderr(contains("\u{1b}[").not());
}

#[test]
fn unknown_flag_warning_goes_to_stderr_not_stdout() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config("[home]\nrepo = \"/srv/restic\"\n\n[home.backup]\ntagg = \"x\"\n");
    let assert = sandbox
        .keld(&["-n", "backup", "/data"])
        .assert()
        .code(0)
        .stderr(contains("tagg"));
    let out = stdout_of(&assert);
    assert!(out.contains("command: restic backup"), "{out}");
    assert!(!out.contains("did you mean"), "{out}");
}

#[test]
fn unknown_keld_key_is_an_error_with_a_suggestion() {
    let sandbox = Sandbox::new();
    let config =
        sandbox.write_user_config("[home]\nrepo = \"/srv/restic\"\n_pre_hook = [\"true\"]\n");
    sandbox
        .keld(&["-n", "snapshots"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains(format!("{}:3:1", config.display())))
        .stderr(contains("_pre_hooks"));
}
