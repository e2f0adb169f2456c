//! Finding a program on a search path before anything runs.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::env::lookup;

/// The search path used when the environment has no `PATH`, as POSIX shells do.
pub const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The program could not be found; nothing was run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotFound {
    /// A path (a name with a `/`) that does not exist.
    #[error("{} does not exist", path.display())]
    Path {
        /// The path as given, made absolute.
        path: PathBuf,
    },
    /// A bare name that is in none of the `PATH` directories.
    #[error("no {:?} in PATH ({})", name.to_string_lossy(), display_dirs(dirs))]
    Search {
        /// The name looked up.
        name: OsString,
        /// The directories searched, in order.
        dirs: Vec<PathBuf>,
    },
}

impl NotFound {
    /// The exit code for this failure: 127, as a shell uses for "command not found".
    pub const fn exit_code(&self) -> u8 {
        keld_status::StartFailure::NotFound.exit_code()
    }
}

fn display_dirs(dirs: &[PathBuf]) -> String {
    if dirs.is_empty() {
        return "empty".to_owned();
    }
    dirs.iter()
        .map(|dir| dir.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

/// Resolve a program name the way a shell does, against the `PATH` in `env`.
///
/// A name containing `/` is a path (relative to `cwd`) and must exist. A bare name
/// is looked up in each `PATH` directory in order ([`DEFAULT_PATH`] when `PATH` is
/// unset; empty entries are skipped rather than meaning "the current directory"):
/// the first executable file wins; when only non-executable files match, the first
/// one is returned so that starting it fails with "not executable" (126) instead of
/// "not found" (127), as in `sh`.
pub fn find_program(
    name: &OsStr,
    env: &[(OsString, OsString)],
    cwd: &Path,
) -> Result<PathBuf, NotFound> {
    if name.as_bytes().contains(&b'/') {
        let path = cwd.join(name);
        return if path.exists() {
            Ok(path)
        } else {
            Err(NotFound::Path { path })
        };
    }
    let search = lookup(env, "PATH").unwrap_or_else(|| OsStr::new(DEFAULT_PATH));
    let dirs: Vec<PathBuf> = std::env::split_paths(search)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| cwd.join(dir))
        .collect();
    let mut fallback = None;
    if !name.is_empty() {
        for dir in &dirs {
            let candidate = dir.join(name);
            let Ok(meta) = candidate.metadata() else {
                continue;
            };
            if meta.is_dir() {
                continue;
            }
            if meta.permissions().mode() & 0o111 != 0 {
                return Ok(candidate);
            }
            fallback.get_or_insert(candidate);
        }
    }
    fallback.ok_or_else(|| NotFound::Search {
        name: name.to_owned(),
        dirs,
    })
}
