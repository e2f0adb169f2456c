//! Several presets in one call (`-p home@nas,home@usb backup`): each a complete run
//! through the same [`Runs`], in order, with a header before each and a summary
//! after (docs/operations.md; keld-hooks' [`SequenceSummary`] says what they say).

use keld_config::{Config, Request};
use keld_hooks::SequenceSummary;
use keld_status::RunResult;

use crate::cli::Cli;
use crate::context::Context;
use crate::error::{self, CliError};
use crate::run::Runs;

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
    let mut summary = SequenceSummary::default();
    for preset in &cli.preset {
        if let Some(signal) = runs.signal_received() {
            summary.stopped_by(signal);
            break;
        }
        crate::write_stderr(&keld_hooks::sequence_header(preset, command));
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
                summary.ended(preset, RunResult::Failed, 1);
                continue;
            }
        };
        error::report_warnings(&resolved.warnings, ctx);
        let report = runs.run(&resolved);
        summary.ended(preset, report.result, report.exit_code);
        if let Some(signal) = report.signal {
            summary.stopped_by(signal);
            break;
        }
    }
    crate::write_stderr(&summary.text(&cli.preset));
    Ok(summary.exit_code())
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
    let mut shown = Vec::new();
    for preset in &cli.preset {
        let request = Request {
            preset: Some(preset.clone()),
            command: command.to_owned(),
            args: args.to_vec(),
        };
        let resolved = config.resolve(&request, &ctx.env)?;
        error::report_warnings(&resolved.warnings, ctx);
        let invocation = keld_hooks::Invocation::new(&resolved, &host);
        shown.push((resolved, invocation));
    }
    crate::write_stdout(keld_hooks::show_commands(&shown, form).as_bytes())
}
