//! Spawning a child on keld's terminal and waiting for it while signals are caught.

use std::cell::Cell;
use std::ffi::OsString;
use std::io;
use std::marker::PhantomData;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, OnceLock};

use keld_status::{Outcome, StartFailure};
use nix::sys::wait::{Id, WaitPidFlag, waitid};
use signal_hook_registry::SigId;

use crate::signals::{CAUGHT_SIGNALS, CaughtSignal, Forwarder, Watch};
use crate::spawn::{reap, start};

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
///
/// A supervisor belongs to one thread (it is not `Sync`): it runs one child at a time.
/// A signal keld inherited as ignored (`nohup`) is left ignored. When the last
/// supervisor is dropped, the caught signals have their default effect again.
#[derive(Debug)]
pub struct Supervisor {
    watch: Arc<Watch>,
    handlers: Vec<SigId>,
    _one_thread: PhantomData<Cell<()>>,
}

/// Supervisors alive now: when none is, a caught signal has its default effect.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// The signals of [`CAUGHT_SIGNALS`] this process did not inherit as ignored, read
/// once, before any is caught. A signal keld was started with ignored (`nohup`
/// ignores SIGHUP; a shell script's `cmd &` ignores SIGINT and SIGQUIT) stays
/// ignored, in keld and in restic, as it would for restic alone.
fn caught_signals() -> &'static [i32] {
    static CAUGHT: OnceLock<Vec<i32>> = OnceLock::new();
    CAUGHT.get_or_init(|| {
        CAUGHT_SIGNALS
            .into_iter()
            .filter(|&signal| !crate::spawn::is_ignored(signal))
            .collect()
    })
}

/// Once per process: for each caught signal, an action that gives it its default
/// effect while no supervisor exists (signal-hook keeps its handler installed after
/// the last action is unregistered, and would otherwise swallow the signal). It
/// stays for the life of the process, also over other signal-hook users' actions.
fn install_fallback(signals: &'static [i32]) -> Result<(), SuperviseError> {
    static INSTALLED: OnceLock<Result<(), io::ErrorKind>> = OnceLock::new();
    let installed = INSTALLED.get_or_init(|| {
        for &signal in signals {
            #[allow(unsafe_code)]
            // SAFETY: an atomic load, then signal-hook's async-signal-safe emulation.
            unsafe {
                signal_hook_registry::register_sigaction(signal, move |_| {
                    if LIVE.load(SeqCst) == 0 {
                        let _ = signal_hook::low_level::emulate_default_handler(signal);
                    }
                })
            }
            .map_err(|error| error.kind())?;
        }
        Ok(())
    });
    installed.map_err(|kind| SuperviseError::Signals(io::Error::from(kind)))
}

impl Supervisor {
    /// Install the signal handlers.
    pub fn install() -> Result<Self, SuperviseError> {
        let signals = caught_signals();
        install_fallback(signals)?;
        let watch = Arc::new(Watch::for_this_process());
        let mut handlers = Vec::with_capacity(signals.len());
        for &signal in signals {
            let watch = Arc::clone(&watch);
            #[allow(unsafe_code)]
            // SAFETY: the action is async-signal-safe: `Watch::on_signal` uses atomics,
            // `getpid(2)`, `kill(2)` and `write(2)` only, and allocates nothing.
            let registered = unsafe {
                signal_hook_registry::register_sigaction(signal, move |info| {
                    watch.on_signal(info);
                })
            };
            match registered {
                Ok(id) => handlers.push(id),
                Err(error) => {
                    for id in handlers {
                        signal_hook_registry::unregister(id);
                    }
                    return Err(SuperviseError::Signals(error));
                }
            }
        }
        // Counted only now: a signal before this point has its default effect.
        LIVE.fetch_add(1, SeqCst);
        Ok(Self {
            watch,
            handlers,
            _one_thread: PhantomData,
        })
    }

    /// Run `command` to completion and return how it ended.
    ///
    /// An exit code is [`Outcome::Exited`]; death by signal N is [`Outcome::Signaled`]
    /// (read as 128 + N), never success. A `program` without `/` is looked up in the
    /// `PATH` of the command's environment; a file `exec` rejects is reported as not
    /// startable, never retried as a shell script. A program that is "busy" (open
    /// for writing) is tried again for up to about an eighth of a second.
    pub fn run(&self, command: &ChildCommand) -> Result<Outcome, RunError> {
        let (program, pid) =
            start(command, None, Some(&self.watch), |_| {}).map_err(RunError::Start)?;
        // A signal from another process that came while no child ran (between the
        // caller's last check and the start) goes to this one.
        self.watch.quiesce();
        self.watch.forward_missed(pid);
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
        // Uncounted first: from here on a signal has its default effect.
        LIVE.fetch_sub(1, SeqCst);
        for id in self.handlers.drain(..) {
            signal_hook_registry::unregister(id);
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
