//! The real terminal: raw mode and the alternate screen behind a guard, the keys read
//! from it, and the event loop that feeds the state machine.
//!
//! The terminal is restored however the session ends: normally (the guard's `Drop`),
//! on a panic (a panic hook that restores before the message is printed, so the
//! message is readable), and on a signal the caller turns into the `stop` flag.
//!
//! # Reading keys
//!
//! The loop waits in `poll(2)` on the terminal and on a pipe the background workers
//! write to when they answer, so it sleeps until there is something to do (or the
//! spinner's next [`TICK`]). A caught signal interrupts that wait, so the stop flag is
//! looked at at once. The bytes the terminal sends are decoded into keys by termina's
//! parser; crossterm only draws and switches modes.
//!
//! A terminal that goes away (its window closed, the ssh connection dropped) reads as
//! end of file or fails with `EIO`, and `poll` reports `POLLHUP` for it: each of these
//! ends the session as [`Ended::HungUp`] at once. (crossterm's own reader retries such
//! a read forever without returning, which spun at full CPU and never came back to
//! look at the stop flag; that is why keys are not read through it.)

use std::io::{self, PipeReader, PipeWriter, Read, Stdout, Write};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use termina::event::{KeyCode, KeyEvent, KeyEventKind, Modifiers};

use super::view;
use crate::app::App;
use crate::key::Key;
use crate::palette::Palette;
use crate::protocol::{Exit, Msg, Setup};
use crate::safe::SafeBackend;
use crate::worker::Worker;

/// How often the spinner turns.
pub(crate) const TICK: Duration = Duration::from_millis(100);

/// Whether a session holds the terminal now: the panic hook restores only then, so
/// a panic after the session writes no stray escape sequences.
static IN_SESSION: AtomicBool = AtomicBool::new(false);

/// How the event loop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The state machine ended the session (confirmed or left).
    Exit(Exit),
    /// The stop flag was raised (a signal arrived).
    Stopped,
    /// The terminal went away: end of file, `EIO` or `POLLHUP` on it.
    HungUp,
}

/// Raw mode and the alternate screen, left again when dropped.
#[derive(Debug)]
pub(crate) struct TerminalGuard {
    active: bool,
}

impl TerminalGuard {
    /// Switch the terminal to raw mode on the alternate screen.
    pub(crate) fn enter() -> io::Result<Self> {
        install_panic_hook();
        terminal::enable_raw_mode()?;
        IN_SESSION.store(true, Ordering::SeqCst);
        let guard = Self { active: true };
        // Cleared here rather than with `Terminal::clear`, which asks the terminal
        // for the cursor position and fails on a terminal that never answers.
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            terminal::Clear(terminal::ClearType::All),
            cursor::Hide
        )?;
        Ok(guard)
    }

    /// Give the terminal back (idempotent); errors are reported, not swallowed.
    pub(crate) fn leave(&mut self) -> io::Result<()> {
        if !self.active {
            return Ok(());
        }
        self.active = false;
        IN_SESSION.store(false, Ordering::SeqCst);
        restore()
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        // Nothing useful can be done with a failure while unwinding or exiting.
        let _ = self.leave();
    }
}

/// Leave the alternate screen, show the cursor and end raw mode.
fn restore() -> io::Result<()> {
    let screen = execute!(io::stdout(), LeaveAlternateScreen, cursor::Show);
    let raw = terminal::disable_raw_mode();
    io::stdout().flush()?;
    screen.and(raw)
}

/// Restore the terminal before the default hook prints the panic message.
fn install_panic_hook() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_SESSION.swap(false, Ordering::SeqCst) {
                let _ = restore();
            }
            previous(info);
        }));
    });
}

