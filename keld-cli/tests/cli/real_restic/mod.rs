//! keld driving the real restic against a repository in a temp dir. The restic is
//! `KELD_TEST_RESTIC` or `restic` on PATH ([`crate::support::restic`]); every test here
//! fails without one.

mod demo;
mod drill;
mod interactive;
mod status;

use std::ffi::OsStr;
use std::fs;
use std::process::Command;

use assert_cmd::prelude::*;
use keld_status::Status;
use predicates::str::contains;
use rexpect::process::WaitStatus;

use crate::ONE_PRESET;
use crate::support::pty::Terminal;
use crate::support::{Sandbox, restic, shell_quote, text, toml_list, toml_path};

const PASSWORD: &str = "correct horse battery staple";

/// restic itself, with the sandbox's repository and the right password.
fn restic(sandbox: &Sandbox, args: &[&str]) -> String {
    let repo = sandbox.path("repo");
    let home = sandbox.home();
    restic::run(
        &[
            ("HOME", home.as_os_str()),
            ("RESTIC_REPOSITORY", repo.as_os_str()),
            ("RESTIC_PASSWORD", OsStr::new(PASSWORD)),
        ],
        args,
    )
}

/// A sandbox with an initialised repository and a preset `db` that backs up
/// `source/` with a SQLite dump made by a pre-hook and removed by a post-hook.
fn database_sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    restic(&sandbox, &["init"]);
    let database = sandbox.path("app.db");
    let created = Command::new("sqlite3")
        .arg(&database)
        .arg("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keld was here');")
        .status()
        .expect("run sqlite3");
    assert!(created.success());
    let dump = sandbox.path("source/app.sql");
    let pre = format!(
        "sqlite3 {} .dump > {}",
        shell_quote(&database),
        shell_quote(&dump)
    );
    let post = vec![
        format!("rm {}", shell_quote(&dump)),
        r#"printf '%s %s\n' "${KELD_RESTIC_EXIT_CODE-unset}" "$KELD_RESTIC_STATUS" > "$KELD_TEST_DIR/outcome""#.to_owned(),
    ];
    sandbox.write_config(&format!(
        "[db]\nrepo = {repo}\n\n[db.backup]\n_arguments = {args}\n_pre_hooks = {pre}\n_post_hooks = {post}\n",
        repo = toml_path(&sandbox.path("repo")),
        args = toml_list(&[sandbox.path("source").display().to_string()]),
        pre = toml_list(&[pre]),
        post = toml_list(&post),
    ));
    sandbox
}

/// keld with the real restic instead of the stand-in.
fn keld_real(sandbox: &Sandbox, args: &[&str]) -> Command {
    let mut command = sandbox.keld(args);
    command.env("KELD_EXECUTABLE", restic::program());
    command
}

#[test]
fn pre_hook_dump_is_in_the_snapshot_and_gone_from_the_tree() {
    let sandbox = database_sandbox();
    let output = keld_real(&sandbox, &["-p", "db", "backup"])
        .env("RESTIC_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        fs::read_to_string(sandbox.path("outcome")).unwrap(),
        "0 success\n"
    );
    let dump = sandbox.path("source/app.sql");
    assert!(!dump.exists(), "the post-hook removes the dump");

    let listing = restic(&sandbox, &["ls", "latest"]);
    assert!(
        listing
            .lines()
            .any(|line| line == dump.display().to_string()),
        "{listing}"
    );
    let content = restic(&sandbox, &["dump", "latest", &dump.display().to_string()]);
    assert!(
        content.contains("INSERT INTO notes VALUES('keld was here');"),
        "{content}"
    );
}

#[test]
fn wrong_password_reaches_the_post_hook_as_restic_failure() {
    let sandbox = database_sandbox();
    let output = keld_real(&sandbox, &["-p", "db", "backup"])
        .env("RESTIC_PASSWORD", "not the password")
        .output()
        .unwrap();
    let outcome = fs::read_to_string(sandbox.path("outcome")).unwrap();
    let (code, status) = outcome.trim().split_once(' ').unwrap();
    let code: u8 = code.parse().unwrap();
    // restic 0.17 and later exit 12 (wrong_password); 0.14 exits 1 (fatal).
    assert!(code == 1 || code == 12, "{outcome}");
    assert_eq!(status, Status::from_exit_code(code).as_str());
    assert_eq!(output.status.code(), Some(i32::from(code)));
    // The snapshot was not made, and the post-hook still cleaned up.
    assert!(!sandbox.path("source/app.sql").exists());
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("not the password"), "{stderr}");
}

#[test]
fn restic_password_prompt_works_through_keld_on_a_terminal() {
    let sandbox = database_sandbox();
    let mut terminal = Terminal::spawn(&keld_real(&sandbox, &["-p", "db", "backup"]), 30, 100);
    terminal.wait_for("enter password for repository:");
    terminal.send(&format!("{PASSWORD}\n"));
    terminal.wait_for("snapshot");
    let status = terminal.wait_status();
    assert!(matches!(status, WaitStatus::Exited(_, 0)), "{status:?}");
    assert_eq!(
        fs::read_to_string(sandbox.path("outcome")).unwrap(),
        "0 success\n"
    );
    let snapshots = restic(&sandbox, &["snapshots", "--json"]);
    assert_eq!(snapshots.matches("\"short_id\"").count(), 1, "{snapshots}");
}

#[test]
fn restic_help_passes_through_to_the_real_restic() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(ONE_PRESET);
    keld_real(&sandbox, &["-p", "home", "backup", "--help"])
        .assert()
        .code(0)
        .stdout(contains("Usage:\n  restic backup [flags]"));
}
