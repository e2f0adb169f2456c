//! Interactive mode (spec section 7): one full-screen session that asks for whatever
//! the command line and config left open, then hands back what to run.
//!
//! # How it works
//!
//! - [`app`] is the screen state machine. It knows nothing of terminals or
//!   processes: [`Key`]s and background answers ([`Msg`]) go in, [`Request`]s for
//!   background work and finally an [`Exit`] come out ([`protocol`] holds these
//!   types). Screens whose value is already known are skipped; Esc returns to the
//!   previous *visible* screen with every answer kept.
//! - [`snapshots`] and [`tree`] read restic's JSON (`snapshots --json`,
//!   `ls --json`); the tree expands lazily so 100,000 entries stay fast.
//! - [`view`] draws the state with ratatui in the colours of [`palette`]; tests draw
//!   onto ratatui's `TestBackend`.
//! - [`terminal`] owns the real terminal (raw mode, alternate screen, restored on
//!   drop, panic and stop) and runs the event loop; [`background`] answers requests by
//!   running restic on worker threads.
//!
//! ```ignore
//! let setup = Setup { command: None, presets, preset: None, snapshot: None,
//!                     target: None, preview: Box::new(resolve_for_confirmation) };
//! let palette = Palette::for_background(detect_background(&ctx.env.vars));
//! match run_session(setup, palette, &restic_worker(restic_for), &stop)? {
//!     Exit::Run(choice) => run(choice),          // through the supervised path
//!     Exit::Cancelled => return Ok(EXIT_CANCELLED),
//! }
//! ```
// Until lib.rs starts the session nothing outside calls in; the tests still reach
// every item, so test builds keep the dead-code check.
#![cfg_attr(
    not(test),
    allow(dead_code, reason = "called once lib.rs starts the session")
)]

mod app;
mod background;
mod palette;
mod protocol;
mod restic_version;
mod screens;
mod snapshots;
mod terminal;
mod tree;
mod view;

// The entry points lib.rs starts the session with.
#[allow(unused_imports, reason = "used once lib.rs starts the session")]
pub(crate) use app::{App, SnapshotsState, TreeState};
#[allow(unused_imports, reason = "used once lib.rs starts the session")]
pub(crate) use background::{ResticFor, restic_worker};
#[allow(unused_imports, reason = "used once lib.rs starts the session")]
pub(crate) use palette::{Background, Palette, detect_background};
#[allow(unused_imports, reason = "used once lib.rs starts the session")]
pub(crate) use protocol::{Choice, Exit, Msg, Preview, PreviewFn, Request, Setup};
#[allow(unused_imports, reason = "used once lib.rs starts the session")]
pub(crate) use screens::{Key, ScreenId};
#[allow(unused_imports, reason = "used once lib.rs starts the session")]
pub(crate) use terminal::{TerminalGuard, Worker, run_session};

/// Exit code when the user leaves without running anything (Esc on the first
/// screen, Ctrl-C): 128 + SIGINT, as a shell reports an interrupted command.
#[cfg_attr(test, allow(dead_code, reason = "used once lib.rs starts the session"))]
pub(crate) const EXIT_CANCELLED: u8 = 130;
