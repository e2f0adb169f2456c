//! keld's interactive mode (docs/interactive.md): one full-screen session that asks
//! for whatever the command line and config left open, then hands back what to run.
//!
//! # How it works
//!
//! - [`App`] is the screen state machine. It knows nothing of terminals or
//!   processes: [`Key`]s and background answers ([`Msg`]) go in, [`Request`]s for
//!   background work and finally an [`Exit`] come out. Screens whose value is already
//!   known are skipped; Esc returns to the previous *visible* screen with every
//!   answer kept. Lists filter fzf-style (`nucleo-matcher`); text fields edit at a
//!   cursor (`tui-input`).
//! - `snapshots`, `tree`, `diff` and `forget` read restic's JSON (`snapshots --json`,
//!   `ls --json`, `diff --json`, `forget --dry-run --json`); the tree expands lazily
//!   and searches incrementally, so 100,000 entries stay fast.
//! - [`draw`] draws the state with ratatui in the colours of a [`Palette`]; tests and
//!   the benchmark (`benches/screens.rs`) draw onto ratatui's `TestBackend`.
//! - `terminal` owns the real terminal (raw mode, alternate screen, restored on drop,
//!   panic and stop), reads and decodes its keys itself and runs the event loop,
//!   which sleeps in `poll(2)` and ends when the terminal goes away; a [`Worker`]
//!   answers requests on worker threads, by default with [`ConfigRestic`]: the
//!   preset's resolved commands, prepared and run by `keld_hooks::Lister` exactly as
//!   a run would start them.
//! - [`ask`] connects it to keld: the screens' setup from the config and the command
//!   line, the confirmation from config resolution, and the signals that end the
//!   session.
//!
//! ```no_run
//! use std::sync::Arc;
//! use keld_config::{Config, Environment, LoadOptions};
//! use keld_hooks::Host;
//! use keld_tui::{Asked, Known, SessionContext, ask};
//!
//! let env = Environment::default();
//! let config = Config::load(&env, &LoadOptions::default())?;
//! let context = SessionContext { config: Arc::new(config), env, host: Host::current(), show_command: false };
//! match ask(&context, Known::default())? {
//!     Asked::Run(choice) => println!("run {} {:?}", choice.command, choice.args),
//!     Asked::Exit(code) => std::process::exit(i32::from(code)),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod app;
mod dashboard;
mod diff;
mod drill_outcome;
mod drill_runner;
mod field;
mod forget;
mod fuzzy;
mod key;
mod palette;
mod protocol;
mod resolution;
mod restic_version;
mod safe;
mod session;
mod snapshots;
mod terminal;
mod tree;
mod units;
mod view;
mod widgets;
mod worker;

pub use app::App;
pub use dashboard::{Records, STALE_AFTER, read_records};
pub use diff::{Diff, DiffError, parse_diff};
pub use drill_outcome::DrillOutcome;
pub use forget::{ForgetGroup, ForgetPlan, parse_forget};
pub use key::Key;
pub use palette::{Background, Palette};
pub use protocol::{Choice, Exit, Msg, PresetEntry, Preview, PreviewFn, Request, Setup};
pub use session::{
    Asked, EXIT_CANCELLED, EXIT_HUNG_UP, Known, SessionContext, SessionError, ask, known_at_start,
    request_for, restore_gaps,
};
pub use snapshots::{ListedSnapshot, SnapshotsError, parse_snapshots};
pub use tree::{FileTree, ListingError};
pub use view::draw;
pub use widgets::ScreenId;
pub use worker::{ConfigRestic, Restic, Worker, restic_worker};
