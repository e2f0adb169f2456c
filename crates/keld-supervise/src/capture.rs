//! Running a child with its output captured: bounded, and stoppable with everything
//! it started.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};

use keld_status::Outcome;

use crate::child::{ChildCommand, StartError, outcome_of};
use crate::children::Children;
use crate::spawn::start;

/// How much of a captured child's standard error is kept; the rest is read and
/// dropped so the child never blocks on a full pipe.
pub const STDERR_KEPT: usize = 64 * 1024;

/// What a captured child printed, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// How the child ended.
    pub outcome: Outcome,
    /// Its whole standard output (at most the limit asked for).
    pub stdout: Vec<u8>,
    /// The first [`STDERR_KEPT`] bytes of its standard error.
    pub stderr: Vec<u8>,
}

/// Why a captured child has no output to give.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// It could not be started.
    #[error(transparent)]
    Start(StartError),
    /// A pipe could not be made, or reading or waiting failed.
    #[error(transparent)]
    Io(io::Error),
    /// It printed more than the limit; it was killed with everything it started.
    #[error("it printed more than {limit} bytes and was stopped")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The registry was stopped ([`Children::stop_all`]) before it could start.
    #[error("it was not started: its registry is stopping")]
    Stopped,
    /// A signal was received before it could start (only under a
    /// [`crate::Supervisor`]).
    #[error("it was not started: signal {signal} was received")]
    Interrupted {
        /// The signal number.
        signal: i32,
    },
}

/// Run `command` to completion with its standard output and error captured, listed
/// in `children` while it runs. Standard input is what `command.stdin` says.
///
/// With `limit`, a child that prints more than `limit` bytes on standard output is
/// killed with every process it started, and the result is
/// [`CaptureError::TooLarge`]; the caller never holds more than the limit.
pub fn capture(
    command: &ChildCommand,
    limit: Option<usize>,
    children: &Children,
) -> Result<Captured, CaptureError> {
    capture_unless(command, limit, children, &|| None)
}

/// [`capture`] that does not start the child when `stopped` names a signal; checked
/// with the registry locked, so a signal forwarded to the registry's children either
/// stops the start or finds the child listed.
pub(crate) fn capture_unless(
    command: &ChildCommand,
    limit: Option<usize>,
    children: &Children,
    stopped: &dyn Fn() -> Option<i32>,
) -> Result<Captured, CaptureError> {
    let (stdout, stdout_writer) = pipe().map_err(CaptureError::Io)?;
    let (stderr, stderr_writer) = pipe().map_err(CaptureError::Io)?;
    let pid = {
        let mut listed = children.lock();
        if listed.closed {
            return Err(CaptureError::Stopped);
        }
        if let Some(signal) = stopped() {
            return Err(CaptureError::Interrupted { signal });
        }
        let (_, pid) = start(
            command,
            Some((stdout_writer.as_fd(), stderr_writer.as_fd())),
            None,
            |pid| listed.pids.push(pid),
        )
        .map_err(CaptureError::Start)?;
        pid
    };
    // Only the child writes now: reading ends when it and what it started are done.
    drop((stdout_writer, stderr_writer));

    let stderr = std::thread::spawn(move || {
        let mut pipe = File::from(stderr);
        let mut kept = Vec::new();
        let _ = (&mut pipe).take(STDERR_KEPT as u64).read_to_end(&mut kept);
        let _ = io::copy(&mut pipe, &mut io::sink());
        kept
    });

    let mut output = Vec::new();
    let read = match limit {
        Some(limit) => File::from(stdout)
            .take(limit as u64 + 1)
            .read_to_end(&mut output),
        None => File::from(stdout).read_to_end(&mut output),
    };
    if let Err(source) = read {
        children.kill(pid);
        return Err(CaptureError::Io(source));
    }
    if let Some(limit) = limit
        && output.len() > limit
    {
        // Killing the child and what it started stops the flood; a process that
        // escaped the tree may still hold stderr, so that reader is left alone.
        children.kill(pid);
        return Err(CaptureError::TooLarge { limit });
    }
    let status = children.finish(pid).map_err(CaptureError::Io)?;
    let stderr = stderr.join().unwrap_or_default();
    Ok(Captured {
        outcome: outcome_of(status),
        stdout: output,
        stderr,
    })
}

/// A pipe whose both ends are closed in children that `exec`.
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    Ok(nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?)
}
