//! The registry of captured children still running: listed from their start until
//! they have ended, so a signal or a stop can reach each one with everything it
//! started, and never a process that reused a pid.

use std::io;
use std::process::ExitStatus;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use nix::sys::wait::{Id, WaitPidFlag, waitid};
use nix::unistd::Pid;

use crate::procs;
use crate::spawn::reap;

/// Children started by [`crate::capture`] (or [`crate::Supervisor::capture`]) that
/// have not been reaped yet.
///
/// A child is listed while the registry's lock is held, before anything can signal
/// it, and forgotten after it has ended but before it is reaped: until then it stays
/// a zombie, so its pid cannot be reused by an unrelated process. Share one registry
/// (it is `Sync`) among every thread that starts children a caller may want to stop
/// together.
#[derive(Debug, Default)]
pub struct Children {
    state: Mutex<Listed>,
}

/// What [`Children`] guards.
#[derive(Debug, Default)]
pub(crate) struct Listed {
    pub(crate) pids: Vec<Pid>,
    /// Set by [`Children::stop_all`]: nothing new may start.
    pub(crate) closed: bool,
}

impl Children {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Listed> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many listed children are running (or ended and not yet forgotten).
    pub fn count(&self) -> usize {
        self.lock().pids.len()
    }

    /// Send `signal` to every listed child and every process it started.
    pub fn signal_all(&self, signal: i32) {
        let listed = self.lock();
        for &pid in &listed.pids {
            procs::send_to_tree(pid, signal);
        }
    }

    /// Start nothing more, send SIGTERM to every listed child and what it started,
    /// wait up to `patience` for them to end, then SIGKILL what is left. False when
    /// some were still running at the deadline.
    pub fn stop_all(&self, patience: Duration) -> bool {
        {
            let mut listed = self.lock();
            listed.closed = true;
        }
        self.signal_all(nix::libc::SIGTERM);
        let deadline = Instant::now() + patience;
        while self.count() > 0 {
            if Instant::now() >= deadline {
                self.signal_all(nix::libc::SIGKILL);
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }

    /// Wait for a listed child to end, forget it, then reap it.
    pub(crate) fn finish(&self, pid: Pid) -> io::Result<ExitStatus> {
        let exited = WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT;
        while let Err(nix::errno::Errno::EINTR) = waitid(Id::Pid(pid), exited) {}
        self.lock().pids.retain(|&listed| listed != pid);
        reap(pid)
    }

    /// Kill a listed child and everything it started (it is still listed, so its pid
    /// is still its own), then finish it.
    pub(crate) fn kill(&self, pid: Pid) {
        procs::send_to_tree(pid, nix::libc::SIGKILL);
        let _ = self.finish(pid);
    }
}