/// Map a decoded key event to a [`Key`]; `None` for keys no screen uses.
pub(crate) fn map_key(event: &KeyEvent) -> Option<Key> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let control = event.modifiers.contains(Modifiers::CONTROL);
    Some(match event.code {
        KeyCode::Char('c' | 'C') if control => Key::Interrupt,
        KeyCode::Char(ch) if control && ch.is_ascii_alphabetic() => {
            Key::Ctrl(ch.to_ascii_lowercase())
        }
        KeyCode::Char(_) if control || event.modifiers.contains(Modifiers::ALT) => {
            return None;
        }
        KeyCode::Char(ch) => Key::Char(ch),
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::Enter => Key::Enter,
        KeyCode::Escape => Key::Esc,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Delete => Key::Delete,
        KeyCode::Tab if event.modifiers.contains(Modifiers::SHIFT) => Key::BackTab,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        _ => return None,
    })
}

/// The keys the terminal sends, decoded; and whether it is still there.
pub(crate) struct Keyboard {
    parser: termina::Parser,
    buffer: [u8; 1024],
}

/// What one look at the terminal found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Input {
    /// Keys (possibly none: half an escape sequence, or keys no screen uses).
    Keys(Vec<Key>),
    /// The terminal is gone.
    HungUp,
}

impl Keyboard {
    pub(crate) fn new() -> Self {
        Self {
            parser: termina::Parser::default(),
            buffer: [0; 1024],
        }
    }

    /// Decode `bytes` read in one go (a lone Esc is the Esc key, not the start of
    /// a sequence, unless the read filled the buffer).
    pub(crate) fn decode(&mut self, bytes: &[u8], maybe_more: bool) -> Vec<Key> {
        self.parser.parse(bytes, maybe_more);
        let mut keys = Vec::new();
        while let Some(event) = self.parser.pop() {
            if let termina::Event::Key(event) = event
                && let Some(key) = map_key(&event)
            {
                keys.push(key);
            }
        }
        keys
    }

    /// Read what the terminal has (call after `poll` said it is readable or hung up).
    fn read(&mut self, tty: impl AsFd) -> Input {
        match nix::unistd::read(tty, &mut self.buffer) {
            // End of file: the terminal was hung up.
            Ok(0) | Err(Errno::EIO | Errno::ENXIO | Errno::EBADF) => Input::HungUp,
            Ok(count) => {
                let bytes = self.buffer;
                Input::Keys(self.decode(&bytes[..count], count == bytes.len()))
            }
            // EINTR, EAGAIN: nothing this time; the loop looks again.
            Err(_) => Input::Keys(Vec::new()),
        }
    }
}

/// The pipe background workers write a byte to after answering, so the loop wakes
/// for their answer instead of waiting for the next tick.
struct Wake {
    reader: PipeReader,
    writer: PipeWriter,
}

impl Wake {
    fn new() -> io::Result<Self> {
        let (reader, writer) = io::pipe()?;
        Ok(Self { reader, writer })
    }

    fn drain(&mut self) {
        let mut buffer = [0_u8; 64];
        // Called only when poll said it is readable, so this does not block.
        let _ = self.reader.read(&mut buffer);
    }
}

/// Run the session on the terminal until the user confirms or leaves, the stop flag
/// is raised, or the terminal goes away.
///
/// The first frame is drawn before any background answer arrives; requests run on
/// their own threads through `worker`. Setting `stop` (from a signal handler) ends
/// the session with the terminal restored. Drawing that fails is an error; giving
/// back a terminal that is gone is not.
pub(crate) fn run_session(
    setup: Setup,
    palette: Palette,
    worker: &Worker,
    stop: &AtomicBool,
) -> io::Result<Ended> {
    let stdin = io::stdin();
    let mut wake = Wake::new()?;
    let resized = Arc::new(AtomicBool::new(false));
    let winch = signal_hook::flag::register(signal_hook::consts::SIGWINCH, Arc::clone(&resized))?;
    let mut guard = TerminalGuard::enter()?;
    // Every cell passes the last check for control characters on its way out.
    let mut terminal = Terminal::new(SafeBackend::new(CrosstermBackend::new(io::stdout())))?;
    let result = event_loop(
        &mut terminal,
        setup,
        &palette,
        worker,
        stop,
        &stdin,
        &mut wake,
        &resized,
    );
    signal_hook::low_level::unregister(winch);
    if terminal.show_cursor().is_err() {
        // ratatui's `Drop` would try again and *print* its failure, which panics on
        // a terminal that is gone; the guard below gives the cursor back anyway.
        std::mem::forget(terminal);
    }
    let left = guard.leave();
    match result {
        // The terminal is gone: there is nothing to give back.
        Ok(Ended::HungUp) => Ok(Ended::HungUp),
        Ok(ended) => left.map(|()| ended),
        Err(error) => Err(error),
    }
}

