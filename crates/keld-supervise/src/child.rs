//! What a child is (a plain description) and how starting or waiting for one fails.

use std::ffi::OsString;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use keld_status::{Outcome, StartFailure};

use crate::path::NotFound;

/// What to run: a plain description with no behaviour of its own.
///
/// The child gets exactly `env` (the caller's environment is not inherited
/// implicitly), inherits stdout and stderr (unless they are captured), and stays in
/// the caller's process group so the terminal treats it as the foreground job, as if
/// it ran alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChildCommand {
    /// The program: a path, or a name looked up in the `PATH` of `env`.
    pub program: PathBuf,
    /// Arguments after the program name.
    pub args: Vec<OsString>,
    /// The complete environment of the child.
    pub env: Vec<(OsString, OsString)>,
    /// The working directory; the caller's own when `None`.
    pub workdir: Option<PathBuf>,
    /// Where the child's standard input comes from.
    pub stdin: Stdin,
}

/// A child's standard input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Stdin {
    /// The caller's own (a terminal, so a password prompt works).
    #[default]
    Inherit,
    /// `/dev/null`: the child can never wait for input.
    Null,
}

impl ChildCommand {
    /// A command running `program` with `args` and nothing else set.
    pub fn new(
        program: impl Into<PathBuf>,
        args: impl IntoIterator<Item = impl Into<OsString>>,
    ) -> Self {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// A `/bin/sh -c <script>` command.
    pub fn shell(script: &str) -> Self {
        Self::new("/bin/sh", ["-c", script])
    }
}

/// The child could not be started: nothing ran.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}", program.display(), self.reason())]
pub struct StartError {
    /// The program that was to run.
    pub program: PathBuf,
    /// Why it did not start.
    pub failure: StartFailure,
    /// The operating system's error.
    #[source]
    pub source: io::Error,
}

impl StartError {
    /// Classify a spawn error: the program vanished (127) or exists but cannot run
    /// (126: no execute permission, bad interpreter, wrong format, missing workdir).
    pub(crate) fn new(program: &Path, source: io::Error) -> Self {
        let failure = if source.kind() == io::ErrorKind::NotFound && !program.exists() {
            StartFailure::NotFound
        } else {
            StartFailure::NotExecutable
        };
        Self {
            program: program.to_owned(),
            failure,
            source,
        }
    }

    /// A bare program name that is nowhere on the `PATH` (127).
    pub(crate) fn not_found(program: &Path, error: &NotFound) -> Self {
        Self {
            program: program.to_owned(),
            failure: StartFailure::NotFound,
            source: io::Error::new(io::ErrorKind::NotFound, error.to_string()),
        }
    }

    /// Why, in words: the operating system's error, except that "not found" for a
    /// file that exists means the interpreter on its `#!` line is missing.
    fn reason(&self) -> String {
        if self.failure == StartFailure::NotExecutable
            && self.source.raw_os_error() == Some(nix::libc::ENOENT)
        {
            "the interpreter named on its #! line does not exist".to_owned()
        } else {
            self.source.to_string()
        }
    }

    /// The outcome that stands for this failure (`StartFailed`).
    pub const fn outcome(&self) -> Outcome {
        Outcome::StartFailed(self.failure)
    }
}

/// Errors setting up supervision, or waiting for a child.
#[derive(Debug, thiserror::Error)]
pub enum SuperviseError {
    /// The signal handlers could not be installed.
    #[error("cannot catch signals: {0}")]
    Signals(#[source] io::Error),
    /// Waiting for the child failed; its outcome is unknown.
    #[error("waiting for {}: {source}", program.display())]
    Wait {
        /// The program waited for.
        program: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

/// Why a child has no outcome.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The child never started.
    #[error(transparent)]
    Start(StartError),
    /// The child started but waiting for it failed.
    #[error(transparent)]
    Wait(SuperviseError),
}

/// The outcome for an exit status: the code, or the signal that killed the child.
pub fn outcome_of(status: ExitStatus) -> Outcome {
    if let Some(signal) = status.signal() {
        return Outcome::Signaled(signal);
    }
    match status.code() {
        Some(code) => Outcome::Exited(u8::try_from(code & 0xff).unwrap_or(u8::MAX)),
        // Only stopped/continued statuses have neither; `wait` does not report those.
        None => Outcome::Exited(u8::MAX),
    }
}
