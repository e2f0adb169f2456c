//! The real `keld` binary on a pseudo-terminal, read the way a person sees it.
//!
//! Everything keld writes is fed to a terminal emulator (`vt100`), so tests wait
//! for text on the *screen* — not for byte sequences, which depend on how ratatui
//! chose to redraw only changed cells. Waiting polls with a generous deadline and
//! fails with the screen as it was, so a slow machine is slow, not flaky.

use std::num::NonZeroU16;
use std::process::Command;
use std::time::{Duration, Instant};

use rexpect::process::WaitStatus;
use rexpect::reader::Options;
use rexpect::session::{PtySession, spawn_with_options};

/// How long any one expected screen may take on a loaded machine.
pub(crate) const PATIENCE: Duration = Duration::from_secs(60);

/// Entering and leaving the alternate screen, as crossterm writes them.
pub(crate) const ENTER_ALTERNATE: &[u8] = b"\x1b[?1049h";
pub(crate) const LEAVE_ALTERNATE: &[u8] = b"\x1b[?1049l";

/// A program running on a pseudo-terminal of a fixed size.
pub(crate) struct Terminal {
    session: PtySession,
    parser: vt100::Parser,
    /// Every byte the program wrote, in order.
    transcript: Vec<u8>,
    started: Instant,
    /// When the first byte of the alternate screen arrived.
    first_frame: Option<Duration>,
}

impl Terminal {
    /// Start `command` on a `rows` × `cols` terminal (`stty` sets the size before the
    /// program starts, so its first frame already has it).
    pub(crate) fn spawn(command: &Command, rows: u16, cols: u16) -> Self {
        let mut wrapped = Command::new("/bin/sh");
        wrapped
            .arg("-c")
            .arg(format!(
                "stty rows {rows} cols {cols} && exec \"$0\" \"$@\""
            ))
            .arg(command.get_program())
            .args(command.get_args());
        wrapped.env_clear();
        for (name, value) in command.get_envs() {
            if let Some(value) = value {
                wrapped.env(name, value);
            }
        }
        if let Some(dir) = command.get_current_dir() {
            wrapped.current_dir(dir);
        }
        let started = Instant::now();
        let session = spawn_with_options(
            wrapped,
            Options::new()
                .timeout_ms(Some(
                    u64::try_from(PATIENCE.as_millis()).unwrap_or(u64::MAX),
                ))
                .strip_ansi_escape_codes(false),
        )
        .expect("start the program on a pseudo-terminal");
        let size = |n| NonZeroU16::new(n).expect("a terminal has a size");
        Self {
            session,
            parser: vt100::Parser::new(size(rows), size(cols), 0),
            transcript: Vec::new(),
            started,
            first_frame: None,
        }
    }

    /// Take in whatever the program wrote since the last look.
    fn pump(&mut self) {
        let mut bytes = Vec::new();
        while let Some(ch) = self.session.try_read() {
            // The reader hands each byte over as the char of the same number.
            bytes.push(u8::try_from(u32::from(ch)).unwrap_or(b'?'));
        }
        self.feed(&bytes);
    }

    fn feed(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.transcript.extend_from_slice(bytes);
        if self.first_frame.is_none() && contains(&self.transcript, ENTER_ALTERNATE) {
            self.first_frame = Some(self.started.elapsed());
        }
        self.parser.process(bytes);
    }

    /// The screen's text now, rows joined by newlines.
    pub(crate) fn screen(&mut self) -> String {
        self.pump();
        self.parser.screen().contents()
    }

    /// Whether the program is showing the alternate screen now.
    pub(crate) fn on_alternate_screen(&mut self) -> bool {
        self.pump();
        self.parser.screen().alternate_screen()
    }

    /// Wait until the screen shows `text`; returns the screen. Panics with the screen
    /// after [`PATIENCE`].
    pub(crate) fn wait_for(&mut self, text: &str) -> String {
        self.wait_until(text, |screen| screen.contains(text))
    }

