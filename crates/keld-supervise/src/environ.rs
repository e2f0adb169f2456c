//! Building restic's environment: literal values and `NAME_COMMAND` outputs.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::path::Path;
use std::process::ExitStatus;
use std::sync::{Mutex, MutexGuard, PoisonError};

use keld_status::Outcome;
use nix::sys::wait::{Id, WaitPidFlag, waitid};
use nix::unistd::Pid;

use crate::descendants;
use crate::env;
use crate::signals::forward;
use crate::spawn::{reap, start};
use crate::supervisor::{ChildCommand, outcome_of};

/// Largest standard output a `_COMMAND` may print (1 MiB); environment values are
/// secrets and paths, not documents.
pub const OUTPUT_LIMIT: usize = 1024 * 1024;

/// How much of a failing command's standard error is quoted in the error.
pub const STDERR_QUOTE_LIMIT: usize = 2000;

/// Where an environment variable's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvSource {
    /// A value given as is.
    Literal(OsString),
    /// Shell text run with `sh -c`; its standard output less one trailing newline is
    /// the value.
    Command(String),
}

/// One variable the config sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvEntry {
    /// The name restic sees (`FOO` for a configured `FOO_COMMAND`).
    pub name: String,
    /// Its value or the command producing it.
    pub source: EnvSource,
}

