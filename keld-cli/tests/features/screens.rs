//! The steps of `features/navigation.feature` and `features/restore_flow.feature`: the
//! real `keld` on a pseudo-terminal, read through a terminal emulator.
//!
//! Navigation scenarios use the stand-in restic; restore scenarios the real restic
//! ([`crate::support::restic`]) and a repository made in the scenario's sandbox. In
//! step text, `<root>` stands for the sandbox.

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use cucumber::{given, then, when};

use crate::support::process::wait_for_file;
use crate::support::pty::{self, ENTER_ALTERNATE, LEAVE_ALTERNATE, contains};
use crate::support::toml_str;
use crate::world::{KeldWorld, ROWS};

/// Text with every blank removed: a long command line wraps on the screen.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect()
}

// ---------------------------------------------------------------- configuration

#[given(regex = r#"^presets "(\w+)" and "(\w+)", each with a repository and a password$"#)]
fn two_presets(world: &mut KeldWorld, first: String, second: String) {
    for name in [first, second] {
        world.add_preset(&name, &format!("<root>/repos/{name}"));
    }
}

#[given(regex = r#"^only the preset "(\w+)"$"#)]
fn only_preset(world: &mut KeldWorld, name: String) {
    world.clear_config();
    world.add_preset(&name, &format!("<root>/repos/{name}"));
}

#[given(regex = r#"^the preset "(\w+)" backs up the source directory with hooks$"#)]
fn backs_up_with_hooks(world: &mut KeldWorld, name: String) {
    let header = format!("{name}.backup");
    let source = toml_str(&world.sandbox.path("source").display().to_string());
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

#[given("restic takes a long time to list the snapshots")]
fn slow_snapshots(world: &mut KeldWorld) {
    world.sandbox.set_env("FAKE_RESTIC_WAIT", "snapshots");
}

#[given("KELD_NONINTERACTIVE is set")]
fn noninteractive(world: &mut KeldWorld) {
    world.sandbox.set_env("KELD_NONINTERACTIVE", "1");
}

#[given(regex = r#"^a repository with one snapshot of "(.+)" and "(.+)" made by keld$"#)]
fn repository_with_snapshot(world: &mut KeldWorld, first: String, second: String) {
    world.real_restic = true;
    for name in [&first, &second] {
        fs::write(
            world.sandbox.path("source").join(name),
            format!("the content of {name}\n"),
        )
        .expect("write source file");
    }
    world.set(
        "global.environ",
        "RESTIC_CACHE_DIR",
        &toml_str(&world.sandbox.path("cache").display().to_string()),
    );
    world.add_preset("home", "<root>/repo");
    let source = toml_str(&world.sandbox.path("source").display().to_string());
    world.set("home.backup", "_arguments", &format!("[{source}]"));
    world.add_preset("away", "<root>/away");
    world.restic(&["init"]);
    let backup = world
        .keld(&["-p", "home", "backup"])
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
fn no_password(world: &mut KeldWorld, name: String) {
    world.unset(&format!("{name}.environ"), "RESTIC_PASSWORD");
}

#[given(regex = r#"^the preset "(\w+)" restores into "(.+)"$"#)]
fn restores_into(world: &mut KeldWorld, name: String, dir: String) {
    let target = world.sandbox.path(&dir).display().to_string();
    world.set(&format!("{name}.restore"), "target", &toml_str(&target));
}

#[given(regex = r#"^the password of "(\w+)" comes from a _COMMAND that counts its runs$"#)]
fn password_from_command(world: &mut KeldWorld, name: String) {
    let file = world.sandbox.path("password");
    fs::write(&file, format!("secret-{name}-password\n")).expect("write password file");
    let header = format!("{name}.environ");
    world.unset(&header, "RESTIC_PASSWORD");
    let script = format!(
        "echo run >> '{}'; echo '{}'",
        world.sandbox.path("command-runs").display(),
        file.display()
    );
    world.set(&header, "RESTIC_PASSWORD_FILE_COMMAND", &toml_str(&script));
}

/// The records file keld writes in the sandbox (no `XDG_STATE_HOME` there).
fn records_file(world: &KeldWorld) -> PathBuf {
    world.sandbox.home().join(".local/state/keld/runs.jsonl")
}

/// Append `lines` to the records file, made as keld makes it.
fn append_records(world: &KeldWorld, lines: &str) {
    use std::io::Write as _;
    use std::os::unix::fs::DirBuilderExt as _;

    let file = records_file(world);
    let dir = file.parent().expect("a directory");
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .expect("make the state directory");
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
        .and_then(|mut out| out.write_all(lines.as_bytes()))
        .expect("append to the records");
}

#[given(
    regex = r#"^the records say "(\S+)" backed up with result "(\w+)" (\d+) (hours?|days?) ago$"#
)]
fn records_say(world: &mut KeldWorld, preset: String, result: String, count: i64, unit: String) {
    let hours = if unit.starts_with("day") {
        count * 24
    } else {
        count
    };
    let finished = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(hours);
    let record = serde_json::json!({
        "version": 1, "preset": preset, "command": "backup", "alias": "backup",
        "host": "h", "user": "u", "pid": 1,
        "started": keld_hooks::format_time(finished - jiff::SignedDuration::from_secs(30)),
        "finished": keld_hooks::format_time(finished),
        "duration_ms": 30_000, "result": result,
        "exit_code": u8::from(result == "failed"),
        "restic_exit_code": u8::from(result == "failed"),
        "restic_status": if result == "failed" { "fatal" } else { "success" },
        "signal": null, "error": null, "keld_version": "0.1.0",
    });
    append_records(world, &format!("{record}\n"));
}

