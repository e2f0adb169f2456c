//! Spawning a child on keld's terminal and waiting for it while signals are caught.

use std::ffi::OsString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;

use keld_status::{Outcome, StartFailure};
use nix::sys::wait::{Id, WaitPidFlag, waitid};
use nix::unistd::Pid;
use signal_hook_registry::SigId;

use crate::signals::{CAUGHT_SIGNALS, CaughtSignal, Forwarder, Watch};
use crate::spawn::{Prepared, spawn};

/// What to run: a plain description with no behaviour of its own.
///
/// The child gets exactly `env` (keld's environment is not inherited implicitly),
/// inherits stdin, stdout and stderr, and stays in keld's process group so the
/// terminal treats it as the foreground job, as if it ran alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChildCommand {
    /// The program, ideally an absolute path from [`crate::find_program`].
    pub program: PathBuf,
    /// Arguments after the program name.
    pub args: Vec<OsString>,
    /// The complete environment of the child.
    pub env: Vec<(OsString, OsString)>,
    /// The working directory; keld's own when `None`.
    pub workdir: Option<PathBuf>,
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

    /// A `/bin/sh -c <script>` command: how hooks and `_COMMAND`s run.
    pub fn shell(script: &str) -> Self {
        Self::new("/bin/sh", ["-c", script])
    }

    /// The `std` command: environment replaced, stdio inherited, and on Linux the
    /// child is told to receive SIGTERM when the spawning thread dies. Used where the
    /// child's output is captured; [`Supervisor::run`] starts children itself.
    pub(crate) fn to_std(&self) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .env_clear()
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .stdin(Stdio::inherit())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit());
        if let Some(dir) = &self.workdir {
            command.current_dir(dir);
        }
        die_with_parent(&mut command);
        command
    }
}

