//! restic's environment: the config's literal values and `NAME_COMMAND` outputs.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use keld_status::Outcome;
use keld_supervise::{CaptureError, Captured, ChildCommand, Stdin, env_set};

use crate::limits;

/// Variables keld sets for hooks. They are removed from the inherited environment
/// first, so a keld run inside another keld's hook never shows the outer values.
pub(crate) const HOOK_VARS: [&str; 4] = [
    "KELD_PRESET",
    "KELD_COMMAND",
    "KELD_RESTIC_STATUS",
    "KELD_RESTIC_EXIT_CODE",
];

/// Largest standard output a `_COMMAND` may print (1 MiB); environment values are
/// secrets and paths, not documents.
pub const OUTPUT_LIMIT: usize = 1024 * 1024;

/// How much of a failing command's standard error is quoted in the error.
pub const STDERR_QUOTE_LIMIT: usize = 2000;

/// Where an environment variable's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvSource {
    /// A value given as is.
    Literal(OsString),
    /// Shell text run with `sh -c`; its standard output less one trailing newline is
    /// the value.
    Command(String),
}

/// One variable the config sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvEntry {
    /// The name restic sees (`FOO` for a configured `FOO_COMMAND`).
    pub name: String,
    /// Its value or the command producing it.
    pub source: EnvSource,
}

/// A `_COMMAND` failed; nothing else ran. The message quotes the start of a failed
/// command's standard error, for the person at the terminal, and never its standard
/// output (the value); [`EnvCommandError::summary`] leaves the standard error out too,
/// for what is kept or sent elsewhere (run records, pings).
#[derive(Debug, thiserror::Error)]
pub enum EnvCommandError {
    /// `sh` could not be started or its output could not be read.
    #[error("{name}_COMMAND could not run: {reason}")]
    Io {
        /// The variable the command was to set.
        name: String,
        /// Why, in words.
        reason: String,
    },
    /// The command did not succeed.
    #[error("{name}_COMMAND failed: {outcome}{}", quote_stderr(stderr))]
    Failed {
        /// The variable the command was to set.
        name: String,
        /// How the command ended.
        outcome: Outcome,
        /// The start of its standard error, lossily decoded and trimmed.
        stderr: String,
    },
    /// The command printed more than the limit and was stopped.
    #[error("{name}_COMMAND printed more than {limit} bytes; it was stopped")]
    TooLarge {
        /// The variable the command was to set.
        name: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// The command printed a value no program can be given (a NUL byte, more than
    /// one variable may hold); nothing after it ran.
    #[error("{name}_COMMAND printed a value that cannot be passed to a program: it {problem}")]
    Unpassable {
        /// The variable the command was to set.
        name: String,
        /// What is wrong, without the value.
        problem: String,
    },
    /// The command, with the environment the commands before it built, is larger
    /// than the system passes to a program; it was not started.
    #[error(
        "{name}_COMMAND was not started: its script and environment are {size} bytes, more \
         than this system passes to a program ({limit}); the largest: {largest}"
    )]
    TooLargeToStart {
        /// The variable the command was to set.
        name: String,
        /// Its size as the kernel counts it.
        size: usize,
        /// The system's limit.
        limit: usize,
        /// The largest parts, by name.
        largest: String,
    },
    /// A signal was received before the command could start, so it was not started.
    #[error("{name}_COMMAND was not started: keld received signal {signal}")]
    Interrupted {
        /// The variable the command was to set.
        name: String,
        /// The signal number.
        signal: i32,
    },
}

impl EnvCommandError {
    /// The message without anything the command printed: what a run record and a
    /// ping say (a password manager's complaint stays on the terminal).
    ///
    /// ```
    /// use keld_hooks::EnvCommandError;
    /// use keld_status::Outcome;
    ///
    /// let error = EnvCommandError::Failed {
    ///     name: "TOKEN".into(),
    ///     outcome: Outcome::Exited(4),
    ///     stderr: "vault: token abc123 expired".into(),
    /// };
    /// assert!(error.to_string().contains("abc123"));
    /// assert_eq!(error.summary(), "TOKEN_COMMAND failed: exit status 4");
    /// ```
    pub fn summary(&self) -> String {
        match self {
            Self::Failed { name, outcome, .. } => format!("{name}_COMMAND failed: {outcome}"),
            other => other.to_string(),
        }
    }

    /// The name of the variable whose command failed.
    pub fn name(&self) -> &str {
        match self {
            Self::Io { name, .. }
            | Self::Failed { name, .. }
            | Self::TooLarge { name, .. }
            | Self::Unpassable { name, .. }
            | Self::TooLargeToStart { name, .. }
            | Self::Interrupted { name, .. } => name,
        }
    }
}

fn quote_stderr(stderr: &str) -> String {
    if stderr.is_empty() {
        " (nothing on stderr)".to_owned()
    } else {
        format!("; stderr: {stderr}")
    }
}

