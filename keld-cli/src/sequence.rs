//! Several presets in one call (`-p home@nas,home@usb backup`): each a complete run
//! through the same [`Runs`], in order, with a header before each and a summary
//! after (docs/operations.md).

use std::fmt::Write as _;

use keld_config::{Config, Request, shell};
use keld_status::{Outcome, RunResult};

use crate::cli::Cli;
use crate::context::Context;
use crate::error::{self, CliError};
use crate::run::Runs;

/// How one preset of the sequence ended.
struct Ended {
    preset: String,
    result: RunResult,
    exit_code: u8,
}

/// Run (or show) COMMAND with `args` for each of `cli.preset` in turn. A failure does
/// not stop the next preset; a signal does. Exit code: 0 when every run exited 0,
/// else the first that did not, or 128 + N after a signal.
pub(crate) fn run(
    cli: &Cli,
    config: &Config,
    command: &str,
    args: &[String],
    show_command: bool,
    ctx: &Context,
) -> Result<u8, CliError> {
    if show_command {
        return show_each(cli, config, command, args, ctx);
    }
    let mut runs = match Runs::new(ctx) {
        Ok(runs) => runs,
        Err(code) => return Ok(code),
    };
    let mut ended = Vec::new();
    let mut stopped_by = None;
    for preset in &cli.preset {
        if let Some(signal) = runs.signal_received() {
            stopped_by = Some(signal);
            break;
        }
        crate::write_stderr(&format!(
            "==> {}: restic {}\n",
            shell::display(preset),
            shell::display(command)
        ));
        let request = Request {
            preset: Some(preset.clone()),
            command: command.to_owned(),
            args: args.to_vec(),
        };
        let resolved = config
            .resolve(&request, &ctx.env)
            .and_then(|resolved| resolved.require_backup_paths().map(|()| resolved));
        let resolved = match resolved {
            Ok(resolved) => resolved,
            Err(err) => {
                error::report(&CliError::from(err), ctx);
                ended.push(Ended {
                    preset: preset.clone(),
                    result: RunResult::Failed,
                    exit_code: 1,
                });
                continue;
            }
        };
        error::report_warnings(&resolved.warnings, ctx);
        let report = runs.run(&resolved);
        ended.push(Ended {
            preset: preset.clone(),
            result: report.result,
            exit_code: report.exit_code,
        });
        if let Some(signal) = report.signal {
            stopped_by = Some(signal);
            break;
        }
    }
    crate::write_stderr(&summary(&ended, &cli.preset, stopped_by));
    Ok(match stopped_by {
        Some(signal) => Outcome::Signaled(signal).exit_code(),
        None => ended
            .iter()
            .map(|run| run.exit_code)
            .find(|&code| code != 0)
            .unwrap_or(0),
    })
}

/// One line per preset: its result and exit code, and the presets a signal kept
/// from starting.
fn summary(ended: &[Ended], presets: &[String], stopped_by: Option<i32>) -> String {
    let shown: Vec<String> = presets
        .iter()
        .map(|preset| shell::display(preset))
        .collect();
    let width = shown
        .iter()
        .map(|preset| preset.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::from("==> summary\n");
    for run in ended {
        let _ = writeln!(
            out,
            "  {:<width$}  {:<11}  exit {}",
            shell::display(&run.preset),
            run.result,
            run.exit_code
        );
    }
    if let Some(signal) = stopped_by {
        for preset in shown.iter().skip(ended.len()) {
            let _ = writeln!(
                out,
                "  {preset:<width$}  not run (stopped by signal {signal})"
            );
        }
    }
    out
}

/// `--show-command` for each preset: the text blocks one after another, or one JSON
/// array of the documents.
fn show_each(
    cli: &Cli,
    config: &Config,
    command: &str,
    args: &[String],
    ctx: &Context,
) -> Result<u8, CliError> {
    let form = keld_hooks::ShowForm {
        json: cli.json,
        verbose: cli.verbose,
    };
    let host = ctx.host();
    let mut blocks = Vec::new();
    let mut documents = Vec::new();
    for preset in &cli.preset {
        let request = Request {
            preset: Some(preset.clone()),
            command: command.to_owned(),
            args: args.to_vec(),
        };
        let resolved = config.resolve(&request, &ctx.env)?;
        error::report_warnings(&resolved.warnings, ctx);
        let invocation = keld_hooks::Invocation::new(&resolved, &host);
        if form.json {
            documents.push(keld_hooks::show_command_json(
                &resolved,
                &invocation,
                form.verbose,
            ));
        } else {
            blocks.push(keld_hooks::show_command(&resolved, &invocation, form));
        }
    }
    let text = if form.json {
        keld_hooks::pretty_json(&documents)
    } else {
        blocks.join("\n")
    };
    crate::write_stdout(text.as_bytes())
}
