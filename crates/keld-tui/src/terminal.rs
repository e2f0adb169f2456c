//! The real terminal: raw mode and the alternate screen behind a guard, crossterm
//! events mapped to [`Key`]s, and the event loop that feeds the state machine.
//!
//! The terminal is restored however the session ends: normally (the guard's `Drop`),
//! on a panic (a panic hook that restores before the message is printed, so the
//! message is readable), and on a signal the caller turns into the `stop` flag (the
//! loop wakes at least every [`TICK`] to look at it).

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::view;
use crate::app::App;
use crate::palette::Palette;
use crate::protocol::{Exit, Msg, Request, Setup};
use crate::screens::Key;

/// How often the spinner turns and the stop flag is looked at.
pub(crate) const TICK: Duration = Duration::from_millis(100);

/// Does one piece of background work (runs on its own thread).
pub(crate) type Worker = Arc<dyn Fn(Request) -> Msg + Send + Sync>;

/// Whether a session holds the terminal now: the panic hook restores only then, so
/// a panic after the session writes no stray escape sequences.
static IN_SESSION: AtomicBool = AtomicBool::new(false);

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

/// Map a crossterm key event to a [`Key`]; `None` for keys no screen uses.
pub(crate) fn map_key(event: KeyEvent) -> Option<Key> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let control = event.modifiers.contains(KeyModifiers::CONTROL);
    Some(match event.code {
        KeyCode::Char('c' | 'C') if control => Key::Interrupt,
        KeyCode::Char(_) if control || event.modifiers.contains(KeyModifiers::ALT) => {
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
        KeyCode::Esc => Key::Esc,
        KeyCode::Backspace => Key::Backspace,
        _ => return None,
    })
}

/// Run the session on the terminal until the user confirms or leaves.
///
/// The first frame is drawn before any background answer arrives; requests run on
/// their own threads through `worker`. Setting `stop` (e.g. from a SIGTERM handler)
/// ends the session as cancelled with the terminal restored.
pub(crate) fn run_session(
    setup: Setup,
    palette: Palette,
    worker: &Worker,
    stop: &AtomicBool,
) -> io::Result<Exit> {
    let mut guard = TerminalGuard::enter()?;
    let mut terminal: Terminal<CrosstermBackend<Stdout>> =
        Terminal::new(CrosstermBackend::new(io::stdout()))?;
    let mut app = App::new(setup);
    let (sender, receiver) = mpsc::channel::<Msg>();
    let mut last_tick = Instant::now();
    // Drawn only when something changed, so an idle session writes nothing.
    let mut dirty = true;
    let exit = loop {
        for request in app.take_requests() {
            let worker = Arc::clone(worker);
            let sender = sender.clone();
            std::thread::spawn(move || {
                // The session may have ended; then nobody listens and that is fine.
                let _ = sender.send(worker(request));
            });
        }
        if dirty {
            terminal.draw(|frame| view::draw(frame, &app, &palette))?;
            dirty = false;
        }
        if let Some(exit) = app.exit() {
            break exit.clone();
        }
        if stop.load(Ordering::Relaxed) {
            break Exit::Cancelled;
        }
        if event::poll(TICK.saturating_sub(last_tick.elapsed()))? {
            match event::read()? {
                Event::Key(key) => {
                    if let Some(key) = map_key(key) {
                        app.key(key);
                        dirty = true;
                    }
                }
                Event::Resize(..) => dirty = true,
                _ => {}
            }
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
    };
    drop(terminal);
    guard.leave()?;
    Ok(exit)
}

#[cfg(test)]
#[path = "terminal_tests.rs"]
mod tests;
