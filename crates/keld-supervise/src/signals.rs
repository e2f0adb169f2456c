//! Catching the terminating signals and deciding which ones to pass on.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::Ordering::{Acquire, Release, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicUsize};
use std::thread::JoinHandle;

use nix::libc::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, siginfo_t};
use nix::unistd::Pid;
use signal_hook::low_level::siginfo::{Cause, Origin};

use crate::children::Children;
use crate::procs::send as forward;
use crate::spawn::Publish;

/// The signals caught while a [`crate::Supervisor`] exists: they would otherwise end
/// the caller before its child (and whatever the caller does after it) has finished.
/// One the process inherited as ignored (as under `nohup`) is not caught and stays
/// ignored, for the child too.
pub const CAUGHT_SIGNALS: [i32; 4] = [SIGHUP, SIGINT, SIGQUIT, SIGTERM];

/// How many caught signals [`crate::Supervisor::take_caught`] reports between two
/// calls; signals after those are still forwarded.
pub const CAUGHT_SIGNALS_KEPT: usize = 32;

/// Who raised a caught signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalSource {
    /// The kernel, on behalf of the terminal (Ctrl-C, Ctrl-\, hang-up). Ctrl-C and
    /// Ctrl-\ went to the whole foreground process group, so the child already has
    /// them; a hang-up went to the session leader alone when the caller is one (see
    /// [`crate::Supervisor`]).
    Terminal,
    /// Another process, with `kill(2)` or `sigqueue(3)`; only the supervising process received it.
    Process(i32),
    /// The origin is not known; treated like [`SignalSource::Terminal`] so a child never
    /// receives a signal twice.
    Unknown,
}

impl SignalSource {
    /// Classify a signal by `si_code` and `si_pid`.
    pub(crate) fn of(origin: &Origin) -> Self {
        Self::classify(origin.cause, origin.process.map(|process| process.pid))
    }

    /// The classification itself: the kernel (`SI_KERNEL`, which is what the terminal
    /// driver uses) is the terminal; `kill`/`sigqueue` from a real pid is a process.
    fn classify(cause: Cause, sender: Option<i32>) -> Self {
        match (cause, sender) {
            (Cause::Kernel, _) => Self::Terminal,
            (Cause::Sent(_), Some(pid)) if pid != 0 => Self::Process(pid),
            _ => Self::Unknown,
        }
    }

    /// Whether a signal from this source must be passed to the child: only a signal
    /// another process sent to the supervising process alone.
    pub const fn forwards(self) -> bool {
        matches!(self, Self::Process(_))
    }
}

/// A signal caught while a [`crate::Supervisor`] existed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaughtSignal {
    /// The signal number.
    pub signal: i32,
    /// Who raised it.
    pub source: SignalSource,
    /// The child it was forwarded to, if it was forwarded.
    pub forwarded_to: Option<u32>,
}

impl SignalSource {
    const TERMINAL: u8 = 1;
    const PROCESS: u8 = 2;
    const UNKNOWN: u8 = 3;

    const fn encode(self) -> (u8, i32) {
        match self {
            Self::Terminal => (Self::TERMINAL, 0),
            Self::Process(pid) => (Self::PROCESS, pid),
            Self::Unknown => (Self::UNKNOWN, 0),
        }
    }

    const fn decode(kind: u8, pid: i32) -> Self {
        match kind {
            Self::TERMINAL => Self::Terminal,
            Self::PROCESS => Self::Process(pid),
            _ => Self::Unknown,
        }
    }
}

/// `Watch::wake` while no [`Forwarder`] runs (0 would be standard input).
const NO_FORWARDER: i32 = -1;

/// `forwarded_to` of a signal passed to the captured children rather than to a child
/// pid: it was delivered, and must not go to a later child.
const TO_CAPTURED: i32 = -1;

/// One recorded signal, written by the handler and read once `ready` is set.
#[derive(Debug, Default)]
struct Slot {
    signal: AtomicI32,
    source: AtomicU8,
    sender: AtomicI32,
    forwarded_to: AtomicI32,
    ready: AtomicBool,
}

