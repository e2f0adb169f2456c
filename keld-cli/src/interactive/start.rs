//! Starting the session from the command line: what is already known, how a choice
//! is previewed, how the background restic commands are built, and the signals that
//! end the session with the terminal restored.
//!
//! Everything a screen shows comes from the same config resolution as a run: the
//! confirmation is the resolved invocation of the choice, and the background
//! `restic snapshots --json` and `ls --json` are the preset's resolved `snapshots` and
//! `ls` commands (repository, password file, environment, working directory).

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use keld_config::{Config, EnvValue, Environment, Flag, FlagValue, Request, ResolvedConfig};
use keld_supervise::{CAUGHT_SIGNALS, EnvEntry, EnvSource};
use miette::Diagnostic;
use thiserror::Error;

use super::background::{ResticFor, Running, restic_worker};
use super::palette::{Palette, detect_background};
use super::protocol::{Choice, Exit, Preview, PreviewFn, Setup};
use super::terminal::run_session;
use crate::context::Context;
use crate::error::{self, CliError};
use crate::secret;

/// Exit code when the user leaves without running anything (Esc on the first
/// screen, Ctrl-C): 128 + SIGINT, as a shell reports an interrupted command.
pub(crate) const EXIT_CANCELLED: u8 = 130;

/// How long the end of a session waits for background restic runs to stop.
const BACKGROUND_PATIENCE: Duration = Duration::from_secs(3);

/// What the command line and the config already answer; each known value skips its
/// screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Known {
    /// COMMAND, when given.
    pub(crate) command: Option<String>,
    /// `--preset`, or the preset the config resolves to by itself.
    pub(crate) preset: Option<String>,
    /// The snapshot to restore, when the config's `_arguments` name one.
    pub(crate) snapshot: Option<String>,
    /// The restore target, when the config sets `target`.
    pub(crate) target: Option<String>,
}

/// How asking ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Asked {
    /// Confirmed: resolve and run this like a command line (the terminal is restored).
    Run(Choice),
    /// Nothing runs; exit with this code (130 cancelled, 128+N for a signal, 1 when
    /// the terminal could not be used).
    Exit(u8),
}

/// The values a `restore` without arguments still lacks, or `None` when the config
/// supplies both the snapshot (`_arguments`) and the target.
pub(crate) fn restore_gaps(resolved: &ResolvedConfig) -> Option<Known> {
    if resolved.typed_command != "restore" || resolved.command != "restore" {
        return None;
    }
    let (snapshot, target) = restore_values(resolved);
    if snapshot.is_some() && target.is_some() {
        return None;
    }
    Some(Known {
        command: Some("restore".to_owned()),
        preset: resolved.preset.clone(),
        snapshot,
        target,
    })
}

/// What the screens start from when `command` (or, with `None`, the command to be
/// chosen) may be `restore` and the preset is known before the screens (`--preset`,
/// or the config's only preset): that preset's configured snapshot and target.
pub(crate) fn known_at_start(
    config: &Config,
    command: Option<String>,
    preset: Option<String>,
    env: &Environment,
) -> Known {
    let mut known = Known {
        command,
        preset,
        ..Known::default()
    };
    if known
        .command
        .as_deref()
        .is_none_or(|command| command == "restore")
    {
        let request = Request {
            preset: known.preset.clone(),
            command: "restore".to_owned(),
            args: Vec::new(),
        };
        // Several presets and none chosen yet: nothing is known until the screen.
        if let Ok(resolved) = config.resolve(&request, env) {
            (known.snapshot, known.target) = restore_values(&resolved);
        }
    }
    known
}

/// The snapshot (first of `_arguments`) and target (`target`) a resolved `restore`
/// has from the config.
fn restore_values(resolved: &ResolvedConfig) -> (Option<String>, Option<String>) {
    let snapshot = resolved
        .arguments
        .as_ref()
        .and_then(|arguments| arguments.value.first().cloned());
    let target = resolved
        .flags
        .iter()
        .find(|flag| flag.key == "target")
        .and_then(|flag| match &flag.value {
            FlagValue::Values(values) => values.last().cloned(),
            FlagValue::Attached(value) => Some(value.clone()),
            FlagValue::Switch | FlagValue::Count(_) => None,
        });
    (snapshot, target)
}

/// The config request a choice stands for: what the same answers typed on the
/// command line would be.
pub(crate) fn request_for(choice: &Choice) -> Request {
    Request {
        preset: choice.preset.clone(),
        command: choice.command.clone(),
        args: choice.args.clone(),
    }
}

