//! Everything keld can check before it starts anything: restic found once, and every
//! argument, variable and directory a child will be given usable by `execve`.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use keld_status::Status;
use keld_supervise::{ChildCommand, Stdin, env_set};

use crate::environ::{self, EnvSource};
use crate::invocation::{Host, Invocation};
use crate::limits::{self, SHELL};
use crate::program::{self, ResticNotFound};

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

impl PreparedRun<'_> {
    /// restic run for its output, with `extra` arguments appended and the environment
    /// `env`: standard input closed (a password prompt cannot be answered when the
    /// output is read), checked against `execve`'s limits like a run.
    pub(crate) fn output_command(
        &self,
        env: Vec<(OsString, OsString)>,
        extra: impl IntoIterator<Item = OsString>,
    ) -> Result<ChildCommand, PrepareError> {
        let mut args = self.invocation.args.clone();
        args.extend(extra);
        check_restic_total(&self.program, &args, &env)?;
        Ok(ChildCommand {
            program: self.program.clone(),
            args,
            env,
            workdir: self.invocation.workdir.clone(),
            stdin: Stdin::Null,
        })
    }
}

/// A problem keld found before starting anything: nothing ran.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// restic does not exist (exit 127).
    #[error(transparent)]
    NotFound(#[from] ResticNotFound),
    /// restic is a directory or not executable (exit 126).
    #[error("restic cannot be run: {} {reason} ({named_by})", path.display())]
    NotExecutable {
        /// Where restic was found.
        path: PathBuf,
        /// `is a directory`, `is not executable`.
        reason: &'static str,
        /// Where the path came from: `KELD_EXECUTABLE`, or `found in PATH`.
        named_by: String,
    },
    /// `_workdir` cannot be entered.
    #[error("`_workdir` {} cannot be entered: {reason}", path.display())]
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
    #[error(
        "{what} are {size} bytes, more than this system passes to a program ({limit}); \
         the largest: {largest}"
    )]
    TooLarge {
        /// `restic's arguments and environment`, `pre-hook 2's script and environment`.
        what: String,
        /// Their size.
        size: usize,
        /// The system's limit.
        limit: usize,
        /// The parts that take the most, by name (never a value).
        largest: String,
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
    /// executed, `_workdir` can be entered, and no argument, variable, hook or
    /// `_COMMAND` holds something `execve` refuses (a NUL byte, an empty name or one
    /// with `=`, a string or a total the system's limits exceed). The values
    /// `_COMMAND`s produce are checked as each one ends, still before any hook.
    ///
    /// Messages name the key, variable, argument or hook, never a value.
    pub fn prepare<'a>(&'a self, host: &'a Host) -> Result<PreparedRun<'a>, PrepareError> {
        // Every name the config sets, `_COMMAND`s included: none may run first.
        for entry in &self.environ {
            check_name(OsStr::new(&entry.name))?;
        }
        let known_env = self.known_environment(&host.env);
        check_environment(&known_env)?;
        for (index, arg) in self.args.iter().enumerate() {
            check_string(arg, || restic_argument(&self.args, index))?;
        }
        for (phase, index, hook) in self.hooks() {
            check_string(OsStr::new(hook), || Unpassable {
                what: hook_name(phase, index),
                fix: format!("fix or shorten entry {} of `_{phase}_hooks`", index + 1),
            })?;
        }
        // What hooks get besides restic's environment.
        if self.hooks().next().is_some() {
            if let Some(preset) = &self.preset {
                check_string(OsStr::new(preset), || Unpassable {
                    what: "the preset name (KELD_PRESET for hooks)".to_owned(),
                    fix: "rename the preset".to_owned(),
                })?;
            }
            check_string(OsStr::new(&self.alias), || Unpassable {
                what: "the command name (KELD_COMMAND for hooks)".to_owned(),
                fix: "rename the `_command` alias".to_owned(),
            })?;
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
            what: program::SETTING.to_owned(),
            fix: format!("set {} to restic's path", program::SETTING),
        })?;
        let program = program::find(&self.program, &known_env, &host.cwd)?;
        check_program(&program, &self.program, &host.env)?;
        check_restic_total(&program, &self.args, &known_env)?;
        for entry in &self.environ {
            if let EnvSource::Command(script) = &entry.source {
                let what = format!("{}_COMMAND", entry.name);
                check_total(
                    &format!("{what}'s script and environment"),
                    &shell_argv(script),
                    &|_| what.clone(),
                    &known_env,
                )?;
            }
        }
        // The post-hooks' environment at its largest: the longest status name.
        let mut hook_env = environ::for_hooks(&known_env, self.preset.as_deref(), &self.alias);
        let longest = Status::ALL
            .iter()
            .map(|status| status.as_str())
            .max_by_key(|name| name.len());
        env_set(
            &mut hook_env,
            "KELD_RESTIC_STATUS",
            longest.unwrap_or_default().into(),
        );
        env_set(&mut hook_env, "KELD_RESTIC_EXIT_CODE", "255".into());
        check_hooks(self, &hook_env)?;
        Ok(PreparedRun {
            invocation: self,
            program,
            base_env: &host.env,
        })
    }

    /// Every hook that runs, with its phase (`pre`, `post`) and index.
    fn hooks(&self) -> impl Iterator<Item = (&'static str, usize, &String)> {
        let pre = self
            .pre_hooks
            .iter()
            .enumerate()
            .map(|(i, hook)| ("pre", i, hook));
        let post = self
            .post_hooks
            .iter()
            .enumerate()
            .map(|(i, hook)| ("post", i, hook));
        pre.chain(post)
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

/// `pre-hook 2`: a hook by its place, never by its text (which may be long, or hold
/// a token).
fn hook_name(phase: &str, index: usize) -> String {
    format!(
        "{phase}-hook {} (entry {} of `_{phase}_hooks`)",
        index + 1,
        index + 1
    )
}

fn shell_argv(script: &str) -> [&OsStr; 3] {
    [
        OsStr::new(SHELL[0]),
        OsStr::new(SHELL[1]),
        OsStr::new(script),
    ]
}

/// Each hook's script and environment within `ARG_MAX` (`hook_env` as the hooks
/// get it).
pub(crate) fn check_hooks(
    invocation: &Invocation,
    hook_env: &[(OsString, OsString)],
) -> Result<(), PrepareError> {
    for (phase, index, hook) in invocation.hooks() {
        let what = hook_name(phase, index);
        check_total(
            &format!("the script and environment of {what}"),
            &shell_argv(hook),
            &|_| what.clone(),
            hook_env,
        )?;
    }
    Ok(())
}

/// restic's program, arguments and environment within `ARG_MAX`.
pub(crate) fn check_restic_total(
    program: &Path,
    args: &[OsString],
    env: &[(OsString, OsString)],
) -> Result<(), PrepareError> {
    let argv: Vec<&OsStr> = std::iter::once(program.as_os_str())
        .chain(args.iter().map(OsString::as_os_str))
        .collect();
    check_total(
        "restic's arguments and environment",
        &argv,
        &|index| match index {
            0 => "the program path".to_owned(),
            n => restic_argument(args, n - 1).what,
        },
        env,
    )
}

/// What names an unusable value, and the fix (filled in by [`check_string`]).
struct Unpassable {
    what: String,
    fix: String,
}

/// Argument `index` of restic's arguments by its place and the flag it belongs to:
/// `restic argument 3 (--tag)`. Only the flag's name is shown, never a value.
fn restic_argument(args: &[OsString], index: usize) -> Unpassable {
    let name = |arg: &OsString| {
        let bytes = arg.as_bytes();
        let name = bytes.split(|&b| b == b'=').next().unwrap_or_default();
        String::from_utf8_lossy(name).into_owned()
    };
    let dashed = |arg: &&OsString| arg.as_bytes().starts_with(b"-") && arg.len() > 1;
    // The flag itself (`--tag=x`), else the flag before whose value it is (`--tag x`).
    let flag = Some(&args[index])
        .filter(dashed)
        .or_else(|| {
            index
                .checked_sub(1)
                .map(|previous| &args[previous])
                .filter(|previous| dashed(previous) && !previous.as_bytes().contains(&b'='))
        })
        .map(name)
        .filter(|flag| flag != "--");
    match flag {
        Some(flag) => Unpassable {
            what: format!("restic argument {} ({flag})", index + 1),
            fix: format!(
                "fix the value of `{}` in the config or on the command line",
                flag.trim_start_matches('-')
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
    let Some(problem) = limits::string_problem(text) else {
        return Ok(());
    };
    let Unpassable { what, fix } = describe();
    Err(PrepareError::Unpassable { what, problem, fix })
}

/// A name a variable can have: not empty, without `=` or NUL.
fn check_name(name: &OsStr) -> Result<(), PrepareError> {
    let Some(problem) = limits::name_problem(name) else {
        return Ok(());
    };
    Err(PrepareError::Unpassable {
        what: format!("the environment variable name {:?}", name.to_string_lossy()),
        problem,
        fix: "rename the key in its environ section (a name is not empty and holds no `=`)"
            .to_owned(),
    })
}

/// Every variable of `env` can be passed to a program: a name that is not empty and
/// holds no `=` or NUL, a value without NUL, and `NAME=value` within the limit.
///
/// Checked on restic's environment before anything runs, and again once the
/// `_COMMAND`s have set their variables.
pub(crate) fn check_environment(env: &[(OsString, OsString)]) -> Result<(), PrepareError> {
    for (name, value) in env {
        check_name(name)?;
        // `NAME=value` is one string for execve; the message never shows the value.
        if let Some(problem) = limits::value_problem(name, value) {
            let shown = name.to_string_lossy();
            return Err(PrepareError::Unpassable {
                what: format!("the value of the environment variable {shown}"),
                problem,
                fix: format!(
                    "change {shown} (in its environ section, its _COMMAND, or keld's environment)"
                ),
            });
        }
    }
    Ok(())
}

/// argv and envp together within `ARG_MAX` (with room for the pointers, as the
/// kernel counts them); `describe` names argument `index` when it is among the
/// largest parts.
fn check_total(
    what: &str,
    argv: &[&OsStr],
    describe: &dyn Fn(usize) -> String,
    env: &[(OsString, OsString)],
) -> Result<(), PrepareError> {
    let size = limits::total_size(argv.iter().copied(), env);
    let limit = limits::arg_max();
    if size > limit {
        return Err(PrepareError::TooLarge {
            what: what.to_owned(),
            size,
            limit,
            largest: limits::largest(argv.iter().copied(), describe, env),
        });
    }
    Ok(())
}

fn check_workdir(dir: &Path) -> Result<(), PrepareError> {
    let problem = |reason: String| PrepareError::Workdir {
        path: dir.to_owned(),
        reason,
    };
    match dir.metadata() {
        Ok(meta) if !meta.is_dir() => Err(problem("it is not a directory".to_owned())),
        Ok(_) => nix::unistd::access(dir, nix::unistd::AccessFlags::X_OK)
            .map_err(|errno| problem(format!("permission denied ({})", errno.desc()))),
        Err(error) => Err(problem(error.to_string())),
    }
}

/// restic, found at `path`, can be executed; `configured` is restic as configured
/// (`KELD_EXECUTABLE`, or `restic`), for the message.
fn check_program(
    path: &Path,
    configured: &OsStr,
    process_env: &[(OsString, OsString)],
) -> Result<(), PrepareError> {
    let named_by = program::named_by(process_env, configured);
    let not_executable = |reason| PrepareError::NotExecutable {
        path: path.to_owned(),
        reason,
        named_by: named_by.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environ::EnvEntry;
    use crate::invocation::Operations;
    use crate::purpose::Purpose;

    fn invocation() -> Invocation {
        Invocation {
            preset: Some("home".to_owned()),
            alias: "backup".to_owned(),
            command: "backup".to_owned(),
            program: "/bin/sh".into(),
            args: vec!["backup".into()],
            environ: Vec::new(),
            workdir: None,
            pre_hooks: vec!["true".to_owned()],
            post_hooks: Vec::new(),
            purpose: Purpose::Run,
            operations: Operations::default(),
        }
    }

    fn host() -> Host {
        Host {
            env: vec![("PATH".into(), "/usr/bin:/bin".into())],
            cwd: "/".into(),
            home: None,
        }
    }

    fn problem(invocation: &Invocation) -> String {
        invocation.prepare(&host()).unwrap_err().to_string()
    }

    #[test]
    fn what_hooks_get_is_checked_only_when_hooks_run() {
        let mut invocation = invocation();
        assert!(invocation.prepare(&host()).is_ok());
        invocation.preset = Some("ho\0me".to_owned());
        assert!(problem(&invocation).starts_with("the preset name (KELD_PRESET for hooks)"));
        invocation.pre_hooks.clear();
        assert!(invocation.prepare(&host()).is_ok(), "no hook gets it");
    }

    #[test]
    fn a_command_s_name_is_checked_before_any_command_runs() {
        let mut invocation = invocation();
        invocation.environ.push(EnvEntry {
            name: "A=B".to_owned(),
            source: EnvSource::Command("touch /nonexistent/never".to_owned()),
        });
        assert_eq!(
            problem(&invocation),
            "the environment variable name \"A=B\" contains `=`"
        );
    }

    #[test]
    fn hooks_are_named_by_place_never_by_text() {
        let mut invocation = invocation();
        invocation.post_hooks = vec!["ok".to_owned(), format!("secret-{}", "x".repeat(200_000))];
        let message = problem(&invocation);
        assert!(
            message.starts_with("post-hook 2 (entry 2 of `_post_hooks`) is 200007 bytes long"),
            "{message}"
        );
        assert!(!message.contains("secret"), "{message}");
    }
}
