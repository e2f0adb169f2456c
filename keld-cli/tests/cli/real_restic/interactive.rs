//! The interactive mode with the real restic: a backup made on the command line is on
//! the dashboard, and a drill started from the dashboard restores a sample, finds the
//! files as they are, removes its directory and is recorded like `keld drill`.

use std::fs;

use serde_json::Value;

use super::PASSWORD;
use crate::support::pty::Terminal;
use crate::support::{Sandbox, restic, text, toml_list, toml_path, toml_str};

/// The records keld wrote in the sandbox.
fn records(sandbox: &Sandbox) -> Vec<Value> {
    fs::read_to_string(sandbox.home().join(".local/state/keld/runs.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a record"))
        .collect()
}

#[test]
fn real_restic_a_backup_shows_on_the_dashboard_and_a_drill_from_it_is_ok() {
    let sandbox = Sandbox::new();
    super::restic(&sandbox, &["init"]);
    fs::create_dir_all(sandbox.path("tmp")).expect("TMPDIR");
    let files = ["notes.txt", "photo.jpg", "sub dir/deep.txt"];
    for name in files {
        let path = sandbox.path("data").join(name);
        fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        fs::write(&path, format!("the content of {name}\n")).expect("write");
    }
    sandbox.write_config(&format!(
        "[home]\nrepo = {repo}\n_arguments = {args}\n\n[home.environ]\nRESTIC_PASSWORD = {password}\nRESTIC_CACHE_DIR = {cache}\n\n[work]\nrepo = {repo}\n",
        repo = toml_path(&sandbox.path("repo")),
        args = toml_list(&[sandbox.path("data").display().to_string()]),
        password = toml_str(PASSWORD),
        cache = toml_path(&sandbox.path("cache")),
    ));
    let keld = |args: &[&str]| {
        let mut command = sandbox.keld(args);
        command
            .env("KELD_EXECUTABLE", restic::program())
            .env("TMPDIR", sandbox.path("tmp"));
        command
    };

    // The backup, on the command line.
    let backup = keld(&["-p", "home", "backup"]).output().expect("keld runs");
    assert_eq!(backup.status.code(), Some(0), "{}", text(&backup.stderr));

    // A bare keld: the dashboard shows it.
    let mut bare = keld(&[]);
    bare.env("TERM", "xterm-256color");
    let mut terminal = Terminal::spawn(&bare, 30, 100);
    terminal.wait_for("Backups");
    let screen = terminal.wait_until("the backup on the dashboard", |screen| {
        screen
            .lines()
            .any(|line| line.starts_with("› home ") && line.contains("success"))
    });
    assert!(
        screen
            .lines()
            .any(|line| line.contains("work") && line.contains("no backup recorded")),
        "{screen}"
    );
    assert!(screen.contains("home: last backup: success"), "{screen}");

    // `d` on home: the drill, its progress, then a line per file and the summary.
    terminal.send("d");
    terminal.wait_for("Restore drill");
    let screen = terminal.wait_for("3 ok, 0 changed, 0 missing, 0 errors");
    for name in files {
        let line = format!("ok      {}", sandbox.path("data").join(name).display());
        assert!(screen.contains(&line), "{line} not on\n{screen}");
    }
    assert!(
        screen.contains("drill home: 3 files from snapshot"),
        "{screen}"
    );
    let left: Vec<_> = fs::read_dir(sandbox.path("tmp"))
        .expect("TMPDIR")
        .map(|entry| entry.expect("an entry").file_name())
        .collect();
    assert!(
        left.is_empty(),
        "the drill's directory was removed: {left:?}"
    );
    let drills: Vec<Value> = records(&sandbox)
        .into_iter()
        .filter(|record| record["command"] == "drill")
        .collect();
    assert_eq!(drills.len(), 1, "{drills:?}");
    assert_eq!(drills[0]["preset"], "home");
    assert_eq!(drills[0]["result"], "success");
    assert_eq!(drills[0]["exit_code"], 0);

    // Back on the dashboard, read again: the drill is there too.
    terminal.send("\x1b");
    terminal.wait_for("last drill: success");
    terminal.send("q");
    assert_eq!(terminal.wait_exit(), 130, "{}", terminal.transcript());
    assert!(
        !terminal.on_alternate_screen(),
        "the terminal is given back"
    );
}