    /// Wait until `done` holds for the screen; `what` names it in the failure.
    pub(crate) fn wait_until(&mut self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited {PATIENCE:?} for {what:?}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(15));
        }
    }

    /// The screen row the cursor mark `›` is on (lists and the tree mark it).
    pub(crate) fn cursor_row(&mut self) -> Option<String> {
        self.screen()
            .lines()
            .find(|line| line.starts_with('›'))
            .map(str::to_owned)
    }

    /// Type `keys` (`\r` is Enter, `\x1b` Esc, `\x03` Ctrl-C).
    pub(crate) fn send(&mut self, keys: &str) {
        self.session.send(keys).expect("write to the terminal");
        self.session.flush().expect("flush the terminal");
    }

    /// Start `command` on a terminal, let it run to its end and return everything it
    /// wrote (lossily as text) and its exit code.
    pub(crate) fn run(command: &Command) -> (String, i32) {
        let mut terminal = Self::spawn(command, 30, 100);
        let code = terminal.wait_exit();
        (terminal.transcript(), code)
    }

    /// Wait for the program to end; returns its exit code (128+N for signal N).
    pub(crate) fn wait_exit(&mut self) -> i32 {
        match self.wait_status() {
            WaitStatus::Exited(_, code) => code,
            WaitStatus::Signaled(_, signal, _) => 128 + signal as i32,
            other => panic!("unexpected end: {other:?}"),
        }
    }

    /// Wait for the program to end; returns how it ended.
    pub(crate) fn wait_status(&mut self) -> WaitStatus {
        let rest = self.session.exp_eof().expect("the program ends");
        let bytes: Vec<u8> = rest
            .chars()
            .map(|ch| u8::try_from(u32::from(ch)).unwrap_or(b'?'))
            .collect();
        self.feed(&bytes);
        self.session.process().wait().expect("wait for the program")
    }

    /// Send `signal` to the program (the shell `exec`s it, so the same process).
    pub(crate) fn signal(&mut self, signal: rexpect::process::Signal) {
        self.session
            .process_mut()
            .signal(signal)
            .expect("send the signal");
    }

    /// Poll closely (every millisecond) until the screen shows `text`; returns the
    /// time since the program was spawned. For measuring, not for waiting on restic.
    pub(crate) fn time_to(&mut self, text: &str) -> Duration {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if self.screen().contains(text) {
                return self.started.elapsed();
            }
            assert!(Instant::now() < deadline, "never showed {text:?}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Everything written so far, lossily as text.
    pub(crate) fn transcript(&mut self) -> String {
        self.pump();
        String::from_utf8_lossy(&self.transcript).into_owned()
    }

    /// The raw bytes written so far.
    pub(crate) fn transcript_bytes(&mut self) -> Vec<u8> {
        self.pump();
        self.transcript.clone()
    }

    /// Time from spawning to the first byte of the alternate screen.
    pub(crate) fn first_frame(&self) -> Option<Duration> {
        self.first_frame
    }
}

impl std::fmt::Debug for Terminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminal")
            .field("written", &self.transcript.len())
            .field("screen", &self.parser.screen().contents())
            .finish_non_exhaustive()
    }
}

/// Whether `haystack` contains `needle`.
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Position of the last occurrence of `needle`.
pub(crate) fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .rposition(|window| window == needle)
}

/// A program that leads its own session on a new pseudo-terminal, as under a terminal
/// emulator or `ssh host keld ...`: the kernel sends the terminal's hang-up to it
/// alone. Unlike [`Terminal`], the test holds the only descriptor of the master
/// side, so [`SessionLeader::hang_up`] really closes the terminal.
pub(crate) struct SessionLeader {
    pub(crate) child: std::process::Child,
    master: Option<nix::pty::PtyMaster>,
}

impl SessionLeader {
    /// Start `command` with a new pseudo-terminal as its standard input, output and
    /// error and controlling terminal (util-linux `setsid --ctty`, which `exec`s the
    /// program in the new session).
    pub(crate) fn spawn(command: &Command) -> Self {
        use nix::fcntl::{OFlag, open};
        use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};
        use nix::sys::stat::Mode;
        use std::process::Stdio;

        // Close-on-exec from the start: a copy in any child (of this test or of
        // another running at the same time) would keep the terminal open.
        let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)
            .expect("open a pseudo-terminal");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname_r(&master).expect("the terminal's name");
        let slave = open(
            name.as_str(),
            OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .expect("open the terminal");
        // A size, as a terminal window has one: a screen of 0×0 draws nothing.
        let sized = Command::new("stty")
            .args(["-F", name.as_str(), "rows", "30", "cols", "100"])
            .status()
            .expect("run stty");
        assert!(sized.success(), "stty could not size {name}");
        let mut wrapped = Command::new("setsid");
        wrapped
            .arg("--ctty")
            .arg(command.get_program())
            .args(command.get_args())
            .env_clear()
            .stdin(Stdio::from(slave.try_clone().expect("dup")))
            .stdout(Stdio::from(slave.try_clone().expect("dup")))
            .stderr(Stdio::from(slave));
        for (name, value) in command.get_envs() {
            if let Some(value) = value {
                wrapped.env(name, value);
            }
        }
        if let Some(dir) = command.get_current_dir() {
            wrapped.current_dir(dir);
        }
        let child = wrapped.spawn().expect("start the program in a new session");
        Self {
            child,
            master: Some(master),
        }
    }

    /// Read what the program writes to its terminal until `text` is in it (the raw
    /// bytes, escape sequences and all); panics after `timeout`.
    pub(crate) fn wait_for_output(&mut self, text: &str, timeout: std::time::Duration) {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::os::fd::AsFd;

        let master = self.master.as_ref().expect("the terminal is open");
        let deadline = std::time::Instant::now() + timeout;
        let mut seen = Vec::new();
        let mut buffer = [0_u8; 4096];
        while std::time::Instant::now() < deadline {
            let mut fds = [PollFd::new(master.as_fd(), PollFlags::POLLIN)];
            if !poll(&mut fds, PollTimeout::from(50_u16)).is_ok_and(|ready| ready > 0) {
                continue;
            }
            if let Ok(read @ 1..) = nix::unistd::read(master, &mut buffer) {
                seen.extend_from_slice(&buffer[..read]);
                if rfind(&seen, text.as_bytes()).is_some() {
                    return;
                }
            }
        }
        panic!(
            "{text:?} not written within {timeout:?}: {:?}",
            String::from_utf8_lossy(&seen)
        );
    }

    /// Close the master side, as a terminal emulator does when its window closes.
    pub(crate) fn hang_up(&mut self) {
        drop(self.master.take());
    }
}
