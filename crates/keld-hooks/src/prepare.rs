//! Everything keld can check before it starts anything: restic found once, and every
//! argument, variable and directory a child will be given usable by `execve`.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use keld_supervise::env_set;

use crate::environ::EnvSource;
use crate::invocation::{Host, Invocation};
use crate::program::{self, ResticNotFound};

/// Linux's limit for one argument or `NAME=value` string, terminating NUL included
/// (`MAX_ARG_STRLEN`, 32 pages).
const MAX_ARG_STRLEN: usize = 32 * 4096;

/// An invocation keld has checked and found restic for: ready to run.
#[derive(Debug)]
pub struct PreparedRun<'a> {
    /// What runs.
    pub invocation: &'a Invocation,
    /// restic, found once, before anything ran.
    pub program: PathBuf,
    /// keld's environment, the base of restic's and the hooks'.
    pub base_env: &'a [(OsString, OsString)],
}

/// A problem keld found before starting anything: nothing ran.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// restic does not exist (exit 127).
    #[error(transparent)]
    NotFound(#[from] ResticNotFound),
    /// restic is a directory or not executable (exit 126).
    #[error("restic cannot be run: {} {reason}", path.display())]
    NotExecutable {
        /// Where restic was found.
        path: PathBuf,
        /// `is a directory`, `is not executable`.
        reason: &'static str,
    },
    /// `_workdir` cannot be entered.
    #[error("working directory {} is not usable: {reason}", path.display())]
    Workdir {
        /// The configured directory.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// A value no program can be given: a NUL byte, a variable name that is empty or
    /// holds `=`, or a string longer than the system accepts.
    #[error("{what} {problem}")]
    Unpassable {
        /// What holds it: `the value of variable FOO`, `restic argument 3 (--tag)`.
        what: String,
        /// `contains a NUL byte`, ...
        problem: String,
        /// Which config key or variable to change.
        fix: String,
    },
    /// The arguments and environment together exceed the system's limit.
    #[error("{what} are {size} bytes, more than this system passes to a program ({limit})")]
    TooLarge {
        /// `restic's arguments and environment`, `pre-hook "…"'s ...`.
        what: String,
        /// Their size.
        size: usize,
        /// The system's limit.
        limit: usize,
    },
}

impl PrepareError {
    /// The exit code keld returns: 127 when restic is missing, 126 when it cannot be
    /// run, 1 for a problem of the configuration.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::NotFound(error) => error.exit_code(),
            Self::NotExecutable { .. } => 126,
            Self::Workdir { .. } | Self::Unpassable { .. } | Self::TooLarge { .. } => 1,
        }
    }
}

impl Invocation {
    /// Find restic once and check everything that can be checked before anything
    /// starts (docs/hooks.md, "Before anything runs"): restic exists and can be
    /// executed, `_workdir` can be entered, and no argument, variable or hook holds
    /// something `execve` refuses (a NUL byte, an empty name or one with `=`, a string
    /// or a total the system's limits exceed). The values `_COMMAND`s produce are
    /// checked once they ran, still before any hook ([`check_environment`]).
    pub fn prepare<'a>(&'a self, host: &'a Host) -> Result<PreparedRun<'a>, PrepareError> {
        let known_env = self.known_environment(&host.env);
        check_environment(&known_env)?;
        for (index, arg) in self.args.iter().enumerate() {
            check_string(arg, || restic_argument(&self.args, index))?;
        }
        for (phase, hooks) in [
            ("pre-hook", &self.pre_hooks),
            ("post-hook", &self.post_hooks),
        ] {
            for hook in hooks {
                check_string(OsStr::new(hook), || Unpassable {
                    what: format!("{phase} {hook:?}"),
                    fix: format!("shorten or fix the `_{}s` entry", phase.replace('-', "_")),
                })?;
            }
        }
        for entry in &self.environ {
            if let EnvSource::Command(script) = &entry.source {
                check_string(OsStr::new(script), || Unpassable {
                    what: format!("{}_COMMAND", entry.name),
                    fix: format!("fix {}_COMMAND in its environ section", entry.name),
                })?;
            }
        }
        if let Some(dir) = &self.workdir {
            check_string(dir.as_os_str(), || Unpassable {
                what: "`_workdir`".to_owned(),
                fix: "fix `_workdir`".to_owned(),
            })?;
            check_workdir(&host.cwd.join(dir))?;
        }
        check_string(&self.program, || Unpassable {
            what: program::EXECUTABLE_VAR.to_owned(),
            fix: format!("set {} to restic's path", program::EXECUTABLE_VAR),
        })?;
        let program = program::find(&self.program, &known_env, &host.cwd)?;
        check_program(&program)?;
        check_total(
            "restic's arguments and environment",
            std::iter::once(program.as_os_str()).chain(self.args.iter().map(OsString::as_os_str)),
            &known_env,
        )?;
        for hook in self.pre_hooks.iter().chain(&self.post_hooks) {
            check_total(
                &format!("the hook {hook:?} with its environment"),
                ["/bin/sh".as_ref(), "-c".as_ref(), OsStr::new(hook)].into_iter(),
                &known_env,
            )?;
        }
        Ok(PreparedRun {
            invocation: self,
            program,
            base_env: &host.env,
        })
    }

    /// keld's environment with the config's literal variables on top: restic's
    /// environment as far as it is known before any `_COMMAND` runs.
    pub(crate) fn known_environment(
        &self,
        base: &[(OsString, OsString)],
    ) -> Vec<(OsString, OsString)> {
        let mut env = base.to_vec();
        for entry in &self.environ {
            if let EnvSource::Literal(value) = &entry.source {
                env_set(&mut env, &entry.name, value.clone());
            }
        }
        env
    }
}

