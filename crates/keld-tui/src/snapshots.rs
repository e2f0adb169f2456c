//! The snapshot list: `restic snapshots --json` parsed, sorted newest first, filtered.
//!
//! Each entry is read as keld-hooks' [`Snapshot`], the one parsed form of what
//! restic writes (its fields, and which restic versions leave which out, are
//! described there). A [`ListedSnapshot`] adds what the list needs on top: the
//! instant it sorts by and the text its filter searches.

use keld_hooks::Snapshot;

/// One snapshot in the list: restic's description, and what the list derives from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedSnapshot {
    /// The snapshot as restic described it.
    pub snapshot: Snapshot,
    /// Seconds and nanoseconds since the Unix epoch, computed from `time` for sorting.
    pub instant: (i64, u32),
    /// What the filter searches: short ID, time, host, tags and paths.
    pub(crate) haystack: String,
}

/// Why the output of `restic snapshots --json` could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SnapshotsError {
    /// The output is not the JSON restic writes.
    #[error("restic snapshots --json: unreadable output at line {line}, column {column}: {reason}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's words.
        reason: String,
    },
    /// A snapshot's time is not RFC 3339.
    #[error("restic snapshots --json: snapshot {id} has an unreadable time {time:?}")]
    Time {
        /// The snapshot.
        id: String,
        /// Its time as written.
        time: String,
    },
}

impl SnapshotsError {
    /// The error for JSON that does not read.
    pub(crate) fn json(err: &serde_json::Error) -> Self {
        Self::Json {
            line: err.line(),
            column: err.column(),
            reason: err.to_string(),
        }
    }
}

/// Parse `restic snapshots --json` output and sort it newest first.
pub fn parse_snapshots(json: &str) -> Result<Vec<ListedSnapshot>, SnapshotsError> {
    let snapshots: Vec<Snapshot> =
        serde_json::from_str(json).map_err(|err| SnapshotsError::json(&err))?;
    let mut listed = snapshots
        .into_iter()
        .map(ListedSnapshot::new)
        .collect::<Result<Vec<_>, _>>()?;
    // Stable, so snapshots taken in the same nanosecond keep restic's order.
    listed.sort_by_key(|listed| std::cmp::Reverse(listed.instant));
    Ok(listed)
}

impl ListedSnapshot {
    /// The list's entry for `snapshot`: the instant to sort by and the text to filter
    /// on. An error when its time is not RFC 3339.
    pub fn new(snapshot: Snapshot) -> Result<Self, SnapshotsError> {
        let Some(instant) = parse_rfc3339(&snapshot.time) else {
            return Err(SnapshotsError::Time {
                id: snapshot.id,
                time: snapshot.time,
            });
        };
        let haystack = format!(
            "{} {} {} {} {}",
            snapshot.short(),
            display_time(&snapshot),
            snapshot.hostname,
            snapshot.tags.join(" "),
            snapshot.paths.join(" ")
        );
        Ok(Self {
            snapshot,
            instant,
            haystack,
        })
    }
}

/// `2026-11-26 11:00:47` — a snapshot's recorded wall-clock time to the second.
pub(crate) fn display_time(snapshot: &Snapshot) -> String {
    let time = &snapshot.time;
    let end = time.len().min(19);
    time.get(..end).unwrap_or(time).replacen('T', " ", 1)
}

/// Indexes of the snapshots matching `filter` (fzf-style over the short ID, time,
/// host, tags and paths), best first; all of them, newest first, for no filter.
pub(crate) fn filter_snapshots(snapshots: &[ListedSnapshot], filter: &str) -> Vec<usize> {
    crate::fuzzy::filter(snapshots.iter().map(|s| s.haystack.as_str()), filter)
}

/// `2026-11-26T11:00:47.494942485+02:00` → seconds and nanoseconds since the epoch (UTC).
fn parse_rfc3339(text: &str) -> Option<(i64, u32)> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't' | b' ')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let mut rest = &text[19..];
    let mut nanos = 0u32;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        for (place, digit) in fraction.bytes().take(digits.min(9)).enumerate() {
            nanos += u32::from(digit - b'0') * 10u32.pow(8 - u32::try_from(place).ok()?);
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            let hours: i64 = rest[1..3].parse().ok()?;
            let minutes: i64 = rest[4..6].parse().ok()?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    Some((
        days * 86_400 + hour * 3600 + minute * 60 + second - offset,
        nanos,
    ))
}

