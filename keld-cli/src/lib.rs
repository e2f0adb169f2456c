//! The `keld` command-line program: a friendly, TOML-configured wrapper around restic.
//!
//! # How it works
//!
//! 1. [`main`] takes one snapshot of the process (environment, terminals) and passes it
//!    down; nothing below reads the process environment again.
//! 2. clap parses keld's own options. The first word that is not one of keld's own
//!    subcommands (`presets`, `completions`, `man`, `status`, `schedule`,
//!    `unschedule`, `drill`) is COMMAND;
//!    it and every later token go to the config library untouched.
//! 3. `keld-config` loads the layered config files and resolves the preset, COMMAND
//!    and arguments into one restic invocation with provenance. On a terminal, a
//!    bare `keld` or a COMMAND alone whose values are not resolved yet (no preset
//!    among several, a `restore` without snapshot or target) starts the interactive
//!    mode instead (`interactive`), whose confirmed answer continues here exactly as
//!    if it had been typed.
//! 4. `--show-command` (or `KELD_DRYRUN`) prints that invocation and runs nothing;
//!    otherwise the run pipeline executes `_COMMAND`s, hooks and restic and its exit
//!    code becomes keld's.
//!
//! Keld's own failures are miette diagnostics on stderr with exit code 1; clap usage
//! errors exit 2; a reader closing stdout early (`keld presets | head -1`) is success.
//!
//! ```no_run
//! // src/main.rs
//! fn main() -> std::process::ExitCode {
//!     keld_cli::main()
//! }
//! ```

#![forbid(unsafe_code)]

mod cli;
mod completions;
mod context;
mod drill;
mod error;
mod interactive;
mod man;
mod run;
mod schedule;
mod sequence;
mod status;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{ColorChoice, CommandFactory, FromArgMatches};
use keld_config::{Config, Presets, Request, ResolvedConfig};

use crate::cli::{Cli, Sub};
use crate::context::Context;
use crate::error::CliError;

/// Run keld with the process's arguments and environment.
pub fn main() -> ExitCode {
    // First, so every later hook (the interactive mode's) chains to it.
    error::install_panic_hook();
    let ctx = Context::capture();
    ExitCode::from(run_with(std::env::args_os(), &ctx))
}

/// Parse `args` and do what they ask; returns the exit code.
fn run_with(args: impl IntoIterator<Item = OsString>, ctx: &Context) -> u8 {
    let colour = if ctx.colour() {
        ColorChoice::Always
    } else {
        ColorChoice::Never
    };
    let parsed = Cli::command()
        .color(colour)
        .try_get_matches_from(args)
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(err) => return clap_exit(&err),
    };
    let show_command = cli.show_command || ctx.is_set("KELD_DRYRUN");
    let runs_restic = matches!(cli.command, Some(Sub::Restic(_)));
    if runs_restic && !show_command && (cli.json || cli.verbose) {
        let err = Cli::command().color(colour).error(
            ErrorKind::ArgumentConflict,
            "--json and --verbose before COMMAND apply to --show-command only; \
             to pass them to restic, put them after COMMAND",
        );
        return clap_exit(&err);
    }
    match dispatch(&cli, show_command, ctx) {
        Ok(code) => code,
        Err(err) if err.is_broken_pipe() => 0,
        Err(err) => {
            error::report(&err, ctx);
            1
        }
    }
}

/// Print a clap error, help or version text and return its exit code (0 or 2).
fn clap_exit(err: &clap::Error) -> u8 {
    // Help on stdout may meet a closed pipe (`keld --help | head -1`); that is fine.
    let _ = err.print();
    u8::try_from(err.exit_code()).unwrap_or(2)
}

fn dispatch(cli: &Cli, show_command: bool, ctx: &Context) -> Result<u8, CliError> {
    match &cli.command {
        None if ctx.interactive() && cli.preset.len() <= 1 => {
            let config = load(cli, ctx)?;
            let known =
                keld_tui::known_at_start(&config, None, cli.preset.first().cloned(), &ctx.env);
            ask(cli, config, known, show_command, ctx)
        }
        None => Err(unresolved(Missing::Command)),
        Some(Sub::Man) => write_stdout(&man::page()),
        Some(Sub::Completions { shell }) => write_stdout(completions::script(*shell).as_bytes()),
        Some(Sub::Presets {
            json,
            names,
            null,
            all,
            complete,
        }) => {
            let config = load(cli, ctx)?;
            let presets = config.presets();
            if let Some(word) = complete {
                let names = Presets::name_lines(&presets.complete(word), *null);
                return write_stdout(names.as_bytes());
            }
            let text = !(*null || *names || *json || cli.json);
            if presets.is_empty() && text {
                // Said on stderr: stdout stays a list (of nothing) for `| wc -l`.
                write_stderr(&format!("{}\n", Presets::NONE_DEFINED));
            }
            let mut stdout = io::BufWriter::new(io::stdout().lock());
            if *null || *names {
                presets.write_names(&mut stdout, *all, *null)
            } else if text {
                presets.write_text(&mut stdout, *all)
            } else {
                presets.write_json(&mut stdout, *all)
            }
            .and_then(|()| stdout.flush())
            .map_err(CliError::Stdout)?;
            Ok(0)
        }
        Some(Sub::Status(args)) => {
            let mut presets = cli.preset.clone();
            presets.extend(args.presets.iter().cloned());
            status::status(args, &presets, || load(cli, ctx), ctx)
        }
        Some(Sub::Schedule(args)) => schedule::schedule(args, cli, &load(cli, ctx)?, ctx),
        Some(Sub::Unschedule(args)) => schedule::unschedule(args, ctx),
        Some(Sub::Drill(args)) => drill::drill(cli, args, show_command, || load(cli, ctx), ctx),
        Some(Sub::Restic(words)) => restic(cli, words, show_command, ctx),
    }
}