#[given("the records file cannot be read")]
fn records_unreadable(world: &mut KeldWorld) {
    // A directory where the file should be: reading it fails, whoever runs the test.
    fs::create_dir_all(records_file(world)).expect("make a directory");
}

#[given(regex = r"^the records file holds (\d+) lines that are not records$")]
fn records_with_junk(world: &mut KeldWorld, count: usize) {
    append_records(world, &"{\"version\":1,\"pres\n".repeat(count));
}

// ---------------------------------------------------------------- actions

#[when("keld starts on a terminal with no arguments")]
fn start_bare(world: &mut KeldWorld) {
    world.start(&[]);
}

#[when(regex = r#"^keld starts on a terminal with "(.*)"$"#)]
fn start_with(world: &mut KeldWorld, args: String) {
    let args: Vec<&str> = args.split_whitespace().collect();
    world.start(&args);
}

#[when(regex = r#"^keld runs without a terminal with "(.*)"$"#)]
fn run_without_terminal(world: &mut KeldWorld, args: String) {
    let args: Vec<&str> = args.split_whitespace().collect();
    world.run(&args);
}

#[when(regex = r#"^I choose "(.+)"$"#)]
fn choose(world: &mut KeldWorld, text: String) {
    world.move_to(&text);
    world.terminal().send("\r");
}

#[when(regex = r#"^I move to "(.+)"$"#)]
fn move_to(world: &mut KeldWorld, text: String) {
    world.move_to(&text);
}

#[when("I choose the snapshot")]
fn choose_snapshot(world: &mut KeldWorld) {
    let id = world.snapshot.clone().expect("a snapshot was made");
    choose(world, id);
}

#[when(regex = r#"^I select "(.+)" in the tree$"#)]
fn select_in_tree(world: &mut KeldWorld, name: String) {
    world.terminal().wait_for("Files to restore");
    world.move_to(&name);
    world.terminal().send(" ");
    world.terminal().wait_for("1 path selected");
}

#[when(regex = r#"^I give the target "(.+)"$"#)]
fn give_target(world: &mut KeldWorld, dir: String) {
    let target = world.sandbox.path(&dir).display().to_string();
    let terminal = world.terminal();
    terminal.wait_for("Directory to restore into");
    terminal.send(&target);
    terminal.wait_for(&target);
    terminal.send("\r");
}

#[when("I confirm")]
fn confirm(world: &mut KeldWorld) {
    to_confirmation(world);
    world.terminal().send("\r");
}

/// Waits for the confirmation screen. restic 0.17 and later first ask what to do with
/// existing files: that question gets its first answer.
fn to_confirmation(world: &mut KeldWorld) -> String {
    let terminal = world.terminal();
    let screen = terminal.wait_until("the confirmation", |screen| {
        screen.contains("keld will run:") || screen.contains("When a file to restore")
    });
    if screen.contains("When a file to restore") {
        terminal.send("\r");
        terminal.wait_for("keld will run:")
    } else {
        screen
    }
}

#[when(regex = r"^I press (Enter|Esc|Ctrl-C)$")]
fn press_named(world: &mut KeldWorld, key: String) {
    let bytes = match key.as_str() {
        "Enter" => "\r",
        "Esc" => "\x1b",
        _ => "\x03",
    };
    world.terminal().send(bytes);
}

#[when(regex = r#"^I press "(.)"$"#)]
fn press_char(world: &mut KeldWorld, key: String) {
    world.terminal().send(&key);
}

