//! Key mapping, and the real session on a real pseudo-terminal: the test binary runs
//! itself (the ignored `session_in_pty` test) under a pty and is driven with keys.

use std::process::Command;
use std::time::Instant;

use rexpect::reader::Options;
use rexpect::session::{PtySession, spawn_with_options};

use super::*;
use crate::palette::Background;
use crate::protocol::{Preview, Setup};

/// Leaving the alternate screen, as crossterm writes it.
const LEAVE_ALTERNATE: &str = "\u{1b}[?1049l";
/// Entering it.
const ENTER_ALTERNATE: &str = "\u{1b}[?1049h";

fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, modifiers)
}

#[test]
fn crossterm_keys_map_onto_screen_keys() {
    let none = KeyModifiers::NONE;
    assert_eq!(
        map_key(press(KeyCode::Char('j'), none)),
        Some(Key::Char('j'))
    );
    assert_eq!(
        map_key(press(KeyCode::Char(' '), none)),
        Some(Key::Char(' '))
    );
    assert_eq!(
        map_key(press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
        Some(Key::Char('G'))
    );
    assert_eq!(
        map_key(press(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Some(Key::Interrupt)
    );
    assert_eq!(
        map_key(press(KeyCode::Char('x'), KeyModifiers::CONTROL)),
        None
    );
    assert_eq!(map_key(press(KeyCode::Esc, none)), Some(Key::Esc));
    assert_eq!(map_key(press(KeyCode::F(1), none)), None);
    let mut release = press(KeyCode::Enter, none);
    release.kind = KeyEventKind::Release;
    assert_eq!(map_key(release), None, "only presses count");
}

/// The session as `keld` will run it, inside the pty the parent test made.
#[test]
#[ignore = "started inside a pseudo-terminal by the pty_* tests"]
fn session_in_pty() {
    let mode = std::env::var("KELD_TEST_PTY_MODE").expect(
        "session_in_pty runs inside the pseudo-terminal of a pty_* test, which sets its mode",
    );
    let panics = mode == "panic";
    let slow = mode == "slow-restore";
    let setup = Setup {
        command: slow.then(|| "restore".to_owned()),
        presets: vec!["home".into(), "work".into()],
        preset: slow.then(|| "home".to_owned()),
        snapshot: None,
        target: None,
        preview: Box::new(move |choice| {
            assert!(!panics, "preview exploded");
            Ok(Preview {
                argv: vec!["restic".into(), choice.command.clone()],
                env_names: vec!["RESTIC_PASSWORD".into()],
            })
        }),
    };
    let worker: Worker = Arc::new(move |request| match request {
        Request::Snapshots { ticket, .. } => {
            if slow {
                // A repository far away: the screen must not wait for it.
                std::thread::sleep(Duration::from_secs(30));
            }
            Msg::Snapshots {
                ticket,
                result: Ok(Vec::new()),
            }
        }
        Request::Listing { ticket, .. } => Msg::Listing {
            ticket,
            result: Err("no listing here".into()),
        },
        Request::ResticVersion { ticket } => Msg::ResticVersion {
            ticket,
            result: Ok("restic 0.14.0".into()),
        },
    });
    let stop = AtomicBool::new(false);
    // The parent times the first frame from this line.
    println!("SESSION START");
    io::stdout().flush().expect("stdout");
    let exit = run_session(
        setup,
        Palette::for_background(Background::Dark),
        &worker,
        &stop,
    )
    .expect("the session runs");
    println!(
        "RAW {}",
        terminal::is_raw_mode_enabled().expect("termios readable")
    );
    println!("EXIT {exit:?}");
}

/// Start `session_in_pty` on an 80x24 pseudo-terminal.
fn spawn(mode: &str) -> PtySession {
    let exe = std::env::current_exe().expect("test binary");
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("stty cols 80 rows 24 && exec \"$0\" \"$@\"")
        .arg(exe)
        .args([
            "terminal::tests::session_in_pty",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("KELD_TEST_PTY_MODE", mode)
        .env("TERM", "xterm-256color");
    spawn_with_options(
        command,
        Options::new()
            .timeout_ms(Some(20_000))
            .strip_ansi_escape_codes(false),
    )
    .expect("pty")
}

/// Type `keys` into the pty (rexpect buffers until flushed).
fn send(pty: &mut PtySession, keys: &str, what: &str) {
    pty.send(keys).expect(what);
    pty.flush().expect(what);
}

#[test]
fn pty_session_confirms_and_restores_the_terminal() {
    let mut pty = spawn("normal");
    let before = pty.exp_string("Command").expect("first screen");
    assert!(before.contains(ENTER_ALTERNATE), "alternate screen first");
    send(&mut pty, "\r", "Enter: backup");
    pty.exp_string("Preset").expect("preset screen");
    send(&mut pty, "j\r", "work");
    // Only changed cells are written, so look for text on a row that was empty.
    pty.exp_string("RESTIC_PASSWORD").expect("confirmation");
    send(&mut pty, "\r", "run");
    let output = pty.exp_string("EXIT").expect("session ended");
    assert!(output.contains(LEAVE_ALTERNATE), "{output:?}");
    assert!(output.contains("RAW false"), "{output:?}");
    let line = pty.exp_string("\n").expect("the exit line");
    assert_eq!(
        line.trim(),
        r#"Run(Choice { command: "backup", preset: Some("work"), args: [] })"#
    );
}

#[test]
fn pty_first_screen_does_not_wait_for_restic() {
    let started = Instant::now();
    let mut pty = spawn("slow-restore");
    pty.exp_string("SESSION START").expect("child started");
    // Unchanged cells (spaces) are skipped, so match one word.
    pty.exp_string("Reading").expect("spinner screen");
    let shown = started.elapsed();
    assert!(shown < Duration::from_secs(20), "drawn after {shown:?}");
    // Ctrl-C while restic still runs: leave at once.
    send(&mut pty, "\u{3}", "Ctrl-C");
    let output = pty.exp_string("EXIT").expect("session ended");
    assert!(output.contains(LEAVE_ALTERNATE), "{output:?}");
    let line = pty.exp_string("\n").expect("the exit line");
    assert_eq!(line.trim(), "Cancelled");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "did not wait for restic"
    );
}

#[test]
fn pty_ctrl_c_and_esc_cancel() {
    for key in ["\u{3}", "\u{1b}"] {
        let mut pty = spawn("normal");
        pty.exp_string("Command").expect("first screen");
        send(&mut pty, key, "key");
        let output = pty.exp_string("EXIT").expect("session ended");
        assert!(output.contains(LEAVE_ALTERNATE), "{output:?}");
        assert!(output.contains("RAW false"), "{output:?}");
        let line = pty.exp_string("\n").expect("the exit line");
        assert_eq!(line.trim(), "Cancelled", "{key:?}");
    }
}

#[test]
fn pty_panic_restores_the_terminal_before_the_message() {
    let mut pty = spawn("panic");
    pty.exp_string("Command").expect("first screen");
    send(&mut pty, "\r", "backup");
    pty.exp_string("Preset").expect("preset screen");
    send(&mut pty, "\r", "home: the preview panics");
    let output = pty.exp_string("preview exploded").expect("panic message");
    let left = output
        .rfind(LEAVE_ALTERNATE)
        .expect("alternate screen left");
    let panicked = output.rfind("panicked").expect("panic message start");
    assert!(left < panicked, "restored before the message: {output:?}");
}
