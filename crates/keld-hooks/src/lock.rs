//! The preset lock (`_lock = true`): an exclusive `flock(2)` on
//! `<state>/locks/<preset>.lock`, held from before the first `_COMMAND` until the last
//! post-hook ends.
//!
//! The kernel releases a `flock` when its holder dies, so there are no stale locks,
//! even after `kill -9`. The descriptor is close-on-exec: restic, hooks and
//! `_COMMAND`s never hold it. The file says who holds the lock, for the message a
//! second run prints.

use std::fs::{File, OpenOptions};
use std::io::{self, Read as _, Seek as _, Write as _};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use crate::state::{self, StateError};

/// Who holds a preset's lock, as its lock file says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// The holder's process id.
    pub pid: u32,
    /// The command word it runs.
    pub command: String,
    /// When it took the lock (UTC, RFC 3339).
    pub started: String,
}

/// A preset's lock, held until dropped.
#[derive(Debug)]
pub struct PresetLock {
    _lock: Flock<File>,
    path: PathBuf,
}

impl PresetLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds it (after waiting, if asked to wait).
    #[error("{}", held_message(.preset, .holder.as_ref()))]
    Held {
        /// The preset.
        preset: String,
        /// Who holds it, when its lock file says.
        holder: Option<Holder>,
    },
    /// A signal came while waiting for it.
    #[error("stopped by signal {signal} while waiting for the lock of preset {preset:?}")]
    Interrupted {
        /// The preset.
        preset: String,
        /// The signal number.
        signal: i32,
    },
    /// The state directory or the lock file cannot be used.
    #[error("cannot lock preset {preset:?}: {source}")]
    State {
        /// The preset.
        preset: String,
        /// Why.
        #[source]
        source: StateError,
    },
}

fn held_message(preset: &str, holder: Option<&Holder>) -> String {
    match holder {
        Some(holder) => format!(
            "preset {preset:?} is already running (pid {}, {}, since {})",
            holder.pid, holder.command, holder.started
        ),
        None => format!("preset {preset:?} is already running"),
    }
}

/// The file-name form of a preset (and other names): characters other than
/// `[A-Za-z0-9_]` become `_`.
pub fn file_name_part(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// What [`acquire`] needs.
#[derive(Debug)]
pub(crate) struct LockRequest<'a> {
    pub(crate) state_dir: &'a Path,
    pub(crate) preset: &'a str,
    pub(crate) wait: Duration,
    /// The holder information written once the lock is taken.
    pub(crate) me: Holder,
}

/// Take the preset's lock, waiting up to `request.wait` for another holder.
/// `waiting` is told once, with the holder, when keld starts to wait; `stopped` is
/// asked between tries and ends the wait with the signal it names.
pub(crate) fn acquire(
    request: &LockRequest<'_>,
    waiting: &mut dyn FnMut(Option<&Holder>),
    stopped: &dyn Fn() -> Option<i32>,
) -> Result<PresetLock, LockError> {
    let preset = request.preset.to_owned();
    let state = |source| LockError::State {
        preset: preset.clone(),
        source,
    };
    let dir = request.state_dir.join("locks");
    state::ensure(request.state_dir).map_err(state)?;
    state::ensure(&dir).map_err(state)?;
    let path = dir.join(format!("{}.lock", file_name_part(request.preset)));
    let io = |source| {
        state(StateError::Io {
            path: path.clone(),
            source,
        })
    };
    let deadline = Instant::now() + request.wait;
    let mut told = false;
    loop {
        // Opened anew each try: std opens files close-on-exec.
        // Not truncated on open: the holder's details stay readable for the waiter.
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(io)?;
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(mut lock) => {
                let text = serde_json::to_string(&request.me).unwrap_or_default();
                lock.set_len(0)
                    .and_then(|()| lock.rewind())
                    .and_then(|()| lock.write_all(text.as_bytes()))
                    .map_err(io)?;
                return Ok(PresetLock { _lock: lock, path });
            }
            Err((_, nix::errno::Errno::EWOULDBLOCK)) => {}
            Err((_, errno)) => return Err(io(io::Error::from(errno))),
        }
        if let Some(signal) = stopped() {
            return Err(LockError::Interrupted { preset, signal });
        }
        let holder = read_holder(&path);
        if Instant::now() >= deadline {
            return Err(LockError::Held { preset, holder });
        }
        if !told {
            waiting(holder.as_ref());
            told = true;
        }
        std::thread::sleep(Duration::from_millis(50).min(deadline - Instant::now()));
    }
}

/// Who holds the lock at `path`, if its file says (a holder that has just taken the
/// lock may not have written yet).
fn read_holder(path: &Path) -> Option<Holder> {
    let mut text = String::new();
    File::open(path).ok()?.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}
