//! The hooks of the examples, run for real through keld with stand-in restic and curl.

use std::fs;
use std::process::Command;

use super::configs::long;
use super::{example, sandbox};
use crate::support::{Sandbox, shell_quote, write_private};

/// A stand-in `curl` on keld's PATH that appends `curl ARGS` to the event log and
/// exits with `$FAKE_CURL_EXIT`; and the stand-in restic also logs the rows of
/// `dumps/notes.db` when it finds one in its working directory.
pub(crate) fn stand_ins(sandbox: &Sandbox) {
    let log = shell_quote(&sandbox.log_path());
    sandbox.extend_restic(&format!(
        "if [ -f dumps/notes.db ]; then\n\
         printf 'dump rows: %s\\n' \"$(sqlite3 dumps/notes.db 'SELECT count(*) FROM notes')\" >> {log}\n\
         fi"
    ));
    sandbox.script(
        "curl",
        &format!("printf 'curl %s\\n' \"$*\" >> {log}\nexit \"${{FAKE_CURL_EXIT:-0}}\"\n"),
    );
}

/// The short example in the user config directory with the healthchecks drop-in in
/// conf.d/.
fn install_short_example_with_healthchecks(sandbox: &Sandbox) {
    let dir = sandbox.path("xdg/keld");
    let copy = |from: &str, to: &str| {
        let text = fs::read(example(from)).expect("read example");
        write_private(&dir.join(to), text);
    };
    copy("keld/config.toml", "config.toml");
    copy(
        "systemd/user/keld-healthchecks.toml",
        "conf.d/healthchecks.toml",
    );
}

#[test]
fn healthchecks_drop_in_reports_start_and_success() {
    let sandbox = sandbox();
    install_short_example_with_healthchecks(&sandbox);
    stand_ins(&sandbox);
    let output = sandbox
        .keld(&["--preset", "home", "backup"])
        .env("KELD_EXECUTABLE", sandbox.restic_path())
        .output()
        .expect("run keld");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = sandbox.events();
    let url = "https://hc-ping.com/00000000-0000-0000-0000-000000000000";
    assert_eq!(events.len(), 3, "{events:#?}");
    assert!(events[0].starts_with("curl ") && events[0].ends_with(&format!("{url}/start")));
    assert_eq!(events[1], "restic backup", "{events:#?}");
    assert!(
        events[2].contains("keld home backup: success exit=0"),
        "{events:#?}"
    );
    assert!(
        events[2].ends_with(url),
        "success must ping the plain URL: {events:#?}"
    );
}

#[test]
fn healthchecks_drop_in_reports_partial_backup_as_failure() {
    let sandbox = sandbox();
    install_short_example_with_healthchecks(&sandbox);
    stand_ins(&sandbox);
    let output = sandbox
        .keld(&["--preset", "home", "backup"])
        .env("KELD_EXECUTABLE", sandbox.restic_path())
        .env("FAKE_RESTIC_EXIT", "3")
        // The start ping fails: the backup must run anyway.
        .env("FAKE_CURL_EXIT", "7")
        .output()
        .expect("run keld");
    // restic's exit code, not the failed ping's.
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = sandbox.events();
    assert!(events.iter().any(|e| e == "restic backup"), "{events:#?}");
    let last = events.last().expect("events");
    assert!(
        last.contains("keld home backup: partial exit=3"),
        "{events:#?}"
    );
    assert!(last.ends_with("/fail"), "{events:#?}");
}

#[test]
fn healthchecks_drop_in_reports_restic_that_cannot_start() {
    let sandbox = sandbox();
    install_short_example_with_healthchecks(&sandbox);
    stand_ins(&sandbox);
    // Executable, but its interpreter is missing, which only exec can tell: keld runs
    // the post-hooks with start_failed.
    sandbox.write_restic("#!/nonexistent/interpreter\n");
    let output = sandbox
        .keld(&["--preset", "home", "backup"])
        .env("KELD_EXECUTABLE", sandbox.restic_path())
        .output()
        .expect("run keld");
    assert_eq!(
        output.status.code(),
        Some(126),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = sandbox.events();
    let last = events.last().expect("events");
    assert!(
        last.contains("keld home backup: start_failed exit=none"),
        "{events:#?}"
    );
    assert!(last.ends_with("/fail"), "{events:#?}");
}

#[test]
fn long_example_database_hooks_dump_and_clean_up() {
    let sandbox = sandbox();
    let app = sandbox.home().join("apps/notes");
    fs::create_dir_all(&app).expect("app dir");
    let created = Command::new("sqlite3")
        .current_dir(&app)
        .args([
            "notes.db",
            "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('a'), ('b'), ('c');",
        ])
        .status()
        .expect("sqlite3 is needed for this test (apt-get install sqlite3)");
    assert!(created.success());
    stand_ins(&sandbox);

    let output = sandbox
        .keld(&[])
        .arg("--config")
        .arg(long())
        .args(["--preset", "db@nas", "backup"])
        .env("KELD_EXECUTABLE", sandbox.restic_path())
        .output()
        .expect("run keld");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let runs = sandbox.restic_runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0][0], "backup", "{runs:?}");
    assert_eq!(
        runs[0].last().map(String::as_str),
        Some("dumps"),
        "{runs:?}"
    );
    let log = sandbox.log_lines();
    assert!(
        log.contains(&format!("restic-cwd {}", app.display())),
        "{log:#?}"
    );
    let events = sandbox.events();
    // The dump existed, complete, while restic ran ...
    assert!(events.iter().any(|e| e == "dump rows: 3"), "{events:#?}");
    // ... and is gone afterwards; the database itself is untouched.
    assert!(!app.join("dumps/notes.db").exists());
    assert!(app.join("notes.db").exists());
    assert!(
        events.first().is_some_and(|e| e.ends_with("/start")),
        "{events:#?}"
    );
    assert!(
        events
            .last()
            .is_some_and(|e| e.contains("keld db@nas backup: success exit=0")),
        "{events:#?}"
    );
}
