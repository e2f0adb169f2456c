//! `restic diff --json FROM TO`: the changed paths and restic's totals.

use serde::Deserialize;

use crate::units::{count, human_size};

/// What changed between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diff {
    /// Each changed path with restic's mark: `+` added, `-` removed, `M` content
    /// changed, `T` type changed, `U` metadata changed.
    pub changes: Vec<(String, String)>,
    /// restic's totals, as lines for the screen (files and bytes added and removed).
    pub totals: Vec<String>,
}

/// Why the output of `restic diff --json` could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("restic diff --json: line {line} is not JSON: {reason}")]
pub struct DiffError {
    /// 1-based line.
    pub line: usize,
    /// The parser's words.
    pub reason: String,
}

#[derive(Deserialize)]
struct Line {
    #[serde(default)]
    message_type: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    modifier: String,
    #[serde(default)]
    changed_files: u64,
    #[serde(default)]
    added: Counts,
    #[serde(default)]
    removed: Counts,
}

#[derive(Deserialize, Default)]
struct Counts {
    #[serde(default)]
    files: u64,
    #[serde(default)]
    dirs: u64,
    #[serde(default)]
    bytes: u64,
}

/// Parse `restic diff --json` output (restic 0.14 to 0.18).
pub fn parse_diff(output: &str) -> Result<Diff, DiffError> {
    let mut diff = Diff::default();
    for (index, text) in output.lines().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        let line: Line = serde_json::from_str(text).map_err(|err| DiffError {
            line: index + 1,
            reason: err.to_string(),
        })?;
        match line.message_type.as_str() {
            "change" => diff.changes.push((line.path, line.modifier)),
            "statistics" => {
                let files = |n| count(n, "file", "files");
                let dirs = |n| count(n, "directory", "directories");
                diff.totals = vec![
                    format!(
                        "added: {}, {}, {}",
                        files(line.added.files),
                        dirs(line.added.dirs),
                        human_size(line.added.bytes)
                    ),
                    format!(
                        "removed: {}, {}, {}",
                        files(line.removed.files),
                        dirs(line.removed.dirs),
                        human_size(line.removed.bytes)
                    ),
                    format!("changed: {}", files(line.changed_files)),
                ];
            }
            _ => {}
        }
    }
    Ok(diff)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// restic 0.14.0's output for two small snapshots.
    const OUTPUT: &str = r#"{"message_type":"change","path":"/src/a.txt","modifier":"M"}
{"message_type":"change","path":"/src/c.txt","modifier":"+"}
{"message_type":"change","path":"/src/old/","modifier":"-"}
{"message_type":"statistics","source_snapshot":"532b25f3","target_snapshot":"a0717b48","changed_files":1,"added":{"files":1,"dirs":0,"others":0,"data_blobs":1,"tree_blobs":4,"bytes":2100},"removed":{"files":0,"dirs":1,"others":0,"data_blobs":0,"tree_blobs":3,"bytes":1404}}
"#;

    #[test]
    fn changes_and_totals() {
        let diff = parse_diff(OUTPUT).expect("valid output");
        assert_eq!(
            diff.changes,
            [
                ("/src/a.txt".to_owned(), "M".to_owned()),
                ("/src/c.txt".to_owned(), "+".to_owned()),
                ("/src/old/".to_owned(), "-".to_owned()),
            ]
        );
        assert_eq!(
            diff.totals,
            [
                "added: 1 file, 0 directories, 2.1 KiB",
                "removed: 0 files, 1 directory, 1.4 KiB",
                "changed: 1 file"
            ]
        );
    }

    #[test]
    fn broken_output_names_its_line() {
        let error = parse_diff("{}\nnope\n").expect_err("line 2");
        assert_eq!(error.line, 2);
    }
}
