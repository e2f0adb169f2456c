//! `keld status`: each preset's last run and last success from the records, a
//! freshness check for monitoring (`--max-age`), or the newest snapshot asked of
//! restic (`--repository`). docs/operations.md says what each form prints.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use keld_config::{Config, Request, shell};
use keld_hooks::{
    Freshness, Lister, Record, RecordLog, Row, SnapshotQuery, SnapshotsError, format_age,
};
use serde_json::{Value, json};

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
        return Ok(max_age_check(&backups, &presets, max_age, now, args.json));
    }
    let rows = records.rows(presets);
    let text = if args.json {
        json_rows(&rows)
    } else {
        table(&rows, now)
    };
    crate::write_stdout(text.as_bytes())
}

/// `--max-age`: a line per preset (stale ones on stderr), exit 1 when any is stale.
fn max_age_check(
    backups: &BTreeMap<String, Option<Timestamp>>,
    presets: &[String],
    max_age: Duration,
    now: Timestamp,
    json: bool,
) -> u8 {
    let limit = keld_config::duration::format(max_age);
    let mut stale = false;
    let mut shown = Vec::new();
    for preset in presets {
        let freshness = match backups.get(preset).copied().flatten() {
            Some(time) => keld_hooks::judge(time, max_age, now),
            None => Freshness::Never,
        };
        stale |= !matches!(freshness, Freshness::Fresh(_));
        shown.push((preset, freshness));
    }
    if json {
        let list: Vec<Value> = shown
            .iter()
            .map(|(preset, freshness)| freshness_json(preset, freshness))
            .collect();
        let _ = crate::write_stdout(pretty(&list).as_bytes());
    } else {
        for (preset, freshness) in &shown {
            let preset = shell::display(preset);
            let line = match freshness {
                Freshness::Fresh(age) | Freshness::Stale(age) => format!(
                    "{preset}: last successful backup {} ago (max {limit})\n",
                    format_age(*age)
                ),
                Freshness::Never => format!("{preset}: no successful backup recorded\n"),
            };
            // Stale ones on stderr, where monitoring mails come from.
            if matches!(freshness, Freshness::Fresh(_)) {
                crate::write_stdout_line(&line);
            } else {
                crate::write_stderr(&line);
            }
        }
    }
    u8::from(stale)
}

fn freshness_json(preset: &str, freshness: &Freshness) -> Value {
    match freshness {
        Freshness::Fresh(age) => {
            json!({"preset": preset, "fresh": true, "age_seconds": age.as_secs()})
        }
        Freshness::Stale(age) => {
            json!({"preset": preset, "fresh": false, "age_seconds": age.as_secs()})
        }
        Freshness::Never => json!({"preset": preset, "fresh": false, "age_seconds": null}),
    }
}

fn pretty(value: &impl serde::Serialize) -> String {
    crate::json::pretty(value)
}

fn json_rows(rows: &[Row]) -> String {
    let list: Vec<Value> = rows
        .iter()
        .map(|row| {
            json!({
                "preset": row.preset,
                "command": row.command,
                "last": row.last,
                "last_success": row.last_success,
            })
        })
        .collect();
    pretty(&list)
}

/// A record's time in the local time zone, to the minute.
fn table(rows: &[Row], now: Timestamp) -> String {
    if rows.is_empty() {
        return "no runs recorded yet\n".to_owned();
    }
    let mut lines = vec![[
        "PRESET".to_owned(),
        "COMMAND".to_owned(),
        "LAST RUN".to_owned(),
        "RESULT".to_owned(),
        "TOOK".to_owned(),
        "LAST SUCCESS".to_owned(),
    ]];
    for row in rows {
        let last_success = match row.last_success.as_ref().and_then(Record::finished_at) {
            Some(time) => format!("{} ago", format_age(keld_hooks::age(time, now))),
            None => "never".to_owned(),
        };
        lines.push([
            if row.preset.is_empty() {
                "(none)".to_owned()
            } else {
                shell::display(&row.preset)
            },
            shell::display(&row.command),
            shell::display(&keld_hooks::local_minute(&row.last.finished)),
            row.last.result.to_string(),
            format_age(Duration::from_millis(row.last.duration_ms)),
            last_success,
        ]);
    }
    crate::table::aligned(&lines)
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
    let lister = Lister::new(host.clone(), true);
    let hostname = nix::unistd::gethostname()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let now = Timestamp::now();
    let mut stale = false;
    let mut documents = Vec::new();
    for preset in presets {
        let resolve = |command: &str| {
            config.resolve(
                &Request {
                    preset: Some(preset.clone()),
                    command: command.to_owned(),
                    args: Vec::new(),
                },
                &ctx.env,
            )
        };
        let query = SnapshotQuery::for_backup(&resolve("backup")?, &hostname);
        let invocation = keld_hooks::reading_invocation(&resolve("snapshots")?, &host, false);
        let newest = match keld_hooks::newest_snapshot(&lister, &invocation, &query) {
            Ok(newest) => newest,
            Err(SnapshotsError::Restic(keld_hooks::ListingError::Failed {
                outcome,
                stderr,
                ..
            })) => {
                crate::write_stderr(&format!(
                    "{}: restic snapshots failed: {}\n",
                    shell::display(preset),
                    keld_config::terminal::message(&stderr)
                ));
                return Ok(outcome.exit_code());
            }
            Err(error) => return Err(CliError::Snapshots(error)),
        };
        let judged = match (&newest, args.max_age) {
            (Some(snapshot), Some(max_age)) => snapshot
                .timestamp()
                .map(|time| keld_hooks::judge(time, max_age, now)),
            (None, Some(_)) => Some(Freshness::Never),
            (_, None) => None,
        };
        stale |= matches!(judged, Some(Freshness::Stale(_) | Freshness::Never));
        if args.json {
            documents.push(json!({
                "preset": preset,
                "snapshot": newest.as_ref().map(|snapshot| json!({
                    "id": snapshot.id,
                    "short_id": snapshot.short(),
                    "time": snapshot.time,
                    "hostname": snapshot.hostname,
                    "paths": snapshot.paths,
                    "tags": snapshot.tags,
                })),
                "age_seconds": newest
                    .as_ref()
                    .and_then(keld_hooks::Snapshot::timestamp)
                    .map(|time| keld_hooks::age(time, now).as_secs()),
                "fresh": judged.as_ref().map(|judged| matches!(judged, Freshness::Fresh(_))),
            }));
            continue;
        }
        let line = match &newest {
            Some(snapshot) => {
                let age = snapshot
                    .timestamp()
                    .map(|time| format!("{} ago", format_age(keld_hooks::age(time, now))))
                    .unwrap_or_default();
                format!(
                    "{}: newest snapshot {} ({}, {age})",
                    shell::display(preset),
                    shell::display(snapshot.short()),
                    shell::display(&keld_hooks::local_minute(&snapshot.time))
                )
            }
            None => format!("{}: no snapshot found", shell::display(preset)),
        };
        let line = match (&judged, args.max_age) {
            (Some(Freshness::Stale(_) | Freshness::Never), Some(max_age)) => {
                crate::write_stderr(&format!(
                    "{line} (max {})\n",
                    keld_config::duration::format(max_age)
                ));
                continue;
            }
            (Some(Freshness::Fresh(_)), Some(max_age)) => {
                format!("{line} (max {})", keld_config::duration::format(max_age))
            }
            _ => line,
        };
        crate::write_stdout_line(&format!("{line}\n"));
    }
    if args.json {
        crate::write_stdout(pretty(&documents).as_bytes())?;
    }
    Ok(u8::from(stale))
}
