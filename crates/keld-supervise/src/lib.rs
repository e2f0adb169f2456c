//! Run a child process on keld's terminal and keep its outcome exact.
//!
//! # How it works
//!
//! * [`find_restic`] / [`find_program`] resolve the program against the `PATH` of the
//!   environment the child will get, before anything runs, so a missing restic is
//!   reported (exit 127) without side effects.
//! * [`resolve_environ`] turns the config's variables into the child's environment,
//!   running each `NAME_COMMAND` with `sh -c` and capturing its output (capped at
//!   [`OUTPUT_LIMIT`], never printed; a command that prints more is killed with
//!   everything it started).
//! * [`Supervisor`] catches SIGINT, SIGTERM, SIGHUP and SIGQUIT for as long as it
//!   exists. [`Supervisor::run`] starts a [`ChildCommand`] in keld's own process group
//!   with inherited stdio (password prompts and progress bars work as if the child ran
//!   alone), forwards signals that another process sent to keld, leaves alone those the
//!   terminal already delivered to the whole group (a `NAME_COMMAND` running at that
//!   moment gets the signal too, with every process it started, so one that never
//!   finishes cannot keep keld waiting), and returns an
//!   [`Outcome`](keld_status::Outcome): the exit code or the killing signal. On Linux
//!   the child gets SIGTERM if keld dies.
//! * Starting a child costs little: on Linux it is created the way `posix_spawn` does
//!   it (`clone` with `CLONE_VM | CLONE_VFORK`, no page tables copied) and still
//!   receives the death signal, and signals are forwarded by the signal handler
//!   itself, so no thread runs beside restic.
//!
//! ```
//! use keld_status::Outcome;
//! use keld_supervise::{ChildCommand, Supervisor};
//!
//! let supervisor = Supervisor::install()?;
//! let mut command = ChildCommand::shell("exit 3");
//! command.env = vec![("PATH".into(), "/usr/bin:/bin".into())];
//! assert_eq!(supervisor.run(&command)?, Outcome::Exited(3));
//!
//! let killed = ChildCommand::shell("kill -TERM $$");
//! assert_eq!(supervisor.run(&killed)?.exit_code(), 143);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod descendants;
mod env;
mod environ;
mod locate;
mod signals;
mod spawn;
mod supervisor;

pub use env::{lookup as env_lookup, set as env_set};
pub use environ::{
    EnvCommandError, EnvEntry, EnvSource, OUTPUT_LIMIT, STDERR_QUOTE_LIMIT, resolve_environ,
    resolve_environ_with_limit,
};
pub use locate::{
    DEFAULT_PATH, DEFAULT_PROGRAM, EXECUTABLE_VAR, NotFound, find_program, find_restic,
};
pub use signals::{CAUGHT_SIGNALS, CAUGHT_SIGNALS_KEPT, CaughtSignal, SignalSource};
pub use supervisor::{ChildCommand, RunError, StartError, SuperviseError, Supervisor, outcome_of};
