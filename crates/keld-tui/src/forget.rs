//! `restic forget --dry-run --json`: what the preset's policy would keep and remove.

use keld_hooks::Snapshot;
use serde::Deserialize;

use crate::snapshots::SnapshotsError;

/// What a `forget` would do, group by group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ForgetPlan {
    /// One entry per group restic forms (by host and paths, by default).
    pub groups: Vec<ForgetGroup>,
}

/// One group of snapshots and the policy's verdict on them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct ForgetGroup {
    /// The group's host, when grouped by host.
    #[serde(default)]
    pub host: Option<String>,
    /// The group's paths, when grouped by paths.
    #[serde(default)]
    pub paths: Option<Vec<String>>,
    /// The group's tags, when grouped by tags.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// The snapshots kept.
    #[serde(default, deserialize_with = "null_is_empty")]
    pub keep: Vec<Snapshot>,
    /// The snapshots removed.
    #[serde(default, deserialize_with = "null_is_empty")]
    pub remove: Vec<Snapshot>,
}

fn null_is_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Snapshot>, D::Error> {
    Ok(Option::<Vec<Snapshot>>::deserialize(d)?.unwrap_or_default())
}

impl ForgetPlan {
    /// How many snapshots would be kept and removed, over all groups.
    pub fn counts(&self) -> (usize, usize) {
        self.groups.iter().fold((0, 0), |(keep, remove), group| {
            (keep + group.keep.len(), remove + group.remove.len())
        })
    }
}

/// Parse `restic forget --dry-run --json` output; empty output (no policy, nothing
/// to do) is an empty plan.
pub fn parse_forget(output: &str) -> Result<ForgetPlan, SnapshotsError> {
    // restic may print lines of its own before the JSON; the JSON is the last line.
    let json = output
        .lines()
        .rev()
        .find(|line| line.trim_start().starts_with('['))
        .unwrap_or("[]");
    let groups: Vec<ForgetGroup> =
        serde_json::from_str(json).map_err(|err| SnapshotsError::json(&err))?;
    Ok(ForgetPlan { groups })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// restic 0.14.0, `--keep-last 1` over three snapshots of one path.
    const OUTPUT: &str = r#"[{"tags":null,"host":"vm","paths":["/tmp/rtest/src"],"keep":[{"time":"2026-12-06T08:24:40.968002794Z","tree":"d6","paths":["/tmp/rtest/src"],"hostname":"vm","username":"root","id":"a0717b48be6e","short_id":"a0717b48"}],"remove":[{"time":"2026-12-06T08:24:40.254929166Z","tree":"a1","paths":["/tmp/rtest/src"],"hostname":"vm","username":"root","id":"2019f3f4f2df","short_id":"2019f3f4"},{"time":"2026-12-06T08:24:39.552397194Z","tree":"62","paths":["/tmp/rtest/src"],"hostname":"vm","username":"root","id":"532b25f3fa80"}],"reasons":[]}]"#;

    #[test]
    fn kept_and_removed_snapshots() {
        let plan = parse_forget(OUTPUT).expect("valid output");
        assert_eq!(plan.counts(), (1, 2));
        let group = &plan.groups[0];
        assert_eq!(group.host.as_deref(), Some("vm"));
        assert_eq!(group.remove[1].short(), "532b25f3", "derived from the ID");
        assert_eq!(
            crate::snapshots::display_time(&group.remove[0]),
            "2026-12-06 08:24:40"
        );
    }

    #[test]
    fn nothing_to_do_is_an_empty_plan() {
        assert_eq!(parse_forget("").expect("empty"), ForgetPlan::default());
        let plan = parse_forget(r#"[{"host":"h","keep":[],"remove":null}]"#).expect("valid");
        assert_eq!(plan.counts(), (0, 0));
    }
}
