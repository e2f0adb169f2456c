//! The hooks of the examples, run for real through keld with stand-in restic and curl.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::configs::long;
use crate::sandbox::{Sandbox, example};

/// Stand-ins for restic and curl that append what they were asked to do to `log`.
pub(crate) fn stand_ins(sandbox: &Sandbox) -> (PathBuf, PathBuf) {
    let log = sandbox.dir.path().join("events.log");
    let restic = sandbox.script(
        "restic",
        &format!(
            "printf 'restic %s (in %s)\\n' \"$*\" \"$PWD\" >> '{log}'\n\
             if [ -f dumps/notes.db ]; then\n\
             printf 'dump rows: %s\\n' \"$(sqlite3 dumps/notes.db 'SELECT count(*) FROM notes')\" >> '{log}'\n\
             fi\n\
             exit \"${{FAKE_RESTIC_EXIT:-0}}\"\n",
            log = log.display()
        ),
    );
    sandbox.script(
        "curl",
        &format!(
            "printf 'curl %s\\n' \"$*\" >> '{log}'\nexit \"${{FAKE_CURL_EXIT:-0}}\"\n",
            log = log.display()
        ),
    );
    (restic, log)
}

pub(crate) fn read_log(log: &Path) -> Vec<String> {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The short example in ~/.config/keld/ with the healthchecks drop-in in conf.d/.
fn install_short_example_with_healthchecks(sandbox: &Sandbox) {
    let dir = sandbox.home().join(".config/keld");
    let copy = |from: &str, to: &str| {
        let text = fs::read(example(from)).expect("read example");
        crate::support::write_private(&dir.join(to), text);
    };
    copy("keld/config.toml", "config.toml");
    copy(
        "systemd/user/keld-healthchecks.toml",
        "conf.d/healthchecks.toml",
    );
}

#[test]
fn healthchecks_drop_in_reports_start_and_success() {
    let sandbox = Sandbox::new();
    install_short_example_with_healthchecks(&sandbox);
    let (restic, log) = stand_ins(&sandbox);
    let output = sandbox
        .keld(["--preset", "home", "backup"])
        .env("KELD_EXECUTABLE", &restic)
        .output()
        .expect("run keld");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = read_log(&log);
    let url = "https://hc-ping.com/00000000-0000-0000-0000-000000000000";
    assert_eq!(events.len(), 3, "{events:#?}");
    assert!(events[0].starts_with("curl ") && events[0].ends_with(&format!("{url}/start")));
    assert!(events[1].starts_with("restic backup "), "{events:#?}");
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
    let sandbox = Sandbox::new();
    install_short_example_with_healthchecks(&sandbox);
    let (restic, log) = stand_ins(&sandbox);
    let output = sandbox
        .keld(["--preset", "home", "backup"])
        .env("KELD_EXECUTABLE", &restic)
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
    let events = read_log(&log);
    assert!(
        events.iter().any(|e| e.starts_with("restic backup ")),
        "{events:#?}"
    );
    let last = events.last().expect("events");
    assert!(
        last.contains("keld home backup: partial exit=3"),
        "{events:#?}"
    );
    assert!(last.ends_with("/fail"), "{events:#?}");
}

#[test]
fn healthchecks_drop_in_reports_restic_that_cannot_start() {
    let sandbox = Sandbox::new();
    install_short_example_with_healthchecks(&sandbox);
    let (_, log) = stand_ins(&sandbox);
    // Executable, but its interpreter is missing, which only exec can tell: keld runs
    // the post-hooks with start_failed.
    let broken = sandbox.dir.path().join("restic-broken");
    fs::write(&broken, "#!/nonexistent/interpreter\n").expect("write file");
    fs::set_permissions(&broken, fs::Permissions::from_mode(0o755)).expect("chmod");
    let output = sandbox
        .keld(["--preset", "home", "backup"])
        .env("KELD_EXECUTABLE", &broken)
        .output()
        .expect("run keld");
    assert_eq!(
        output.status.code(),
        Some(126),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = read_log(&log);
    let last = events.last().expect("events");
    assert!(
        last.contains("keld home backup: start_failed exit=none"),
        "{events:#?}"
    );
    assert!(last.ends_with("/fail"), "{events:#?}");
}

#[test]
fn long_example_database_hooks_dump_and_clean_up() {
    let sandbox = Sandbox::new();
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
    let (restic, log) = stand_ins(&sandbox);

    let output = sandbox
        .keld(["--config".as_ref(), long().as_os_str()])
        .args(["--preset", "db@nas", "backup"])
        .env("KELD_EXECUTABLE", &restic)
        .output()
        .expect("run keld");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = read_log(&log);
    let restic_line = events
        .iter()
        .find(|e| e.starts_with("restic backup "))
        .unwrap_or_else(|| panic!("restic did not run: {events:#?}"));
    assert!(
        restic_line.ends_with(&format!(" dumps (in {})", app.display())),
        "{restic_line}"
    );
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
