//! The keys each screen takes: a short list for the help bar, the full one for `?`.

use crate::app::{App, DiffState, DrillState, SnapshotsState, TreeState};
use crate::widgets::{Picker, ScreenId};

type Keys = Vec<(&'static str, &'static str)>;

const QUIT: (&str, &str) = ("q/Ctrl-C", "quit");
/// Where `q` is typed, only Ctrl-C leaves.
const CTRL_C: (&str, &str) = ("Ctrl-C", "quit");
const BACK: (&str, &str) = ("Esc", "back");
const MORE: (&str, &str) = ("?", "keys");

/// The help bar of a list that may be filtered.
fn list(picker: &Picker, choose: &'static str) -> Keys {
    if picker.filtering() {
        vec![
            ("type", "filter"),
            ("↑↓", "move"),
            ("Enter", choose),
            ("Esc", "clear filter"),
            CTRL_C,
        ]
    } else {
        let esc = if picker.filter().is_empty() {
            BACK
        } else {
            ("Esc", "clear filter")
        };
        vec![
            ("↑↓/jk", "move"),
            ("/", "filter"),
            MORE,
            ("Enter", choose),
            esc,
            QUIT,
        ]
    }
}

fn field(submit: &'static str) -> Keys {
    vec![
        ("type", "edit"),
        ("←→", "move"),
        ("Enter", submit),
        BACK,
        CTRL_C,
    ]
}

/// The keys the current screen reacts to, as (key, what it does), for the help bar.
pub(crate) fn help_keys(app: &App) -> Keys {
    let waiting = vec![MORE, BACK, QUIT];
    match app.screen() {
        ScreenId::Dashboard if app.dashboard_picker.filtering() => {
            list(&app.dashboard_picker, "commands")
        }
        ScreenId::Dashboard if app.dashboard_presets.is_empty() => {
            vec![("c", "commands"), MORE, QUIT]
        }
        ScreenId::Dashboard => {
            let mut keys = vec![
                ("↑↓", "move"),
                ("Enter", "commands"),
                ("d", "drill"),
                ("c", "menu"),
                ("/", "filter"),
                MORE,
            ];
            if !app.dashboard_picker.filter().is_empty() {
                keys.push(("Esc", "clear filter"));
            }
            keys.push(QUIT);
            keys
        }
        ScreenId::Drill => match &app.drill {
            DrillState::Running { .. } => vec![MORE, ("Ctrl-C", "stop the drill and quit")],
            DrillState::Done { outcome, .. } if outcome.files.is_empty() => waiting,
            DrillState::Done { picker, .. } if picker.filtering() => list(picker, "keep"),
            DrillState::Done { .. } => vec![("↑↓/jk", "move"), ("/", "filter"), MORE, BACK, QUIT],
            DrillState::NotStarted | DrillState::Failed(_) => waiting,
        },
        ScreenId::Command => list(&app.command_picker, "choose"),
        ScreenId::Preset => list(&app.preset_picker, "choose"),
        ScreenId::Snapshots => match &app.snapshots {
            SnapshotsState::Loading | SnapshotsState::Failed { field: None, .. } => waiting,
            SnapshotsState::Loaded { picker, .. } if app.browsing() && !picker.filtering() => {
                vec![
                    ("↑↓/jk", "move"),
                    ("/", "filter"),
                    ("Enter", "files"),
                    ("d", "compare"),
                    MORE,
                    if app.compare_from.is_some() {
                        ("Esc", "unmark")
                    } else {
                        BACK
                    },
                    QUIT,
                ]
            }
            SnapshotsState::Loaded { picker, .. } => list(picker, "choose"),
            SnapshotsState::Failed { .. } | SnapshotsState::Empty { .. } => field("use this ID"),
        },
        ScreenId::Tree => match &app.tree {
            TreeState::Loading => waiting,
            TreeState::Failed {
                restorable: true, ..
            } if app.restoring() => vec![("Enter", "restore everything"), MORE, BACK, QUIT],
            TreeState::Failed { .. } => waiting,
            TreeState::Loaded(_) if app.tree_typing => vec![
                ("type", "search"),
                ("↑↓", "move"),
                ("Enter", "done"),
                ("Esc", "clear search"),
                CTRL_C,
            ],
            TreeState::Loaded(tree) => {
                let esc = if tree.search_query().is_some() {
                    ("Esc", "clear search")
                } else {
                    BACK
                };
                if app.restoring() {
                    vec![
                        ("↑↓", "move"),
                        ("←→", "close/open"),
                        ("Space", "select"),
                        ("a", "all"),
                        ("Enter", "next"),
                        ("/", "search"),
                        MORE,
                        esc,
                        QUIT,
                    ]
                } else {
                    vec![
                        ("↑↓", "move"),
                        ("←→/Enter", "close/open"),
                        ("/", "search"),
                        MORE,
                        esc,
                        QUIT,
                    ]
                }
            }
        },
        ScreenId::Target => {
            let mut keys = field("continue");
            keys.insert(2, ("Tab", "complete"));
            keys
        }
        ScreenId::Overwrite if app.overwrite_waiting() => waiting,
        ScreenId::Overwrite => list(&app.overwrite_picker, "choose"),
        ScreenId::Confirm => {
            let mut keys = vec![("↑↓", "scroll")];
            if app.can_run() {
                keys.push(("Enter", "run"));
            }
            keys.extend([MORE, BACK, QUIT]);
            keys
        }
        ScreenId::Diff => match &app.diff {
            DiffState::Loaded { picker, .. } if picker.filtering() => vec![
                ("type", "filter"),
                ("↑↓", "move"),
                ("Enter", "keep the filter"),
                ("Esc", "clear filter"),
                CTRL_C,
            ],
            DiffState::Loaded { .. } => vec![("↑↓/jk", "move"), ("/", "filter"), MORE, BACK, QUIT],
            DiffState::Loading | DiffState::Failed(_) => waiting,
        },
    }
}

