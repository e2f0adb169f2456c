//! What `keld status` prints (docs/operations.md): the rows of the records as a
//! table or JSON, the `--max-age` check, and each preset's newest snapshot asked of
//! restic (`--repository`). Every name and value from a config or a record is
//! escaped for the terminal ([`keld_config::shell::display`]) in the text forms.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use keld_config::{Config, Environment, shell};
use serde_json::{Value, json};
use thiserror::Error;

use crate::backups::{PresetBackup, hostname, resolve_preset_command};
use crate::invocation::Host;
use crate::json::pretty_json;
use crate::listing::{Lister, reading_invocation};
use crate::record::Record;
use crate::snapshots::{Snapshot, SnapshotsError, newest_snapshot};
use crate::status::{Freshness, Row, age, format_age, judge, local_minute};

/// A line of `keld status`'s output and where it goes: what is stale or missing goes
/// to stderr, where monitoring mails come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusLine {
    /// For stdout.
    Out(String),
    /// For stderr.
    Err(String),
}

/// `keld status`: the rows as a table for people, each time in the local time zone
/// to the minute and each age from `now`.
pub fn rows_table(rows: &[Row], now: Timestamp) -> String {
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
            Some(time) => format!("{} ago", format_age(age(time, now))),
            None => "never".to_owned(),
        };
        lines.push([
            if row.preset.is_empty() {
                "(none)".to_owned()
            } else {
                shell::display(&row.preset)
            },
            shell::display(&row.command),
            shell::display(&local_minute(&row.last.finished)),
            row.last.result.to_string(),
            format_age(Duration::from_millis(row.last.duration_ms)),
            last_success,
        ]);
    }
    crate::table::aligned(&lines)
}

/// `keld status --json`: the rows as one JSON array.
pub fn rows_json(rows: &[Row]) -> String {
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
    pretty_json(&list)
}

/// What `keld status --max-age` prints, and whether any preset is stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreshnessCheck {
    /// The lines, in order: one per preset, or one JSON document.
    pub lines: Vec<StatusLine>,
    /// Whether a preset's newest successful backup is too old, or missing.
    pub stale: bool,
}

