//! keld's state directory: run records and lock files (docs/operations.md).

use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use keld_supervise::env_lookup;

/// The variable that names the state directory outright.
pub const STATE_DIR_VAR: &str = "KELD_STATE_DIR";

/// Where keld keeps state: `KELD_STATE_DIR` when set, else `$XDG_STATE_HOME/keld`,
/// else `~/.local/state/keld`; `None` when none of these can be known (no home).
///
/// Empty or relative values of the variables are ignored, as the XDG base directory
/// specification asks.
pub fn state_dir(env: &[(OsString, OsString)], home: Option<&Path>) -> Option<PathBuf> {
    let absolute = |name: &str| {
        env_lookup(env, name)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    if let Some(dir) = absolute(STATE_DIR_VAR) {
        return Some(dir);
    }
    if let Some(dir) = absolute("XDG_STATE_HOME") {
        return Some(dir.join("keld"));
    }
    home.map(|home| home.join(".local/state/keld"))
}

/// Why the state directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// No state directory can be known (no `KELD_STATE_DIR`, `XDG_STATE_HOME` or home).
    #[error("keld has no state directory: set KELD_STATE_DIR, XDG_STATE_HOME or HOME")]
    Unknown,
    /// It could not be created or used.
    #[error("state directory {}: {source}", path.display())]
    Io {
        /// The directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// It exists but others could write it: records and locks there cannot be trusted.
    #[error(
        "state directory {} is writable by other users (mode {mode:04o}); `chmod 700` it",
        path.display()
    )]
    Unsafe {
        /// The directory.
        path: PathBuf,
        /// Its mode.
        mode: u32,
    },
}

/// Make sure `dir` exists as a directory only its owner can use: created with mode
/// 0700 (and its parents as needed) when missing; an existing one that others can
/// write is refused.
pub(crate) fn ensure(dir: &Path) -> Result<(), StateError> {
    let io = |source| StateError::Io {
        path: dir.to_owned(),
        source,
    };
    match fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => Err(io(io::Error::from(io::ErrorKind::NotADirectory))),
        Ok(meta) if meta.mode() & 0o022 != 0 && meta.mode() & 0o1000 == 0 => {
            Err(StateError::Unsafe {
                path: dir.to_owned(),
                mode: meta.mode() & 0o7777,
            })
        }
        Ok(_) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(io)?;
            // The umask may have taken bits away, never added: make it exactly 0700.
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io)
        }
        Err(error) => Err(io(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        vars.iter()
            .map(|(name, value)| (OsString::from(name), OsString::from(value)))
            .collect()
    }

    #[test]
    fn keld_state_dir_then_xdg_then_home() {
        let home = Some(Path::new("/home/u"));
        assert_eq!(
            state_dir(
                &env(&[("KELD_STATE_DIR", "/srv/k"), ("XDG_STATE_HOME", "/x")]),
                home
            ),
            Some(PathBuf::from("/srv/k"))
        );
        assert_eq!(
            state_dir(&env(&[("XDG_STATE_HOME", "/x")]), home),
            Some(PathBuf::from("/x/keld"))
        );
        assert_eq!(
            state_dir(
                &env(&[("XDG_STATE_HOME", "relative"), ("KELD_STATE_DIR", "")]),
                home
            ),
            Some(PathBuf::from("/home/u/.local/state/keld"))
        );
        assert_eq!(state_dir(&[], None), None);
    }

    #[test]
    fn created_private_and_others_writable_refused() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("a/b/keld");
        ensure(&state).unwrap();
        assert_eq!(fs::metadata(&state).unwrap().mode() & 0o777, 0o700);
        fs::set_permissions(&state, fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(
            ensure(&state),
            Err(StateError::Unsafe { mode: 0o777, .. })
        ));
    }
}
