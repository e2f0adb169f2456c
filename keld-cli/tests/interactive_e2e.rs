//! The interactive mode end to end: the real `keld` on a pseudo-terminal, the real
//! restic (`/usr/bin/restic`) and a real repository in a temp dir.
//!
//! A backup of two files is made through keld; then a bare `keld` is driven key by
//! key through command, preset, snapshot, file tree, target and confirmation, and the
//! one chosen file must be on disk with its content — and the other one must not.

mod pty;
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use pty::{LEAVE_ALTERNATE, Terminal, contains};

const PASSWORD: &str = "correct horse battery staple";

/// A temp dir with a repository, a source tree and a config of two presets:
/// `documents` (the repository) and `elsewhere` (a repository that does not exist).
struct Place {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Place {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical temp dir");
        for sub in ["home", "xdg", "source"] {
            fs::create_dir(root.join(sub)).expect("create dir");
        }
        fs::write(root.join("source/keep.txt"), "the file to bring back\n").expect("write");
        fs::write(root.join("source/skip.txt"), "the file to leave\n").expect("write");
        let text = format!(
            "[global.environ]\nRESTIC_CACHE_DIR = {cache}\n\n\
             [documents]\nrepo = {repo}\n\n\
             [documents.environ]\nRESTIC_PASSWORD = {password}\n\n\
             [documents.backup]\n_arguments = [{source}]\n\n\
             [elsewhere]\nrepo = {nowhere}\n",
            cache = toml_path(&root.join("cache")),
            repo = toml_path(&root.join("repo")),
            password = toml_str(PASSWORD),
            source = toml_path(&root.join("source")),
            nowhere = toml_path(&root.join("no-repository")),
        );
        support::write_private(&root.join("config.toml"), text);
        Self { _dir: dir, root }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// `keld --config config.toml ARGS` in a cleared environment (no
    /// `KELD_NONINTERACTIVE`: on a terminal it may ask).
    fn keld(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_keld"));
        command
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("xdg"))
            .env("TERM", "xterm-256color")
            .arg("--config")
            .arg(self.path("config.toml"))
            .args(args)
            .current_dir(&self.root);
        command
    }

    /// restic itself on the repository.
    fn restic(&self, args: &[&str]) -> String {
        let output = Command::new("restic")
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.path("home"))
            .env("RESTIC_CACHE_DIR", self.path("cache"))
            .env("RESTIC_REPOSITORY", self.path("repo"))
            .env("RESTIC_PASSWORD", PASSWORD)
            .args(args)
            .output()
            .expect("run restic");
        assert!(
            output.status.success(),
            "restic {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8")
    }

    /// An initialised repository with one snapshot of `source/` made by keld; its
    /// short ID.
    fn with_snapshot(&self) -> String {
        self.restic(&["init"]);
        let backup = self
            .keld(&["-p", "documents", "backup"])
            .env("KELD_NONINTERACTIVE", "1")
            .output()
            .expect("run keld backup");
        assert_eq!(
            backup.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&backup.stderr)
        );
        let list: serde_json::Value =
            serde_json::from_str(&self.restic(&["snapshots", "--json"])).expect("JSON");
        let snapshots = list.as_array().expect("a list");
        assert_eq!(snapshots.len(), 1, "{list}");
        snapshots[0]["short_id"]
            .as_str()
            .expect("short_id")
            .to_owned()
    }
}

fn toml_str(value: &str) -> String {
    serde_json::to_string(value).expect("a JSON string is a TOML basic string")
}

fn toml_path(path: &Path) -> String {
    toml_str(path.to_str().expect("UTF-8 temp path"))
}

/// Press `key` until the cursor row holds `text` (at most `limit` presses).
fn move_to(terminal: &mut Terminal, text: &str, key: &str, limit: usize) {
    for _ in 0..limit {
        let screen = terminal.wait_until("a cursor row", |screen| {
            screen.lines().any(|line| line.starts_with('›'))
        });
        if terminal.cursor_row().is_some_and(|row| row.contains(text)) {
            return;
        }
        let before = screen;
        terminal.send(key);
        terminal.wait_until("the cursor to move", |screen| screen != before);
    }
    panic!("the cursor never reached {text:?}:\n{}", terminal.screen());
}