#[allow(clippy::too_many_arguments)]
fn event_loop(
    terminal: &mut Terminal<SafeBackend<CrosstermBackend<Stdout>>>,
    setup: Setup,
    palette: &Palette,
    worker: &Worker,
    stop: &AtomicBool,
    tty: &io::Stdin,
    wake: &mut Wake,
    resized: &AtomicBool,
) -> io::Result<Ended> {
    let mut app = App::new(setup);
    let (sender, receiver) = mpsc::channel::<Msg>();
    let mut keyboard = Keyboard::new();
    let mut last_tick = Instant::now();
    // Drawn only when something changed, so an idle session writes nothing.
    let mut dirty = true;
    loop {
        if stop.load(Ordering::SeqCst) {
            return Ok(Ended::Stopped);
        }
        for request in app.take_requests() {
            let worker = Arc::clone(worker);
            let sender = sender.clone();
            let waker = wake.writer.try_clone()?;
            std::thread::spawn(move || {
                // The session may have ended; then nobody listens and that is fine.
                let send = |msg: Msg| {
                    if sender.send(msg).is_ok() {
                        let _ = (&waker).write(&[1]);
                    }
                };
                send(worker(request, &send));
            });
        }
        if resized.swap(false, Ordering::SeqCst) {
            dirty = true;
        }
        if dirty {
            terminal.draw(|frame| view::draw(frame, &app, palette))?;
            dirty = false;
        }
        if let Some(exit) = app.exit() {
            return Ok(Ended::Exit(exit.clone()));
        }
        let timeout = TICK.saturating_sub(last_tick.elapsed());
        let mut fds = [
            PollFd::new(tty.as_fd(), PollFlags::POLLIN),
            PollFd::new(wake.reader.as_fd(), PollFlags::POLLIN),
        ];
        let millis = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
        match poll(&mut fds, PollTimeout::from(millis)) {
            // A signal: the stop flag (or the size) is looked at above.
            Err(Errno::EINTR) => continue,
            Err(error) => return Err(error.into()),
            Ok(_) => {}
        }
        let tty_events = fds[0].revents().unwrap_or(PollFlags::empty());
        let woken = fds[1]
            .revents()
            .is_some_and(|events| events.contains(PollFlags::POLLIN));
        if tty_events.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR) {
            // Read even on POLLHUP: keys typed just before are still there, and the
            // read then says end of file.
            match keyboard.read(tty) {
                Input::HungUp => return Ok(Ended::HungUp),
                Input::Keys(keys) => {
                    for key in keys {
                        app.key(key);
                        dirty = true;
                    }
                }
            }
        } else if tty_events.contains(PollFlags::POLLNVAL) {
            return Ok(Ended::HungUp);
        }
        if woken {
            wake.drain();
        }
        while let Ok(msg) = receiver.try_recv() {
            app.message(msg);
            dirty = true;
        }
        if last_tick.elapsed() >= TICK {
            app.tick();
            last_tick = Instant::now();
            dirty |= app.waiting();
        }
    }
}

#[cfg(test)]
#[path = "terminal_tests.rs"]
mod tests;
