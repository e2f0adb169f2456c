//! A small, fixed table of restic flags so snapshots do not move when keld's
//! built-in restic knowledge grows.

use keld_config::FlagData;
use keld_config::restic::{CommandSpec, FlagKind, FlagSpec};

const fn flag(long: &'static str, short: Option<char>, kind: FlagKind) -> FlagSpec {
    FlagSpec { long, short, kind }
}

static BACKUP: &[FlagSpec] = &[
    flag("dry-run", Some('n'), FlagKind::Switch),
    flag("exclude", Some('e'), FlagKind::Value),
    flag("exclude-file", None, FlagKind::Value),
    flag("files-from", None, FlagKind::Value),
    flag("host", Some('H'), FlagKind::Value),
    flag("one-file-system", Some('x'), FlagKind::Switch),
    flag("tag", None, FlagKind::Value),
];

static FORGET: &[FlagSpec] = &[
    flag("keep-daily", Some('d'), FlagKind::Value),
    flag("keep-hourly", Some('H'), FlagKind::Value),
    flag("prune", None, FlagKind::Switch),
];

static SNAPSHOTS: &[FlagSpec] = &[
    flag("host", Some('H'), FlagKind::Value),
    flag("tag", None, FlagKind::Value),
];

static COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "backup",
        flags: BACKUP,
    },
    CommandSpec {
        name: "forget",
        flags: FORGET,
    },
    CommandSpec {
        name: "snapshots",
        flags: SNAPSHOTS,
    },
];

static GLOBAL: &[FlagSpec] = &[
    flag("cache-dir", None, FlagKind::Value),
    flag("json", None, FlagKind::Switch),
    flag("limit-upload", None, FlagKind::Value),
    flag("password-file", Some('p'), FlagKind::Value),
    flag("quiet", Some('q'), FlagKind::Switch),
    flag("repo", Some('r'), FlagKind::Value),
    flag("verbose", Some('v'), FlagKind::Count),
];

/// `backup`, `forget` and `snapshots` with a few flags, plus common global flags.
pub(crate) fn flags() -> FlagData<'static> {
    FlagData::new(COMMANDS, GLOBAL)
}
