//! The backup lifecycle: find restic, build its environment, pre-hooks, restic,
//! post-hooks, exit code.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use keld_status::Outcome;
use keld_supervise::{
    ChildCommand, EnvSource, RunError as ChildError, Supervisor, env_set, find_program,
};

use crate::options::RunOptions;
use crate::report::{Event, Finished, HookError, HookFailure, HookPhase, RunError, SKIP_EXIT_CODE};

/// Variables keld sets for hooks. They are removed from the inherited environment
/// first, so a keld run inside another keld's hook never shows the outer values.
const HOOK_VARS: [&str; 4] = [
    "KELD_PRESET",
    "KELD_COMMAND",
    "KELD_RESTIC_STATUS",
    "KELD_RESTIC_EXIT_CODE",
];

/// Run restic as `options` describe, with its hooks, and return keld's exit code.
///
/// `on_event` hears about a skip, a restic that could not start and each failed
/// post-hook when they happen, so the caller can report them between the children's
/// own output. Errors that stop the run before restic are returned.
///
/// Call it from the thread that lives longest (normally `main`): on Linux children
/// receive SIGTERM when the thread that started them ends.
pub fn run(
    options: &RunOptions,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Finished, RunError> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let program = find_restic_for(options, &cwd)?;
    if let Some(dir) = &options.workdir {
        check_workdir(dir)?;
    }

    let supervisor = Supervisor::install()?;
    let environ = &options.environ;
    let env =
        match supervisor.resolve_environ(environ, &options.base_env, options.workdir.as_deref()) {
            Ok(env) => env,
            Err(error) => {
                // A command that failed because the user pressed Ctrl-C is an interruption,
                // not a broken config.
                stop_if_signalled(&supervisor)?;
                return Err(error.into());
            }
        };
    stop_if_signalled(&supervisor)?;

    let hook_env = hook_environment(&env, options);
    for hook in &options.pre_hooks {
        let result = run_hook(&supervisor, hook, &hook_env, options);
        // A signal while pre-hooks run ends the run whatever the hook made of it.
        stop_if_signalled(&supervisor)?;
        match result {
            Ok(Outcome::Exited(0)) => {}
            Ok(Outcome::Exited(SKIP_EXIT_CODE)) => {
                on_event(Event::Skipped { hook });
                return Ok(Finished {
                    exit_code: 0,
                    restic: None,
                    failed_post_hooks: 0,
                });
            }
            Ok(outcome) => {
                return Err(RunError::PreHook(HookError {
                    phase: HookPhase::Pre,
                    hook: hook.clone(),
                    failure: HookFailure::Ended(outcome),
                }));
            }
            Err(failure) => {
                return Err(RunError::PreHook(HookError {
                    phase: HookPhase::Pre,
                    hook: hook.clone(),
                    failure,
                }));
            }
        }
    }

    let restic = ChildCommand {
        program,
        args: options.args.clone(),
        env,
        workdir: options.workdir.clone(),
    };
    let outcome = match supervisor.run(&restic) {
        Ok(outcome) => outcome,
        Err(ChildError::Start(error)) => {
            on_event(Event::ResticStartFailed(&error));
            error.outcome()
        }
        // restic ran but its end is unknown: report it as a fatal failure, never success.
        Err(ChildError::Wait(_)) => Outcome::Exited(1),
    };
    // Signals that reached restic are accounted for by its outcome; one another
    // process sent after restic ended goes to the first post-hook (`Supervisor::run`).

    let mut post_env = hook_env;
    env_set(
        &mut post_env,
        "KELD_RESTIC_STATUS",
        outcome.status().as_str().into(),
    );
    if outcome.started() {
        env_set(
            &mut post_env,
            "KELD_RESTIC_EXIT_CODE",
            outcome.exit_code().to_string().into(),
        );
    }
    let mut failed_post_hooks = 0;
    for hook in &options.post_hooks {
        let failure = match run_hook(&supervisor, hook, &post_env, options) {
            Ok(Outcome::Exited(0)) => continue,
            Ok(outcome) => HookFailure::Ended(outcome),
            Err(failure) => failure,
        };
        failed_post_hooks += 1;
        on_event(Event::PostHookFailed(&HookError {
            phase: HookPhase::Post,
            hook: hook.clone(),
            failure,
        }));
    }

    let exit_code = match outcome.exit_code() {
        0 if failed_post_hooks > 0 => 1,
        code => code,
    };
    Ok(Finished {
        exit_code,
        restic: Some(outcome),
        failed_post_hooks,
    })
}

/// Look restic up on the `PATH` restic will get: keld's own, or one the config sets
/// literally.
fn find_restic_for(options: &RunOptions, cwd: &Path) -> Result<PathBuf, RunError> {
    let mut search_env = options.base_env.clone();
    for entry in &options.environ {
        if let EnvSource::Literal(value) = &entry.source {
            env_set(&mut search_env, &entry.name, value.clone());
        }
    }
    let name = options
        .program
        .as_deref()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| OsStr::new(keld_supervise::DEFAULT_PROGRAM));
    Ok(find_program(name, &search_env, cwd)?)
}

fn check_workdir(dir: &Path) -> Result<(), RunError> {
    match dir.metadata() {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(RunError::Workdir {
            path: dir.to_owned(),
            source: std::io::Error::from(std::io::ErrorKind::NotADirectory),
        }),
        Err(source) => Err(RunError::Workdir {
            path: dir.to_owned(),
            source,
        }),
    }
}

fn stop_if_signalled(supervisor: &Supervisor) -> Result<(), RunError> {
    match supervisor.signal_received() {
        Some(signal) => Err(RunError::Interrupted { signal }),
        None => Ok(()),
    }
}

fn hook_environment(
    env: &[(OsString, OsString)],
    options: &RunOptions,
) -> Vec<(OsString, OsString)> {
    let mut hook_env: Vec<_> = env
        .iter()
        .filter(|(key, _)| !HOOK_VARS.iter().any(|var| key == var))
        .cloned()
        .collect();
    if let Some(preset) = &options.preset {
        env_set(&mut hook_env, "KELD_PRESET", preset.into());
    }
    env_set(
        &mut hook_env,
        "KELD_COMMAND",
        options.command.clone().into(),
    );
    hook_env
}

fn run_hook(
    supervisor: &Supervisor,
    hook: &str,
    env: &[(OsString, OsString)],
    options: &RunOptions,
) -> Result<Outcome, HookFailure> {
    let mut command = ChildCommand::shell(hook);
    command.env = env.to_vec();
    command.workdir = options.workdir.clone();
    supervisor.run(&command).map_err(|error| match error {
        ChildError::Start(error) => HookFailure::Supervise(error.source),
        ChildError::Wait(error) => HookFailure::Supervise(std::io::Error::other(error)),
    })
}