/// Add the config's variables to `base`: literals first, then each command in name
/// order with the environment built so far, in `workdir`, run by `capture` (under
/// the run's supervisor, or in a listing's registry).
///
/// Literals go first so that a command can use any variable the config sets (a
/// `PASSWORD_STORE_DIR` for `pass`, say) whatever the names' order.
pub(crate) fn build(
    entries: &[EnvEntry],
    base: &[(OsString, OsString)],
    workdir: Option<&Path>,
    stdin: Stdin,
    capture: &mut dyn FnMut(&ChildCommand) -> Result<Captured, CaptureError>,
) -> Result<Vec<(OsString, OsString)>, EnvCommandError> {
    let mut environment = base.to_vec();
    let mut commands = Vec::new();
    for entry in entries {
        match &entry.source {
            EnvSource::Literal(value) => env_set(&mut environment, &entry.name, value.clone()),
            EnvSource::Command(script) => commands.push((entry.name.as_str(), script.as_str())),
        }
    }
    commands.sort_by_key(|(name, _)| *name);
    for (name, script) in commands {
        // The values of the commands before may have grown the environment past what
        // the system passes (checked before anything ran for the known part).
        let argv = limits::SHELL
            .map(OsStr::new)
            .into_iter()
            .chain([OsStr::new(script)]);
        let size = limits::total_size(argv.clone(), &environment);
        let limit = limits::arg_max();
        if size > limit {
            return Err(EnvCommandError::TooLargeToStart {
                name: name.to_owned(),
                size,
                limit,
                largest: limits::largest(argv, &|_| format!("{name}_COMMAND"), &environment),
            });
        }
        let mut command = ChildCommand::shell(script);
        command.env.clone_from(&environment);
        command.workdir = workdir.map(Path::to_path_buf);
        command.stdin = stdin;
        let value = value_of(name, capture(&command))?;
        // Said now, naming the command: the next command could not start with it.
        if let Some(problem) = limits::value_problem(OsStr::new(name), &value) {
            return Err(EnvCommandError::Unpassable {
                name: name.to_owned(),
                problem,
            });
        }
        env_set(&mut environment, name, value);
    }
    Ok(environment)
}

/// The environment of hooks: `env` without keld's hook variables inherited from
/// keld's own environment, then `KELD_PRESET` (when there is a preset) and
/// `KELD_COMMAND`.
pub(crate) fn for_hooks(
    env: &[(OsString, OsString)],
    preset: Option<&str>,
    alias: &str,
) -> Vec<(OsString, OsString)> {
    let mut hook_env: Vec<_> = env
        .iter()
        .filter(|(key, _)| !HOOK_VARS.iter().any(|var| key == var))
        .cloned()
        .collect();
    if let Some(preset) = preset {
        env_set(&mut hook_env, "KELD_PRESET", preset.into());
    }
    env_set(&mut hook_env, "KELD_COMMAND", alias.into());
    hook_env
}

/// The variable's value from its command's capture, or why there is none.
fn value_of(
    name: &str,
    captured: Result<Captured, CaptureError>,
) -> Result<OsString, EnvCommandError> {
    let captured = captured.map_err(|error| {
        let name = name.to_owned();
        match error {
            CaptureError::TooLarge { limit } => EnvCommandError::TooLarge { name, limit },
            CaptureError::Interrupted { signal } => EnvCommandError::Interrupted { name, signal },
            CaptureError::Start(error) => EnvCommandError::Io {
                name,
                reason: format!("cannot run /bin/sh: {}", error.source),
            },
            CaptureError::Io(error) => EnvCommandError::Io {
                name,
                reason: error.to_string(),
            },
            CaptureError::Stopped => EnvCommandError::Io {
                name,
                reason: "keld is leaving".to_owned(),
            },
        }
    })?;
    let name = name.to_owned();
    if !captured.outcome.success() {
        return Err(EnvCommandError::Failed {
            name,
            outcome: captured.outcome,
            stderr: tidy_stderr(&captured.stderr),
        });
    }
    let mut output = captured.stdout;
    if output.last() == Some(&b'\n') {
        output.pop();
    }
    Ok(OsString::from_vec(output))
}

/// The start of a command's standard error, for a message.
fn tidy_stderr(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(STDERR_QUOTE_LIMIT)];
    let text = String::from_utf8_lossy(shown);
    let text = text.trim();
    if bytes.len() >= STDERR_QUOTE_LIMIT {
        format!("{text}…")
    } else {
        text.to_owned()
    }
}

/// Environments already built, one per distinct set of variables and working
/// directory, so that each `_COMMAND` runs once for all the restic commands that need
/// it (the steps of a drill, a screen's background listings). `V` is what is kept: the
/// environment, or (for listings) the environment or why it could not be built.
#[derive(Debug)]
pub(crate) struct Memo<V> {
    built: Vec<(Vec<EnvEntry>, Option<PathBuf>, V)>,
}

impl<V> Default for Memo<V> {
    fn default() -> Self {
        Self { built: Vec::new() }
    }
}

impl<V: Clone> Memo<V> {
    /// What was kept for `entries` in `workdir`, if they met before.
    pub(crate) fn get(&self, entries: &[EnvEntry], workdir: Option<&Path>) -> Option<V> {
        self.built
            .iter()
            .find(|(known, dir, _)| known == entries && dir.as_deref() == workdir)
            .map(|(_, _, value)| value.clone())
    }

    /// Keep `value` for `entries` in `workdir`.
    pub(crate) fn insert(&mut self, entries: &[EnvEntry], workdir: Option<&Path>, value: V) {
        self.built
            .push((entries.to_vec(), workdir.map(Path::to_path_buf), value));
    }
}
