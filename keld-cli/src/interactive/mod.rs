//! Interactive mode (docs/interactive.md): one full-screen session that asks for whatever
//! the command line and config left open, then hands back what to run.
//!
//! # How it works
//!
//! - [`app`] is the screen state machine. It knows nothing of terminals or
//!   processes: [`screens::Key`]s and background answers ([`protocol::Msg`]) go in,
//!   [`protocol::Request`]s for background work and finally a [`protocol::Exit`] come out ([`protocol`] holds these
//!   types). Screens whose value is already known are skipped; Esc returns to the
//!   previous *visible* screen with every answer kept.
//! - [`snapshots`] and [`tree`] read restic's JSON (`snapshots --json`,
//!   `ls --json`); the tree expands lazily so 100,000 entries stay fast.
//! - [`view`] draws the state with ratatui in the colours of [`palette`]; tests draw
//!   onto ratatui's `TestBackend`.
//! - [`terminal`] owns the real terminal (raw mode, alternate screen, restored on
//!   drop, panic and stop) and runs the event loop; [`background`] answers requests by
//!   running restic on worker threads.
//! - [`start`] connects it to keld: the screens' [`protocol::Setup`] from the
//!   config and the command line, the confirmation from config resolution, the
//!   background restic commands from the preset's resolved `snapshots` and `ls`, and
//!   the signals that end the session.
//!
//! ```ignore
//! // lib.rs, when a value is missing and `ctx.interactive()`:
//! match interactive::ask(&config, known, show_command, ctx) {
//!     Asked::Run(choice) => run(config.resolve(&request_for(&choice), &ctx.env)?),
//!     Asked::Exit(code) => Ok(code), // 130 when cancelled
//! }
//! ```

mod app;
mod background;
#[cfg(test)]
mod bench;
mod palette;
mod protocol;
mod restic_version;
mod screens;
mod snapshots;
mod start;
mod terminal;
mod tree;
mod view;

pub(crate) use app::{SnapshotsState, TreeState};
pub(crate) use start::{Asked, Known, ask, known_at_start, request_for, restore_gaps};