/// What the signal handler shares with the thread that supervises: atomics only, so
/// the handler can forward and record a signal itself, without a thread of its own.
/// A started child publishes its pid in `child` (see [`Publish`]).
#[derive(Debug, Default)]
pub(crate) struct Watch {
    /// The supervising process's pid: in a process forked from it, whose copy of the
    /// handler must not act for it, a signal has its default effect.
    owner: AtomicI32,
    /// The running child's pid, 0 when none runs.
    pub(crate) child: AtomicI32,
    /// Whether the supervising process leads its session: then a hang-up of its
    /// terminal reaches it alone, and the child must be told.
    session_leader: AtomicBool,
    /// Handlers between reading `child` (or `wake`) and using it.
    busy: AtomicUsize,
    /// The write end of the [`Forwarder`]'s pipe, [`NO_FORWARDER`] when there is none.
    wake: AtomicI32,
    slots: [Slot; CAUGHT_SIGNALS_KEPT],
    /// Slots handed out to handlers since the log was last emptied.
    claimed: AtomicUsize,
    /// Slots already returned by [`Watch::take`].
    taken: AtomicUsize,
    /// The number of the newest signal, for when the log is full.
    newest: AtomicI32,
}

impl Watch {
    /// A watch acting for the calling process.
    pub(crate) fn for_this_process() -> Self {
        let watch = Self::default();
        watch.owner.store(nix::unistd::getpid().as_raw(), SeqCst);
        watch.wake.store(NO_FORWARDER, SeqCst);
        let leader = nix::unistd::getsid(None).is_ok_and(|sid| sid == nix::unistd::getpid());
        watch.session_leader.store(leader, SeqCst);
        watch
    }

    /// Whether a signal from `source` must be passed to the child: one another
    /// process sent to the supervising process alone, and a terminal hang-up when the
    /// supervising process leads its session (the kernel sends that one to the
    /// session leader only, so the child cannot have received it).
    fn forwards(&self, signal: i32, source: SignalSource) -> bool {
        source.forwards()
            || (signal == SIGHUP
                && source == SignalSource::Terminal
                && self.session_leader.load(SeqCst))
    }

    /// The signal handler's action. Async-signal-safe: atomics, `getpid(2)`,
    /// `kill(2)` and a non-blocking `write(2)`.
    pub(crate) fn on_signal(&self, info: &siginfo_t) {
        #[allow(unsafe_code)]
        // SAFETY: `info` comes from the kernel, so `si_code` says which fields are set.
        let origin = unsafe { Origin::extract(info) };
        let signal = origin.signal;
        if nix::unistd::getpid().as_raw() != self.owner.load(SeqCst) {
            let _ = signal_hook::low_level::emulate_default_handler(signal);
            return;
        }
        let source = SignalSource::of(&origin);
        let mut forwarded_to = 0;
        let mut wake = -1;
        // Held until the signal is recorded: see `quiesce` and `forward_missed`.
        self.busy.fetch_add(1, SeqCst);
        if self.forwards(signal, source) {
            let child = self.child.load(SeqCst);
            if child > 0 && forward(Pid::from_raw(child), signal) {
                forwarded_to = child;
            }
            wake = self.wake.load(SeqCst);
            if wake >= 0 && forwarded_to == 0 {
                forwarded_to = TO_CAPTURED;
            }
        }
        self.record(signal, source, forwarded_to);
        if wake >= 0 {
            // After recording: the forwarding thread then finds a captured child that is
            // about to start either registered or stopped by the recorded signal.
            let byte = u8::try_from(signal).unwrap_or(0);
            #[allow(unsafe_code)]
            // SAFETY: one byte from the stack to a descriptor kept open while it is
            // published in `wake` and `busy` is non-zero.
            unsafe {
                nix::libc::write(wake, (&raw const byte).cast(), 1);
            }
        }
        self.busy.fetch_sub(1, SeqCst);
    }

    /// Record `signal` as if another process had sent it to this one, and pass it to
    /// the child [`crate::Supervisor::run`] waits for, if one runs. Not for a signal
    /// handler: the caller passes it to captured children itself.
    pub(crate) fn raise(&self, signal: i32) {
        self.busy.fetch_add(1, SeqCst);
        let child = self.child.load(SeqCst);
        let forwarded_to = if child > 0 && forward(Pid::from_raw(child), signal) {
            child
        } else {
            TO_CAPTURED
        };
        let me = nix::unistd::getpid().as_raw();
        self.record(signal, SignalSource::Process(me), forwarded_to);
        self.busy.fetch_sub(1, SeqCst);
    }

