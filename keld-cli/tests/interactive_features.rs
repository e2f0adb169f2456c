//! Runs `features/navigation.feature` and `features/restore_flow.feature`: the real
//! `keld` binary on a pseudo-terminal, read through a terminal emulator.
//!
//! Navigation scenarios use a stand-in restic that logs its arguments; restore
//! scenarios use the real restic (`/usr/bin/restic`) and a repository made in the
//! scenario's temp dir. In step text, `<root>` stands for that temp dir.

mod pty;
mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use cucumber::gherkin::Step;
use cucumber::{World, given, then, when};
use pty::{ENTER_ALTERNATE, LEAVE_ALTERNATE, Terminal, contains};

/// The stand-in restic: logs `restic COMMAND` and `restic-argv ARGS` to
/// `$KELD_TEST_LOG`, answers `version` like restic 0.14, exits `$FAKE_RESTIC_EXIT`.
/// With `FAKE_RESTIC_SLOW` set, `snapshots` takes 30 seconds and logs a SIGTERM; its
/// trap is set before anything is logged, and `restic snapshots waiting` says it is set.
const FAKE_RESTIC: &str = r#"#!/bin/sh
slow=
if [ "$1" = snapshots ] && [ -n "$FAKE_RESTIC_SLOW" ]; then
    slow=1
    trap 'kill $! 2>/dev/null; echo "restic snapshots got TERM" >> "$KELD_TEST_LOG"; exit 143' TERM
fi
printf 'restic %s\n' "$1" >> "$KELD_TEST_LOG"
printf 'restic-argv %s\n' "$*" >> "$KELD_TEST_LOG"
if [ "$1" = version ]; then
    echo 'restic 0.14.0 compiled with go1.19.8 on linux/amd64'
fi
if [ -n "$slow" ]; then
    sleep 30 > /dev/null 2>&1 &
    echo "restic snapshots waiting" >> "$KELD_TEST_LOG"
    wait
fi
exit "${FAKE_RESTIC_EXIT:-0}"
"#;

const ROWS: u16 = 30;
const COLS: u16 = 100;

#[derive(Debug, World)]
#[world(init = Self::new)]
struct Session {
    _dir: tempfile::TempDir,
    root: PathBuf,
    /// Config sections in file order: header and `key = value` lines.
    sections: Vec<(String, Vec<String>)>,
    /// Extra variables for keld.
    env: Vec<(String, String)>,
    /// The real restic instead of the stand-in.
    real_restic: bool,
    /// The short ID of the snapshot the scenario made.
    snapshot: Option<String>,
    /// Secret values that must never reach the screen.
    secrets: Vec<String>,
    terminal: Option<Terminal>,
    /// Exit code and output of a run without a terminal.
    finished: Option<(i32, String)>,
}