/// A `_COMMAND` failed; nothing else ran. Never contains the command's output.
#[derive(Debug, thiserror::Error)]
pub enum EnvCommandError {
    /// `sh` could not be started or its output could not be read.
    #[error("{name}_COMMAND could not run: {source}")]
    Io {
        /// The variable the command was to set.
        name: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The command did not succeed.
    #[error("{name}_COMMAND failed: {outcome}{}", quote_stderr(stderr))]
    Failed {
        /// The variable the command was to set.
        name: String,
        /// How the command ended.
        outcome: Outcome,
        /// The start of its standard error, lossily decoded and trimmed.
        stderr: String,
    },
    /// The command printed more than the limit and was stopped.
    #[error("{name}_COMMAND printed more than {limit} bytes; it was stopped")]
    TooLarge {
        /// The variable the command was to set.
        name: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// keld received a signal before the command could start, so it was not started.
    #[error("{name}_COMMAND was not started: keld received signal {signal}")]
    Interrupted {
        /// The variable the command was to set.
        name: String,
        /// The signal number.
        signal: i32,
    },
}

impl EnvCommandError {
    /// The name of the variable whose command failed.
    pub fn name(&self) -> &str {
        match self {
            Self::Io { name, .. }
            | Self::Failed { name, .. }
            | Self::TooLarge { name, .. }
            | Self::Interrupted { name, .. } => name,
        }
    }
}

fn quote_stderr(stderr: &str) -> String {
    if stderr.is_empty() {
        " (nothing on stderr)".to_owned()
    } else {
        format!("; stderr: {stderr}")
    }
}

/// Add the config's variables to `base`: literals first, then each command in name
/// order with the environment built so far, in `workdir`.
///
/// Literals go first so that a command can use any variable the config sets (a
/// `PASSWORD_STORE_DIR` for `pass`, say) whatever the names' order.
pub fn resolve_environ(
    entries: &[EnvEntry],
    base: &[(OsString, OsString)],
    workdir: Option<&Path>,
) -> Result<Vec<(OsString, OsString)>, EnvCommandError> {
    resolve_environ_with_limit(entries, base, workdir, OUTPUT_LIMIT)
}

/// [`resolve_environ`] with a chosen output limit in bytes.
pub fn resolve_environ_with_limit(
    entries: &[EnvEntry],
    base: &[(OsString, OsString)],
    workdir: Option<&Path>,
    limit: usize,
) -> Result<Vec<(OsString, OsString)>, EnvCommandError> {
    resolve_environ_until(entries, base, workdir, limit, &|| None)
}

/// [`resolve_environ_with_limit`] that starts no further command once `stopped`
/// returns a signal number (see [`crate::Supervisor::resolve_environ`]).
pub(crate) fn resolve_environ_until(
    entries: &[EnvEntry],
    base: &[(OsString, OsString)],
    workdir: Option<&Path>,
    limit: usize,
    stopped: &dyn Fn() -> Option<i32>,
) -> Result<Vec<(OsString, OsString)>, EnvCommandError> {
    let mut environment = base.to_vec();
    let mut commands = Vec::new();
    for entry in entries {
        match &entry.source {
            EnvSource::Literal(value) => env::set(&mut environment, &entry.name, value.clone()),
            EnvSource::Command(script) => commands.push((entry.name.as_str(), script.as_str())),
        }
    }
    commands.sort_by_key(|(name, _)| *name);
    for (name, script) in commands {
        let value = run_env_command(name, script, &environment, workdir, limit, stopped)?;
        env::set(&mut environment, name, value);
    }
    Ok(environment)
}

/// The `_COMMAND` shells running now, so that a [`crate::Supervisor`]'s forwarding thread
/// can reach them. Process-wide, like the signal dispositions it serves.
static RUNNING: Mutex<Vec<Pid>> = Mutex::new(Vec::new());

fn running() -> MutexGuard<'static, Vec<Pid>> {
    RUNNING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A signal another process sent to keld: pass it to every running `_COMMAND` and
/// everything it started.
///
/// `sh -c 'sleep 1000'` waits for a `sleep` of its own; the signal must reach the
/// `sleep`, which holds the output pipe keld reads, or keld would wait for it. (A
/// signal from the terminal reached the whole foreground group already.)
pub(crate) fn forward_to_commands(signal: i32) {
    let running = running();
    for &shell in running.iter() {
        for pid in descendants::tree(shell) {
            forward(pid, signal);
        }
    }
}

/// Kill a started command and everything it started (it is still registered, so its
/// pid is still its own).
fn kill_tree(pid: Pid) {
    for member in descendants::tree(pid) {
        forward(member, nix::libc::SIGKILL);
    }
}

/// Wait for a started command and reap it. Until it is unregistered it stays a
/// zombie, so a forwarded signal never hits an unrelated process that reused its pid.
fn finish(pid: Pid) -> io::Result<ExitStatus> {
    let exited = WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT;
    while let Err(nix::errno::Errno::EINTR) = waitid(Id::Pid(pid), exited) {}
    running().retain(|&running| running != pid);
    reap(pid)
}

/// A pipe whose both ends are closed in children that `exec`.
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    Ok(nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?)
}

fn run_env_command(
    name: &str,
    script: &str,
    environment: &[(OsString, OsString)],
    workdir: Option<&Path>,
    limit: usize,
    stopped: &dyn Fn() -> Option<i32>,
) -> Result<OsString, EnvCommandError> {
    let io_error = |source| EnvCommandError::Io {
        name: name.to_owned(),
        source,
    };
    let mut command = ChildCommand::shell(script);
    command.env = environment.to_vec();
    command.workdir = workdir.map(Path::to_path_buf);
    let (stdout, stdout_writer) = pipe().map_err(io_error)?;
    let (stderr, stderr_writer) = pipe().map_err(io_error)?;
    let (_, pid) = {
        // A signal is recorded before the forwarding thread looks at the running
        // commands, which it does under this lock: either it is seen here and the
        // command does not start, or the thread finds the command registered.
        let mut running = running();
        if let Some(signal) = stopped() {
            return Err(EnvCommandError::Interrupted {
                name: name.to_owned(),
                signal,
            });
        }
        start(
            &command,
            Some((stdout_writer.as_fd(), stderr_writer.as_fd())),
            None,
            |pid| running.push(pid),
        )
        .map_err(|error| io_error(error.source))?
    };
    // Only the child writes now: reading ends when it and what it started are done.
    drop((stdout_writer, stderr_writer));

    let stderr = std::thread::spawn(move || {
        // Keep the start for the message, drain the rest so the child never blocks.
        let mut pipe = File::from(stderr);
        let mut kept = Vec::new();
        let _ = (&mut pipe)
            .take(STDERR_QUOTE_LIMIT as u64)
            .read_to_end(&mut kept);
        let _ = io::copy(&mut pipe, &mut io::sink());
        kept
    });

    let mut output = Vec::new();
    let read = File::from(stdout)
        .take(limit as u64 + 1)
        .read_to_end(&mut output);
    if let Err(source) = read {
        kill_tree(pid);
        let _ = finish(pid);
        return Err(io_error(source));
    }
    if output.len() > limit {
        // Killing sh and what it started stops the flood; a process that escaped the
        // tree still holds stderr and must not keep keld waiting, so that reader is
        // left alone.
        kill_tree(pid);
        let _ = finish(pid);
        return Err(EnvCommandError::TooLarge {
            name: name.to_owned(),
            limit,
        });
    }
    let status = finish(pid).map_err(io_error)?;
    let stderr = stderr.join().unwrap_or_default();
    let outcome = outcome_of(status);
    if !outcome.success() {
        return Err(EnvCommandError::Failed {
            name: name.to_owned(),
            outcome,
            stderr: tidy_stderr(&stderr),
        });
    }
    if output.last() == Some(&b'\n') {
        output.pop();
    }
    Ok(OsString::from_vec(output))
}

fn tidy_stderr(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if bytes.len() >= STDERR_QUOTE_LIMIT {
        format!("{text}…")
    } else {
        text.to_owned()
    }
}
