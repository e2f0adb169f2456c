//! The outcome vocabulary of a supervised restic run.
//!
//! A run ends in one of three ways — restic exited with a code, restic was killed by a
//! signal, or restic could not be started — and each maps to the exit code keld itself
//! returns and to a [`Status`] name that hooks receive as `KELD_RESTIC_STATUS`.
//!
//! ```
//! use keld_status::{Outcome, StartFailure, Status};
//!
//! assert_eq!(Outcome::Exited(3).status(), Status::Partial);
//! assert_eq!(Outcome::Signaled(15).exit_code(), 143);
//! assert_eq!(Outcome::Signaled(15).status(), Status::Terminated);
//! assert_eq!(Outcome::StartFailed(StartFailure::NotFound).exit_code(), 127);
//! assert_eq!("wrong_password".parse::<Status>(), Ok(Status::WrongPassword));
//! assert_eq!(Status::RepositoryMissing.to_string(), "repository_missing");
//! ```
//!
//! A whole run (restic with its hooks and keld's own steps) ends in one [`RunResult`],
//! the word run records, `keld status` and monitoring use:
//!
//! ```
//! use keld_status::{Outcome, RunFacts, RunResult};
//!
//! let partial = RunFacts { exit_code: 3, restic: Some(Outcome::Exited(3)), ..RunFacts::default() };
//! assert_eq!(RunResult::of(&partial), RunResult::Warning);
//! assert_eq!(RunResult::of(&RunFacts { exit_code: 1, ..RunFacts::default() }), RunResult::Failed);
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

use std::fmt;
use std::str::FromStr;

/// How a child process (restic or a hook) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Outcome {
    /// The process exited with this code (0..=255).
    Exited(u8),
    /// The process was killed by this signal number.
    Signaled(i32),
    /// The process could not be started at all.
    StartFailed(StartFailure),
}

/// Why a process could not be started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum StartFailure {
    /// The executable does not exist (shell convention: exit 127).
    NotFound,
    /// The executable exists but could not be executed (shell convention: exit 126).
    NotExecutable,
}

impl StartFailure {
    /// The exit code a shell uses for this failure: 127 or 126.
    pub const fn exit_code(self) -> u8 {
        match self {
            Self::NotFound => 127,
            Self::NotExecutable => 126,
        }
    }
}

impl Outcome {
    /// The exit code keld returns for this outcome: the code itself, 128 + N for a
    /// signal N, 127/126 for a start failure.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Exited(code) => code,
            // Signal numbers are small; clamp anything odd rather than wrap to success.
            Self::Signaled(sig) => u8::try_from(128 + sig.clamp(1, 127)).unwrap_or(255),
            Self::StartFailed(failure) => failure.exit_code(),
        }
    }

    /// Whether the process started (so an exit code exists).
    pub const fn started(self) -> bool {
        !matches!(self, Self::StartFailed(_))
    }

    /// Whether the process exited with code 0.
    pub const fn success(self) -> bool {
        matches!(self, Self::Exited(0))
    }

    /// The status name for this outcome, as restic's documented exit codes define it.
    pub fn status(self) -> Status {
        match self {
            Self::StartFailed(_) => Status::StartFailed,
            other => Status::from_exit_code(other.exit_code()),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exited(code) => write!(f, "exit status {code}"),
            Self::Signaled(sig) => match signal_name(*sig) {
                Some(name) => write!(f, "killed by signal {sig} ({name})"),
                None => write!(f, "killed by signal {sig}"),
            },
            Self::StartFailed(StartFailure::NotFound) => f.write_str("not found"),
            Self::StartFailed(StartFailure::NotExecutable) => f.write_str("not executable"),
        }
    }
}

/// The conventional name of a common POSIX signal number (Linux numbering).
pub fn signal_name(signal: i32) -> Option<&'static str> {
    Some(match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        6 => "SIGABRT",
        9 => "SIGKILL",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return None,
    })
}

/// The status name given to hooks in `KELD_RESTIC_STATUS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Status {
    /// restic exited 0.
    Success,
    /// restic exited 1: a fatal error, no snapshot was created.
    Fatal,
    /// restic exited 2: a runtime error in the go runtime.
    RuntimeError,
    /// restic exited 3: a snapshot was made but some source files could not be read.
    Partial,
    /// restic exited 10: the repository does not exist.
    RepositoryMissing,
    /// restic exited 11: the repository could not be locked.
    Locked,
    /// restic exited 12: the repository password is wrong.
    WrongPassword,
    /// restic exited 130, or was killed by SIGINT.
    Interrupted,
    /// restic exited 143, or was killed by SIGTERM.
    Terminated,
    /// restic exited with any other code.
    UnknownFailure,
    /// restic could not be started.
    StartFailed,
}