    /// Keep a caught signal for [`Watch::take`] (async-signal-safe).
    fn record(&self, signal: i32, source: SignalSource, forwarded_to: i32) {
        self.newest.store(signal, SeqCst);
        let index = self.claimed.fetch_add(1, SeqCst);
        if let Some(slot) = self.slots.get(index) {
            let (kind, sender) = source.encode();
            slot.signal.store(signal, Release);
            slot.source.store(kind, Release);
            slot.sender.store(sender, Release);
            slot.forwarded_to.store(forwarded_to, Release);
            slot.ready.store(true, Release);
        }
    }

    /// Wait until no handler on another thread is still using a pid or descriptor it
    /// read before it was cleared. A handler interrupting this thread has finished
    /// before this runs; one on another thread takes a few instructions.
    pub(crate) fn quiesce(&self) {
        while self.busy.load(SeqCst) != 0 {
            std::thread::yield_now();
        }
    }

    /// Forward to `child` every signal another process sent since the last
    /// [`Watch::take`] that reached no child: it came while none ran. Call after
    /// publishing `child` and [`Watch::quiesce`], so every handler that did not see
    /// the child has recorded its signal. Main thread only.
    pub(crate) fn forward_missed(&self, child: Pid) {
        for index in self.unread_range() {
            let caught = self.read(index);
            let slot = &self.slots[index];
            if self.forwards(caught.signal, caught.source)
                && slot.forwarded_to.load(Acquire) == 0
                && forward(child, caught.signal)
            {
                slot.forwarded_to.store(child.as_raw(), Release);
            }
        }
    }

    /// Count signals sent to `child` as never delivered: it exited without running
    /// (its `exec` failed). Call after [`Watch::quiesce`]. Main thread only.
    pub(crate) fn unforward(&self, child: Pid) {
        for index in self.unread_range() {
            let slot = &self.slots[index];
            let _ = self.read(index);
            if slot.forwarded_to.load(Acquire) == child.as_raw() {
                slot.forwarded_to.store(0, Release);
            }
        }
    }

    /// The log slots filled since the last [`Watch::take`].
    fn unread_range(&self) -> std::ops::Range<usize> {
        self.taken.load(SeqCst)..self.claimed.load(SeqCst).min(CAUGHT_SIGNALS_KEPT)
    }

    fn read(&self, index: usize) -> CaughtSignal {
        let slot = &self.slots[index];
        while !slot.ready.load(Acquire) {
            std::thread::yield_now();
        }
        let forwarded_to = slot.forwarded_to.load(Acquire);
        CaughtSignal {
            signal: slot.signal.load(Acquire),
            source: SignalSource::decode(slot.source.load(Acquire), slot.sender.load(Acquire)),
            forwarded_to: (forwarded_to > 0).then(|| forwarded_to.unsigned_abs()),
        }
    }

    pub(crate) fn first(&self) -> Option<CaughtSignal> {
        let taken = self.taken.load(SeqCst);
        let claimed = self.claimed.load(SeqCst).min(CAUGHT_SIGNALS_KEPT);
        (taken < claimed).then(|| self.read(taken))
    }

    pub(crate) fn signal_received(&self) -> Option<i32> {
        self.first().map(|caught| caught.signal).or_else(|| {
            (self.claimed.load(SeqCst) > self.taken.load(SeqCst)).then(|| self.newest.load(SeqCst))
        })
    }

    /// Everything recorded since the last call, oldest first. Called by one thread.
    pub(crate) fn take(&self) -> Vec<CaughtSignal> {
        let claimed = self.claimed.load(SeqCst);
        let kept = claimed.min(CAUGHT_SIGNALS_KEPT);
        let caught = (self.taken.load(SeqCst)..kept)
            .map(|index| self.read(index))
            .collect();
        for slot in &self.slots[..kept] {
            slot.ready.store(false, SeqCst);
        }
        // Empty the log unless a signal claimed a slot meanwhile; then that one (at
        // `claimed`) is reported next time.
        let rest = match self.claimed.compare_exchange(claimed, 0, SeqCst, SeqCst) {
            Ok(_) => 0,
            Err(_) => kept,
        };
        self.taken.store(rest, SeqCst);
        caught
    }
}

