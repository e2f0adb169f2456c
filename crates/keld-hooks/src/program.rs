//! Which restic runs: the one place keld decides it.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use keld_supervise::{NotFound, env_lookup, find_program};

/// The variable that names the restic binary (a path, or a name looked up in `PATH`).
pub(crate) const EXECUTABLE_VAR: &str = "KELD_EXECUTABLE";

/// The program run when `KELD_EXECUTABLE` is unset or empty.
pub const DEFAULT_PROGRAM: &str = "restic";

/// restic as configured: `KELD_EXECUTABLE` from keld's environment when set and not
/// empty, else [`DEFAULT_PROGRAM`]. This is what `--show-command` prints.
pub fn configured(process_env: &[(OsString, OsString)]) -> OsString {
    env_lookup(process_env, EXECUTABLE_VAR)
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| OsStr::new(DEFAULT_PROGRAM))
        .to_owned()
}

/// How the restic that runs was named, for a message: by [`EXECUTABLE_VAR`], as a
/// configured path, or found in `PATH`.
pub(crate) fn named_by(process_env: &[(OsString, OsString)], configured: &OsStr) -> String {
    if env_lookup(process_env, EXECUTABLE_VAR).is_some_and(|value| !value.is_empty()) {
        format!("{EXECUTABLE_VAR} names it")
    } else if configured.as_encoded_bytes().contains(&b'/') {
        "the configured path".to_owned()
    } else {
        "found in PATH".to_owned()
    }
}

/// What names restic, for a message that asks to fix it.
pub(crate) const SETTING: &str = EXECUTABLE_VAR;

/// restic is not where the configuration says; nothing was run (exit 127).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("restic not found: {0}")]
pub struct ResticNotFound(#[source] pub NotFound);

impl ResticNotFound {
    /// 127, as a shell uses for "command not found".
    pub const fn exit_code(&self) -> u8 {
        self.0.exit_code()
    }
}

/// Find `name` the way a run will start it: a path relative to `cwd`, or a name looked
/// up in the `PATH` of `search_env` (restic's environment as far as it is known before
/// any `_COMMAND` runs: keld's own with the config's literal variables on top).
pub(crate) fn find(
    name: &OsStr,
    search_env: &[(OsString, OsString)],
    cwd: &Path,
) -> Result<PathBuf, ResticNotFound> {
    find_program(name, search_env, cwd).map_err(ResticNotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keld_executable_when_set_and_not_empty_else_restic() {
        let env = |value: &str| vec![(OsString::from(EXECUTABLE_VAR), OsString::from(value))];
        assert_eq!(configured(&[]), "restic");
        assert_eq!(configured(&env("")), "restic");
        assert_eq!(configured(&env("/opt/restic")), "/opt/restic");
        assert_eq!(configured(&env("my-restic")), "my-restic");
    }

    #[test]
    fn the_message_says_restic_and_where_it_looked() {
        let env = vec![(OsString::from("PATH"), OsString::from("/nonexistent"))];
        let error = find(OsStr::new("restic"), &env, Path::new("/")).unwrap_err();
        assert_eq!(error.exit_code(), 127);
        assert_eq!(
            error.to_string(),
            "restic not found: no \"restic\" in PATH (/nonexistent)"
        );
    }
}
