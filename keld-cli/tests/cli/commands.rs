//! COMMAND and the arguments after it, which are restic's; and what keld needs to
//! know before it runs anything when nobody can be asked (no terminal).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use assert_cmd::prelude::*;
use predicates::str::contains;

use crate::support::{Sandbox, stdout_of};
use crate::{ONE_PRESET, TWO_PRESETS};

// ---------------------------------------------------------------- COMMAND and restic's arguments

#[test]
fn everything_after_command_goes_to_restic() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(ONE_PRESET);
    sandbox
        .keld(&["-p", "home", "backup", "--help"])
        .env("FAKE_RESTIC_ECHO", "1")
        .assert()
        .code(0)
        .stdout(contains("fake restic: <backup>"));
    let runs = sandbox.restic_runs();
    assert_eq!(runs.len(), 1);
    assert!(runs[0].contains(&"--help".to_owned()), "{runs:?}");
}

#[test]
fn keld_options_after_command_belong_to_restic() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(ONE_PRESET);
    let assert = sandbox
        .keld(&["-n", "snapshots", "-p", "x"])
        .assert()
        .code(0);
    let out = stdout_of(&assert);
    assert!(
        out.contains("preset: home"),
        "-p after COMMAND is not keld's: {out}"
    );
    assert!(out.contains(" x"), "-p x reaches restic: {out}");
}

#[test]
fn any_word_is_a_command_including_aliases() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(
        "[home]\nrepo = \"/srv/restic\"\n\n[home.nightly]\n_command = \"backup\"\n_arguments = [\"/data\"]\n",
    );
    sandbox
        .keld(&["nightly"])
        .env("FAKE_RESTIC_ECHO", "1")
        .assert()
        .code(0)
        .stdout(contains(
            "fake restic: <backup> <--repo> </srv/restic> </data>",
        ));
    sandbox
        .keld(&["version"])
        .env("FAKE_RESTIC_ECHO", "1")
        .assert()
        .code(0)
        .stdout(contains("fake restic: <version>"));
}

#[test]
fn restic_help_command_is_not_shadowed() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(ONE_PRESET);
    sandbox
        .keld(&["help"])
        .env("FAKE_RESTIC_ECHO", "1")
        .assert()
        .code(0)
        .stdout(contains("fake restic: <help>"));
}

#[test]
fn double_dash_after_command_reaches_restic() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config("[home]\nrepo = \"/srv/restic\"\n");
    sandbox
        .keld(&["backup", "--", "-odd-name"])
        .assert()
        .code(0);
    let runs = sandbox.restic_runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    let dash = run.iter().position(|a| a == "--").expect("-- is passed on");
    assert_eq!(run[dash + 1..], ["-odd-name"], "{run:?}");
}

#[test]
fn double_dash_before_command_ends_keld_options() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(ONE_PRESET);
    sandbox
        .keld(&["-n", "--", "snapshots", "--json"])
        .assert()
        .code(0)
        .stdout(contains(
            "command: restic snapshots --repo /srv/restic --json /home/me\n",
        ));
}

#[test]
fn non_utf8_argument_is_a_clear_error() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(ONE_PRESET);
    sandbox
        .keld(&["backup"])
        .arg(OsStr::from_bytes(b"/data/caf\xe9"))
        .assert()
        .code(1)
        .stderr(contains("not valid UTF-8"))
        .stderr(contains("caf\u{fffd}"));
    assert!(sandbox.restic_runs().is_empty());
}

// ---------------------------------------------------------------- without a terminal

#[test]
fn bare_keld_without_a_terminal_asks_for_a_command() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(ONE_PRESET);
    sandbox
        .keld(&[])
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains("no command given"))
        .stderr(contains("usage: keld [OPTIONS] [COMMAND [RESTIC-ARGS...]]"));
    assert!(sandbox.restic_runs().is_empty());
}

#[test]
fn bare_keld_with_only_options_asks_for_a_command() {
    Sandbox::new()
        .keld(&["-p", "home", "-n"])
        .assert()
        .code(1)
        .stderr(contains("no command given"));
}

#[test]
fn several_presets_without_preset_is_an_error_listing_them() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(TWO_PRESETS);
    for extra in [&[][..], &["-n"][..]] {
        sandbox
            .keld(extra)
            .arg("snapshots")
            .assert()
            .code(1)
            .stdout("")
            .stderr(contains("--preset"))
            .stderr(contains("home, work"));
    }
    assert!(sandbox.restic_runs().is_empty());
}

#[test]
fn backup_without_paths_is_an_error_naming_arguments() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config("[home]\nrepo = \"/srv/restic\"\n");
    sandbox
        .keld(&["backup"])
        .assert()
        .code(1)
        .stderr(contains("restic backup needs paths"))
        .stderr(contains("_arguments"));
    assert!(sandbox.restic_runs().is_empty());
}

#[test]
fn backup_with_files_from_needs_no_paths() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config("[home]\nrepo = \"/srv/restic\"\n");
    sandbox
        .keld(&["backup", "--files-from", "list.txt"])
        .assert()
        .code(0);
    assert_eq!(sandbox.restic_runs().len(), 1);
}

#[test]
fn backup_paths_from_the_command_line_are_enough() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config("[home]\nrepo = \"/srv/restic\"\n");
    sandbox.keld(&["backup", "/etc"]).assert().code(0);
    assert_eq!(
        sandbox.restic_runs(),
        [["backup", "--repo", "/srv/restic", "/etc"]]
    );
}

#[test]
fn show_command_of_backup_without_paths_warns_on_stderr_only() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config("[home]\nrepo = \"/srv/restic\"\n");
    sandbox
        .keld(&["-n", "backup"])
        .assert()
        .code(0)
        .stdout(contains("command: restic backup --repo /srv/restic\n"))
        .stderr(contains("without paths"));
}
