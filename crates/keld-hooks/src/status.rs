//! What the records say about each preset: its last run, its last success, and
//! whether that success is fresh enough (`keld status`, docs/operations.md).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;

use crate::record::{Record, RecordLog};

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
    newest_rows(
        records.iter().rev().map(|record| {
            let key = (record.preset.as_str(), record.command.as_str());
            (key, record.result.is_success(), || Some(record.clone()))
        }),
        presets,
    )
}

impl RecordLog {
    /// [`rows`] of these records: each line is read whole only when it is a row's
    /// newest run or newest success.
    pub fn rows(&self, presets: &[String]) -> Vec<Row> {
        newest_rows(
            self.summaries().map(|(summary, line)| {
                let key = (summary.preset, summary.command);
                (key, summary.result.is_success(), move || {
                    RecordLog::parse(line)
                })
            }),
            presets,
        )
    }

    /// [`freshness`] of `preset` judged by these records.
    pub fn freshness(&self, preset: &str, max_age: Duration, now: Timestamp) -> Freshness {
        match self.newest_success(preset, "backup") {
            None => Freshness::Never,
            Some(time) => judge(time, max_age, now),
        }
    }
}

/// The rows of records given newest first, each as its preset and command, whether
/// it is a success, and the record itself (`None` for a line that is not one, which
/// is then passed over). A record is made only when it is a row's newest run or
/// newest success: records are appended in finishing order, so a later line is a
/// later run.
fn newest_rows<K, F>(
    newest_first: impl Iterator<Item = (K, bool, F)>,
    presets: &[String],
) -> Vec<Row>
where
    K: PairKey,
    F: FnOnce() -> Option<Record>,
{
    // preset → command → (newest run, newest success)
    let mut found: BTreeMap<String, BTreeMap<String, (Record, Option<Record>)>> = BTreeMap::new();
    for (key, success, record) in newest_first {
        let (preset, command) = key.pair();
        if !presets.is_empty() && !presets.iter().any(|wanted| wanted == preset) {
            continue;
        }
        match found
            .get_mut(preset)
            .and_then(|commands| commands.get_mut(command))
        {
            Some((_, Some(_))) => {}
            Some((_, newest_success)) => {
                if success && let Some(record) = record() {
                    *newest_success = Some(record);
                }
            }
            None => {
                let Some(record) = record() else {
                    continue;
                };
                let newest_success = success.then(|| record.clone());
                found
                    .entry(record.preset.clone())
                    .or_default()
                    .insert(record.command.clone(), (record, newest_success));
            }
        }
    }
    found
        .into_iter()
        .flat_map(|(preset, commands)| {
            commands
                .into_iter()
                .map(move |(command, (last, last_success))| Row {
                    preset: preset.clone(),
                    command,
                    last,
                    last_success,
                })
        })
        .collect()
}

/// A preset and command, borrowed or not.
trait PairKey {
    fn pair(&self) -> (&str, &str);
}

impl PairKey for (&str, &str) {
    fn pair(&self) -> (&str, &str) {
        (self.0, self.1)
    }
}

impl PairKey for (Cow<'_, str>, Cow<'_, str>) {
    fn pair(&self) -> (&str, &str) {
        (&self.0, &self.1)
    }
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

    /// A records file of these lines, each ended by a newline unless `last_open`.
    fn log_of(old: &[Vec<u8>], current: &[Vec<u8>], last_open: bool) -> RecordLog {
        let dir = tempfile::tempdir().unwrap();
        let file = |lines: &[Vec<u8>]| {
            let mut text = lines.join(&b'\n');
            if !lines.is_empty() && !last_open {
                text.push(b'\n');
            }
            text
        };
        std::fs::write(dir.path().join(crate::OLD_RECORDS_FILE), file(old)).unwrap();
        std::fs::write(dir.path().join(crate::RECORDS_FILE), file(current)).unwrap();
        RecordLog::read(dir.path()).unwrap()
    }

    fn line(record: &Record) -> Vec<u8> {
        serde_json::to_vec(record).unwrap()
    }

    /// Records with lines that are none among them, where they would be a row's
    /// newest run or newest success: read lazily, the log gives what reading every
    /// record gives.
    #[test]
    fn the_log_answers_as_every_record_read_would() {
        let ok = |preset: &str, command: &str, finished: &str, result| {
            line(&record(preset, command, finished, result))
        };
        let mut bad_pid = ok(
            "home",
            "backup",
            "2026-12-03T00:00:00.000Z",
            RunResult::Success,
        );
        let text = String::from_utf8(bad_pid.clone())
            .unwrap()
            .replace("\"pid\":1", "\"pid\":-1");
        bad_pid = text.into_bytes();
        let old = vec![
            ok(
                "home",
                "backup",
                "2026-12-01T00:00:00.000Z",
                RunResult::Success,
            ),
            ok(
                "home",
                "check",
                "2026-12-01T01:00:00.000Z",
                RunResult::Failed,
            ),
            b"{\"version\":1,\"preset\":\"gone\"".to_vec(),
            ok(
                "work",
                "backup",
                "2026-12-01T02:00:00.000Z",
                RunResult::Warning,
            ),
        ];
        let current = vec![
            ok(
                "home",
                "backup",
                "2026-12-02T00:00:00.000Z",
                RunResult::Failed,
            ),
            b"\xff\xfe not a record".to_vec(),
            // Newest for `home backup`, and a success: but not a record.
            bad_pid,
            ok(
                "work",
                "backup",
                "2026-12-04T00:00:00.000Z",
                RunResult::Skipped,
            ),
            // Written while the run was cut short: half a line, no newline.
            ok(
                "home",
                "check",
                "2026-12-05T00:00:00.000Z",
                RunResult::Success,
            )[..40]
                .to_vec(),
        ];
        for last_open in [false, true] {
            let log = log_of(&old, &current, last_open);
            let records = log.records();
            assert_eq!(records.len(), 5, "the whole, readable lines");
            assert_eq!(log.rows(&[]), rows(&records, &[]));
            let home = ["home".to_owned()];
            assert_eq!(log.rows(&home), rows(&records, &home));
            let all = log.rows(&[]);
            assert_eq!(all.len(), 3);
            assert_eq!(all[0].last.finished, "2026-12-02T00:00:00.000Z");
            assert_eq!(
                all[0].last_success.as_ref().map(|r| r.finished.as_str()),
                Some("2026-12-01T00:00:00.000Z")
            );
            let now: Timestamp = "2026-12-06T00:00:00Z".parse().unwrap();
            let day = Duration::from_secs(86_400);
            for preset in ["home", "work", "gone"] {
                assert_eq!(
                    log.freshness(preset, 3 * day, now),
                    freshness(&records, preset, 3 * day, now),
                    "{preset}"
                );
            }
            assert_eq!(
                log.newest_success("home", "check"),
                None,
                "the only success is half a line"
            );
            // Every preset with a backup, the newest success of each as found alone.
            let backups = log.newest_successes("backup");
            let presets: Vec<&str> = backups.keys().map(String::as_str).collect();
            assert_eq!(presets, ["home", "work"]);
            for (preset, time) in &backups {
                assert_eq!(log.newest_success(preset, "backup"), *time);
            }
            let checks = log.newest_successes("check");
            assert_eq!(checks.get("home"), Some(&None), "a check, but no success");
        }
        assert!(RecordLog::default().rows(&[]).is_empty());
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
