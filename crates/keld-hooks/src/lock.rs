//! The preset lock (`_lock = true`): an exclusive `flock(2)` on
//! `<state>/locks/<preset>.lock`, held from before the first `_COMMAND` until the last
//! post-hook ends.
//!
//! The kernel releases a `flock` when its holder dies, so there are no stale locks,
//! even after `kill -9`. The descriptor is close-on-exec: restic, hooks and
//! `_COMMAND`s never hold it. The file says who holds the lock, for the message a
//! second run prints.

use std::fs::{File, OpenOptions};
use std::io::{self, Read as _};
use std::os::unix::fs::{FileExt as _, OpenOptionsExt};
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
            Ok(lock) => {
                let text = serde_json::to_string(&request.me).unwrap_or_default();
                // Written over the previous holder's text, then cut to its length: a
                // file truncated to zero first is flushed to disk when it is closed
                // (ext4 does, so that a file rewritten in place survives a crash), which
                // made each locked run wait for the disk.
                lock.write_all_at(text.as_bytes(), 0)
                    .and_then(|()| lock.set_len(text.len() as u64))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(state_dir: &'a Path, command: &str) -> LockRequest<'a> {
        LockRequest {
            state_dir,
            preset: "home@nas",
            wait: Duration::ZERO,
            me: Holder {
                pid: 7,
                command: command.to_owned(),
                started: "2026-12-06T02:00:00.000Z".to_owned(),
            },
        }
    }

    #[test]
    fn the_lock_file_names_only_the_current_holder() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let long = request(&state, "a-command-word-much-longer-than-the-next-one");
        let lock = acquire(&long, &mut |_| {}, &|| None).unwrap();
        let path = lock.path().to_owned();
        assert_eq!(read_holder(&path), Some(long.me.clone()));
        drop(lock);
        // A shorter text replaces a longer one whole: nothing of it is left behind.
        let short = request(&state, "backup");
        let lock = acquire(&short, &mut |_| {}, &|| None).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            serde_json::to_string(&short.me).unwrap()
        );
        drop(lock);
    }

    #[test]
    fn a_held_lock_is_not_taken_twice() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let first = request(&state, "backup");
        let _held = acquire(&first, &mut |_| {}, &|| None).unwrap();
        let second = request(&state, "check");
        let mut told = None;
        let error =
            acquire(&second, &mut |holder| told = holder.cloned(), &|| None).expect_err("held");
        assert!(
            matches!(&error, LockError::Held { holder: Some(holder), .. } if *holder == first.me),
            "{error:?}"
        );
        assert_eq!(told, None, "no wait asked for, none announced");
    }
}