/// The wall-clock minute an RFC 3339 time was written in (`2026-11-26T11:00…` →
/// minutes since 1970-01-01 00:00 of that clock, the offset ignored): compact for
/// 100,000 file times, shown again by [`format_minutes`].
pub(crate) fn wall_minutes(text: &str) -> Option<i32> {
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute) = (number(11..13)?, number(14..16)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    i32::try_from(days_from_civil(year, month, day) * 1440 + hour * 60 + minute).ok()
}

/// `2026-11-26 11:00` from [`wall_minutes`].
pub(crate) fn format_minutes(minutes: i32) -> String {
    let minutes = i64::from(minutes);
    let (days, in_day) = (minutes.div_euclid(1440), minutes.rem_euclid(1440));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        in_day / 60,
        in_day % 60
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A fixed set of snapshots in restic's JSON, for tests and benchmarks.
#[cfg(test)]
pub(crate) fn sample_json(count: usize) -> String {
    let items: Vec<String> = (0..count)
        .map(|index| {
            let day = 1 + index % 28;
            let hour = index / 28 % 24;
            let minute = index / (28 * 24) % 60;
            format!(
                r#"{{"time":"2026-0{month}-{day:02}T{hour:02}:{minute:02}:00.5+00:00","tree":"{index:064x}","paths":["/home/user{index}"],"hostname":"{host}","username":"user","tags":{tags},"id":"{id_head:08x}{index:056x}"}}"#,
                month = 1 + index % 9,
                host = if index % 2 == 0 { "laptop" } else { "server" },
                tags = if index % 3 == 0 { r#"["daily"]"# } else { "[]" },
                id_head = u32::try_from(index)
                    .unwrap_or(0)
                    .wrapping_mul(2_654_435_761)
                    | 0x1000_0000,
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Output of restic 0.14.0 for a repository with two snapshots.
    const RESTIC_014: &str = r#"[{"time":"2026-11-26T11:00:47.494942485Z","tree":"0af2afe00dcb65de7f566f8660a2fc90db974fa88b7b02c62571bead3ef730eb","paths":["/tmp/rr/src"],"hostname":"vm","username":"root","tags":["daily"],"id":"503b58b8094a9627d9daab008ec1f58ea3a710697730e65a9776861f79404b97","short_id":"503b58b8"},{"time":"2026-11-26T11:00:48.04592917Z","tree":"1f8060032fb1bcf8488b278b97e227b34ea79f4d5bb867c4f464ab3693510ef4","paths":["/tmp/rr/src/c"],"hostname":"other","username":"root","id":"7324ac45a30f9a715e29580fe6ab3c8e51a6f62813d3cf84609d3f4b214a60cf","short_id":"7324ac45"}]"#;

    /// restic 0.17 adds `program_version` and `summary`.
    const RESTIC_017: &str = r#"[{"time":"2024-08-01T09:15:00.1+02:00","parent":"aa","tree":"bb","paths":["/srv"],"hostname":"h","username":"u","uid":1000,"gid":1000,"id":"cc11223344556677","short_id":"cc112233","program_version":"restic 0.17.0","summary":{"backup_start":"2024-08-01T09:15:00+02:00","backup_end":"2024-08-01T09:15:03+02:00","files_new":3,"files_changed":0,"files_unmodified":0,"dirs_new":1,"dirs_changed":0,"dirs_unmodified":0,"data_blobs":3,"tree_blobs":1,"data_added":100,"data_added_packed":90,"total_files_processed":3,"total_bytes_processed":4096}}]"#;

    #[test]
    fn restic_014_output_sorts_newest_first() {
        let snapshots = parse_snapshots(RESTIC_014).expect("valid output");
        let ids: Vec<&str> = snapshots.iter().map(|s| s.snapshot.short()).collect();
        assert_eq!(ids, ["7324ac45", "503b58b8"]);
        assert_eq!(snapshots[1].snapshot.tags, ["daily"]);
        assert!(snapshots[0].snapshot.tags.is_empty());
        assert_eq!(display_time(&snapshots[0].snapshot), "2026-11-26 11:00:48");
        assert_eq!(snapshots[0].snapshot.summary, None);
    }

    #[test]
    fn restic_017_output_has_version_and_summary() {
        let snapshots = parse_snapshots(RESTIC_017).expect("valid output");
        let listed = &snapshots[0];
        let snapshot = &listed.snapshot;
        assert_eq!(snapshot.program_version.as_deref(), Some("restic 0.17.0"));
        assert_eq!(snapshot.parent.as_deref(), Some("aa"));
        assert_eq!(
            snapshot.summary,
            Some(keld_hooks::SnapshotSummary {
                total_files_processed: 3,
                total_bytes_processed: 4096
            })
        );
        // 09:15:00.1 at +02:00 is 07:15:00.1 UTC.
        assert_eq!(listed.instant, (1_722_496_500, 100_000_000));
    }

    #[test]
    fn offsets_are_compared_in_utc() {
        let json = r#"[
            {"id":"a1","time":"2024-01-01T10:00:00+02:00","tree":"t"},
            {"id":"b2","time":"2024-01-01T09:00:00Z","tree":"t"}
        ]"#;
        let snapshots = parse_snapshots(json).expect("valid output");
        // 10:00+02:00 is 08:00 UTC, so the 09:00 UTC one is newer.
        assert_eq!(snapshots[0].snapshot.id, "b2");
        assert_eq!(
            snapshots[1].snapshot.short(),
            "a1",
            "short ID derived from the ID"
        );
    }

    #[test]
    fn empty_repository_is_an_empty_list() {
        assert_eq!(parse_snapshots("[]\n"), Ok(Vec::new()));
    }

    #[test]
    fn broken_output_names_line_and_column() {
        let err = parse_snapshots("[\n{\"id\": 5}]").expect_err("an ID must be a string");
        let message = err.to_string();
        assert!(message.contains("line 2"), "{message}");
        assert!(message.starts_with("restic snapshots --json:"), "{message}");
    }

    #[test]
    fn bad_time_is_an_error_naming_the_snapshot() {
        let err = parse_snapshots(r#"[{"id":"abc","time":"yesterday","tree":"t"}]"#)
            .expect_err("time is not RFC 3339");
        assert_eq!(
            err,
            SnapshotsError::Time {
                id: "abc".into(),
                time: "yesterday".into()
            }
        );
    }

    #[test]
    fn wall_clock_minutes_round_trip() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:10+02:00",
            "2026-11-26T11:00:47.49Z",
            "1969-12-31T23:00:00-01:00",
        ] {
            let minutes = wall_minutes(text).expect("valid");
            assert_eq!(format_minutes(minutes), text[..16].replace('T', " "));
        }
        assert_eq!(wall_minutes("yesterday"), None);
    }

    #[test]
    fn rfc3339_epoch_and_leap_day() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(
            parse_rfc3339("2024-02-29T00:00:00Z"),
            Some((1_709_164_800, 0))
        );
        assert_eq!(
            parse_rfc3339("1969-12-31T23:00:00-01:00"),
            Some((0, 0)),
            "negative offsets move forward"
        );
        assert_eq!(parse_rfc3339("2024-13-01T00:00:00Z"), None);
        assert_eq!(
            parse_rfc3339("2024-01-01T00:00:00"),
            None,
            "needs an offset"
        );
    }

    #[test]
    fn filter_searches_id_host_paths_tags_and_time() {
        let snapshots = parse_snapshots(RESTIC_014).expect("valid output");
        assert_eq!(filter_snapshots(&snapshots, ""), [0, 1]);
        assert_eq!(filter_snapshots(&snapshots, "other"), [0], "host");
        assert_eq!(filter_snapshots(&snapshots, "daily"), [1], "tag");
        assert_eq!(filter_snapshots(&snapshots, "src/c"), [0], "path");
        assert_eq!(filter_snapshots(&snapshots, "503b"), [1], "ID");
        assert_eq!(filter_snapshots(&snapshots, "11:00:48"), [0], "time");
        assert_eq!(filter_snapshots(&snapshots, "2026-11-26 11:00").len(), 2);
        assert!(filter_snapshots(&snapshots, "nothing-like-this").is_empty());
    }

    #[test]
    fn sizes_come_from_the_summary() {
        assert_eq!(
            parse_snapshots(RESTIC_017).expect("valid")[0]
                .snapshot
                .size(),
            Some(4096)
        );
        assert_eq!(
            parse_snapshots(RESTIC_014).expect("valid")[0]
                .snapshot
                .size(),
            None
        );
    }

    #[test]
    fn ten_thousand_snapshots_parse_sort_and_filter() {
        let json = sample_json(10_000);
        let started = std::time::Instant::now();
        let snapshots = parse_snapshots(&json).expect("valid output");
        let parsed = started.elapsed();
        assert_eq!(snapshots.len(), 10_000);
        assert!(snapshots.windows(2).all(|w| w[0].instant >= w[1].instant));
        let started = std::time::Instant::now();
        assert_eq!(filter_snapshots(&snapshots, "server").len(), 5_000);
        assert_eq!(filter_snapshots(&snapshots, "'server").len(), 5_000);
        let filtered = started.elapsed();
        eprintln!("10,000 snapshots: parse and sort {parsed:?}, filter {filtered:?}");
    }
}