#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    use nix::sys::signal::Signal;

    let parent = nix::unistd::getpid();
    #[allow(unsafe_code)]
    // SAFETY: `pre_exec` runs in the forked child before `exec`, where only
    // async-signal-safe work is allowed. The closure makes two system calls (`prctl`,
    // `getppid`) and builds an `io::Error` from a raw errno, which does not allocate;
    // it touches no lock and no heap.
    unsafe {
        command.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(Signal::SIGTERM)?;
            // keld may have died between fork and prctl, in which case the death
            // signal will never come: the child was re-parented already. Refuse to
            // start rather than run unsupervised.
            if nix::unistd::getppid() != parent {
                return Err(io::Error::from(nix::errno::Errno::ESRCH));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

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
    pub(crate) fn not_found(program: &Path, error: crate::NotFound) -> Self {
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

/// Errors from [`Supervisor`].
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

/// Runs children one at a time while SIGINT, SIGTERM, SIGHUP and SIGQUIT are caught.
///
/// While it exists, those signals no longer end keld: each is recorded (see
/// [`Supervisor::take_caught`]) and, when another process sent it and a child is
/// running, forwarded to that child as the same signal by the signal handler itself.
/// A signal the terminal raised reached the child through the process group already
/// and is not sent again.
///
/// The signals are caught by a handler, never ignored: an ignored disposition would be
/// inherited across `exec` and restic could not be interrupted.
///
/// On Linux each child receives SIGTERM when the thread that started it dies, so call
/// [`Supervisor::run`] from a thread that outlives the child (normally the main one).
#[derive(Debug)]
pub struct Supervisor {
    watch: Arc<Watch>,
    handlers: Vec<SigId>,
}

impl Supervisor {
    /// Install the signal handlers.
    pub fn install() -> Result<Self, SuperviseError> {
        let mut supervisor = Self {
            watch: Arc::new(Watch::default()),
            handlers: Vec::with_capacity(CAUGHT_SIGNALS.len()),
        };
        for signal in CAUGHT_SIGNALS {
            let watch = Arc::clone(&supervisor.watch);
            #[allow(unsafe_code)]
            // SAFETY: the action is async-signal-safe: `Watch::on_signal` uses atomics,
            // `kill(2)` and `write(2)` only, and allocates nothing.
            let id = unsafe {
                signal_hook_registry::register_sigaction(signal, move |info| {
                    watch.on_signal(info);
                })
            }
            .map_err(SuperviseError::Signals)?;
            // Kept at once, so that when a later signal fails, dropping the half-made
            // supervisor unregisters this one.
            supervisor.handlers.push(id);
        }
        Ok(supervisor)
    }

    /// Run `command` to completion and return how it ended.
    ///
    /// An exit code is [`Outcome::Exited`]; death by signal N is [`Outcome::Signaled`]
    /// (read as 128 + N), never success. A `program` without `/` is looked up in the
    /// `PATH` of the command's environment; a file `exec` rejects is reported as not
    /// startable, never retried as a shell script. A program that is "busy" (open
    /// for writing) is tried again for up to about an eighth of a second.
    pub fn run(&self, command: &ChildCommand) -> Result<Outcome, RunError> {
        let program = if command.program.as_os_str().as_bytes().contains(&b'/') {
            command.program.clone()
        } else {
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
            crate::find_program(command.program.as_os_str(), &command.env, &cwd)
                .map_err(|error| RunError::Start(StartError::not_found(&command.program, error)))?
        };
        let start_error = |source| RunError::Start(StartError::new(&program, source));
        let prepared = Prepared::new(
            &program,
            &command.args,
            &command.env,
            command.workdir.as_deref(),
        )
        .map_err(start_error)?;
        let started = |pid: Pid| self.watch.child.store(pid.as_raw(), SeqCst);
        let mut attempt = 0;
        let pid = loop {
            match spawn(&prepared, started) {
                // "Text file busy": the program is open for writing somewhere, often
                // only for a moment (a copy of a descriptor held by a process that
                // another thread is starting, or a package update).
                Err(error)
                    if error.raw_os_error() == Some(nix::libc::ETXTBSY)
                        && attempt < TEXT_BUSY_RETRIES =>
                {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(2 << attempt));
                }
                result => break result.map_err(start_error)?,
            }
        };
        // Wait without reaping first: until the pid is cleared below the child stays a
        // zombie, so a forwarded signal can never hit an unrelated process that reused
        // its pid.
        let exited = WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT;
        while let Err(nix::errno::Errno::EINTR) = waitid(Id::Pid(pid), exited) {}
        self.watch.child.store(0, SeqCst);
        self.watch.quiesce();
        let status = reap(pid).map_err(|source| {
            RunError::Wait(SuperviseError::Wait {
                program: program.clone(),
                source,
            })
        })?;
        Ok(outcome_of(status))
    }

    /// The signal keld received since the last [`Supervisor::take_caught`], if any
    /// (the oldest one). The signal handler records it, so a check between two
    /// children never misses a signal that came before the first one ended. Use it to
    /// decide whether to start another child.
    pub fn signal_received(&self) -> Option<i32> {
        self.watch.signal_received()
    }

    /// The signals caught since the last call, oldest first, and forget them. The
    /// first [`CAUGHT_SIGNALS_KEPT`](crate::CAUGHT_SIGNALS_KEPT) between two calls are kept; later ones are still
    /// forwarded and count for [`Supervisor::signal_received`].
    pub fn take_caught(&self) -> Vec<CaughtSignal> {
        self.watch.take()
    }

    /// The oldest signal caught since the last [`Supervisor::take_caught`], kept.
    pub fn first_caught(&self) -> Option<CaughtSignal> {
        self.watch.first()
    }

    /// [`crate::resolve_environ`] under this supervisor: once a signal has been caught,
    /// no further `_COMMAND` starts (the one running when it came receives it, with
    /// everything it started, if it came from another process) and the result is
    /// [`EnvCommandError::Interrupted`](crate::EnvCommandError::Interrupted).
    pub fn resolve_environ(
        &self,
        entries: &[crate::EnvEntry],
        base: &[(OsString, OsString)],
        workdir: Option<&Path>,
    ) -> Result<Vec<(OsString, OsString)>, crate::EnvCommandError> {
        let first_command = entries
            .iter()
            .find(|entry| matches!(entry.source, crate::EnvSource::Command(_)));
        // Passing a signal on to a command's whole process tree reads /proc, which a
        // signal handler cannot do: a thread does it, only while commands may run.
        let _forwarder = match first_command {
            Some(entry) => Some(Forwarder::start(&self.watch).map_err(|source| {
                crate::EnvCommandError::Io {
                    name: entry.name.clone(),
                    source,
                }
            })?),
            None => None,
        };
        crate::environ::resolve_environ_until(entries, base, workdir, crate::OUTPUT_LIMIT, &|| {
            self.signal_received()
        })
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        for id in self.handlers.drain(..) {
            signal_hook_registry::unregister(id);
        }
    }
}

/// How often starting a program that is busy ("Text file busy") is tried again,
/// after 4, 8, 16, 32 and 64 ms.
const TEXT_BUSY_RETRIES: u32 = 5;

/// Reap `pid` and return how it ended.
fn reap(pid: Pid) -> io::Result<ExitStatus> {
    let mut status = 0;
    loop {
        #[allow(unsafe_code)]
        // SAFETY: `waitpid` writes one `c_int` through a valid pointer. (`nix`'s
        // `waitpid` refuses statuses with signal numbers it has no name for.)
        let reaped = unsafe { nix::libc::waitpid(pid.as_raw(), &raw mut status, 0) };
        if reaped == pid.as_raw() {
            return Ok(ExitStatus::from_raw(status));
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Why [`Supervisor::run`] has no outcome from a running child.
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