/// What names an unusable value, and the fix (filled in by [`check_string`]).
struct Unpassable {
    what: String,
    fix: String,
}

fn restic_argument(args: &[OsString], index: usize) -> Unpassable {
    // The flag a value belongs to says which key to fix.
    let flag = (index > 0)
        .then(|| &args[index - 1])
        .filter(|previous| previous.as_bytes().starts_with(b"-"))
        .or_else(|| Some(&args[index]).filter(|arg| arg.as_bytes().starts_with(b"-")));
    match flag {
        Some(flag) => Unpassable {
            what: format!("restic argument {} ({})", index + 1, flag.to_string_lossy()),
            fix: format!(
                "fix the value of `{}` in the config or on the command line",
                flag.to_string_lossy().trim_start_matches('-')
            ),
        },
        None => Unpassable {
            what: format!("restic argument {}", index + 1),
            fix: "fix `_arguments` or the arguments after the command".to_owned(),
        },
    }
}

/// A string `execve` can pass: no NUL byte, within `MAX_ARG_STRLEN`.
fn check_string(text: &OsStr, describe: impl FnOnce() -> Unpassable) -> Result<(), PrepareError> {
    let problem = if text.as_bytes().contains(&0) {
        "contains a NUL byte, which no program argument or variable can hold".to_owned()
    } else if text.len() + 1 > MAX_ARG_STRLEN {
        format!(
            "is {} bytes long; this system passes at most {} bytes in one argument or variable",
            text.len(),
            MAX_ARG_STRLEN - 1
        )
    } else {
        return Ok(());
    };
    let Unpassable { what, fix } = describe();
    Err(PrepareError::Unpassable { what, problem, fix })
}

/// Every variable of `env` can be passed to a program: a name that is not empty and
/// holds no `=` or NUL, a value without NUL, and `NAME=value` within the limit.
///
/// Checked on restic's environment before anything runs, and again once the
/// `_COMMAND`s have set their variables.
pub(crate) fn check_environment(env: &[(OsString, OsString)]) -> Result<(), PrepareError> {
    for (name, value) in env {
        let shown = name.to_string_lossy();
        if name.is_empty() || name.as_bytes().contains(&b'=') {
            return Err(PrepareError::Unpassable {
                what: format!("the environment variable name {shown:?}"),
                problem: if name.is_empty() {
                    "is empty".to_owned()
                } else {
                    "contains `=`".to_owned()
                },
                fix: "rename the key in its environ section (names hold no `=`)".to_owned(),
            });
        }
        check_string(name, || Unpassable {
            what: format!("the environment variable name {shown:?}"),
            fix: "rename the key in its environ section".to_owned(),
        })?;
        // `NAME=value` is one string for execve; the message never shows the value.
        let entry_len = name.len() + 1 + value.len();
        let problem = if value.as_bytes().contains(&0) {
            "contains a NUL byte, which no variable can hold".to_owned()
        } else if entry_len + 1 > MAX_ARG_STRLEN {
            format!(
                "is {} bytes long with its name; this system passes at most {} bytes in one variable",
                entry_len,
                MAX_ARG_STRLEN - 1
            )
        } else {
            continue;
        };
        return Err(PrepareError::Unpassable {
            what: format!("the value of the environment variable {shown}"),
            problem,
            fix: format!(
                "change {shown} (in its environ section, its _COMMAND, or keld's environment)"
            ),
        });
    }
    Ok(())
}

/// argv and envp together within `ARG_MAX` (with room for the pointers, as the
/// kernel counts them).
pub(crate) fn check_total<'a>(
    what: &str,
    argv: impl Iterator<Item = &'a OsStr>,
    env: &[(OsString, OsString)],
) -> Result<(), PrepareError> {
    let pointer = std::mem::size_of::<usize>();
    let size: usize = argv.map(|arg| arg.len() + 1 + pointer).sum::<usize>()
        + env
            .iter()
            .map(|(name, value)| name.len() + value.len() + 2 + pointer)
            .sum::<usize>();
    let limit = arg_max();
    if size > limit {
        return Err(PrepareError::TooLarge {
            what: what.to_owned(),
            size,
            limit,
        });
    }
    Ok(())
}

/// The system's `ARG_MAX`, or the POSIX minimum's common Linux value when unknown.
fn arg_max() -> usize {
    nix::unistd::sysconf(nix::unistd::SysconfVar::ARG_MAX)
        .ok()
        .flatten()
        .and_then(|max| usize::try_from(max).ok())
        .unwrap_or(128 * 1024)
}

fn check_workdir(dir: &Path) -> Result<(), PrepareError> {
    let problem = |reason: String| PrepareError::Workdir {
        path: dir.to_owned(),
        reason,
    };
    match dir.metadata() {
        Ok(meta) if !meta.is_dir() => Err(problem("it is not a directory".to_owned())),
        Ok(_) => nix::unistd::access(dir, nix::unistd::AccessFlags::X_OK)
            .map_err(|errno| problem(format!("it cannot be entered ({})", errno.desc()))),
        Err(error) => Err(problem(error.to_string())),
    }
}

fn check_program(path: &Path) -> Result<(), PrepareError> {
    let not_executable = |reason| PrepareError::NotExecutable {
        path: path.to_owned(),
        reason,
    };
    match path.metadata() {
        Ok(meta) if meta.is_dir() => Err(not_executable("is a directory")),
        Ok(meta) if meta.permissions().mode() & 0o111 == 0 => {
            Err(not_executable("is not executable (no x permission)"))
        }
        Ok(_) if nix::unistd::access(path, nix::unistd::AccessFlags::X_OK).is_err() => {
            Err(not_executable("is not executable by this user"))
        }
        // Anything else (vanished, unreadable) shows when it is started.
        _ => Ok(()),
    }
}
