//! Starting a session from keld: what is already known, how a choice is previewed,
//! the restic that answers background requests, and the signals that end the
//! session with the terminal restored.
//!
//! Everything a screen shows comes from the same config resolution as a run: the
//! confirmation is the resolved invocation of the choice, and the background
//! `restic snapshots --json` and `ls --json` are the preset's resolved `snapshots` and
//! `ls` commands (repository, password file, environment, working directory).

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use keld_config::{
    Config, Environment, FlagValue, Origin, PresetKind, Request, ResolvedConfig, ShownValue,
};
use keld_hooks::{Host, Invocation};
use miette::Diagnostic;
use thiserror::Error;

use crate::drill_runner::Drills;
use crate::palette::{Palette, detect_background};
use crate::protocol::{Choice, Exit, PresetEntry, Preview, PreviewFn, Setup};
use crate::resolution::{arguments_meant_for_command, describe};
use crate::terminal::{Ended, run_session};
use crate::worker::{ConfigRestic, Restic, Worker, restic_worker, session_worker};

/// Exit code when the user leaves without running anything (Esc on the first
/// screen, Ctrl-C): 128 + SIGINT, as a shell reports an interrupted command.
pub const EXIT_CANCELLED: u8 = 130;

/// Exit code when the terminal went away under the session (its window closed, the
/// connection dropped): 128 + SIGHUP, as for the hang-up signal itself.
pub const EXIT_HUNG_UP: u8 = 129;

/// The signals that end a session (SIGHUP, SIGINT, SIGQUIT, SIGTERM).
const STOP_SIGNALS: [i32; 4] = [
    signal_hook::consts::SIGHUP,
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGQUIT,
    signal_hook::consts::SIGTERM,
];

/// How long the end of a session waits for background restic runs (and a drill's)
/// to stop before they are killed.
const BACKGROUND_PATIENCE: Duration = Duration::from_secs(3);

/// What the command line and the config already answer; each known value skips its
/// screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    /// COMMAND, when given.
    pub command: Option<String>,
    /// `--preset`, or the preset the config resolves to by itself.
    pub preset: Option<String>,
    /// The snapshot to restore, when the config's `_arguments` name one.
    pub snapshot: Option<String>,
    /// The restore target, when the config sets `target`.
    pub target: Option<String>,
}

