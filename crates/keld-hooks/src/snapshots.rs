//! Snapshots as restic describes them: one entry of `restic snapshots --json`
//! ([`Snapshot`], the one parsed form every reader of that JSON uses), and a preset's
//! newest snapshot, asked of restic (`keld status --repository`, drills).
//!
//! The fields follow restic 0.14 to 0.18. Everything except `id` and `time` is
//! optional in the JSON: older versions leave out empty lists (`tags`), a first
//! backup has no `parent`, and only 0.17 and later write `program_version` and
//! `summary`.
//!
//! The newest snapshot is found with the preset's own `snapshots` invocation and
//! `--json --latest 1`, filtered like the preset's backups: `--host` (the backup's
//! `host` flag, else this machine's hostname), a `--tag` per backup tag and a
//! `--path` per absolute backup argument (docs/operations.md).

use jiff::Timestamp;
use keld_config::ResolvedConfig;
use serde::Deserialize;

use crate::invocation::Invocation;
use crate::listing::{Lister, ListingError};

/// One snapshot as `restic snapshots --json` describes it (also an entry of
/// `forget --json` and the first line of `ls --json`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Snapshot {
    /// The full id (64 hex digits).
    pub id: String,
    /// The short id restic prints, as restic wrote it (empty when it wrote none:
    /// [`Snapshot::short`] derives it).
    #[serde(default)]
    pub short_id: String,
    /// When the backup was made, RFC 3339 as restic wrote it (with the recording
    /// offset).
    pub time: String,
    /// The host it was made on.
    #[serde(default)]
    pub hostname: String,
    /// The user who made it.
    #[serde(default)]
    pub username: String,
    /// The paths backed up.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Its tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The snapshot it was based on.
    #[serde(default)]
    pub parent: Option<String>,
    /// The id of its root tree.
    #[serde(default)]
    pub tree: String,
    /// Which restic wrote the snapshot (`restic 0.17.0` and later record it).
    #[serde(default)]
    pub program_version: Option<String>,
    /// Backup statistics (restic 0.17 and later).
    #[serde(default)]
    pub summary: Option<SnapshotSummary>,
}

/// The part of a snapshot's `summary` keld reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub struct SnapshotSummary {
    /// How many files the backup went through.
    #[serde(default)]
    pub total_files_processed: u64,
    /// How many bytes those files held.
    #[serde(default)]
    pub total_bytes_processed: u64,
}

impl Snapshot {
    /// When the backup was made, if restic's time reads.
    pub fn timestamp(&self) -> Option<Timestamp> {
        self.time.parse().ok()
    }

    /// The 8-character id restic prints: restic's `short_id`, else the first eight
    /// characters of the id.
    pub fn short(&self) -> &str {
        if self.short_id.is_empty() {
            let end = self
                .id
                .char_indices()
                .nth(8)
                .map_or(self.id.len(), |(at, _)| at);
            &self.id[..end]
        } else {
            &self.short_id
        }
    }

    /// The size of the files backed up, where restic recorded it (0.17 and later
    /// write a `summary`).
    pub fn size(&self) -> Option<u64> {
        self.summary.map(|summary| summary.total_bytes_processed)
    }
}

/// What a preset's backups look like in the repository, to find them again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotQuery {
    /// `--host`.
    pub host: String,
    /// One `--tag` each.
    pub tags: Vec<String>,
    /// One `--path` each (absolute backup arguments only).
    pub paths: Vec<String>,
}

impl SnapshotQuery {
    /// The query for the backups `backup` (the preset's resolved `backup`) makes on
    /// the machine named `hostname`.
    pub fn for_backup(backup: &ResolvedConfig, hostname: &str) -> Self {
        let host = backup
            .flag_values("host")
            .pop()
            .unwrap_or_else(|| hostname.to_owned());
        let paths = backup
            .arguments
            .as_ref()
            .map(|arguments| {
                arguments
                    .value
                    .iter()
                    .filter(|path| path.starts_with('/'))
                    .map(|path| trim_trailing_slashes(path))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            host,
            tags: backup.flag_values("tag"),
            paths,
        }
    }

    /// The arguments added to `restic snapshots`.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec![
            "--json".to_owned(),
            "--latest".to_owned(),
            "1".to_owned(),
            "--host".to_owned(),
            self.host.clone(),
        ];
        for tag in &self.tags {
            args.extend(["--tag".to_owned(), tag.clone()]);
        }
        for path in &self.paths {
            args.extend(["--path".to_owned(), path.clone()]);
        }
        args
    }
}

