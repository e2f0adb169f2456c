//! Key mapping, and the real session on a real pseudo-terminal: the test binary runs
//! itself (the ignored `session_in_pty` test) under a pty and is driven with keys.

use std::process::Command;
use std::time::Instant;

use rexpect::reader::Options;
use rexpect::session::{PtySession, spawn_with_options};

use super::*;
use crate::palette::Background;
use crate::protocol::{Preview, Request, Setup};

/// Leaving the alternate screen, as crossterm writes it.
const LEAVE_ALTERNATE: &str = "\u{1b}[?1049l";
/// Entering it.
const ENTER_ALTERNATE: &str = "\u{1b}[?1049h";

#[test]
fn terminal_bytes_decode_into_screen_keys() {
    let mut keyboard = Keyboard::new();
    let mut keys = |bytes: &[u8]| keyboard.decode(bytes, false);
    assert_eq!(keys(b"j"), [Key::Char('j')]);
    assert_eq!(keys(b" G"), [Key::Char(' '), Key::Char('G')]);
    assert_eq!(keys(b"\x03"), [Key::Interrupt], "Ctrl-C");
    assert_eq!(keys(b"\x15\x17"), [Key::Ctrl('u'), Key::Ctrl('w')]);
    assert_eq!(keys(b"\x1b"), [Key::Esc], "a lone Esc is the key");
    assert_eq!(keys(b"\r"), [Key::Enter]);
    assert_eq!(keys(b"\x7f"), [Key::Backspace]);
    assert_eq!(keys(b"\t\x1b[Z"), [Key::Tab, Key::BackTab]);
    assert_eq!(
        keys(b"\x1b[A\x1b[B\x1b[C\x1b[D"),
        [Key::Up, Key::Down, Key::Right, Key::Left]
    );
    assert_eq!(keys(b"\x1bOA"), [Key::Up], "application cursor mode");
    assert_eq!(
        keys(b"\x1b[5~\x1b[6~\x1b[H\x1b[F\x1b[3~"),
        [Key::PageUp, Key::PageDown, Key::Home, Key::End, Key::Delete]
    );
    assert_eq!(keys("é".as_bytes()), [Key::Char('é')]);
    assert_eq!(keys(b"\x1bOP"), [], "F1: no screen uses it");
    // Half a sequence waits for the rest when more may come.
    assert_eq!(keyboard.decode(b"\x1b[", true), []);
    assert_eq!(keyboard.decode(b"A", false), [Key::Up]);
}

/// The session as `keld` will run it (signals caught, exit code as keld's), inside
/// the pty the parent test made. It prints `EXIT` and how it ended, then exits with
/// the code keld would.
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
        preset: slow.then(|| "home".to_owned()),
        preview: Box::new(move |choice| {
            assert!(!panics, "preview exploded");
            Ok(Preview {
                argv: vec!["restic".into(), choice.command.clone()],
                env_names: vec!["RESTIC_PASSWORD".into()],
                warnings: Vec::new(),
            })
        }),
        ..crate::app::tests::setup(&["home", "work"])
    };
    let worker: Worker = Arc::new(move |request, _| match request {
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
        other => panic!("not asked in these tests: {other:?}"),
    });
    // The parent times the first frame from this line, and signals this process.
    println!("SESSION START {}", std::process::id());
    io::stdout().flush().expect("stdout");
    let asked = crate::session::run(
        setup,
        Palette::for_background(Background::Dark),
        &worker,
        || {},
    );
    // On a terminal that is gone these lines go nowhere; the exit code still tells.
    let mut out = io::stdout();
    if let Ok(raw) = terminal::is_raw_mode_enabled() {
        let _ = writeln!(out, "RAW {raw}");
    }
    let _ = writeln!(out, "EXIT {asked:?}");
    let _ = out.flush();
    std::process::exit(match asked {
        Ok(crate::session::Asked::Run(_)) => 0,
        Ok(crate::session::Asked::Exit(code)) => i32::from(code),
        Err(_) => 1,
    });
}

/// The test binary's arguments that run `session_in_pty` alone.
fn session_args() -> Vec<std::ffi::OsString> {
    let exe = std::env::current_exe().expect("test binary");
    let mut args = vec![exe.into_os_string()];
    args.extend(
        [
            "terminal::tests::session_in_pty",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ]
        .map(Into::into),
    );
    args
}

/// `program ARGS... <session_in_pty>` in `mode`.
fn session_command(program: &str, args: &[&str], mode: &str) -> Command {
    let mut command = Command::new(program);
    command
        .args(args)
        .args(session_args())
        .env("KELD_TEST_PTY_MODE", mode)
        .env("TERM", "xterm-256color");
    command
}

