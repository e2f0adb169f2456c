//! What a run tells its caller: events while it goes, errors that end it early.

use std::fmt;
use std::io;
use std::path::PathBuf;

use keld_status::Outcome;
use keld_supervise::{EnvCommandError, NotFound, StartError, SuperviseError};

/// Exit status of a pre-hook that asks for the backup to be skipped (`EX_TEMPFAIL`).
pub const SKIP_EXIT_CODE: u8 = 75;

/// Which list a hook belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookPhase {
    /// `_pre_hooks`, before restic.
    Pre,
    /// `_post_hooks`, after restic was attempted.
    Post,
}

impl fmt::Display for HookPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pre => "pre-hook",
            Self::Post => "post-hook",
        })
    }
}

/// How a hook failed.
#[derive(Debug)]
pub enum HookFailure {
    /// It ran and ended with a non-zero status or a signal.
    Ended(Outcome),
    /// `sh` could not be started or waited for.
    Supervise(io::Error),
}

impl fmt::Display for HookFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ended(outcome) => outcome.fmt(f),
            Self::Supervise(error) => write!(f, "cannot run /bin/sh: {error}"),
        }
    }
}

/// A hook that did not succeed: `pre-hook "<cmd>" failed: exit status N`.
#[derive(Debug, thiserror::Error)]
#[error("{phase} {hook:?} failed: {failure}")]
pub struct HookError {
    /// Pre or post.
    pub phase: HookPhase,
    /// The hook's shell text.
    pub hook: String,
    /// What went wrong.
    pub failure: HookFailure,
}

/// Something keld reports while the run goes on.
#[derive(Debug)]
pub enum Event<'a> {
    /// A pre-hook exited 75: the backup is skipped; nothing else runs, keld exits 0.
    Skipped {
        /// The pre-hook that asked.
        hook: &'a str,
    },
    /// restic could not be started; the post-hooks run next with `start_failed`.
    ResticStartFailed(&'a StartError),
    /// A post-hook failed; the remaining ones still run.
    PostHookFailed(&'a HookError),
}

/// How a run that got as far as its end finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    /// The exit code keld returns.
    pub exit_code: u8,
    /// How restic ended; `None` when a pre-hook skipped the backup.
    pub restic: Option<Outcome>,
    /// How many post-hooks failed.
    pub failed_post_hooks: usize,
}

/// Why a run stopped before restic was attempted.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// restic does not exist; nothing ran (exit 127).
    #[error(transparent)]
    NotFound(#[from] NotFound),
    /// `_workdir` is not a directory; nothing ran (exit 1).
    #[error("working directory {} is not usable: {source}", path.display())]
    Workdir {
        /// The configured directory.
        path: PathBuf,
        /// Why it is not usable.
        #[source]
        source: io::Error,
    },
    /// keld could not set itself up to supervise (exit 1).
    #[error(transparent)]
    Supervise(#[from] SuperviseError),
    /// A `_COMMAND` failed; no hook and no restic ran (exit 1).
    #[error(transparent)]
    EnvCommand(#[from] EnvCommandError),
    /// A pre-hook failed; restic and the post-hooks did not run (exit 1).
    #[error(transparent)]
    PreHook(HookError),
    /// A signal arrived before restic started; nothing more ran (exit 128 + N).
    #[error("stopped by signal {signal}{} before restic started", signal_suffix(*signal))]
    Interrupted {
        /// The signal number.
        signal: i32,
    },
}

fn signal_suffix(signal: i32) -> String {
    keld_status::signal_name(signal)
        .map(|name| format!(" ({name})"))
        .unwrap_or_default()
}

impl RunError {
    /// The exit code keld returns for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::NotFound(error) => error.exit_code(),
            Self::Interrupted { signal } => Outcome::Signaled(*signal).exit_code(),
            Self::Workdir { .. } | Self::Supervise(_) | Self::EnvCommand(_) | Self::PreHook(_) => 1,
        }
    }
}