/// Run the session on the terminal and say how it ended.
///
/// While it runs, SIGHUP, SIGINT, SIGQUIT and SIGTERM end it with the terminal
/// restored, and keld then exits with 128 + the signal's number.
pub(crate) fn ask(config: &Config, known: Known, show_command: bool, ctx: &Context) -> Asked {
    let config = Arc::new(config.clone());
    let presets = config
        .presets()
        .into_iter()
        .filter(|preset| preset.runnable)
        .map(|preset| preset.name)
        .collect();
    let setup = Setup {
        command: known.command,
        presets,
        preset: known.preset,
        snapshot: known.snapshot,
        target: known.target,
        preview: preview_fn(Arc::clone(&config), ctx.clone()),
    };
    let running = Running::default();
    let worker = restic_worker(
        restic_for(config, ctx.clone(), show_command),
        running.clone(),
    );
    let palette = Palette::for_background(detect_background(&ctx.env.vars));
    let signals = match Signals::register() {
        Ok(signals) => signals,
        Err(err) => {
            error::report(&SessionError(err), ctx);
            return Asked::Exit(1);
        }
    };
    let result = run_session(setup, palette, &worker, &signals.stop);
    // A listing nobody waits for any more must not keep the repository locked.
    running.stop_all(BACKGROUND_PATIENCE);
    if let Some(code) = signals.exit_code() {
        return Asked::Exit(code);
    }
    match result {
        Ok(Exit::Run(choice)) => Asked::Run(choice),
        Ok(Exit::Cancelled) => Asked::Exit(EXIT_CANCELLED),
        Err(err) => {
            error::report(&SessionError(err), ctx);
            Asked::Exit(1)
        }
    }
}