/// Passes each signal another process sent on to every child listed in a registry
/// and what it started, from a thread: finding those processes means reading /proc.
/// Stops when dropped.
#[derive(Debug)]
pub(crate) struct Forwarder {
    watch: Arc<Watch>,
    wake: Option<OwnedFd>,
    thread: Option<JoinHandle<()>>,
}

impl Forwarder {
    pub(crate) fn start(watch: &Arc<Watch>, children: &Arc<Children>) -> io::Result<Self> {
        use nix::fcntl::{FcntlArg, OFlag, fcntl};

        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
        // The handler must never block on a full pipe.
        fcntl(&write, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
        let children = Arc::clone(children);
        let thread = std::thread::Builder::new()
            .name("forward-signals".to_owned())
            .stack_size(64 * 1024)
            .spawn(move || {
                let mut pipe = File::from(read);
                let mut signals = [0_u8; 16];
                loop {
                    match pipe.read(&mut signals) {
                        Ok(0) => break,
                        Ok(count) => {
                            for &signal in &signals[..count] {
                                children.signal_all(i32::from(signal));
                            }
                        }
                        Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                        Err(_) => break,
                    }
                }
            })?;
        watch.wake.store(write.as_raw_fd(), SeqCst);
        Ok(Self {
            watch: Arc::clone(watch),
            wake: Some(write),
            thread: Some(thread),
        })
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.watch.wake.store(NO_FORWARDER, SeqCst);
        self.watch.quiesce();
        // Closing the write end ends the thread once it has read what is left.
        drop(self.wake.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Publish for Watch {
    fn slot(&self) -> &AtomicI32 {
        &self.child
    }

    fn withdraw(&self, pid: Pid) {
        self.child.store(0, SeqCst);
        self.quiesce();
        self.unforward(pid);
    }
}

#[cfg(test)]
mod tests {
    use signal_hook::low_level::siginfo::{Cause, Chld, Sent};

    use super::{CAUGHT_SIGNALS_KEPT, CaughtSignal, SignalSource, Watch};

    #[test]
    fn the_log_keeps_the_first_signals_and_starts_again_after_take() {
        let watch = Watch::default();
        assert_eq!(watch.signal_received(), None);
        for pid in 1..=40 {
            watch.record(15, SignalSource::Process(pid), 0);
        }
        watch.record(2, SignalSource::Terminal, 0);
        assert_eq!(watch.signal_received(), Some(15));
        assert_eq!(
            watch.first().map(|caught| caught.source),
            Some(SignalSource::Process(1))
        );
        let caught = watch.take();
        assert_eq!(caught.len(), CAUGHT_SIGNALS_KEPT);
        assert!(
            caught
                .iter()
                .enumerate()
                .all(|(index, caught)| caught.source == SignalSource::Process(index as i32 + 1))
        );
        assert_eq!(watch.signal_received(), None);
        assert!(watch.take().is_empty());

        watch.record(1, SignalSource::Unknown, 77);
        assert_eq!(
            watch.take(),
            vec![CaughtSignal {
                signal: 1,
                source: SignalSource::Unknown,
                forwarded_to: Some(77),
            }]
        );
    }

    #[test]
    fn only_signals_sent_by_a_process_are_forwarded() {
        let table = [
            (Cause::Kernel, None, SignalSource::Terminal),
            (Cause::Kernel, Some(0), SignalSource::Terminal),
            (
                Cause::Sent(Sent::User),
                Some(4242),
                SignalSource::Process(4242),
            ),
            (Cause::Sent(Sent::Queue), Some(7), SignalSource::Process(7)),
            (Cause::Sent(Sent::TKill), Some(7), SignalSource::Process(7)),
            // si_pid 0 is the kernel speaking through kill(2)'s interface.
            (Cause::Sent(Sent::User), Some(0), SignalSource::Unknown),
            (Cause::Sent(Sent::User), None, SignalSource::Unknown),
            (Cause::Unknown, Some(99), SignalSource::Unknown),
            (Cause::Chld(Chld::Exited), Some(99), SignalSource::Unknown),
        ];
        for (cause, sender, expected) in table {
            let source = SignalSource::classify(cause, sender);
            assert_eq!(source, expected, "{cause:?} from {sender:?}");
            assert_eq!(
                source.forwards(),
                matches!(expected, SignalSource::Process(_))
            );
        }
    }
}