impl Session {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical temp dir");
        for sub in ["home", "xdg", "source", "bin"] {
            fs::create_dir(root.join(sub)).expect("create dir");
        }
        let restic = root.join("bin/restic");
        fs::write(&restic, FAKE_RESTIC).expect("write the stand-in");
        fs::set_permissions(&restic, fs::Permissions::from_mode(0o755)).expect("chmod");
        Self {
            _dir: dir,
            root,
            sections: Vec::new(),
            env: Vec::new(),
            real_restic: false,
            snapshot: None,
            secrets: Vec::new(),
            terminal: None,
            finished: None,
        }
    }

    /// Step text with `<root>` replaced by the temp dir.
    fn expand(&self, text: &str) -> String {
        text.replace("<root>", &self.root.display().to_string())
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// The lines of section `header`, created at the end of the file if new.
    fn section(&mut self, header: &str) -> &mut Vec<String> {
        let index = match self.sections.iter().position(|(name, _)| name == header) {
            Some(index) => index,
            None => {
                self.sections.push((header.to_owned(), Vec::new()));
                self.sections.len() - 1
            }
        };
        &mut self.sections[index].1
    }

    fn set(&mut self, header: &str, key: &str, value: &str) {
        let lines = self.section(header);
        lines.retain(|line| !line.starts_with(&format!("{key} = ")));
        lines.push(format!("{key} = {value}"));
    }

    fn unset(&mut self, header: &str, key: &str) {
        self.section(header)
            .retain(|line| !line.starts_with(&format!("{key} = ")));
    }

    /// A preset with a repository under `dir` and a password from the config.
    fn add_preset(&mut self, name: &str, repo: &str) {
        let password = format!("secret-{name}-password");
        self.set(name, "repo", &toml_str(&self.expand(repo)));
        self.set(
            &format!("{name}.environ"),
            "RESTIC_PASSWORD",
            &toml_str(&password),
        );
        self.secrets.push(password);
    }

    fn write_config(&self) {
        let mut text = String::new();
        for (header, lines) in &self.sections {
            text.push_str(&format!("[{header}]\n"));
            for line in lines {
                text.push_str(line);
                text.push('\n');
            }
            text.push('\n');
        }
        support::write_private(&self.path("config.toml"), text);
    }

    /// `keld --config config.toml ARGS` in a cleared environment.
    fn keld(&self, args: &[String]) -> Command {
        self.write_config();
        let mut command = Command::new(env!("CARGO_BIN_EXE_keld"));
        command
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("xdg"))
            .env("TERM", "xterm-256color")
            .env("KELD_TEST_LOG", self.path("events.log"));
        if !self.real_restic {
            command.env("KELD_EXECUTABLE", self.path("bin/restic"));
        }
        command
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .arg("--config")
            .arg(self.path("config.toml"))
            .args(args)
            .current_dir(&self.root);
        command
    }

    fn terminal(&mut self) -> &mut Terminal {
        self.terminal
            .as_mut()
            .expect("keld was started on a terminal")
    }

    fn log_lines(&self) -> Vec<String> {
        fs::read_to_string(self.path("events.log"))
            .map(|text| text.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// What the user saw (terminal) or keld printed (no terminal).
    fn output(&mut self) -> String {
        match &self.finished {
            Some((_, output)) => output.clone(),
            None => self.terminal().transcript(),
        }
    }

    /// restic itself on the `home` repository.
    fn restic(&self, args: &[&str]) -> String {
        let output = Command::new("restic")
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.path("home"))
            .env("RESTIC_CACHE_DIR", self.path("cache"))
            .env("RESTIC_REPOSITORY", self.path("repo"))
            .env("RESTIC_PASSWORD", "secret-home-password")
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

    /// Press `key` until the cursor row (marked `›`) holds `text`.
    fn move_to(&mut self, text: &str) {
        let terminal = self.terminal();
        terminal.wait_for(text);
        for _ in 0..40 {
            if terminal.cursor_row().is_some_and(|row| row.contains(text)) {
                return;
            }
            let before = terminal.screen();
            terminal.send("j");
            terminal.wait_until("the cursor to move", |screen| screen != before);
        }
        panic!("the cursor never reached {text:?}:\n{}", terminal.screen());
    }
}

fn toml_str(value: &str) -> String {
    serde_json::to_string(value).expect("a JSON string is a TOML basic string")
}

/// Text with every blank removed: a long command line wraps on the screen.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect()
}

// ---------------------------------------------------------------- configuration

#[given(regex = r#"^presets "(\w+)" and "(\w+)", each with a repository and a password$"#)]
fn two_presets(world: &mut Session, first: String, second: String) {
    for name in [first, second] {
        world.add_preset(&name, &format!("<root>/repos/{name}"));
    }
}

#[given(regex = r#"^only the preset "(\w+)"$"#)]
fn only_preset(world: &mut Session, name: String) {
    world.sections.clear();
    world.add_preset(&name, &format!("<root>/repos/{name}"));
}

