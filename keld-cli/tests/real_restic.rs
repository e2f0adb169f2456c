//! keld driving the real restic (`/usr/bin/restic`) against a repository in a temp dir.

mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use keld_status::Status;
use support::{Sandbox, toml_list, toml_str};

const PASSWORD: &str = "correct horse battery staple";

/// restic itself, with the sandbox's repository and the right password.
fn restic(sandbox: &Sandbox, args: &[&str]) -> Output {
    let output = Command::new("restic")
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", sandbox.path("home"))
        .env("RESTIC_REPOSITORY", sandbox.path("repo"))
        .env("RESTIC_PASSWORD", PASSWORD)
        .args(args)
        .output()
        .expect("run restic");
    assert!(
        output.status.success(),
        "restic {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
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
        repo = toml_str(&sandbox.path("repo").display().to_string()),
        args = toml_list(&[sandbox.path("source").display().to_string()]),
        pre = toml_list(&[pre]),
        post = toml_list(&post),
    ));
    sandbox
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// keld with the real restic found on PATH instead of the fake.
fn keld_real(sandbox: &Sandbox, args: &[&str]) -> Command {
    let mut command = sandbox.keld(args);
    command.env_remove("KELD_EXECUTABLE");
    command
}

#[test]
fn pre_hook_dump_is_in_the_snapshot_and_gone_from_the_tree() {
    let sandbox = database_sandbox();
    let output = keld_real(&sandbox, &["-p", "db", "backup"])
        .env("RESTIC_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        fs::read_to_string(sandbox.path("outcome")).unwrap(),
        "0 success\n"
    );
    let dump = sandbox.path("source/app.sql");
    assert!(!dump.exists(), "the post-hook removes the dump");

    let listing = String::from_utf8(restic(&sandbox, &["ls", "latest"]).stdout).unwrap();
    assert!(
        listing
            .lines()
            .any(|line| line == dump.display().to_string()),
        "{listing}"
    );
    let content = restic(&sandbox, &["dump", "latest", &dump.display().to_string()]).stdout;
    let content = String::from_utf8(content).unwrap();
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
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("not the password"), "{stderr}");
}

#[test]
fn restic_password_prompt_works_through_keld_on_a_terminal() {
    let sandbox = database_sandbox();
    let mut session =
        rexpect::session::spawn_command(keld_real(&sandbox, &["-p", "db", "backup"]), Some(30_000))
            .expect("spawn keld on a pty");
    session
        .exp_string("enter password for repository:")
        .unwrap();
    session.send_line(PASSWORD).unwrap();
    session.exp_string("snapshot").unwrap();
    session.exp_eof().unwrap();
    let status = session.process().wait().unwrap();
    assert!(
        matches!(status, rexpect::process::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );
    assert_eq!(
        fs::read_to_string(sandbox.path("outcome")).unwrap(),
        "0 success\n"
    );
    let snapshots = String::from_utf8(restic(&sandbox, &["snapshots", "--json"]).stdout).unwrap();
    assert_eq!(snapshots.matches("\"short_id\"").count(), 1, "{snapshots}");
}
