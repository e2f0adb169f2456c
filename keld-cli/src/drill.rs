//! `keld drill`: the preset's drill ([`keld_hooks::Drill`]) run through keld's one
//! run pipeline, its report printed as keld-hooks renders it, text or JSON
//! (docs/drill.md).

use keld_config::Config;
use keld_hooks::{Drill, DrillOptions, RunMessage};
use miette::Diagnostic;
use thiserror::Error;

use crate::cli::{Cli, DrillArgs};
use crate::context::Context;
use crate::error::{self, CliError, WarningReport};
use crate::run::Runs;

/// `keld -p PRESET drill ...`; returns keld's exit code.
pub(crate) fn drill(
    cli: &Cli,
    args: &DrillArgs,
    show_command: bool,
    config: impl FnOnce() -> Result<Config, CliError>,
    ctx: &Context,
) -> Result<u8, CliError> {
    let preset = match cli.preset.as_slice() {
        [preset] => preset.clone(),
        presets => {
            error::report(&Usage::Presets(presets.len()), ctx);
            return Ok(1);
        }
    };
    if show_command {
        error::report(&Usage::ShowCommand, ctx);
        return Ok(1);
    }
    if let Some(snapshot) = &args.snapshot
        && (snapshot.is_empty() || snapshot.starts_with('-'))
    {
        error::report(&Usage::Snapshot(snapshot.clone()), ctx);
        return Ok(1);
    }
    let config = config()?;
    let host = ctx.host();
    let drill = Drill::new(&config, &preset, &ctx.env, &host, &keld_hooks::hostname())?;
    let options = DrillOptions {
        sample: args.sample,
        seed: args.seed,
        max_size: args.max_size,
        snapshot: args.snapshot.clone(),
    };
    let mut runs = match Runs::new(ctx) {
        Ok(runs) => runs,
        Err(code) => return Ok(code),
    };
    let report = runs.drill(&drill, &options);
    for warning in &report.warnings {
        error::report(&WarningReport::new(warning.clone(), None), ctx);
    }
    if let Some(failure) = report.failure(&preset) {
        error::report(&Failure(failure), ctx);
    }
    let text = if args.json || cli.json {
        report.to_json()
    } else {
        report.text()
    };
    crate::write_stdout(text.as_bytes())?;
    Ok(report.run.exit_code)
}

/// A command line `keld drill` cannot run.
#[derive(Debug, Error)]
enum Usage {
    #[error("keld drill drills one preset; {0} were given")]
    Presets(usize),
    #[error("--show-command does not apply to keld drill")]
    ShowCommand,
    #[error("{0:?} is not a snapshot")]
    Snapshot(String),
}

impl Diagnostic for Usage {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new("keld::drill"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        let help = match self {
            Self::Presets(_) => "name the preset with -p: `keld -p home drill`",
            Self::ShowCommand => {
                "`keld -p PRESET --show-command restore` shows how the drill's restore is \
                 configured; the drill adds --target, --include and the snapshot"
            }
            Self::Snapshot(_) => "give a snapshot id as `restic snapshots` shows it, or none",
        };
        Some(Box::new(help))
    }
}

/// What ended a drill, or the files that failed it ([`RunMessage`]), on stderr.
#[derive(Debug, Error)]
#[error("{}", .0.message)]
struct Failure(RunMessage);

impl Diagnostic for Failure {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new("keld::drill"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.0.help))
    }
}