#[given(regex = r#"^the preset "(\w+)" backs up the source directory with hooks$"#)]
fn backs_up_with_hooks(world: &mut Session, name: String) {
    let header = format!("{name}.backup");
    let source = toml_str(&world.path("source").display().to_string());
    world.set(&header, "_arguments", &format!("[{source}]"));
    world.set(
        &header,
        "_pre_hooks",
        &format!("[{}]", toml_str(r#"echo pre-hook >> "$KELD_TEST_LOG""#)),
    );
    world.set(
        &header,
        "_post_hooks",
        &format!(
            "[{}]",
            toml_str(
                r#"echo "post-hook code=$KELD_RESTIC_EXIT_CODE status=$KELD_RESTIC_STATUS" >> "$KELD_TEST_LOG""#
            )
        ),
    );
}

#[given(regex = r"^restic exits with code (\d+)$")]
fn restic_exits_with(world: &mut Session, code: String) {
    world.env.push(("FAKE_RESTIC_EXIT".into(), code));
}

#[given("restic takes a long time to list the snapshots")]
fn slow_snapshots(world: &mut Session) {
    world.env.push(("FAKE_RESTIC_SLOW".into(), "1".into()));
}

#[given("KELD_NONINTERACTIVE is set")]
fn noninteractive(world: &mut Session) {
    world.env.push(("KELD_NONINTERACTIVE".into(), "1".into()));
}

#[given(regex = r#"^a repository with one snapshot of "(.+)" and "(.+)" made by keld$"#)]
fn repository_with_snapshot(world: &mut Session, first: String, second: String) {
    world.real_restic = true;
    for name in [&first, &second] {
        fs::write(
            world.path("source").join(name),
            format!("the content of {name}\n"),
        )
        .expect("write source file");
    }
    world.set(
        "global.environ",
        "RESTIC_CACHE_DIR",
        &toml_str(&world.path("cache").display().to_string()),
    );
    world.add_preset("home", "<root>/repo");
    let source = toml_str(&world.path("source").display().to_string());
    world.set("home.backup", "_arguments", &format!("[{source}]"));
    world.add_preset("away", "<root>/away");
    world.restic(&["init"]);
    let backup = world
        .keld(&["-p".into(), "home".into(), "backup".into()])
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
        serde_json::from_str(&world.restic(&["snapshots", "--json"])).expect("JSON");
    let id = list[0]["short_id"].as_str().expect("one snapshot");
    world.snapshot = Some(id.to_owned());
}

#[given(regex = r#"^the preset "(\w+)" has no password$"#)]
fn no_password(world: &mut Session, name: String) {
    world.unset(&format!("{name}.environ"), "RESTIC_PASSWORD");
}

#[given(regex = r#"^the preset "(\w+)" restores into "(.+)"$"#)]
fn restores_into(world: &mut Session, name: String, dir: String) {
    let target = world.path(&dir).display().to_string();
    world.set(&format!("{name}.restore"), "target", &toml_str(&target));
}

#[given(regex = r#"^the password of "(\w+)" comes from a _COMMAND that counts its runs$"#)]
fn password_from_command(world: &mut Session, name: String) {
    let file = world.path("password");
    fs::write(&file, format!("secret-{name}-password\n")).expect("write password file");
    let header = format!("{name}.environ");
    world.unset(&header, "RESTIC_PASSWORD");
    let script = format!(
        "echo run >> '{}'; echo '{}'",
        world.path("command-runs").display(),
        file.display()
    );
    world.set(&header, "RESTIC_PASSWORD_FILE_COMMAND", &toml_str(&script));
}

// ---------------------------------------------------------------- actions

#[when("keld starts on a terminal with no arguments")]
fn start_bare(world: &mut Session) {
    let command = world.keld(&[]);
    world.terminal = Some(Terminal::spawn(&command, ROWS, COLS));
}

#[when(regex = r#"^keld starts on a terminal with "(.*)"$"#)]
fn start_with(world: &mut Session, args: String) {
    let args: Vec<String> = args.split_whitespace().map(str::to_owned).collect();
    let command = world.keld(&args);
    world.terminal = Some(Terminal::spawn(&command, ROWS, COLS));
}

#[when(regex = r#"^keld runs without a terminal with "(.*)"$"#)]
fn run_without_terminal(world: &mut Session, args: String) {
    let args: Vec<String> = args.split_whitespace().map(str::to_owned).collect();
    let output = world
        .keld(&args)
        .stdin(Stdio::null())
        .output()
        .expect("run keld");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    world.finished = Some((output.status.code().unwrap_or(-1), text));
}

#[when(regex = r#"^I choose "(.+)"$"#)]
fn choose(world: &mut Session, text: String) {
    world.move_to(&text);
    world.terminal().send("\r");
}

#[when("I choose the snapshot")]
fn choose_snapshot(world: &mut Session) {
    let id = world.snapshot.clone().expect("a snapshot was made");
    choose(world, id);
}

#[when(regex = r#"^I select "(.+)" in the tree$"#)]
fn select_in_tree(world: &mut Session, name: String) {
    world.terminal().wait_for("Files to restore");
    world.move_to(&name);
    world.terminal().send(" ");
    world.terminal().wait_for("1 path selected");
}

#[when(regex = r#"^I give the target "(.+)"$"#)]
fn give_target(world: &mut Session, dir: String) {
    let target = world.path(&dir).display().to_string();
    let terminal = world.terminal();
    terminal.wait_for("Directory to restore into");
    terminal.send(&target);
    terminal.wait_for(&target);
    terminal.send("\r");
}

#[when("I confirm")]
fn confirm(world: &mut Session) {
    let terminal = world.terminal();
    // restic 0.17 and later also ask what to do with existing files.
    let screen = terminal.wait_until("the confirmation", |screen| {
        screen.contains("keld will run:") || screen.contains("When a file to restore")
    });
    if screen.contains("When a file to restore") {
        terminal.send("\r");
        terminal.wait_for("keld will run:");
    }
    terminal.send("\r");
}

#[when(regex = r"^I press (Enter|Esc|Ctrl-C)$")]
fn press_named(world: &mut Session, key: String) {
    let bytes = match key.as_str() {
        "Enter" => "\r",
        "Esc" => "\x1b",
        _ => "\x03",
    };
    world.terminal().send(bytes);
}

#[when(regex = r#"^I press "(.)"$"#)]
fn press_char(world: &mut Session, key: String) {
    world.terminal().send(&key);
}

#[when(regex = r#"^I type "(.+)"$"#)]
fn type_text(world: &mut Session, text: String) {
    let terminal = world.terminal();
    terminal.send(&text);
    terminal.wait_for(&text);
}

#[when(regex = r"^keld receives SIG(TERM|HUP|INT|QUIT)$")]
fn receives_signal(world: &mut Session, name: String) {
    use rexpect::process::Signal;
    let terminal = world.terminal();
    // The handlers are in place once the first screen is drawn.
    terminal.wait_until("the first screen", |screen| screen.contains("Ctrl-C quit"));
    terminal.signal(match name.as_str() {
        "TERM" => Signal::SIGTERM,
        "HUP" => Signal::SIGHUP,
        "INT" => Signal::SIGINT,
        _ => Signal::SIGQUIT,
    });
}

// ---------------------------------------------------------------- outcomes

#[then(regex = r#"^the screen shows "(.+)"$"#)]
fn screen_shows(world: &mut Session, text: String) {
    let text = world.expand(&text);
    world.terminal().wait_for(&text);
}

#[then(regex = r#"^the screen does not show "(.+)"$"#)]
fn screen_does_not_show(world: &mut Session, text: String) {
    let screen = world.terminal().screen();
    assert!(!screen.contains(&text), "{screen}");
}

#[then("the screen shows the snapshot")]
fn screen_shows_snapshot(world: &mut Session) {
    let id = world.snapshot.clone().expect("a snapshot was made");
    world.terminal().wait_for(&id);
}

#[then("the screen does not show the snapshot")]
fn screen_does_not_show_snapshot(world: &mut Session) {
    let id = world.snapshot.clone().expect("a snapshot was made");
    screen_does_not_show(world, id);
}

#[then(regex = r#"^the screen title is "(.+)"$"#)]
fn screen_title(world: &mut Session, title: String) {
    world
        .terminal()
        .wait_until(&format!("the title {title}"), |screen| {
            screen.lines().nth(1).map(str::trim_end) == Some(title.as_str())
        });
}

#[then(regex = r#"^the help bar shows "(.+)"$"#)]
fn help_bar(world: &mut Session, text: String) {
    let rows = usize::from(ROWS);
    world.terminal().wait_until("the help bar", |screen| {
        screen
            .lines()
            .nth(rows - 1)
            .is_some_and(|line| line.contains(&text))
    });
}

#[then(regex = r#"^the cursor is on "(.+)"$"#)]
fn cursor_on(world: &mut Session, text: String) {
    let terminal = world.terminal();
    terminal.wait_until(&format!("the cursor on {text}"), |screen| {
        screen
            .lines()
            .any(|line| line.starts_with('›') && line.contains(&text))
    });
}

#[then(regex = r#"^the confirmation shows "(.+)"$"#)]
fn confirmation_shows(world: &mut Session, text: String) {
    let wanted = squeeze(&world.expand(&text));
    world
        .terminal()
        .wait_until(&format!("a confirmation with {text}"), |screen| {
            screen.contains("keld will run:") && squeeze(screen).contains(&wanted)
        });
}

#[then(regex = r#"^the confirmation does not show "(.+)"$"#)]
fn confirmation_does_not_show(world: &mut Session, text: String) {
    let screen = world.terminal().wait_for("keld will run:");
    assert!(!screen.contains(&text), "{screen}");
}

#[then(regex = r#"^the confirmation lists the variable "(\w+)" without its value$"#)]
fn lists_variable(world: &mut Session, name: String) {
    let screen = world
        .terminal()
        .wait_for("with these environment variables");
    assert!(
        screen.lines().any(|line| line.trim() == name),
        "{name} on a line of its own: {screen}"
    );
    let transcript = world.terminal().transcript();
    for secret in &world.secrets {
        assert!(!transcript.contains(secret.as_str()), "{secret} shown");
    }
}

#[then(regex = r"^keld exits with code (\d+)$")]
fn exits_with(world: &mut Session, code: i32) {
    let actual = match &world.finished {
        Some((actual, _)) => *actual,
        None => world.terminal().wait_exit(),
    };
    let output = world.output();
    assert_eq!(actual, code, "{output}");
    for secret in &world.secrets {
        assert!(!output.contains(secret.as_str()), "{secret} shown");
    }
}

#[then("the terminal is back to normal")]
fn terminal_restored(world: &mut Session) {
    let terminal = world.terminal();
    assert!(!terminal.on_alternate_screen(), "{}", terminal.screen());
    let bytes = terminal.transcript_bytes();
    assert!(contains(&bytes, ENTER_ALTERNATE), "the session ran");
    assert!(
        contains(&bytes, LEAVE_ALTERNATE),
        "and left the alternate screen"
    );
    let left = pty::rfind(&bytes, LEAVE_ALTERNATE).unwrap_or_default();
    let entered = pty::rfind(&bytes, ENTER_ALTERNATE).unwrap_or_default();
    assert!(left > entered, "left after the last entry");
    assert!(
        contains(&bytes[left..], b"\x1b[?25h"),
        "the cursor is shown again"
    );
}

#[then("the output never entered the alternate screen")]
fn never_alternate(world: &mut Session) {
    let bytes = world.terminal().transcript_bytes();
    assert!(
        !contains(&bytes, ENTER_ALTERNATE),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
}

#[then(regex = r#"^the output says "(.+)"$"#)]
fn output_says(world: &mut Session, text: String) {
    let output = world.output();
    assert!(output.contains(&text), "{output}");
}

#[then("restic never ran")]
fn restic_never_ran(world: &mut Session) {
    let runs: Vec<String> = world
        .log_lines()
        .into_iter()
        .filter(|line| line.starts_with("restic"))
        .collect();
    assert!(runs.is_empty(), "{runs:?}");
}

#[then(regex = r#"^restic ran "(.+)"$"#)]
fn restic_ran(world: &mut Session, argv: String) {
    let runs: Vec<String> = world
        .log_lines()
        .into_iter()
        .filter_map(|line| line.strip_prefix("restic-argv ").map(str::to_owned))
        .collect();
    assert_eq!(runs, [world.expand(&argv)]);
}

/// The screen says it is reading before the worker has started restic; wait for the
/// stand-in to be running with its trap set.
#[then("restic is listing the snapshots")]
fn restic_is_listing(world: &mut Session) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !world
        .log_lines()
        .iter()
        .any(|line| line == "restic snapshots waiting")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "restic snapshots never started: {:?}",
            world.log_lines()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[then(regex = r#"^the log shows "(.+)"$"#)]
fn log_shows(world: &mut Session, line: String) {
    let lines = world.log_lines();
    assert!(lines.contains(&line), "{lines:?}");
}

#[then("the log is exactly:")]
fn log_is_exactly(world: &mut Session, step: &Step) {
    let expected: Vec<String> = step
        .table
        .as_ref()
        .expect("a table")
        .rows
        .iter()
        .map(|row| row[0].clone())
        .collect();
    let lines: Vec<String> = world
        .log_lines()
        .into_iter()
        .filter(|line| !line.starts_with("restic-argv "))
        .collect();
    assert_eq!(lines, expected);
}

#[then(regex = r#"^"(.+)" holds "(.+)" as it was backed up$"#)]
fn holds(world: &mut Session, dir: String, name: String) {
    let restored = restored_source(world, &dir).join(&name);
    let content =
        fs::read_to_string(&restored).unwrap_or_else(|err| panic!("{}: {err}", restored.display()));
    assert_eq!(content, format!("the content of {name}\n"));
}

#[then(regex = r#"^"(.+)" does not hold "(.+)"$"#)]
fn does_not_hold(world: &mut Session, dir: String, name: String) {
    let restored = restored_source(world, &dir);
    assert!(restored.is_dir(), "something was restored");
    assert!(!restored.join(&name).exists(), "{name} was restored");
}

/// Where restic puts the source directory inside a target: its full path below it.
fn restored_source(world: &Session, dir: &str) -> PathBuf {
    let source = world.path("source");
    world
        .path(dir)
        .join(source.strip_prefix("/").expect("absolute path"))
}

#[then(regex = r"^the _COMMAND ran (\d+) times?$")]
fn command_ran(world: &mut Session, times: usize) {
    let runs = fs::read_to_string(world.path("command-runs")).unwrap_or_default();
    assert_eq!(runs.lines().count(), times, "{runs:?}");
}

fn main() {
    let features = concat!(env!("CARGO_MANIFEST_DIR"), "/../features/");
    for feature in ["navigation.feature", "restore_flow.feature"] {
        // `run_and_exit` panics (non-zero exit) when a step fails, is skipped or is
        // missing. One scenario at a time: each drives a terminal and real processes.
        futures::executor::block_on(
            Session::cucumber()
                .max_concurrent_scenarios(1)
                .fail_on_skipped()
                .run_and_exit(format!("{features}{feature}")),
        );
    }
}