/// Start `session_in_pty` on an 80x24 pseudo-terminal.
fn spawn(mode: &str) -> PtySession {
    let command = session_command(
        "sh",
        &["-c", "stty cols 80 rows 24 && exec \"$0\" \"$@\""],
        mode,
    );
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
        r#"Ok(Run(Choice { command: "backup", preset: Some("work"), args: [] }))"#
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
    assert_eq!(line.trim(), "Ok(Exit(130))");
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
        assert_eq!(line.trim(), "Ok(Exit(130))", "{key:?}");
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

/// A session on a pseudo-terminal whose master side this test holds alone, so
/// dropping it hangs the terminal up as closing a terminal window does.
struct Hangable {
    master: Option<std::os::fd::OwnedFd>,
    child: std::process::Child,
    /// The session's own pid (the child may be `setsid`, waiting for it).
    pid: nix::unistd::Pid,
    screen: Vec<u8>,
}

impl Hangable {
    /// Start `session_in_pty` on a new 80x24 terminal. With `controlling`, the
    /// terminal becomes the session's controlling terminal (`setsid --ctty`), so the
    /// kernel sends it SIGHUP when the terminal goes away; without, it only finds
    /// the terminal gone when it reads.
    fn spawn(controlling: bool) -> Self {
        use nix::fcntl::{OFlag, open};
        use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};
        // Close-on-exec from the start: a child another test starts meanwhile must
        // not inherit the master and keep the terminal alive.
        let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)
            .expect("open a pseudo-terminal");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname_r(&master).expect("the terminal's name");
        let slave = open(
            name.as_str(),
            OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )
        .expect("open the terminal");
        let stty = ["-c", "stty cols 80 rows 24 && exec \"$0\" \"$@\""];
        let mut command = if controlling {
            let mut args = vec!["--ctty", "--wait", "sh"];
            args.extend(stty);
            session_command("setsid", &args, "normal")
        } else {
            session_command("sh", &stty, "normal")
        };
        let stdio = || std::process::Stdio::from(slave.try_clone().expect("dup the terminal"));
        command.stdin(stdio()).stdout(stdio()).stderr(stdio());
        let child = command.spawn().expect("start the session");
        drop(command);
        drop(slave);
        let mut hangable = Self {
            master: Some(master.into()),
            child,
            pid: nix::unistd::Pid::from_raw(0),
            screen: Vec::new(),
        };
        hangable.wait_for("SESSION START ");
        let line = hangable.wait_for("\n");
        let pid: i32 = String::from_utf8_lossy(&line)
            .split_whitespace()
            .last()
            .and_then(|pid| pid.parse().ok())
            .expect("the session's pid");
        hangable.pid = nix::unistd::Pid::from_raw(pid);
        hangable
    }

    /// Read until `text` arrives; returns what came before it.
    fn wait_for(&mut self, text: &str) -> Vec<u8> {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(at) = self
                .screen
                .windows(text.len())
                .position(|window| window == text.as_bytes())
            {
                let before = self.screen[..at].to_vec();
                self.screen.drain(..at + text.len());
                return before;
            }
            assert!(
                Instant::now() < deadline,
                "{text:?} never came: {:?}",
                String::from_utf8_lossy(&self.screen)
            );
            let master = self.master.as_ref().expect("still open");
            let mut fds = [PollFd::new(
                std::os::fd::AsFd::as_fd(master),
                PollFlags::POLLIN,
            )];
            poll(&mut fds, PollTimeout::from(100_u16)).expect("poll");
            let mut buffer = [0_u8; 4096];
            if let Ok(count @ 1..) = nix::unistd::read(master, &mut buffer) {
                self.screen.extend_from_slice(&buffer[..count]);
            }
        }
    }

    /// Wait until the first frame is written out completely (the help bar, on the
    /// last row, comes last), so the session is waiting for keys, not drawing.
    fn wait_for_first_screen(&mut self) {
        self.wait_for("Command");
        self.wait_for("quit");
    }

    /// Close the master side: the terminal is gone.
    fn hang_up(&mut self) {
        drop(self.master.take());
    }

    /// The exit code, waiting at most `patience`.
    fn exit_code(&mut self, patience: Duration) -> Option<i32> {
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

impl Drop for Hangable {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(self.pid, nix::sys::signal::Signal::SIGKILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How soon a session must end once its terminal is gone or it is told to stop.
const PROMPTLY: Duration = Duration::from_secs(5);

#[test]
fn pty_closed_terminal_ends_the_session_by_sighup() {
    let mut session = Hangable::spawn(true);
    session.wait_for_first_screen();
    let closed = Instant::now();
    session.hang_up();
    let code = session.exit_code(PROMPTLY);
    // 129: the kernel's SIGHUP was caught; 1: drawing on the dead terminal failed.
    assert!(
        matches!(code, Some(129 | 1)),
        "exit {code:?} after {:?}",
        closed.elapsed()
    );
}

#[test]
fn pty_closed_terminal_ends_the_session_without_a_signal() {
    // Not the controlling terminal: no SIGHUP, only the read that finds it gone.
    let mut session = Hangable::spawn(false);
    session.wait_for_first_screen();
    session.hang_up();
    let code = session.exit_code(PROMPTLY);
    assert_eq!(code, Some(129), "the hang-up is read as one");
}

#[test]
fn pty_sigterm_ends_a_session_whose_terminal_is_closed() {
    use nix::sys::signal::{Signal, kill};
    let mut session = Hangable::spawn(false);
    session.wait_for_first_screen();
    // Held still while its terminal goes away, so SIGTERM finds it on a closed
    // terminal whatever the scheduler does; then let go.
    kill(session.pid, Signal::SIGSTOP).expect("stop");
    session.hang_up();
    kill(session.pid, Signal::SIGTERM).expect("terminate");
    kill(session.pid, Signal::SIGCONT).expect("continue");
    assert_eq!(session.exit_code(PROMPTLY), Some(143));
}
