//! The dashboard's view of the run records: each preset's last backup and last drill,
//! and whether its backups are stale (docs/interactive.md, "The dashboard").
//!
//! The records are read and summed up by keld-hooks (`read_records_counted`, `rows`),
//! on a worker thread: a records file of 1 MiB (and its rotated 1 MiB predecessor)
//! never delays the first frame. What arrives is one row per preset and command; the
//! ages are counted to the moment they were read, which the answer carries, so the
//! screen is a function of its inputs.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use keld_hooks::{Freshness, Record, Row};

/// A preset's backups are stale when its newest successful backup (`success` or
/// `warning`) finished longer ago than this: a daily backup that missed one night
/// by a couple of hours is not yet stale, one that missed a whole day is. (The same
/// 26 hours the alert in docs/operations.md uses.)
pub const STALE_AFTER: Duration = Duration::from_secs(26 * 60 * 60);

/// The run records as the dashboard gets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Records {
    /// One row per preset and command, as `keld status` lists them.
    pub rows: Vec<Row>,
    /// Lines of the records files that are not records (skipped).
    pub skipped: usize,
    /// The records file, for what the screen says about it.
    pub file: String,
    /// When they were read: every age is counted to this.
    pub now: Timestamp,
}

/// Read the records in `state_dir` at `now` (on a worker thread). A state directory
/// or records file that does not exist is no records; one that cannot be read is the
/// message.
pub fn read_records(state_dir: Option<&Path>, now: Timestamp) -> Result<Records, String> {
    let dir = state_dir.ok_or(
        "keld has no state directory (set KELD_STATE_DIR, XDG_STATE_HOME or HOME), so no run \
         is recorded",
    )?;
    let file = keld_hooks::records_path(dir).display().to_string();
    let read = keld_hooks::read_records_counted(dir)
        .map_err(|error| format!("cannot read the run records in {}: {error}", dir.display()))?;
    Ok(Records {
        rows: keld_hooks::rows(&read.records, &[]),
        skipped: read.skipped,
        file,
        now,
    })
}

/// The newest run of one command of a preset, as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Last {
    /// `success`, `warning`, `failed`, `skipped` or `interrupted`.
    pub(crate) result: &'static str,
    /// How long before the records were read it finished (`None`: its time does not
    /// read).
    pub(crate) age: Option<Duration>,
    /// How long it took.
    pub(crate) took: Duration,
    /// keld's exit code.
    pub(crate) exit_code: u8,
    /// keld's own message, if the run had one.
    pub(crate) error: Option<String>,
    /// The newest successful run of this command judged against [`STALE_AFTER`].
    pub(crate) freshness: Freshness,
}

impl Last {
    fn of(row: &Row, now: Timestamp) -> Self {
        let success = row.last_success.as_ref().and_then(Record::finished_at);
        Self {
            result: row.last.result.as_str(),
            age: row
                .last
                .finished_at()
                .map(|time| keld_hooks::age(time, now)),
            took: Duration::from_millis(row.last.duration_ms),
            exit_code: row.last.exit_code,
            error: row.last.error.clone(),
            freshness: success.map_or(Freshness::Never, |time| {
                keld_hooks::judge(time, STALE_AFTER, now)
            }),
        }
    }
}

/// What the records say about one preset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Status {
    /// Its newest `backup`, if any is recorded.
    pub(crate) backup: Option<Last>,
    /// Its newest `drill`, if any is recorded.
    pub(crate) drill: Option<Last>,
}

impl Status {
    /// Whether its backups are stale: backups are recorded, and none succeeded within
    /// [`STALE_AFTER`] (or none ever did). A preset without any recorded backup is not
    /// judged: it may not be backed up from here at all.
    pub(crate) fn stale(&self) -> bool {
        self.backup
            .as_ref()
            .is_some_and(|backup| !matches!(backup.freshness, Freshness::Fresh(_)))
    }
}

/// The status of each of `presets`, in their order, from `records`.
pub(crate) fn statuses(records: &Records, presets: &[String]) -> Vec<Status> {
    let mut by_preset: HashMap<&str, Status> = HashMap::new();
    for row in &records.rows {
        if !matches!(row.command.as_str(), "backup" | "drill") {
            continue;
        }
        let status = by_preset.entry(row.preset.as_str()).or_default();
        let last = Some(Last::of(row, records.now));
        if row.command == "backup" {
            status.backup = last;
        } else {
            status.drill = last;
        }
    }
    presets
        .iter()
        .map(|preset| by_preset.get(preset.as_str()).cloned().unwrap_or_default())
        .collect()
}

/// Presets the records name that start with one of `prefixes` (the prefix halves
/// standing in for their combinations when there are too many to list), not in
/// `known`, in name order.
pub(crate) fn recorded_combinations(
    records: &Records,
    prefixes: &[&str],
    known: &[String],
) -> Vec<String> {
    let mut found: Vec<String> = records
        .rows
        .iter()
        .map(|row| &row.preset)
        .filter(|preset| prefixes.iter().any(|prefix| preset.starts_with(prefix)))
        .filter(|preset| !known.contains(preset))
        .cloned()
        .collect();
    found.sort();
    found.dedup();
    found
}