/// `/srv/data/` as restic records it: `/srv/data` (but `/` stays).
fn trim_trailing_slashes(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Why the newest snapshot is not known.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotsError {
    /// restic failed, or could not be run.
    #[error(transparent)]
    Restic(#[from] ListingError),
    /// restic's output is not the JSON it writes.
    #[error("restic snapshots --json wrote output keld cannot read: {0}")]
    Output(String),
}

/// The newest snapshot `snapshots` (the preset's resolved `snapshots`, without
/// `_arguments`) finds with `query`; `None` in a repository without such snapshots.
pub fn newest_snapshot(
    lister: &Lister,
    snapshots: &Invocation,
    query: &SnapshotQuery,
) -> Result<Option<Snapshot>, SnapshotsError> {
    let args = query.args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = lister.capture(snapshots, &args)?;
    newest_in(&output)
}

/// The newest snapshot in `restic snapshots --json` output (`--latest 1` still gives
/// one per host and path set).
pub fn newest_in(output: &[u8]) -> Result<Option<Snapshot>, SnapshotsError> {
    // restic 0.14 writes `null` for no snapshots in some cases.
    let listed: Option<Vec<Snapshot>> = serde_json::from_slice(output)
        .map_err(|error| SnapshotsError::Output(error.to_string()))?;
    Ok(listed
        .unwrap_or_default()
        .into_iter()
        .max_by_key(Snapshot::timestamp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_of_several_groups() {
        let json = br#"[
            {"id":"aaaa1111bbbb","time":"2026-12-01T02:00:00.5+01:00","hostname":"h","paths":["/a"]},
            {"id":"cccc2222dddd","short_id":"cccc2222","time":"2026-12-02T02:00:00Z","hostname":"h","paths":["/b"]}
        ]"#;
        let newest = newest_in(json).unwrap().unwrap();
        assert_eq!(newest.short(), "cccc2222");
        assert_eq!(newest_in(b"[]").unwrap(), None);
        assert_eq!(newest_in(b"null").unwrap(), None);
        assert!(newest_in(b"not json").is_err());
        let first = newest_in(&json[..]).unwrap().unwrap();
        assert_eq!(
            first.timestamp().unwrap().to_string(),
            "2026-12-02T02:00:00Z"
        );
    }

    /// restic 0.14.0: no `program_version` or `summary`, no `tags` when there are
    /// none, `parent` from the second backup on.
    const RESTIC_014: &str = r#"{"time":"2026-12-06T13:24:35.589074304Z","parent":"b7cfd55ec6d7c6115960e348bb5c74de965d881a08af59321c3690c4abd3f2ed","tree":"5b3bab9b5bc33b52642a866f1d8244dbacdea56775c24354db3db2a0fc12fd97","paths":["/tmp/rq/src"],"hostname":"vm","username":"root","id":"30cc4cec152d6b30ad364975d949f073e058afb827e69aa66faa4ec84495e590","short_id":"30cc4cec"}"#;

    /// restic 0.17 adds `program_version` and `summary` (and writes `uid`, `gid`).
    const RESTIC_017: &str = r#"{"time":"2024-08-01T09:15:00.1+02:00","parent":"aa","tree":"bb","paths":["/srv"],"hostname":"h","username":"u","uid":1000,"gid":1000,"id":"cc11223344556677","short_id":"cc112233","program_version":"restic 0.17.0","summary":{"backup_start":"2024-08-01T09:15:00+02:00","backup_end":"2024-08-01T09:15:03+02:00","files_new":3,"files_changed":0,"files_unmodified":0,"dirs_new":1,"dirs_changed":0,"dirs_unmodified":0,"data_blobs":3,"tree_blobs":1,"data_added":100,"data_added_packed":90,"total_files_processed":3,"total_bytes_processed":4096}}"#;

    /// restic 0.18.0, a first backup with a tag.
    const RESTIC_018: &str = r#"{"time":"2026-12-06T13:24:42.946008733Z","tree":"7e9a3ab4ed95c991b9c47811ecb86edbf6cf692f658a655ba2e78da6ad64dc47","paths":["/tmp/rq/src"],"hostname":"vm","username":"root","tags":["t"],"program_version":"restic 0.18.0","summary":{"backup_start":"2026-12-06T13:24:42.946008733Z","backup_end":"2026-12-06T13:24:43.712823168Z","files_new":1,"files_changed":0,"files_unmodified":0,"dirs_new":1,"dirs_changed":0,"dirs_unmodified":0,"data_blobs":1,"tree_blobs":2,"data_added":707,"data_added_packed":665,"total_files_processed":1,"total_bytes_processed":3},"id":"ed8b846d15c1b90eb3c2e6070915f6e64d11edab6d559620d62f43d97ded75ac","short_id":"ed8b846d"}"#;

    #[test]
    fn restic_014_entries_have_no_version_or_summary() {
        let snapshot: Snapshot = serde_json::from_str(RESTIC_014).unwrap();
        assert_eq!(snapshot.short(), "30cc4cec");
        assert_eq!(snapshot.hostname, "vm");
        assert_eq!(snapshot.username, "root");
        assert_eq!(snapshot.paths, ["/tmp/rq/src"]);
        assert!(snapshot.tags.is_empty());
        assert!(snapshot.parent.as_deref().unwrap().starts_with("b7cfd55e"));
        assert!(snapshot.tree.starts_with("5b3bab9b"));
        assert_eq!(snapshot.program_version, None);
        assert_eq!(snapshot.summary, None);
        assert_eq!(snapshot.size(), None);
    }

    #[test]
    fn restic_017_and_018_entries_have_version_and_summary() {
        let snapshot: Snapshot = serde_json::from_str(RESTIC_017).unwrap();
        assert_eq!(snapshot.program_version.as_deref(), Some("restic 0.17.0"));
        assert_eq!(snapshot.parent.as_deref(), Some("aa"));
        assert_eq!(
            snapshot.summary,
            Some(SnapshotSummary {
                total_files_processed: 3,
                total_bytes_processed: 4096
            })
        );
        assert_eq!(snapshot.size(), Some(4096));

        let snapshot: Snapshot = serde_json::from_str(RESTIC_018).unwrap();
        assert_eq!(snapshot.program_version.as_deref(), Some("restic 0.18.0"));
        assert_eq!(snapshot.parent, None, "a first backup");
        assert_eq!(snapshot.tags, ["t"]);
        assert_eq!(snapshot.size(), Some(3));
    }

    #[test]
    fn only_id_and_time_are_required() {
        let snapshot: Snapshot =
            serde_json::from_str(r#"{"id":"abcdef0123456789","time":"2026-12-05T02:00:00Z"}"#)
                .unwrap();
        assert_eq!(snapshot.short(), "abcdef01", "derived from the id");
        assert_eq!(snapshot.tree, "");
        assert!(serde_json::from_str::<Snapshot>(r#"{"id":"ab"}"#).is_err());
        assert!(serde_json::from_str::<Snapshot>(r#"{"time":"2026-12-05T02:00:00Z"}"#).is_err());
        let short = Snapshot {
            id: "ab\u{e9}cdefgh\u{e9}".to_owned(),
            ..Snapshot::default()
        };
        assert_eq!(
            short.short(),
            "ab\u{e9}cdefg",
            "eight characters, not bytes"
        );
    }

    #[test]
    fn paths_as_restic_records_them() {
        assert_eq!(trim_trailing_slashes("/srv/data/"), "/srv/data");
        assert_eq!(trim_trailing_slashes("/"), "/");
    }
}
