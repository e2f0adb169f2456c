//! What the records say about each preset: its last run, its last success, and
//! whether that success is fresh enough (`keld status`, docs/operations.md).

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;

use crate::record::Record;

/// One preset and command as the records know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The preset (`home@nas`).
    pub preset: String,
    /// The restic command (after aliasing), or `drill`.
    pub command: String,
    /// Its newest run.
    pub last: Record,
    /// Its newest `success` or `warning` run, if any.
    pub last_success: Option<Record>,
}

/// One row per preset and command found in `records` (oldest first, as
/// [`crate::read_records`] returns them), only for `presets` when any are given,
/// sorted by preset and command.
pub fn rows(records: &[Record], presets: &[String]) -> Vec<Row> {
    let mut rows: BTreeMap<(&str, &str), Row> = BTreeMap::new();
    for record in records {
        if !presets.is_empty() && !presets.contains(&record.preset) {
            continue;
        }
        let row = rows
            .entry((&record.preset, &record.command))
            .or_insert_with(|| Row {
                preset: record.preset.clone(),
                command: record.command.clone(),
                last: record.clone(),
                last_success: None,
            });
        // Records are appended in finishing order; a later line is a later run.
        row.last = record.clone();
        if record.result.is_success() {
            row.last_success = Some(record.clone());
        }
    }
    rows.into_values().collect()
}

/// How fresh a preset's backups are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// The newest successful backup finished this long ago, within the limit.
    Fresh(Duration),
    /// The newest successful backup finished this long ago, past the limit.
    Stale(Duration),
    /// No successful backup is recorded.
    Never,
}

/// Judge `preset` by its newest `backup` run whose result is `success` or `warning`,
/// finished at most `max_age` before `now`.
pub fn freshness(records: &[Record], preset: &str, max_age: Duration, now: Timestamp) -> Freshness {
    let newest = records
        .iter()
        .filter(|record| {
            record.preset == preset && record.command == "backup" && record.result.is_success()
        })
        .filter_map(Record::finished_at)
        .max();
    match newest {
        None => Freshness::Never,
        Some(time) => judge(time, max_age, now),
    }
}

/// Whether something that happened at `time` is within `max_age` of `now`.
pub fn judge(time: Timestamp, max_age: Duration, now: Timestamp) -> Freshness {
    let age = age(time, now);
    if age <= max_age {
        Freshness::Fresh(age)
    } else {
        Freshness::Stale(age)
    }
}

/// How long before `now` `time` was (zero for a time in the future).
pub fn age(time: Timestamp, now: Timestamp) -> Duration {
    let millis = now.as_millisecond().saturating_sub(time.as_millisecond());
    Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

/// A record's or snapshot's time (RFC 3339) in the local time zone, to the minute
/// (`2026-12-06 02:00`); the text as it is when it is no such time.
pub fn local_minute(time: &str) -> String {
    time.parse::<Timestamp>().map_or_else(
        |_| time.to_owned(),
        |time| {
            time.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        },
    )
}

/// An age for people: its two largest units (`2d 3h`, `3h 5m`, `45s`).
pub fn format_age(age: Duration) -> String {
    const UNITS: [(&str, u64); 4] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)];
    let mut seconds = age.as_secs();
    let mut parts = Vec::new();
    for (unit, length) in UNITS {
        if seconds >= length {
            parts.push(format!("{}{unit}", seconds / length));
            seconds %= length;
        }
        if parts.len() == 2 {
            break;
        }
    }
    if parts.is_empty() {
        "0s".to_owned()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use keld_status::RunResult;

    use super::*;

    fn record(preset: &str, command: &str, finished: &str, result: RunResult) -> Record {
        Record {
            version: 1,
            preset: preset.to_owned(),
            command: command.to_owned(),
            alias: command.to_owned(),
            host: "h".to_owned(),
            user: "u".to_owned(),
            pid: 1,
            started: finished.to_owned(),
            finished: finished.to_owned(),
            duration_ms: 0,
            result,
            exit_code: 0,
            restic_exit_code: Some(0),
            restic_status: Some("success".to_owned()),
            signal: None,
            error: None,
            keld_version: "0".to_owned(),
        }
    }

    #[test]
    fn rows_keep_the_newest_run_and_success_per_preset_and_command() {
        let records = [
            record(
                "home",
                "backup",
                "2026-12-01T02:00:00.000Z",
                RunResult::Success,
            ),
            record(
                "home",
                "backup",
                "2026-12-02T02:00:00.000Z",
                RunResult::Failed,
            ),
            record(
                "home",
                "check",
                "2026-12-02T03:00:00.000Z",
                RunResult::Warning,
            ),
            record(
                "work",
                "backup",
                "2026-12-02T04:00:00.000Z",
                RunResult::Skipped,
            ),
        ];
        let all = rows(&records, &[]);
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].last.result, RunResult::Failed);
        assert_eq!(
            all[0].last_success.as_ref().map(|r| r.finished.as_str()),
            Some("2026-12-01T02:00:00.000Z")
        );
        assert_eq!(all[1].command, "check");
        assert!(all[1].last_success.is_some(), "a warning counts");
        assert_eq!(all[2].last_success, None, "a skipped run is no success");
        assert_eq!(rows(&records, &["work".to_owned()]).len(), 1);
    }

    #[test]
    fn freshness_looks_at_successful_backups_only() {
        let records = [
            record(
                "home",
                "backup",
                "2026-12-01T00:00:00.000Z",
                RunResult::Warning,
            ),
            record(
                "home",
                "backup",
                "2026-12-02T00:00:00.000Z",
                RunResult::Failed,
            ),
            record(
                "home",
                "check",
                "2026-12-02T00:00:00.000Z",
                RunResult::Success,
            ),
        ];
        let now: Timestamp = "2026-12-02T03:00:00Z".parse().unwrap();
        let day = Duration::from_secs(86_400);
        assert_eq!(
            freshness(&records, "home", 2 * day, now),
            Freshness::Fresh(Duration::from_secs(27 * 3_600))
        );
        assert_eq!(
            freshness(&records, "home", day, now),
            Freshness::Stale(Duration::from_secs(27 * 3_600))
        );
        assert_eq!(freshness(&records, "work", day, now), Freshness::Never);
    }

    #[test]
    fn ages_read_with_two_units() {
        assert_eq!(format_age(Duration::from_secs(0)), "0s");
        assert_eq!(format_age(Duration::from_secs(45)), "45s");
        assert_eq!(
            format_age(Duration::from_secs(3 * 3_600 + 5 * 60 + 9)),
            "3h 5m"
        );
        assert_eq!(
            format_age(Duration::from_secs(2 * 86_400 + 3 * 3_600 + 7)),
            "2d 3h"
        );
        assert_eq!(format_age(Duration::from_secs(86_400 + 30)), "1d 30s");
    }
}
