//! A preset's newest snapshot, asked of restic (`keld status --repository`, drills).
//!
//! The snapshot is found with the preset's own `snapshots` invocation and
//! `--json --latest 1`, filtered like the preset's backups: `--host` (the backup's
//! `host` flag, else this machine's hostname), a `--tag` per backup tag and a
//! `--path` per absolute backup argument (docs/operations.md).

use jiff::Timestamp;
use keld_config::ResolvedConfig;
use serde::Deserialize;

use crate::invocation::Invocation;
use crate::listing::{Lister, ListingError};

/// One snapshot as `restic snapshots --json` describes it (the fields keld uses).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Snapshot {
    /// The full id.
    pub id: String,
    /// The short id restic prints (derived from `id` when restic gives none).
    #[serde(default)]
    pub short_id: String,
    /// When the backup was made, RFC 3339 as restic wrote it.
    pub time: String,
    /// The host it was made on.
    #[serde(default)]
    pub hostname: String,
    /// The paths backed up.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Its tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl Snapshot {
    /// When the backup was made, if restic's time reads.
    pub fn timestamp(&self) -> Option<Timestamp> {
        self.time.parse().ok()
    }

    /// The 8-character id restic prints.
    pub fn short(&self) -> &str {
        if self.short_id.is_empty() {
            &self.id[..self.id.len().min(8)]
        } else {
            &self.short_id
        }
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

    #[test]
    fn paths_as_restic_records_them() {
        assert_eq!(trim_trailing_slashes("/srv/data/"), "/srv/data");
        assert_eq!(trim_trailing_slashes("/"), "/");
    }
}