/// Every key of the current screen, for the list `?` shows.
pub(crate) fn all_keys(app: &App) -> Keys {
    let moving = [
        ("↑ ↓  k j", "move"),
        ("PgUp PgDn", "move by 10"),
        ("Home End  g G", "first / last"),
    ];
    let filter = [
        (
            "/",
            "filter (fzf-style: letters in order; 'exact ^start end$ !not)",
        ),
        (
            "  ← → Ctrl-U Ctrl-W",
            "edit the filter; Enter keeps it, Esc clears it",
        ),
    ];
    let ending = [
        ("?", "these keys"),
        ("Esc", "back (clears a filter or search first)"),
        ("q", "leave without running anything"),
        ("Ctrl-C", "leave, also while typing"),
    ];
    let mut keys: Keys = Vec::new();
    match app.screen() {
        ScreenId::Dashboard => {
            keys.extend(moving);
            keys.extend(filter);
            keys.push(("Enter", "the command menu for this preset"));
            keys.push(("d", "a restore drill of this preset"));
            keys.push(("c", "the command menu (the preset is asked after)"));
        }
        ScreenId::Drill => match &app.drill {
            DrillState::Running { .. } => {
                keys.push(("Ctrl-C", "stop the drill (its directory is removed), leave"));
                keys.push(("?", "these keys"));
                return keys;
            }
            DrillState::Done { .. } => {
                keys.extend(moving);
                keys.extend(filter);
            }
            DrillState::NotStarted | DrillState::Failed(_) => {}
        },
        ScreenId::Command | ScreenId::Preset | ScreenId::Overwrite => {
            keys.extend(moving);
            keys.extend(filter);
            keys.push(("Enter", "choose"));
        }
        ScreenId::Snapshots => match &app.snapshots {
            SnapshotsState::Loaded { .. } => {
                keys.extend(moving);
                keys.extend(filter);
                if app.browsing() {
                    keys.push(("Enter", "look at the snapshot's files"));
                    keys.push(("d", "compare: mark one, then d (or Enter) on the other"));
                } else {
                    keys.push(("Enter", "choose"));
                }
            }
            SnapshotsState::Loading | SnapshotsState::Failed { field: None, .. } => {}
            SnapshotsState::Failed { .. } | SnapshotsState::Empty { .. } => {
                keys.extend(text_keys());
                keys.push(("Enter", "use the typed ID"));
            }
        },
        ScreenId::Tree => {
            keys.extend(moving);
            keys.push(("→ l", "open a directory (or step into it)"));
            keys.push(("← h", "close it (or go to its parent)"));
            if app.restoring() {
                keys.push(("Space", "select or clear the entry and all below it"));
                keys.push(("a", "select all or nothing (in a search: the matches)"));
                keys.push(("Enter", "continue with the selection"));
            } else {
                keys.push(("Enter", "open or close a directory"));
            }
            keys.push(("/", "search names (fzf-style); Enter keeps the search"));
        }
        ScreenId::Target => {
            keys.extend(text_keys());
            keys.push(("Tab", "complete a directory name"));
            keys.push(("Enter", "use this directory (~ is your home)"));
        }
        ScreenId::Confirm => {
            keys.push(("↑ ↓  PgUp PgDn", "scroll"));
            keys.push(("Enter", "run (once the whole command was on screen)"));
        }
        ScreenId::Diff => {
            keys.extend(moving);
            keys.extend(filter);
        }
    }
    keys.extend(ending);
    keys
}

fn text_keys() -> Keys {
    vec![
        ("type", "edit at the cursor"),
        ("← → Home End", "move (Ctrl-A, Ctrl-E too)"),
        ("Backspace Delete", "delete a character"),
        ("Ctrl-U Ctrl-K", "delete to the start / to the end"),
        ("Ctrl-W", "delete the word before"),
    ]
}
