//! Running children one at a time while the terminating signals are caught.

use std::cell::Cell;
use std::io;
use std::marker::PhantomData;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, OnceLock};

use keld_status::Outcome;
use nix::sys::wait::{Id, WaitPidFlag, waitid};
use signal_hook_registry::SigId;

use crate::capture::{CaptureError, Captured, capture_unless};
use crate::child::{ChildCommand, RunError, SuperviseError, outcome_of};
use crate::children::Children;
use crate::signals::{CAUGHT_SIGNALS, CaughtSignal, Forwarder, Watch};
use crate::spawn::{Publish, is_ignored, reap, start};
use crate::timeout::{Timeout, Watchdog};

/// Runs children one at a time while SIGINT, SIGTERM, SIGHUP and SIGQUIT are caught.
///
/// While it exists, those signals no longer end the process: each is recorded (see
/// [`Supervisor::take_caught`]) and, when another process sent it and a child is
/// running, forwarded to that child as the same signal by the signal handler itself.
/// A signal the terminal raised reached the child through the process group already
/// and is not sent again — except a hang-up when this process leads its session: the
/// kernel sends that to the session leader alone, so it is passed on.
///
/// The signals are caught by a handler, never ignored: an ignored disposition would be
/// inherited across `exec` and the child could not be interrupted.
///
/// On Linux each child receives SIGTERM when the thread that started it dies, so call
/// [`Supervisor::run`] from a thread that outlives the child (normally the main one).
///
/// A supervisor belongs to one thread (it is not `Sync`): it runs one child at a time.
/// A signal the process inherited as ignored (`nohup`) is left ignored. When the last
/// supervisor is dropped, the caught signals have their default effect again.
#[derive(Debug)]
pub struct Supervisor {
    watch: Arc<Watch>,
    handlers: Vec<SigId>,
    /// Children started by [`Supervisor::capture`] while they run.
    captured: Arc<Children>,
    _one_thread: PhantomData<Cell<()>>,
}

/// Stops a [`Supervisor`]'s work from any thread, the way a terminating signal from
/// another process would: [`Supervisor::signal_received`] then names the signal (so
/// no further child starts and the caller winds down as after a real signal), and the
/// running child gets the signal, a captured one with everything it started.
///
/// Made by [`Supervisor::stopper`]; it is `Send` and `Sync` and may outlive the
/// supervisor (it then stops nothing).
#[derive(Debug, Clone)]
pub struct Stopper {
    watch: Arc<Watch>,
    captured: Arc<Children>,
}

impl Stopper {
    /// Stop as if another process had sent `signal` (SIGINT, SIGTERM, ...).
    pub fn stop(&self, signal: i32) {
        // Recorded first: a captured child about to start either sees the signal or
        // is listed, and then receives it below.
        self.watch.raise(signal);
        self.captured.signal_all(signal);
    }

    /// The signal the supervisor received (or was stopped with) and no run has
    /// accounted for yet, as [`Supervisor::signal_received`] says it.
    pub fn signal_received(&self) -> Option<i32> {
        self.watch.signal_received()
    }

    /// SIGKILL to every captured child still running and what it started (one that did
    /// not end at [`Stopper::stop`]'s signal).
    pub fn kill(&self) {
        self.captured.signal_all(nix::libc::SIGKILL);
    }
}

/// How a child run by [`Supervisor::run_with`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ran {
    /// Its exit code or the signal that killed it.
    pub outcome: Outcome,
    /// Whether its [`Timeout`] passed (it was sent SIGTERM).
    pub timed_out: bool,
}

