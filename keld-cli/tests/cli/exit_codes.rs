//! keld's exit code is restic's, and says when restic could not run at all.
//! (Post-hooks and their effect on the exit code: `features/backup_hooks.feature`.)

use std::fs;

use assert_cmd::prelude::*;

use crate::ONE_PRESET;
use crate::support::{Sandbox, text, toml_list};

#[test]
fn every_exit_code_passes_through_for_backup_and_other_commands() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "[home.backup]\n_arguments = {}\n_post_hooks = {}\n",
        toml_list(&[sandbox.path("source").display().to_string()]),
        toml_list(&[
            r#"printf '%s\n' "$KELD_RESTIC_EXIT_CODE" >> "$KELD_TEST_DIR/codes""#.to_owned()
        ]),
    ));
    for code in 0..=255u8 {
        for command in ["backup", "snapshots"] {
            let output = sandbox
                .keld(&["-p", "home", command])
                .env("FAKE_RESTIC_EXIT", code.to_string())
                .output()
                .unwrap();
            assert_eq!(
                output.status.code(),
                Some(i32::from(code)),
                "{command} exit {code}: {}",
                text(&output.stderr)
            );
        }
    }
    // The post-hook ran for each backup (and only for backups), seeing each code.
    let codes = fs::read_to_string(sandbox.path("codes")).unwrap();
    let expected: String = (0..=255).map(|code| format!("{code}\n")).collect();
    assert_eq!(codes, expected);
}

#[test]
fn restic_not_executable_exits_126() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(ONE_PRESET);
    let plain = sandbox.file("bin/plain-file", "not a program\n");
    sandbox
        .keld(&["snapshots"])
        .env("KELD_EXECUTABLE", plain)
        .assert()
        .code(126);
}

#[test]
fn restic_killed_by_signal_exits_128_plus_n() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(ONE_PRESET);
    sandbox.extend_restic("kill -TERM $$");
    sandbox.keld(&["snapshots"]).assert().code(143);
    assert_eq!(sandbox.restic_runs().len(), 1, "the stand-in ran");
}
