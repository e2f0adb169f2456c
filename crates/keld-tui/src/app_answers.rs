//! What the answers to background requests do to the screens.

use super::{App, DiffState, DrillState, OverwriteSupport, PlanState, SnapshotsState, TreeState};
use crate::dashboard::{Records, Status, recorded_combinations, statuses};
use crate::field::TextField;
use crate::protocol::Msg;
use crate::restic_version::supports_overwrite;
use crate::widgets::{Picker, ScreenId};

/// restic's words for a password that opens no key: nothing in the repository can
/// be read with it, so no restore is offered.
pub(crate) fn wrong_password(error: &str) -> bool {
    error.contains("wrong password")
}

/// restic's words (0.14 to 0.18) for an ID that names no snapshot.
pub(crate) fn no_such_snapshot(error: &str) -> bool {
    error.contains("no matching ID") || error.contains("no snapshot")
}

impl App {
    /// Apply the answer to a background request.
    pub fn message(&mut self, msg: Msg) {
        match msg {
            Msg::Snapshots { ticket, result } => {
                if self.snapshots_for.as_ref().map(|(_, t)| *t) != Some(ticket) {
                    return;
                }
                self.compare_from = None;
                self.snapshots = match result {
                    Ok(list) if list.is_empty() => SnapshotsState::Empty {
                        field: TextField::default(),
                    },
                    Ok(list) => SnapshotsState::Loaded {
                        picker: Picker::new(list.len()),
                        snapshots: list,
                    },
                    Err(error) => SnapshotsState::Failed {
                        field: (!wrong_password(&error)).then(TextField::default),
                        error,
                    },
                };
            }
            Msg::Listing { ticket, result } => {
                let Some((_, id, _)) = self.tree_for.as_ref().filter(|(_, _, t)| *t == ticket)
                else {
                    return;
                };
                self.tree = match result {
                    Ok(tree) if tree.found_snapshot() || !tree.is_empty() => {
                        TreeState::Loaded(tree)
                    }
                    Ok(_) => TreeState::Failed {
                        error: format!("restic listed nothing: no snapshot matched {id:?}."),
                        restorable: false,
                    },
                    Err(error) => TreeState::Failed {
                        restorable: !wrong_password(&error) && !no_such_snapshot(&error),
                        error,
                    },
                };
            }
            Msg::ResticVersion { ticket, result } => {
                if self.overwrite_support != OverwriteSupport::Asking(ticket) {
                    return;
                }
                // A restic that cannot say its version gets restic's default.
                let supported = result.is_ok_and(|output| supports_overwrite(&output));
                self.overwrite_support = OverwriteSupport::Known(supported);
                if self.screen == ScreenId::Overwrite && !supported {
                    // The question was never shown, so it is not a step to go back to.
                    let next = self.next_visible(ScreenId::Overwrite);
                    self.enter(next);
                }
            }
            Msg::Diff { ticket, result } => {
                if self.diff_for.as_ref().map(|(_, _, t)| *t) != Some(ticket) {
                    return;
                }
                self.diff = match result {
                    Ok(diff) => DiffState::Loaded {
                        picker: Picker::new(diff.changes.len()),
                        diff,
                    },
                    Err(error) => DiffState::Failed(error),
                };
            }
            Msg::ForgetPlan { ticket, result } => {
                if !matches!(self.plan, PlanState::Loading(t) if t == ticket) {
                    return;
                }
                self.plan = match result {
                    Ok(plan) => PlanState::Loaded(plan),
                    Err(error) => PlanState::Failed(error),
                };
            }
            Msg::Records { ticket, result } => {
                if self.records_ticket != Some(ticket) {
                    return;
                }
                self.records_ticket = None;
                match &result {
                    Ok(records) => self.show_records(records),
                    Err(_) => self.statuses = vec![Status::default(); self.dashboard_presets.len()],
                }
                self.records = Some(result);
            }
            Msg::DrillProgress { ticket, progress } => {
                if let DrillState::Running {
                    ticket: awaited,
                    progress: shown,
                } = &mut self.drill
                    && *awaited == ticket
                {
                    *shown = Some(progress);
                }
            }
            Msg::Drill { ticket, result } => {
                if !matches!(self.drill, DrillState::Running { ticket: t, .. } if t == ticket) {
                    return;
                }
                self.drill = match result {
                    Ok(outcome) => DrillState::Done {
                        picker: Picker::new(outcome.files.len()),
                        outcome: Box::new(outcome),
                    },
                    Err(error) => DrillState::Failed(error),
                };
            }
        }
    }

    /// The dashboard's statuses from `records`; with prefix halves standing in for
    /// their combinations, the combinations the records name are listed too.
    fn show_records(&mut self, records: &Records) {
        let prefixes: Vec<&str> = self
            .setup
            .presets
            .iter()
            .filter(|entry| entry.combines)
            .map(|entry| entry.name.as_str())
            .collect();
        let more = recorded_combinations(records, &prefixes, &self.dashboard_presets);
        if !more.is_empty() {
            let current = self.dashboard_picker.current();
            self.dashboard_presets.extend(more);
            self.dashboard_picker = Picker::new(self.dashboard_presets.len());
            if let Some(index) = current {
                self.dashboard_picker.select(index);
            }
        }
        self.statuses = statuses(records, &self.dashboard_presets);
    }
}