/// `keld status --max-age`: each of `presets` judged by its newest successful backup
/// in `backups` (as [`crate::RecordLog::newest_successes`] answers), as a line per
/// preset or, with `json`, one JSON document.
pub fn check_max_age(
    backups: &BTreeMap<String, Option<Timestamp>>,
    presets: &[String],
    max_age: Duration,
    now: Timestamp,
    json: bool,
) -> FreshnessCheck {
    let limit = keld_config::duration::format(max_age);
    let mut stale = false;
    let mut shown = Vec::new();
    for preset in presets {
        let freshness = match backups.get(preset).copied().flatten() {
            Some(time) => judge(time, max_age, now),
            None => Freshness::Never,
        };
        stale |= !matches!(freshness, Freshness::Fresh(_));
        shown.push((preset, freshness));
    }
    let lines = if json {
        let list: Vec<Value> = shown
            .iter()
            .map(|(preset, freshness)| freshness_json(preset, freshness))
            .collect();
        vec![StatusLine::Out(pretty_json(&list))]
    } else {
        shown
            .iter()
            .map(|(preset, freshness)| {
                let preset = shell::display(preset);
                let line = match freshness {
                    Freshness::Fresh(age) | Freshness::Stale(age) => format!(
                        "{preset}: last successful backup {} ago (max {limit})\n",
                        format_age(*age)
                    ),
                    Freshness::Never => format!("{preset}: no successful backup recorded\n"),
                };
                if matches!(freshness, Freshness::Fresh(_)) {
                    StatusLine::Out(line)
                } else {
                    StatusLine::Err(line)
                }
            })
            .collect()
    };
    FreshnessCheck { lines, stale }
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

/// Why a preset's newest snapshot could not be found.
#[derive(Debug, Error)]
pub enum NewestBackupError {
    /// The preset's `backup` or `snapshots` does not resolve.
    #[error(transparent)]
    Config(#[from] keld_config::Error),
    /// restic's snapshot list could not be read (restic failing included).
    #[error(transparent)]
    Snapshots(#[from] SnapshotsError),
}

/// `keld status --repository`: presets' newest snapshots asked of restic, each
/// judged by its time when a `max_age` is given.
#[derive(Debug)]
pub struct RepositoryStatus<'a> {
    config: &'a Config,
    env: &'a Environment,
    host: &'a Host,
    lister: Lister,
    hostname: String,
    max_age: Option<Duration>,
    now: Timestamp,
}

impl<'a> RepositoryStatus<'a> {
    /// Asking restic as `host` would run it (`_COMMAND`s included), now, for the
    /// snapshots made on this machine.
    pub fn new(
        config: &'a Config,
        env: &'a Environment,
        host: &'a Host,
        max_age: Option<Duration>,
    ) -> Self {
        Self {
            config,
            env,
            host,
            lister: Lister::new(host.clone(), true),
            hostname: hostname(),
            max_age,
            now: Timestamp::now(),
        }
    }

    /// `preset`'s newest snapshot: the preset's `snapshots` run with the query of its
    /// `backup` ([`PresetBackup`]), judged with the `max_age` given.
    pub fn newest(&self, preset: &str) -> Result<NewestBackup, NewestBackupError> {
        let query = PresetBackup::resolve(self.config, preset, self.env, &self.hostname)?.query;
        let snapshots = resolve_preset_command(self.config, preset, "snapshots", self.env)?;
        let invocation = reading_invocation(&snapshots, self.host, false);
        let snapshot = newest_snapshot(&self.lister, &invocation, &query)?;
        let freshness = match (&snapshot, self.max_age) {
            (Some(snapshot), Some(max_age)) => snapshot
                .timestamp()
                .map(|time| judge(time, max_age, self.now)),
            (None, Some(_)) => Some(Freshness::Never),
            (_, None) => None,
        };
        Ok(NewestBackup {
            preset: preset.to_owned(),
            snapshot,
            freshness,
            max_age: self.max_age,
            now: self.now,
        })
    }
}

/// One preset's newest snapshot, as `keld status --repository` reports it.
#[derive(Debug, Clone)]
pub struct NewestBackup {
    /// The preset.
    pub preset: String,
    /// Its newest snapshot, if the repository has one.
    pub snapshot: Option<Snapshot>,
    /// The snapshot judged by its time, when a maximum age was given.
    pub freshness: Option<Freshness>,
    max_age: Option<Duration>,
    now: Timestamp,
}

impl NewestBackup {
    /// Whether a maximum age was given and the snapshot is older, or missing.
    pub fn is_stale(&self) -> bool {
        matches!(self.freshness, Some(Freshness::Stale(_) | Freshness::Never))
    }

    /// The preset's JSON object (an element of [`pretty_json`]'s array).
    pub fn json(&self) -> Value {
        let snapshot = self.snapshot.as_ref();
        json!({
            "preset": self.preset,
            "snapshot": snapshot.map(|snapshot| json!({
                "id": snapshot.id,
                "short_id": snapshot.short(),
                "time": snapshot.time,
                "hostname": snapshot.hostname,
                "paths": snapshot.paths,
                "tags": snapshot.tags,
            })),
            "age_seconds": snapshot
                .and_then(Snapshot::timestamp)
                .map(|time| age(time, self.now).as_secs()),
            "fresh": self.freshness.as_ref().map(|judged| matches!(judged, Freshness::Fresh(_))),
        })
    }

    /// The preset's line for people: on stderr when it is stale.
    pub fn line(&self) -> StatusLine {
        let preset = shell::display(&self.preset);
        let line = match &self.snapshot {
            Some(snapshot) => {
                let age = snapshot
                    .timestamp()
                    .map(|time| format!("{} ago", format_age(age(time, self.now))))
                    .unwrap_or_default();
                format!(
                    "{preset}: newest snapshot {} ({}, {age})",
                    shell::display(snapshot.short()),
                    shell::display(&local_minute(&snapshot.time))
                )
            }
            None => format!("{preset}: no snapshot found"),
        };
        match (&self.freshness, self.max_age) {
            (Some(Freshness::Stale(_) | Freshness::Never), Some(max_age)) => StatusLine::Err(
                format!("{line} (max {})\n", keld_config::duration::format(max_age)),
            ),
            (Some(Freshness::Fresh(_)), Some(max_age)) => StatusLine::Out(format!(
                "{line} (max {})\n",
                keld_config::duration::format(max_age)
            )),
            _ => StatusLine::Out(format!("{line}\n")),
        }
    }
}

/// What `keld status --repository` says on stderr when restic's `snapshots` failed
/// for `preset` with `stderr`.
pub fn snapshots_failed_line(preset: &str, stderr: &str) -> String {
    format!(
        "{}: restic snapshots failed: {}\n",
        shell::display(preset),
        keld_config::terminal::message(stderr)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_rows_say_so() {
        assert_eq!(
            rows_table(&[], Timestamp::UNIX_EPOCH),
            "no runs recorded yet\n"
        );
        assert_eq!(rows_json(&[]), "[]\n");
    }

    #[test]
    fn max_age_puts_stale_and_missing_presets_on_stderr() {
        let now: Timestamp = "2026-12-06T12:00:00Z".parse().unwrap();
        let backups = BTreeMap::from([
            (
                "fresh".to_owned(),
                Some("2026-12-06T11:00:00Z".parse().unwrap()),
            ),
            (
                "old".to_owned(),
                Some("2026-12-01T12:00:00Z".parse().unwrap()),
            ),
        ]);
        let presets = ["fresh".to_owned(), "old".to_owned(), "new\n".to_owned()];
        let day = Duration::from_secs(86_400);
        let check = check_max_age(&backups, &presets, day, now, false);
        assert!(check.stale);
        assert_eq!(
            check.lines,
            [
                StatusLine::Out("fresh: last successful backup 1h ago (max 1d)\n".to_owned()),
                StatusLine::Err("old: last successful backup 5d ago (max 1d)\n".to_owned()),
                StatusLine::Err("$'new\\n': no successful backup recorded\n".to_owned()),
            ]
        );
        let check = check_max_age(&backups, &presets[..1], day, now, true);
        assert!(!check.stale);
        let [StatusLine::Out(json)] = check.lines.as_slice() else {
            panic!("one JSON document on stdout: {:?}", check.lines);
        };
        let value: Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            value,
            json!([{"preset": "fresh", "fresh": true, "age_seconds": 3600}])
        );
    }
}
