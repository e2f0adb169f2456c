//! `keld status`: each preset's last run and last success from the records, a
//! freshness check for monitoring (`--max-age`), or the newest snapshot asked of
//! restic (`--repository`). docs/operations.md says what each form prints; keld-hooks
//! renders it.

use jiff::Timestamp;
use keld_config::Config;
use keld_hooks::{
    ListingError, NewestBackupError, RecordLog, RepositoryStatus, SnapshotsError, StatusLine,
};

use crate::cli::StatusArgs;
use crate::context::Context;
use crate::error::CliError;

/// `keld status`; `presets` are the ones given with `-p` (before or after `status`).
pub(crate) fn status(
    args: &StatusArgs,
    presets: &[String],
    config: impl FnOnce() -> Result<Config, CliError>,
    ctx: &Context,
) -> Result<u8, CliError> {
    if args.repository {
        if presets.is_empty() {
            return Err(CliError::StatusNeedsPresets);
        }
        return repository(args, presets, &config()?, ctx);
    }
    let host = ctx.host();
    let state_dir = host.state_dir().ok_or(CliError::NoStateDir)?;
    let records = RecordLog::read(&state_dir).map_err(|source| CliError::Records {
        path: keld_hooks::records_path(&state_dir),
        source,
    })?;
    let now = Timestamp::now();
    if let Some(max_age) = args.max_age {
        // Every preset with a backup in the records, and its newest successful one.
        let backups = records.newest_successes("backup");
        let presets = if presets.is_empty() {
            backups.keys().cloned().collect()
        } else {
            presets.to_vec()
        };
        let check = keld_hooks::check_max_age(&backups, &presets, max_age, now, args.json);
        check.lines.iter().for_each(print);
        return Ok(u8::from(check.stale));
    }
    let rows = records.rows(presets);
    let text = if args.json {
        keld_hooks::rows_json(&rows)
    } else {
        keld_hooks::rows_table(&rows, now)
    };
    crate::write_stdout(text.as_bytes())
}

/// A line where it goes; a failure to write cannot change the answer any more.
fn print(line: &StatusLine) {
    match line {
        StatusLine::Out(text) => crate::write_stdout_line(text),
        StatusLine::Err(text) => crate::write_stderr(text),
    }
}

/// `--repository`: each preset's newest snapshot from restic, judged by its time
/// with `--max-age`. restic failing ends keld with restic's exit code.
fn repository(
    args: &StatusArgs,
    presets: &[String],
    config: &Config,
    ctx: &Context,
) -> Result<u8, CliError> {
    let host = ctx.host();
    let status = RepositoryStatus::new(config, &ctx.env, &host, args.max_age);
    let mut stale = false;
    let mut documents = Vec::new();
    for preset in presets {
        let newest = match status.newest(preset) {
            Ok(newest) => newest,
            Err(NewestBackupError::Snapshots(SnapshotsError::Restic(ListingError::Failed {
                outcome,
                stderr,
                ..
            }))) => {
                crate::write_stderr(&keld_hooks::snapshots_failed_line(preset, &stderr));
                return Ok(outcome.exit_code());
            }
            Err(NewestBackupError::Snapshots(error)) => return Err(CliError::Snapshots(error)),
            Err(NewestBackupError::Config(error)) => return Err(error.into()),
        };
        stale |= newest.is_stale();
        if args.json {
            documents.push(newest.json());
        } else {
            print(&newest.line());
        }
    }
    if args.json {
        crate::write_stdout(keld_hooks::pretty_json(&documents).as_bytes())?;
    }
    Ok(u8::from(stale))
}
