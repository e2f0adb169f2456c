//! What a run tells its observers while it goes, and how it ended.

use std::fmt;
use std::io;
use std::time::SystemTime;

use keld_status::{Outcome, RunResult};
use keld_supervise::{StartError, SuperviseError};

use crate::environ::EnvCommandError;
use crate::invocation::Invocation;
use crate::lock::{Holder, LockError};
use crate::prepare::PrepareError;

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
    /// It ran longer than `_hook_timeout` (written as this text) and was stopped.
    TimedOut(String),
    /// `sh` could not be started or waited for.
    Supervise(io::Error),
}

impl fmt::Display for HookFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ended(outcome) => write!(f, "failed: {outcome}"),
            Self::TimedOut(limit) => write!(f, "timed out after {limit}"),
            Self::Supervise(error) => write!(f, "failed: cannot run /bin/sh: {error}"),
        }
    }
}

/// A hook that did not succeed: `pre-hook "<cmd>" failed: exit status N`, or
/// `pre-hook "<cmd>" timed out after 10m`.
#[derive(Debug, thiserror::Error)]
#[error("{phase} {hook:?} {failure}")]
pub struct HookError {
    /// Pre or post.
    pub phase: HookPhase,
    /// The hook's shell text.
    pub hook: String,
    /// What went wrong.
    pub failure: HookFailure,
}

/// Why a run stopped before restic was attempted.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Something keld checks before starting anything is wrong; nothing ran.
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    /// keld could not set itself up to supervise (exit 1).
    #[error(transparent)]
    Supervise(#[from] SuperviseError),
    /// The preset's lock was not taken (held: exit 1; a signal: exit 128 + N).
    #[error(transparent)]
    Lock(#[from] LockError),
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
            Self::Prepare(error) => error.exit_code(),
            Self::Interrupted { signal } | Self::Lock(LockError::Interrupted { signal, .. }) => {
                Outcome::Signaled(*signal).exit_code()
            }
            Self::Lock(_) => 1,
            Self::Supervise(_) | Self::EnvCommand(_) | Self::PreHook(_) => 1,
        }
    }
}

/// How a run ended, whatever stopped it.
#[derive(Debug)]
pub struct RunReport {
    /// The exit code keld returns for this run.
    pub exit_code: u8,
    /// How the run ended, in one word.
    pub result: RunResult,
    /// How restic ended; `None` when it was not attempted.
    pub restic: Option<Outcome>,
    /// The pre-hook that asked to skip the backup (exit 75), if one did.
    pub skipped_by: Option<String>,
    /// How many post-hooks failed.
    pub failed_post_hooks: usize,
    /// The message of the first post-hook that failed.
    pub first_hook_failure: Option<String>,
    /// keld's own error that ended the run before restic, if any.
    pub error: Option<RunError>,
    /// Why a run that no error of keld's own stopped failed anyway, in keld's words:
    /// a drill's files that did not compare, or its restic step that failed.
    pub failure: Option<String>,
    /// The first signal keld received during the run.
    pub signal: Option<i32>,
    /// When the run started.
    pub started: SystemTime,
    /// When it ended.
    pub finished: SystemTime,
}

/// Something a run reports while it goes, to every [`Observer`].
#[derive(Debug)]
pub enum Event<'a> {
    /// The preset's lock is held by another run; keld waits for it (told once).
    LockWaiting {
        /// Who holds it, when its lock file says.
        holder: Option<&'a Holder>,
        /// How long keld waits at most.
        wait: std::time::Duration,
    },
    /// The run starts: the lock (if any) is held and the first `_COMMAND` is next.
    Started,
    /// A pre-hook exited 75: the backup is skipped; nothing else runs, keld exits 0.
    Skipped {
        /// The pre-hook that asked.
        hook: &'a str,
    },
    /// restic could not be started; the post-hooks run next with `start_failed`.
    ResticStartFailed(&'a StartError),
    /// A post-hook failed; the remaining ones still run.
    PostHookFailed(&'a HookError),
    /// The run is over; nothing more happens in it.
    Finished(&'a RunReport),
}

/// Hears about each [`Event`] of a run as it happens, so it can report it between
/// the children's own output, record it or pass it on. The run's own steps never
/// depend on what an observer does.
pub trait Observer {
    /// One event of the run of `invocation`.
    fn on_event(&mut self, invocation: &Invocation, event: &Event<'_>);
}

impl<F: FnMut(&Invocation, &Event<'_>)> Observer for F {
    fn on_event(&mut self, invocation: &Invocation, event: &Event<'_>) {
        self(invocation, event);
    }
}