/// Supervisors alive now: when none is, a caught signal has its default effect.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// The signals of [`CAUGHT_SIGNALS`] this process did not inherit as ignored, read
/// once, before any is caught. A signal the process was started with ignored (`nohup`
/// ignores SIGHUP; a shell script's `cmd &` ignores SIGINT and SIGQUIT) stays
/// ignored, in the process and in its children, as it would for the child alone.
fn caught_signals() -> &'static [i32] {
    static CAUGHT: OnceLock<Vec<i32>> = OnceLock::new();
    CAUGHT.get_or_init(|| {
        CAUGHT_SIGNALS
            .into_iter()
            .filter(|&signal| !is_ignored(signal))
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
            captured: Arc::new(Children::new()),
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
        self.run_with(command, None).map(|ran| ran.outcome)
    }

    /// [`Supervisor::run`] with an optional [`Timeout`]: when it passes, the child and
    /// every process it started get SIGTERM, and what is left gets SIGKILL
    /// `kill_after` later. Only the child's own exit is waited for (never its output,
    /// which it shares with the caller), and the processes it started get their
    /// SIGKILL even when it ended at the SIGTERM.
    pub fn run_with(
        &self,
        command: &ChildCommand,
        timeout: Option<Timeout>,
    ) -> Result<Ran, RunError> {
        let publish: &dyn Publish = &*self.watch;
        let (program, pid) =
            start(command, None, Some(publish), |_| {}).map_err(RunError::Start)?;
        // A signal from another process that came while no child ran (between the
        // caller's last check and the start) goes to this one.
        self.watch.quiesce();
        self.watch.forward_missed(pid);
        let watchdog = match timeout {
            Some(timeout) => Watchdog::start(pid, timeout).ok(),
            None => None,
        };
        // Wait without reaping first: until the pid is cleared below the child stays a
        // zombie, so a forwarded signal can never hit an unrelated process that reused
        // its pid.
        let exited = WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT;
        while let Err(nix::errno::Errno::EINTR) = waitid(Id::Pid(pid), exited) {}
        let timed_out = watchdog.is_some_and(Watchdog::finish);
        self.watch.child.store(0, SeqCst);
        self.watch.quiesce();
        let status = reap(pid).map_err(|source| {
            RunError::Wait(SuperviseError::Wait {
                program: program.clone(),
                source,
            })
        })?;
        Ok(Ran {
            outcome: outcome_of(status),
            timed_out,
        })
    }

    /// [`crate::capture`] under this supervisor: once a signal has been caught, no
    /// further child starts ([`CaptureError::Interrupted`]); a signal another process
    /// sends while the child runs reaches it and every process it started (a
    /// terminal's signal reached them through the process group already), so one that
    /// never finishes cannot keep the caller waiting.
    pub fn capture(
        &self,
        command: &ChildCommand,
        limit: Option<usize>,
    ) -> Result<Captured, CaptureError> {
        // Passing a signal on to a process tree reads /proc, which a signal handler
        // cannot do: a thread does it, only while a captured child may run.
        let _forwarder = Forwarder::start(&self.watch, &self.captured).map_err(CaptureError::Io)?;
        capture_unless(command, limit, &self.captured, &|| self.signal_received())
    }

    /// A handle that stops this supervisor's work from another thread.
    pub fn stopper(&self) -> Stopper {
        Stopper {
            watch: Arc::clone(&self.watch),
            captured: Arc::clone(&self.captured),
        }
    }

    /// The signal received since the last [`Supervisor::take_caught`], if any (the
    /// oldest one). The signal handler records it, so a check between two children
    /// never misses a signal that came before the first one ended. Use it to decide
    /// whether to start another child.
    pub fn signal_received(&self) -> Option<i32> {
        self.watch.signal_received()
    }

    /// The signals caught since the last call, oldest first, and forget them. The
    /// first [`CAUGHT_SIGNALS_KEPT`](crate::CAUGHT_SIGNALS_KEPT) between two calls are
    /// kept; later ones are still forwarded and count for
    /// [`Supervisor::signal_received`].
    pub fn take_caught(&self) -> Vec<CaughtSignal> {
        self.watch.take()
    }

    /// The oldest signal caught since the last [`Supervisor::take_caught`], kept.
    pub fn first_caught(&self) -> Option<CaughtSignal> {
        self.watch.first()
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