impl Status {
    /// Every status, in table order.
    pub const ALL: [Status; 11] = [
        Self::Success,
        Self::Fatal,
        Self::RuntimeError,
        Self::Partial,
        Self::RepositoryMissing,
        Self::Locked,
        Self::WrongPassword,
        Self::Interrupted,
        Self::Terminated,
        Self::UnknownFailure,
        Self::StartFailed,
    ];

    /// The status for an exit code of a process that started.
    pub const fn from_exit_code(code: u8) -> Self {
        match code {
            0 => Self::Success,
            1 => Self::Fatal,
            2 => Self::RuntimeError,
            3 => Self::Partial,
            10 => Self::RepositoryMissing,
            11 => Self::Locked,
            12 => Self::WrongPassword,
            130 => Self::Interrupted,
            143 => Self::Terminated,
            _ => Self::UnknownFailure,
        }
    }

    /// The snake_case name used in `KELD_RESTIC_STATUS`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Fatal => "fatal",
            Self::RuntimeError => "runtime_error",
            Self::Partial => "partial",
            Self::RepositoryMissing => "repository_missing",
            Self::Locked => "locked",
            Self::WrongPassword => "wrong_password",
            Self::Interrupted => "interrupted",
            Self::Terminated => "terminated",
            Self::UnknownFailure => "unknown_failure",
            Self::StartFailed => "start_failed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The error returned when parsing a string that is no status name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStatus(pub String);

impl fmt::Display for UnknownStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown restic status {:?}", self.0)
    }
}

impl std::error::Error for UnknownStatus {}

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// How a whole run ended, in one word: what records, `keld status` and monitoring
/// report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum RunResult {
    /// keld exited 0, and restic, if it ran, exited 0.
    Success,
    /// restic made its snapshot but warned (exit 3, or a code listed in
    /// `_success_exit_codes`), and no hook failed.
    Warning,
    /// Anything else that was not skipped or interrupted.
    Failed,
    /// A pre-hook exited 75: the run was skipped on purpose.
    Skipped,
    /// keld received a signal during the run.
    Interrupted,
}

/// What [`RunResult::of`] judges a run by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunFacts {
    /// keld's exit code for the run.
    pub exit_code: u8,
    /// How restic ended, if it was attempted.
    pub restic: Option<Outcome>,
    /// A pre-hook asked to skip the run.
    pub skipped: bool,
    /// The first signal keld received during the run.
    pub signal: Option<i32>,
    /// A hook (pre or post) failed.
    pub hook_failed: bool,
    /// restic's exit code was listed in `_success_exit_codes`.
    pub listed_success_code: bool,
}

impl RunResult {
    /// Every result, in table order.
    pub const ALL: [RunResult; 5] = [
        Self::Success,
        Self::Warning,
        Self::Failed,
        Self::Skipped,
        Self::Interrupted,
    ];

    /// The result of a run, the first rule that applies: `interrupted` when keld
    /// received a signal; `skipped` when a pre-hook exited 75; `success` when keld's
    /// exit code is 0 and restic, if it ran, exited 0; `warning` when restic exited 3
    /// or with a listed success code and no hook failed; `failed` otherwise.
    pub fn of(facts: &RunFacts) -> Self {
        if facts.signal.is_some() {
            return Self::Interrupted;
        }
        if facts.skipped {
            return Self::Skipped;
        }
        let restic_ok = facts.restic.is_none_or(Outcome::success);
        if facts.exit_code == 0 && restic_ok {
            return Self::Success;
        }
        let warned = matches!(facts.restic, Some(Outcome::Exited(3)))
            || (facts.listed_success_code && matches!(facts.restic, Some(Outcome::Exited(_))));
        if warned && !facts.hook_failed {
            return Self::Warning;
        }
        Self::Failed
    }

    /// The snake_case name used in records and `keld status`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Warning => "warning",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::Interrupted => "interrupted",
        }
    }

    /// Whether the run counts as a backup that happened (`success` or `warning`):
    /// what freshness checks look for.
    pub const fn is_success(self) -> bool {
        matches!(self, Self::Success | Self::Warning)
    }
}

impl fmt::Display for RunResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for RunResult {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|result| result.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}
