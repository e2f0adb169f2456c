//! Ending a child that runs too long: SIGTERM to it and every process it started,
//! SIGKILL to whatever is left a while later.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::unistd::Pid;

use crate::procs;

/// How long a child may run, and how long after SIGTERM the rest gets SIGKILL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout {
    /// The limit; when it passes, the child and its process tree get SIGTERM.
    pub after: Duration,
    /// Then, whatever of that tree is still alive gets SIGKILL this much later.
    pub kill_after: Duration,
}

impl Timeout {
    /// A limit of `after`, with SIGKILL 10 seconds after SIGTERM.
    pub const fn new(after: Duration) -> Self {
        Self {
            after,
            kill_after: Duration::from_secs(10),
        }
    }
}

/// A thread that enforces a [`Timeout`] on one child. Tell it the child ended with
/// [`Watchdog::finish`]; it then stops at once, or, when it has already sent SIGTERM,
/// once every process it signalled is gone or has had its SIGKILL.
#[derive(Debug)]
pub(crate) struct Watchdog {
    ended: Sender<()>,
    thread: JoinHandle<bool>,
}

/// A process the watchdog signalled, known by pid and start time so that a later
/// process with the same pid is never killed.
#[derive(Debug, Clone, Copy)]
struct Victim {
    pid: Pid,
    started: Option<u64>,
}

impl Victim {
    fn of(pid: Pid) -> Self {
        Self {
            pid,
            started: procs::start_time(pid),
        }
    }

    fn alive(self) -> bool {
        self.started.is_some() && procs::start_time(self.pid) == self.started
    }
}

impl Watchdog {
    pub(crate) fn start(pid: Pid, timeout: Timeout) -> std::io::Result<Self> {
        let (ended, receiver) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("timeout".to_owned())
            .stack_size(64 * 1024)
            .spawn(move || {
                match receiver.recv_timeout(timeout.after) {
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return false,
                    Err(RecvTimeoutError::Timeout) => {}
                }
                let mut victims: Vec<Victim> = procs::freeze_tree(pid)
                    .into_iter()
                    .map(Victim::of)
                    .collect();
                for victim in &victims {
                    procs::send(victim.pid, nix::libc::SIGTERM);
                }
                for victim in &victims {
                    procs::send(victim.pid, nix::libc::SIGCONT);
                }
                let deadline = Instant::now() + timeout.kill_after;
                loop {
                    victims.retain(|victim| victim.alive());
                    if victims.is_empty() {
                        return true;
                    }
                    if Instant::now() >= deadline {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                // What is left, and what it started meanwhile.
                let mut left: Vec<Victim> = Vec::new();
                for victim in victims.iter().filter(|victim| victim.alive()) {
                    left.extend(procs::freeze_tree(victim.pid).into_iter().map(Victim::of));
                }
                for victim in left.iter().filter(|victim| victim.alive()) {
                    procs::send(victim.pid, nix::libc::SIGKILL);
                }
                true
            })?;
        Ok(Self { ended, thread })
    }

    /// The child has ended (it is not reaped yet, so its pid is still its own):
    /// stop, and say whether the timeout had passed.
    pub(crate) fn finish(self) -> bool {
        let _ = self.ended.send(());
        self.thread.join().unwrap_or(false)
    }
}