/// What the dashboard says about the records themselves, if anything: lines that are
/// not records, or why they cannot be read.
pub(crate) fn note(records: &Result<Records, String>) -> Option<String> {
    match records {
        Err(error) => Some(error.clone()),
        Ok(records) if records.skipped == 1 => Some(format!(
            "1 line of {} is not a run record and was skipped",
            records.file
        )),
        Ok(records) if records.skipped > 1 => Some(format!(
            "{} lines of {} are not run records and were skipped",
            records.skipped, records.file
        )),
        Ok(_) => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The moment the sample records are read.
    pub(crate) const NOW: &str = "2026-12-06T12:00:00Z";

    /// A record of `preset`'s `command` that finished `hours_ago` before [`NOW`].
    pub(crate) fn record(preset: &str, command: &str, hours_ago: i64, result: &str) -> Record {
        let now: Timestamp = NOW.parse().expect("a time");
        let finished = now - jiff::SignedDuration::from_hours(hours_ago);
        let json = serde_json::json!({
            "version": 1, "preset": preset, "command": command, "alias": command,
            "host": "h", "user": "u", "pid": 1,
            "started": keld_hooks::format_time(finished - jiff::SignedDuration::from_secs(9)),
            "finished": keld_hooks::format_time(finished),
            "duration_ms": 9000, "result": result,
            "exit_code": u8::from(result == "failed"),
            "restic_exit_code": 0, "restic_status": "success", "signal": null,
            "error": (result == "failed").then_some("restic backup failed: exit code 1"),
            "keld_version": "0.1.0",
        });
        serde_json::from_value(json).expect("a record")
    }

    pub(crate) fn records(list: &[Record]) -> Records {
        Records {
            rows: keld_hooks::rows(list, &[]),
            skipped: 0,
            file: "/home/ann/.local/state/keld/runs.jsonl".to_owned(),
            now: NOW.parse().expect("a time"),
        }
    }

    #[test]
    fn stale_is_no_success_within_26_hours_when_backups_are_recorded() {
        let records = records(&[
            record("fresh", "backup", 3, "success"),
            record("late", "backup", 30, "success"),
            record("late", "backup", 1, "failed"),
            record("warned", "backup", 25, "warning"),
            record("never", "backup", 2, "failed"),
            record("unused", "check", 1, "success"),
            record("unused", "drill", 50, "success"),
        ]);
        let names = ["fresh", "late", "warned", "never", "unused", "absent"].map(String::from);
        let statuses = statuses(&records, &names);
        let stale: Vec<bool> = statuses.iter().map(Status::stale).collect();
        assert_eq!(stale, [false, true, false, true, false, false]);
        let late = statuses[1].backup.as_ref().expect("a backup");
        assert_eq!(late.result, "failed");
        assert_eq!(late.age, Some(Duration::from_secs(3600)));
        assert_eq!(
            late.freshness,
            Freshness::Stale(Duration::from_secs(30 * 3600))
        );
        assert_eq!(
            statuses[3].backup.as_ref().map(|b| &b.freshness),
            Some(&Freshness::Never)
        );
        assert!(statuses[4].backup.is_none() && statuses[4].drill.is_some());
        assert_eq!(statuses[5], Status::default());
    }

    #[test]
    fn a_missing_state_directory_is_no_records_and_an_unreadable_file_a_message() {
        let now: Timestamp = NOW.parse().expect("a time");
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("state");
        let read = read_records(Some(&missing), now).expect("nothing to read is no records");
        assert!(read.rows.is_empty() && note(&Ok(read)).is_none());
        std::fs::create_dir_all(missing.join(keld_hooks::RECORDS_FILE)).expect("mkdir");
        let error = read_records(Some(&missing), now).expect_err("a directory is no file");
        assert!(
            error.starts_with("cannot read the run records in "),
            "{error}"
        );
        assert!(read_records(None, now).is_err());
    }

    #[test]
    fn lines_that_are_not_records_are_noted() {
        let mut read = records(&[]);
        read.skipped = 2;
        assert_eq!(
            note(&Ok(read)).as_deref(),
            Some(
                "2 lines of /home/ann/.local/state/keld/runs.jsonl are not run records and \
                 were skipped"
            )
        );
    }

    #[test]
    fn combinations_of_listed_prefixes_come_from_the_records() {
        let records = records(&[
            record("home@nas", "backup", 1, "success"),
            record("home@usb", "backup", 1, "success"),
            record("work@nas", "backup", 1, "success"),
            record("home@nas", "drill", 1, "success"),
        ]);
        let known = ["home@usb".to_owned()];
        assert_eq!(
            recorded_combinations(&records, &["home@"], &known),
            ["home@nas"]
        );
    }
}