#[when(regex = r#"^I type "(.+)"$"#)]
fn type_text(world: &mut KeldWorld, text: String) {
    let terminal = world.terminal();
    terminal.send(&text);
    terminal.wait_for(&text);
}

#[when(regex = r"^keld receives SIG(TERM|HUP|INT|QUIT)$")]
fn receives_signal(world: &mut KeldWorld, name: String) {
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
fn screen_shows(world: &mut KeldWorld, text: String) {
    let text = world.expand(&text);
    world.terminal().wait_for(&text);
}

#[then(regex = r#"^the screen does not show "(.+)"$"#)]
fn screen_does_not_show(world: &mut KeldWorld, text: String) {
    let screen = world.terminal().screen();
    assert!(!screen.contains(&text), "{screen}");
}

/// The dashboard's row of `preset` (a line whose first word after the cursor mark is
/// the preset), once the run records are read.
fn preset_row(screen: &str, preset: &str) -> Option<String> {
    if screen.contains("Reading the run records") {
        return None;
    }
    screen
        .lines()
        .find(|line| {
            line.trim_start_matches(['›', ' '])
                .split_whitespace()
                .next()
                == Some(preset)
        })
        .map(str::to_owned)
}

#[then(regex = r#"^the row of "(\S+)" shows "(.+)"$"#)]
fn row_shows(world: &mut KeldWorld, preset: String, text: String) {
    world
        .terminal()
        .wait_until(&format!("the row of {preset} with {text}"), |screen| {
            preset_row(screen, &preset).is_some_and(|row| row.contains(&text))
        });
}

#[then(regex = r#"^the row of "(\S+)" does not show "(.+)"$"#)]
fn row_does_not_show(world: &mut KeldWorld, preset: String, text: String) {
    let screen = world
        .terminal()
        .wait_until(&format!("the row of {preset}"), |screen| {
            preset_row(screen, &preset).is_some()
        });
    let row = preset_row(&screen, &preset).unwrap_or_default();
    assert!(!row.contains(&text), "{row}");
}

#[then("the screen shows the snapshot")]
fn screen_shows_snapshot(world: &mut KeldWorld) {
    let id = world.snapshot.clone().expect("a snapshot was made");
    world.terminal().wait_for(&id);
}

#[then("the screen does not show the snapshot")]
fn screen_does_not_show_snapshot(world: &mut KeldWorld) {
    let id = world.snapshot.clone().expect("a snapshot was made");
    screen_does_not_show(world, id);
}

#[then(regex = r#"^the screen title is "(.+)"$"#)]
fn screen_title(world: &mut KeldWorld, title: String) {
    world
        .terminal()
        .wait_until(&format!("the title {title}"), |screen| {
            screen.lines().nth(1).map(str::trim_end) == Some(title.as_str())
        });
}

#[then(regex = r#"^the help bar shows "(.+)"$"#)]
fn help_bar(world: &mut KeldWorld, text: String) {
    let rows = usize::from(ROWS);
    world.terminal().wait_until("the help bar", |screen| {
        screen
            .lines()
            .nth(rows - 1)
            .is_some_and(|line| line.contains(&text))
    });
}

#[then(regex = r#"^the cursor is on "(.+)"$"#)]
fn cursor_on(world: &mut KeldWorld, text: String) {
    let terminal = world.terminal();
    terminal.wait_until(&format!("the cursor on {text}"), |screen| {
        screen
            .lines()
            .any(|line| line.starts_with('›') && line.contains(&text))
    });
}

#[then(regex = r#"^the confirmation shows "(.+)"$"#)]
fn confirmation_shows(world: &mut KeldWorld, text: String) {
    to_confirmation(world);
    let wanted = squeeze(&world.expand(&text));
    world
        .terminal()
        .wait_until(&format!("a confirmation with {text}"), |screen| {
            screen.contains("keld will run:") && squeeze(screen).contains(&wanted)
        });
}

#[then(regex = r#"^the confirmation does not show "(.+)"$"#)]
fn confirmation_does_not_show(world: &mut KeldWorld, text: String) {
    let screen = to_confirmation(world);
    assert!(!screen.contains(&text), "{screen}");
}

/// The command on the confirmation screen (restic 0.17 and later put `--overwrite` after
/// the flags the scenario names, so this checks the end of the command line).
#[then(regex = r#"^the command to run ends with "(.+)"$"#)]
fn command_ends_with(world: &mut KeldWorld, text: String) {
    to_confirmation(world);
    let wanted = squeeze(&world.expand(&text));
    world
        .terminal()
        .wait_until(&format!("a command ending with {text}"), |screen| {
            screen
                .split_once("keld will run:")
                .and_then(|(_, rest)| rest.split_once("with these environment variables"))
                .is_some_and(|(command, _)| squeeze(command).ends_with(&wanted))
        });
}

#[then(regex = r#"^the confirmation lists the variable "(\w+)" without its value$"#)]
fn lists_variable(world: &mut KeldWorld, name: String) {
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

#[then("the terminal is back to normal")]
fn terminal_restored(world: &mut KeldWorld) {
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
fn never_alternate(world: &mut KeldWorld) {
    let bytes = world.terminal().transcript_bytes();
    assert!(
        !contains(&bytes, ENTER_ALTERNATE),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
}

#[then(regex = r#"^the output says "(.+)"$"#)]
fn output_says(world: &mut KeldWorld, text: String) {
    let output = world.output_text();
    assert!(output.contains(&text), "{output}");
}

#[then("restic never ran")]
fn restic_never_ran(world: &mut KeldWorld) {
    let runs: Vec<String> = world
        .sandbox
        .log_lines()
        .into_iter()
        .filter(|line| line.starts_with("restic"))
        .collect();
    assert!(runs.is_empty(), "{runs:?}");
}

#[then(regex = r#"^restic ran "(.+)"$"#)]
fn restic_ran(world: &mut KeldWorld, argv: String) {
    let runs: Vec<String> = world
        .sandbox
        .log_lines()
        .into_iter()
        .filter_map(|line| line.strip_prefix("restic-argv ").map(str::to_owned))
        .collect();
    assert_eq!(runs, [world.expand(&argv)]);
}

/// The screen says it is reading before the worker has started restic; wait for the
/// stand-in to be running with its traps set.
#[then("restic is listing the snapshots")]
fn restic_is_listing(world: &mut KeldWorld) {
    assert!(
        wait_for_file(&world.sandbox.path("restic.ready"), Duration::from_secs(60)),
        "restic snapshots never started: {:?}",
        world.sandbox.log_lines()
    );
}

#[then(regex = r#"^the log shows "(.+)"$"#)]
fn log_shows(world: &mut KeldWorld, line: String) {
    let lines = world.sandbox.log_lines();
    assert!(lines.contains(&line), "{lines:?}");
}

#[then("no drill directory is left behind")]
fn no_drill_directory(world: &mut KeldWorld) {
    let left: Vec<String> = fs::read_dir(world.sandbox.path("tmp"))
        .expect("keld's TMPDIR")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.starts_with("keld-drill-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[then(regex = r#"^the records hold a drill of "(\S+)" with result "(\w+)"$"#)]
fn records_hold_drill(world: &mut KeldWorld, preset: String, result: String) {
    let text = fs::read_to_string(records_file(world)).expect("the records");
    let drills: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("a record"))
        .filter(|record: &serde_json::Value| record["command"] == "drill")
        .collect();
    assert!(
        drills.iter().any(
            |record| record["preset"] == preset.as_str() && record["result"] == result.as_str()
        ),
        "{drills:?}"
    );
}

#[then(regex = r#"^"(.+)" holds "(.+)" as it was backed up$"#)]
fn holds(world: &mut KeldWorld, dir: String, name: String) {
    let restored = restored_source(world, &dir).join(&name);
    let content =
        fs::read_to_string(&restored).unwrap_or_else(|err| panic!("{}: {err}", restored.display()));
    assert_eq!(content, format!("the content of {name}\n"));
}

#[then(regex = r#"^"(.+)" does not hold "(.+)"$"#)]
fn does_not_hold(world: &mut KeldWorld, dir: String, name: String) {
    let restored = restored_source(world, &dir);
    assert!(restored.is_dir(), "something was restored");
    assert!(!restored.join(&name).exists(), "{name} was restored");
}

#[then(regex = r#"^"(.+)" does not exist$"#)]
fn does_not_exist(world: &mut KeldWorld, name: String) {
    let path = world.sandbox.path(&name);
    assert!(!path.exists(), "{} exists", path.display());
}

/// Where restic puts the source directory inside a target: its full path below it.
fn restored_source(world: &KeldWorld, dir: &str) -> PathBuf {
    let source = world.sandbox.path("source");
    world
        .sandbox
        .path(dir)
        .join(source.strip_prefix("/").expect("absolute path"))
}

#[then(regex = r"^the _COMMAND ran (\d+) times?$")]
fn command_ran(world: &mut KeldWorld, times: usize) {
    let runs = fs::read_to_string(world.sandbox.path("command-runs")).unwrap_or_default();
    assert_eq!(runs.lines().count(), times, "{runs:?}");
}
