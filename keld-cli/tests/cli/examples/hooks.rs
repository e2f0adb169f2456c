//! The hooks of the examples, run for real through keld with stand-in restic and curl.

use std::fs;
use std::process::Command;

use super::configs::long;
use super::sandbox;
use crate::support::{Sandbox, shell_quote};

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