/// How asking ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    /// Confirmed: resolve and run this like a command line (the terminal is restored).
    Run(Choice),
    /// Nothing runs; exit with this code (130 cancelled, 128+N for a signal).
    Exit(u8),
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
pub struct SessionError(#[source] pub io::Error);

/// The values a `restore` without arguments still lacks, or `None` when the config
/// supplies both the snapshot (`_arguments`) and the target.
pub fn restore_gaps(resolved: &ResolvedConfig) -> Option<Known> {
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
pub fn known_at_start(
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

/// The snapshot (first of `_arguments`, when they are set for `restore` itself) and
/// target (`target`) a resolved `restore` has from the config. `_arguments` of a
/// preset or prefix section are the backup's paths (docs/configuration.md), never a
/// snapshot id: the snapshot is then asked for.
fn restore_values(resolved: &ResolvedConfig) -> (Option<String>, Option<String>) {
    let snapshot = resolved
        .arguments
        .as_ref()
        .filter(|_| arguments_meant_for_command(resolved))
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
pub fn request_for(choice: &Choice) -> Request {
    Request {
        preset: choice.preset.clone(),
        command: choice.command.clone(),
        args: choice.args.clone(),
    }
}

/// Where a session runs: the config, the environment resolution sees, and keld's
/// own environment (restic's base).
#[derive(Debug, Clone)]
pub struct SessionContext {
    /// The loaded config files.
    pub config: Arc<Config>,
    /// The variables and home directory resolution sees.
    pub env: Environment,
    /// keld's environment and working directory.
    pub host: Host,
    /// `--show-command`: the confirmed choice is shown, not run, and no `_COMMAND`
    /// runs for the background listings.
    pub show_command: bool,
}

/// Run the session on the terminal and say how it ended.
///
/// While it runs, SIGHUP, SIGINT, SIGQUIT and SIGTERM end it with the terminal
/// restored, and keld then exits with 128 + the signal's number.
pub fn ask(context: &SessionContext, known: Known) -> Result<Asked, SessionError> {
    let setup = Setup {
        // A bare `keld` starts at the dashboard.
        dashboard: known.command.is_none() && known.preset.is_none(),
        command: known.command,
        presets: preset_entries(&context.config, &context.env),
        preset: known.preset,
        snapshot: known.snapshot,
        target: known.target,
        preview: preview_fn(context.clone()),
        home: context.env.home.clone(),
        cwd: context.host.cwd.clone(),
    };
    let restic = Arc::new(ConfigRestic::new(
        Arc::clone(&context.config),
        context.env.clone(),
        context.host.clone(),
        !context.show_command,
    ));
    let drills = Arc::new(Drills::new(
        Arc::clone(&context.config),
        context.env.clone(),
        context.host.clone(),
        context.show_command,
    ));
    let worker = session_worker(
        restic_worker(Arc::clone(&restic) as Arc<dyn Restic>),
        context.host.state_dir(),
        Arc::clone(&drills),
    );
    let palette = Palette::for_background(detect_background(&context.env.vars));
    run(setup, palette, &worker, || {
        // A listing nobody waits for any more must not keep the repository locked,
        // and a drill must not leave its directory behind.
        restic.lister().children().stop_all(BACKGROUND_PATIENCE);
        drills.stop(BACKGROUND_PATIENCE);
    })
}

/// Run a session with the stop signals caught, call `after` once the terminal is
/// given back, and say how it ended: a caught signal wins (128 + its number), a
/// terminal that went away is 129 as for SIGHUP, and a terminal that failed is the
/// error.
pub(crate) fn run(
    setup: Setup,
    palette: Palette,
    worker: &Worker,
    after: impl FnOnce(),
) -> Result<Asked, SessionError> {
    let signals = Signals::register().map_err(SessionError)?;
    let result = run_session(setup, palette, worker, &signals.stop);
    after();
    if let Some(code) = signals.exit_code() {
        return Ok(Asked::Exit(code));
    }
    match result.map_err(SessionError)? {
        Ended::Exit(Exit::Run(choice)) => Ok(Asked::Run(choice)),
        Ended::Exit(Exit::Cancelled) | Ended::Stopped => Ok(Asked::Exit(EXIT_CANCELLED)),
        Ended::HungUp => Ok(Asked::Exit(EXIT_HUNG_UP)),
    }
}

/// Above this many prefix × suffix combinations the picker offers each prefix half
/// instead, and the chosen prefix's combinations next.
pub(crate) const LISTED_COMBINATIONS: usize = 1000;

/// The presets to offer: the runnable ones, and the repository halves of split
/// presets (`@nas`, for commands on a whole repository), each with the repository
/// its `snapshots` would use. With more than [`LISTED_COMBINATIONS`] combinations,
/// the prefix halves stand in for them (choosing one lists its combinations), so the
/// session starts in time with the sections, not their product.
pub(crate) fn preset_entries(config: &Config, env: &Environment) -> Vec<PresetEntry> {
    let presets = config.presets();
    let entry = |name: &str, kind: PresetKind| {
        let request = Request {
            preset: Some(name.to_owned()),
            command: "snapshots".to_owned(),
            args: Vec::new(),
        };
        let repository = config
            .resolve(&request, env)
            .ok()
            .and_then(|resolved| repository_of(&resolved));
        PresetEntry {
            repository_only: kind == PresetKind::Suffix,
            combines: kind == PresetKind::Prefix,
            expanded_from: None,
            name: name.to_owned(),
            repository,
        }
    };
    let spell_out = presets.combination_count() <= LISTED_COMBINATIONS;
    let mut entries: Vec<PresetEntry> = presets
        .defined()
        .iter()
        .filter(|preset| {
            preset.runnable
                || preset.kind == PresetKind::Suffix
                || (preset.kind == PresetKind::Prefix && !spell_out)
        })
        .map(|preset| entry(&preset.name, preset.kind))
        .collect();
    if spell_out {
        entries.extend(
            presets
                .combinations()
                .map(|preset| entry(&preset.name, preset.kind)),
        );
        entries.sort_by(|a, b| a.name.cmp(&b.name));
    }
    entries
}

/// The repository a resolved command uses, as it may be shown: `--repo`, else
/// `--repository-file`, else `RESTIC_REPOSITORY`; a URL's password masked.
fn repository_of(resolved: &ResolvedConfig) -> Option<String> {
    let redacted = resolved.redacted();
    let flag = |key: &str| {
        redacted
            .flags
            .iter()
            .find(|flag| flag.key == key)
            .and_then(|flag| flag.argv.last().cloned())
    };
    let shown = flag("repo")
        .or_else(|| flag("repository-file").map(|file| format!("from {file}")))
        .or_else(|| {
            redacted
                .environ
                .iter()
                .find(|var| var.name == "RESTIC_REPOSITORY")
                .map(|var| match &var.value {
                    ShownValue::Literal(value) => value.clone(),
                    other => other.display(),
                })
        })?;
    Some(crate::safe::one_line(&keld_config::mask_url_passwords(&shown)).into_owned())
}

/// What the confirmation should say before a command runs with `_arguments` it was
/// not given them for (restic would read backup paths as snapshot IDs, say).
fn argument_warnings(resolved: &ResolvedConfig) -> Vec<String> {
    let Some(arguments) = &resolved.arguments else {
        return Vec::new();
    };
    if resolved.command == "backup" || arguments_meant_for_command(resolved) {
        return Vec::new();
    }
    let section = match &arguments.origin {
        Origin::File { section, .. } => section.clone(),
        _ => String::new(),
    };
    vec![format!(
        "`_arguments` from [{section}] ({}) are given to restic {} too, which reads them as          its own arguments{}. Set `_arguments = []` in a [{}.{}] section to leave them out.",
        keld_config::shell::join(&arguments.value),
        resolved.command,
        if resolved.command == "snapshots" || resolved.command == "forget" {
            " (snapshot IDs: it will likely list or touch nothing)"
        } else {
            ""
        },
        resolved.preset.as_deref().unwrap_or("global"),
        resolved.typed_command
    )]
}

/// The confirmation screen's view of a choice: resolved through the config and
/// prepared as an invocation exactly as the run will be, with the same checks, shown
/// as program, arguments and the *names* of the variables keld sets.
pub(crate) fn preview_fn(context: SessionContext) -> PreviewFn {
    Box::new(move |choice| {
        let resolved = context
            .config
            .resolve(&request_for(choice), &context.env)
            .map_err(|err| describe(&err))?;
        resolved
            .require_backup_paths()
            .map_err(|err| describe(&err))?;
        let mut preview = preview_of(&resolved, &context.host);
        preview.warnings = argument_warnings(&resolved);
        Ok(preview)
    })
}

/// Program and arguments as `--show-command` prints them, and the names of the
/// variables it lists (no value ever leaves here).
fn preview_of(resolved: &ResolvedConfig, host: &Host) -> Preview {
    let invocation = Invocation::new(resolved, host);
    let redacted = resolved.redacted();
    let argv = keld_hooks::shown_argv(&redacted, &invocation);
    let env_names = redacted.environ.into_iter().map(|var| var.name).collect();
    Preview {
        argv,
        env_names,
        warnings: Vec::new(),
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
        for signal in STOP_SIGNALS {
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
#[path = "session_e2e_tests.rs"]
mod e2e_tests;
#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