/// Resolve COMMAND and its arguments, then show or run the result.
fn restic(
    cli: &Cli,
    words: &[OsString],
    show_command: bool,
    ctx: &Context,
) -> Result<u8, CliError> {
    let mut words = words.iter().enumerate().map(|(index, word)| {
        word.to_str()
            .map(str::to_owned)
            .ok_or_else(|| CliError::NonUtf8Argument {
                what: match index {
                    0 => "COMMAND".to_owned(),
                    n => format!("argument {n} after COMMAND"),
                },
                lossy: word.to_string_lossy().into_owned(),
            })
    });
    let command = words.next().transpose()?.unwrap_or_default();
    let args = words.collect::<Result<Vec<_>, _>>()?;

    let config = load(cli, ctx)?;
    if cli.preset.len() > 1 {
        return sequence::run(cli, &config, &command, &args, show_command, ctx);
    }
    // A command alone on a terminal may leave values to ask for (docs/interactive.md).
    let may_ask = args.is_empty() && ctx.interactive();
    let request = Request {
        preset: cli.preset.first().cloned(),
        command,
        args,
    };
    let resolved = match config.resolve(&request, &ctx.env) {
        Ok(resolved) => resolved,
        Err(keld_config::Error::PresetRequired { .. }) if may_ask => {
            let known = keld_tui::known_at_start(&config, Some(request.command), None, &ctx.env);
            return ask(cli, config, known, show_command, ctx);
        }
        Err(keld_config::Error::PresetRequired { presets, total }) => {
            return Err(unresolved(Missing::Preset(presets, total)));
        }
        Err(err) => return Err(err.into()),
    };
    if may_ask && let Some(known) = keld_tui::restore_gaps(&resolved) {
        return ask(cli, config, known, show_command, ctx);
    }
    error::report_warnings(&resolved.warnings, ctx);
    show_or_run(cli, &resolved, show_command, ctx)
}

/// Ask on the terminal for what is missing, then show or run the answer exactly as
/// if it had been typed on the command line (the terminal is restored by then).
fn ask(
    cli: &Cli,
    config: Config,
    known: keld_tui::Known,
    show_command: bool,
    ctx: &Context,
) -> Result<u8, CliError> {
    let choice = match interactive::ask(config.clone(), known, show_command, ctx) {
        keld_tui::Asked::Run(choice) => choice,
        keld_tui::Asked::Exit(code) => return Ok(code),
    };
    let resolved = config.resolve(&keld_tui::request_for(&choice), &ctx.env)?;
    error::report_warnings(&resolved.warnings, ctx);
    show_or_run(cli, &resolved, show_command, ctx)
}

/// Print the resolved invocation (`--show-command`) or run it; the non-interactive
/// checks apply either way.
fn show_or_run(
    cli: &Cli,
    resolved: &ResolvedConfig,
    show_command: bool,
    ctx: &Context,
) -> Result<u8, CliError> {
    let paths = resolved.require_backup_paths();
    if show_command {
        if paths.is_err() {
            error::report(
                &error::WarningReport::new(
                    "restic backup would run without paths to back up".to_owned(),
                    Some("pass paths after the command or set `_arguments`".to_owned()),
                ),
                ctx,
            );
        }
        let form = keld_hooks::ShowForm {
            json: cli.json,
            verbose: cli.verbose,
        };
        let invocation = keld_hooks::Invocation::new(resolved, &ctx.host());
        let text = keld_hooks::show_command(resolved, &invocation, form);
        return write_stdout(text.as_bytes());
    }
    paths?;
    Ok(run::execute(resolved, ctx))
}

/// Load the config files: `--config` wins over `KELD_CONFIG_FILE` (which the library
/// reads from the environment snapshot), else the layered defaults.
fn load(cli: &Cli, ctx: &Context) -> Result<Config, CliError> {
    let config = Config::load(&ctx.env, &ctx.load_options(cli.config.clone()))?;
    error::report_warnings(config.warnings(), ctx);
    Ok(config)
}

/// A value keld needs and nobody gave.
enum Missing {
    /// Bare `keld`: no COMMAND.
    Command,
    /// Several runnable presets and no `--preset`: the first few, and how many.
    Preset(Vec<String>, usize),
}

/// The error for a missing value when nobody can be asked: no terminal, or
/// `KELD_NONINTERACTIVE` (on a terminal the interactive mode asks instead).
fn unresolved(missing: Missing) -> CliError {
    match missing {
        Missing::Command => CliError::NoCommand,
        Missing::Preset(presets, total) => {
            keld_config::Error::PresetRequired { presets, total }.into()
        }
    }
}

/// Write `text` to stderr. A stderr that is gone (a terminal that hung up, a closed
/// pipe) has nowhere left to report to; that is no reason to crash.
pub(crate) fn write_stderr(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// Write `text` to stdout where a failure cannot change the outcome any more (the
/// lines of `keld status`, whose exit code is the answer); like [`write_stderr`].
pub(crate) fn write_stdout_line(text: &str) {
    let _ = io::stdout().lock().write_all(text.as_bytes());
}

/// Write all of `bytes` to stdout; exit code 0.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<u8, CliError> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(CliError::Stdout)?;
    Ok(0)
}
