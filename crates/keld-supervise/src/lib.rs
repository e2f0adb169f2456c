//! Run a child process on the caller's terminal and keep its outcome exact.
//!
//! This crate is mechanism only: it knows how to start, watch, signal and capture a
//! child, and nothing of which program that is or what its outcome means.
//!
//! # How it works
//!
//! * [`find_program`] resolves a program name against the `PATH` of the environment
//!   the child will get, before anything runs.
//! * [`Supervisor`] catches SIGINT, SIGTERM, SIGHUP and SIGQUIT for as long as it
//!   exists. [`Supervisor::run`] starts a [`ChildCommand`] in the caller's own process
//!   group with inherited stdio (password prompts and progress bars work as if the
//!   child ran alone), forwards signals that another process sent, leaves alone those
//!   the terminal already delivered to the whole group, and returns an
//!   [`Outcome`](keld_status::Outcome): the exit code or the killing signal. On Linux
//!   the child gets SIGTERM if its parent dies.
//! * [`capture`] and [`Supervisor::capture`] run a child with its output captured
//!   (bounded; a child that prints more is killed with everything it started). Each
//!   captured child is listed in a [`Children`] registry from its start until it is
//!   reaped, so a signal, or [`Children::stop_all`], reaches it and its whole process
//!   tree, and never a process that reused its pid.
//! * [`Supervisor::stopper`] hands out a [`Stopper`]: another thread stops the
//!   supervisor's work with it exactly as a signal from another process would.
//! * Starting a child costs little: on Linux it is created the way `posix_spawn` does
//!   it (`clone` with `CLONE_VM | CLONE_VFORK`, no page tables copied) and still
//!   receives the death signal, and signals are forwarded by the signal handler
//!   itself, so no thread runs beside the child.
//!
//! Module dependencies point one way: `child`, `env`, `path` and `procs` are leaves;
//! `spawn` and `timeout` build on them; `children` and `signals` on `procs` and
//! `spawn`; `capture` and `supervisor` on all of those.
//!
//! ```
//! use keld_status::Outcome;
//! use keld_supervise::{ChildCommand, Children, Supervisor, capture};
//!
//! let supervisor = Supervisor::install()?;
//! let mut command = ChildCommand::shell("exit 3");
//! command.env = vec![("PATH".into(), "/usr/bin:/bin".into())];
//! assert_eq!(supervisor.run(&command)?, Outcome::Exited(3));
//!
//! let killed = ChildCommand::shell("kill -TERM $$");
//! assert_eq!(supervisor.run(&killed)?.exit_code(), 143);
//!
//! let captured = capture(&ChildCommand::shell("echo hello"), Some(100), &Children::new())?;
//! assert_eq!((captured.outcome, captured.stdout.as_slice()), (Outcome::Exited(0), &b"hello\n"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod capture;
mod child;
mod children;
mod env;
mod path;
mod procs;
mod signals;
mod spawn;
mod supervisor;
mod timeout;

pub use capture::{CaptureError, Captured, STDERR_KEPT, capture};
pub use child::{ChildCommand, RunError, StartError, Stdin, SuperviseError, outcome_of};
pub use children::Children;
pub use env::{lookup as env_lookup, set as env_set};
pub use path::{DEFAULT_PATH, NotFound, find_program};
pub use signals::{CAUGHT_SIGNALS, CAUGHT_SIGNALS_KEPT, CaughtSignal, SignalSource};
pub use supervisor::{Ran, Stopper, Supervisor};
pub use timeout::Timeout;