/// The terminal failed under the session (it was restored as far as possible).
#[derive(Debug, Error, Diagnostic)]
#[error("the interactive mode could not use the terminal")]
#[diagnostic(
    code(keld::terminal),
    help(
        "give the command and its values on the command line (`keld -p home restore latest \
         --target DIR`), or set KELD_NONINTERACTIVE=1 to never start the interactive mode"
    )
)]
struct SessionError(#[source] io::Error);

/// The confirmation screen's view of a choice: resolved through the config exactly as
/// the run will be, with the same checks, shown as program, arguments and the
/// *names* of the variables keld sets.
fn preview_fn(config: Arc<Config>, ctx: Context) -> PreviewFn {
    Box::new(move |choice| {
        let resolved = config
            .resolve(&request_for(choice), &ctx.env)
            .map_err(|err| describe(&err))?;
        if crate::backup_without_paths(&resolved) {
            return Err(describe(&CliError::BackupWithoutPaths {
                preset: resolved.preset.clone(),
            }));
        }
        Ok(preview_of(&resolved, &ctx.restic_program()))
    })
}

/// Program and arguments as `--show-command` prints them, and the names of the
/// variables it lists (run-time-only ones left out; no value ever leaves here).
fn preview_of(resolved: &ResolvedConfig, program: &str) -> Preview {
    let mut argv = vec![program.to_owned()];
    argv.extend(resolved.args());
    let env_names = resolved
        .environ
        .iter()
        .filter(|var| !secret::is_run_time_only(&var.name))
        .map(|var| var.name.clone())
        .collect();
    Preview { argv, env_names }
}

/// A diagnostic as plain lines for a screen: the message, then its help.
fn describe(diagnostic: &dyn Diagnostic) -> String {
    let mut text = diagnostic.to_string();
    if let Some(help) = diagnostic.help() {
        let _ = write!(text, "\nhelp: {help}");
    }
    text
}

/// Builds the background restic commands from the config.
///
/// `snapshots` and `ls` are the preset's resolved commands with their flags (not their
/// `_arguments`) and environment; `_COMMAND` variables run once per session (never
/// under `--show-command`, where only literal values are set); `version` needs no
/// preset and runs with keld's own environment.
fn restic_for(config: Arc<Config>, ctx: Context, show_command: bool) -> ResticFor {
    let environs = Arc::new(EnvironCache::default());
    Arc::new(move |preset, restic_command| {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        if restic_command == "version" {
            let mut command = Command::new(locate(&ctx.process_env, &ctx.process_env, &cwd)?);
            command
                .arg("version")
                .env_clear()
                .envs(ctx.process_env.iter().map(|(name, value)| (name, value)));
            return Ok(command);
        }
        let request = Request {
            preset: preset.map(str::to_owned),
            command: restic_command.to_owned(),
            args: Vec::new(),
        };
        let resolved = config
            .resolve(&request, &ctx.env)
            .map_err(|err| describe(&err))?;
        let entries = env_entries(&resolved, show_command);
        let workdir = resolved.workdir.as_ref().map(|setting| &setting.value);
        let env = environs.resolve(&entries, &ctx.process_env, workdir.map(PathBuf::as_path))?;
        let mut command = Command::new(locate(&ctx.process_env, &env, &cwd)?);
        command
            .arg(&resolved.command)
            .args(resolved.flags.iter().flat_map(Flag::argv))
            .env_clear()
            .envs(env.iter().map(|(name, value)| (name, value)));
        if let Some(dir) = workdir {
            command.current_dir(dir);
        }
        Ok(command)
    })
}

/// The config's variables as the run pipeline takes them; under `--show-command`
/// only the literal ones, so no `_COMMAND` runs.
fn env_entries(resolved: &ResolvedConfig, show_command: bool) -> Vec<EnvEntry> {
    resolved
        .environ
        .iter()
        .filter_map(|var| {
            let source = match &var.value {
                EnvValue::Literal(value) => EnvSource::Literal(value.into()),
                EnvValue::Command(_) if show_command => return None,
                EnvValue::Command(script) => EnvSource::Command(script.clone()),
            };
            Some(EnvEntry {
                name: var.name.clone(),
                source,
            })
        })
        .collect()
}

/// restic the way a run finds it: `KELD_EXECUTABLE` from keld's environment, else
/// `restic`, looked up in the `PATH` of the environment restic gets.
fn locate(
    process_env: &[(OsString, OsString)],
    env: &[(OsString, OsString)],
    cwd: &Path,
) -> Result<PathBuf, String> {
    let name = keld_supervise::env_lookup(process_env, keld_supervise::EXECUTABLE_VAR)
        .filter(|value| !value.is_empty())
        .map_or_else(
            || OsString::from(keld_supervise::DEFAULT_PROGRAM),
            ToOwned::to_owned,
        );
    keld_supervise::find_program(&name, env, cwd).map_err(|err| err.to_string())
}

/// Environments already built this session, so each `_COMMAND` runs once (a failure
/// is remembered too: a password manager that refused is not asked again per screen).
#[derive(Default)]
struct EnvironCache {
    /// (variables, working directory) → the environment or why it failed. Held
    /// while a `_COMMAND` runs, so two requests at once never run it twice.
    built: Mutex<Vec<Built>>,
}

/// One entry of [`EnvironCache`].
type Built = (
    Vec<EnvEntry>,
    Option<PathBuf>,
    Result<Vec<(OsString, OsString)>, String>,
);

impl EnvironCache {
    fn resolve(
        &self,
        entries: &[EnvEntry],
        base: &[(OsString, OsString)],
        workdir: Option<&Path>,
    ) -> Result<Vec<(OsString, OsString)>, String> {
        let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, result)) = built
            .iter()
            .find(|(known, dir, _)| known == entries && dir.as_deref() == workdir)
        {
            return result.clone();
        }
        let result =
            keld_supervise::resolve_environ(entries, base, workdir).map_err(|err| err.to_string());
        built.push((
            entries.to_vec(),
            workdir.map(Path::to_path_buf),
            result.clone(),
        ));
        result
    }
}

/// The terminating signals, caught while the session holds the terminal: each
/// raises the session's stop flag (the event loop then restores the terminal) and
/// records its number for the exit code. Dropping unregisters them.
struct Signals {
    stop: Arc<AtomicBool>,
    caught: Arc<AtomicUsize>,
    ids: Vec<signal_hook::SigId>,
}

impl Signals {
    fn register() -> io::Result<Self> {
        let mut signals = Self {
            stop: Arc::new(AtomicBool::new(false)),
            caught: Arc::new(AtomicUsize::new(0)),
            ids: Vec::new(),
        };
        for signal in CAUGHT_SIGNALS {
            let number = usize::try_from(signal).unwrap_or_default();
            // The number first: actions run in registration order, so a raised stop
            // flag always has its signal recorded.
            signals.ids.push(signal_hook::flag::register_usize(
                signal,
                Arc::clone(&signals.caught),
                number,
            )?);
            signals.ids.push(signal_hook::flag::register(
                signal,
                Arc::clone(&signals.stop),
            )?);
        }
        Ok(signals)
    }

    /// 128 + the signal that ended the session, if one did.
    fn exit_code(&self) -> Option<u8> {
        match self.caught.load(Ordering::SeqCst) {
            0 => None,
            signal => Some(u8::try_from(128 + signal).unwrap_or(u8::MAX)),
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

#[cfg(test)]
#[path = "start_tests.rs"]
mod tests;