#[test]
fn restore_one_file_picked_on_the_screens() {
    let place = Place::new();
    let snapshot = place.with_snapshot();
    let target = place.path("restored");

    let mut terminal = Terminal::spawn(&place.keld(&[]), 30, 100);
    let first = terminal.time_to("Command");
    println!("first screen after {first:?}");
    assert!(
        first < Duration::from_secs(5),
        "the first screen took {first:?}"
    );

    // Command: backup is first, restore second.
    move_to(&mut terminal, "restore", "j", 3);
    terminal.send("\r");

    // Preset: two presets, so it asks; sorted by name.
    let screen = terminal.wait_for("Preset");
    assert!(screen.contains("elsewhere"), "{screen}");
    move_to(&mut terminal, "documents", "j", 3);
    terminal.send("\r");

    // Snapshot: from `restic snapshots --json` in the background.
    terminal.wait_for(&snapshot);
    move_to(&mut terminal, &snapshot, "j", 3);
    terminal.send("\r");

    // Files: the chain of lone directories is open; select keep.txt alone.
    let screen = terminal.wait_for("skip.txt");
    assert!(screen.contains("Files to restore"), "{screen}");
    move_to(&mut terminal, "keep.txt", "j", 20);
    terminal.send(" ");
    terminal.wait_for("1 path selected");
    terminal.send("\r");

    // Target.
    terminal.wait_for("Directory to restore into");
    terminal.send(target.to_str().expect("UTF-8"));
    terminal.send("\r");

    // restic 0.17 and later also ask how to treat existing files; 0.14 does not.
    let screen = terminal.wait_until("the confirmation", |screen| {
        screen.contains("keld will run:") || screen.contains("When a file to restore")
    });
    if screen.contains("When a file to restore") {
        terminal.send("\r");
    }
    let screen = terminal.wait_for("keld will run:");
    let flat = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("restic restore --repo"), "{screen}");
    assert!(flat.contains("--include"), "{screen}");
    assert!(flat.contains("source/keep.txt"), "{screen}");
    assert!(!flat.contains("skip.txt"), "{screen}");
    for name in ["RESTIC_CACHE_DIR", "RESTIC_PASSWORD"] {
        assert!(screen.contains(name), "{name} listed: {screen}");
    }
    terminal.send("\r");

    let code = terminal.wait_exit();
    let transcript = terminal.transcript();
    assert_eq!(code, 0, "{transcript}");
    assert!(
        !terminal.on_alternate_screen(),
        "the terminal is given back"
    );
    assert!(contains(&terminal.transcript_bytes(), LEAVE_ALTERNATE));
    assert!(!transcript.contains(PASSWORD), "the password never shows");

    let restored = target.join(place.path("source").strip_prefix("/").expect("absolute"));
    assert_eq!(
        fs::read_to_string(restored.join("keep.txt")).expect("keep.txt restored"),
        "the file to bring back\n"
    );
    assert!(
        !restored.join("skip.txt").exists(),
        "only the chosen file is restored"
    );
}

#[test]
fn a_repository_that_fails_offers_a_typed_id_and_esc_leaves_with_130() {
    let place = Place::new();
    let mut terminal = Terminal::spawn(&place.keld(&["-p", "elsewhere", "restore"]), 30, 100);
    // `restore` alone with a preset: the first screen is the snapshot list.
    let screen = terminal.wait_for("restic could not list the snapshots");
    assert!(screen.contains("Type a snapshot ID"), "{screen}");
    assert_eq!(
        screen.lines().nth(1).map(str::trim_end),
        Some("Snapshot"),
        "{screen}"
    );
    terminal.send("\x1b");
    let code = terminal.wait_exit();
    assert_eq!(code, 130, "{}", terminal.transcript());
    assert!(!terminal.on_alternate_screen());
    assert!(
        !place.path("no-repository").exists(),
        "nothing ran against it"
    );
}
