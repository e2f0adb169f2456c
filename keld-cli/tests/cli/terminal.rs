//! keld on a pseudo-terminal, outside the interactive mode's screens (those are
//! `features/navigation.feature` and `features/restore_flow.feature`).

use std::fs;
use std::time::Duration;

use crate::TWO_PRESETS;
use crate::support::Sandbox;
use crate::support::process::wait_timeout;
use crate::support::pty::{SessionLeader, Terminal};

/// The interactive mode of the real `keld`, leading the session of a terminal of its
/// own (as under a terminal emulator or `ssh host keld`), on its dashboard.
fn interactive_session(sandbox: &Sandbox) -> SessionLeader {
    sandbox.write_user_config(TWO_PRESETS);
    let mut keld = SessionLeader::spawn(sandbox.keld(&[]).env("TERM", "xterm-256color"));
    keld.wait_for_output("Backups", Duration::from_secs(10));
    keld
}

/// The terminal goes away under the interactive mode (the window closed, ssh
/// dropped): keld ends at once with 129, as for the hang-up, runs nothing, and does
/// not stay behind reading a dead terminal.
#[test]
fn a_terminal_that_goes_away_ends_the_interactive_mode_with_129() {
    let sandbox = Sandbox::new();
    let mut keld = interactive_session(&sandbox);
    keld.hang_up();
    let status = wait_timeout(&mut keld.child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(129), "{status:?}");
    assert!(sandbox.restic_runs().is_empty());
}

/// SIGTERM always ends the interactive mode: 143, nothing run.
#[test]
fn sigterm_ends_the_interactive_mode_with_143() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;

    let sandbox = Sandbox::new();
    let mut keld = interactive_session(&sandbox);
    let pid = Pid::from_raw(i32::try_from(keld.child.id()).expect("a pid"));
    kill(pid, Signal::SIGTERM).expect("SIGTERM");
    let status = wait_timeout(&mut keld.child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(143), "{status:?}");
    assert!(sandbox.restic_runs().is_empty());
}

#[test]
fn on_a_terminal_errors_are_coloured_unless_no_color() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(TWO_PRESETS);
    // KELD_NONINTERACTIVE: on a terminal a bare `keld` would start the interactive mode.
    let mut keld = sandbox.keld(&[]);
    keld.env("TERM", "xterm").env("KELD_NONINTERACTIVE", "1");
    let (coloured, code) = Terminal::run(&keld);
    assert_eq!(code, 1, "{coloured}");
    assert!(coloured.contains("no command given"), "{coloured}");
    assert!(
        coloured.contains('\u{1b}'),
        "colour on a terminal: {coloured:?}"
    );

    let (plain, code) = Terminal::run(keld.env("NO_COLOR", "1"));
    assert_eq!(code, 1, "{plain}");
    assert!(plain.contains("no command given"), "{plain}");
    assert!(!plain.contains('\u{1b}'), "NO_COLOR: {plain:?}");
}

#[test]
fn on_a_terminal_with_keld_noninteractive_a_missing_preset_is_the_same_error() {
    // Without KELD_NONINTERACTIVE the interactive mode asks for the preset instead
    // (features/navigation.feature).
    let sandbox = Sandbox::new();
    sandbox.write_user_config(TWO_PRESETS);
    let (output, code) = Terminal::run(
        sandbox
            .keld(&["snapshots"])
            .env("TERM", "xterm")
            .env("KELD_NONINTERACTIVE", "1"),
    );
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("--preset"), "{output}");
    assert!(output.contains("home, work"), "{output}");
    assert!(sandbox.restic_runs().is_empty());
}

#[test]
fn the_dashboard_is_on_the_screen_within_5_seconds_with_full_records_files() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(TWO_PRESETS);
    // Both records files as large as keld lets them grow (1 MiB, then rotated): the
    // first screen does not wait for them.
    let state = sandbox.home().join(".local/state/keld");
    fs::create_dir_all(&state).expect("state directory");
    let line = |preset: &str, result: &str| {
        format!(
            r#"{{"version":1,"preset":"{preset}","command":"backup","alias":"backup","host":"h","user":"u","pid":1,"started":"2026-12-06T02:00:00.000Z","finished":"2026-12-06T02:14:03.456Z","duration_ms":843333,"result":"{result}","exit_code":0,"restic_exit_code":0,"restic_status":"success","signal":null,"error":null,"keld_version":"0.1.0"}}"#
        ) + "\n"
    };
    let full = |last: &str| {
        let mut text = String::new();
        while text.len() < 1024 * 1024 {
            text.push_str(&line("work", "failed"));
        }
        text.push_str(last);
        text
    };
    fs::write(state.join("runs.jsonl.1"), full("")).expect("rotated records");
    fs::write(state.join("runs.jsonl"), full(&line("home", "success"))).expect("records");
    let mut terminal = Terminal::spawn(sandbox.keld(&[]).env("TERM", "xterm-256color"), 30, 100);
    let first = terminal.time_to("Backups");
    println!("first screen after {first:?}");
    assert!(
        first < Duration::from_secs(5),
        "the first screen took {first:?}"
    );
    let screen = terminal.wait_until("the records read", |screen| {
        screen.contains("⚠ failed") && screen.contains("success")
    });
    assert!(screen.contains("stale: never succeeded"), "{screen}");
    terminal.send("\x1b");
    assert_eq!(terminal.wait_exit(), 130, "{}", terminal.transcript());
    assert!(
        !terminal.on_alternate_screen(),
        "the terminal is given back"
    );
}
