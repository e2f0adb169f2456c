//! Catching the terminating signals and deciding which ones to pass on.

use nix::sys::signal::Signal;
use nix::unistd::Pid;
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::iterator::exfiltrator::origin::Origin;
use signal_hook::low_level::siginfo::Cause;

/// The signals keld catches while it supervises: they would otherwise end keld before
/// the child and the post-hooks finish.
pub const CAUGHT_SIGNALS: [i32; 4] = [SIGHUP, SIGINT, SIGQUIT, SIGTERM];

/// The iterator type that reads caught signals together with their origin.
pub(crate) type SignalIterator = signal_hook::iterator::SignalsInfo<WithOrigin>;

/// Who raised a caught signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalSource {
    /// The kernel, on behalf of the terminal (Ctrl-C, Ctrl-\, hang-up). It went to the
    /// whole foreground process group, so the child already has it.
    Terminal,
    /// Another process, with `kill(2)` or `sigqueue(3)`; only keld received it.
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
    /// another process sent to keld alone.
    pub const fn forwards(self) -> bool {
        matches!(self, Self::Process(_))
    }
}

/// A signal keld caught while it supervised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaughtSignal {
    /// The signal number.
    pub signal: i32,
    /// Who raised it.
    pub source: SignalSource,
    /// The child it was forwarded to, if it was forwarded.
    pub forwarded_to: Option<u32>,
}

/// Send `signal` to `pid`, ignoring a child that is already gone.
pub(crate) fn forward(pid: Pid, signal: i32) -> bool {
    match Signal::try_from(signal) {
        Ok(signal) => nix::sys::signal::kill(pid, signal).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use signal_hook::low_level::siginfo::{Cause, Chld, Sent};

    use super::SignalSource;

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
