//! What each key does on each screen.
//!
//! Keys no screen takes fall through to [`App::common_key`]: `?` shows the keys of
//! the current screen, `q` leaves. Where text is typed (a field, a filter, a search)
//! every printable key is text, so `q` and `?` are typed there.

use super::{App, DiffState, DrillState, PlanState, SnapshotsState, TreeState};
use crate::field::{FieldEvent, TextField, complete_path};
use crate::fuzzy::filter_labels;
use crate::key::Key;
use crate::protocol::{COMMANDS, Exit, OVERWRITE_POLICIES};
use crate::snapshots::filter_snapshots;
use crate::tree::Selection;
use crate::widgets::{PAGE, PickerEvent, ScreenId};

impl App {
    /// Apply one key press.
    pub fn key(&mut self, key: Key) {
        if self.exit.is_some() {
            return;
        }
        if key == Key::Interrupt {
            self.exit = Some(Exit::Cancelled);
            return;
        }
        if self.help {
            // Any key closes the list of keys.
            self.help = false;
            return;
        }
        self.notice = None;
        match self.screen {
            ScreenId::Dashboard => self.dashboard_key(key),
            ScreenId::Drill => self.drill_key(key),
            ScreenId::Command => self.command_key(key),
            ScreenId::Preset => self.preset_key(key),
            ScreenId::Snapshots => self.snapshots_key(key),
            ScreenId::Tree => self.tree_key(key),
            ScreenId::Target => self.target_key(key),
            ScreenId::Overwrite => self.overwrite_key(key),
            ScreenId::Confirm => self.confirm_key(key),
            ScreenId::Diff => self.diff_key(key),
        }
    }

    /// Keys every screen shares, when it has no use of its own for them.
    fn common_key(&mut self, key: Key) {
        match key {
            Key::Char('?') => self.help = true,
            Key::Char('q') => self.exit = Some(Exit::Cancelled),
            Key::Esc => self.back(),
            _ => {}
        }
    }

    fn dashboard_key(&mut self, key: Key) {
        let labels: Vec<&str> = self.dashboard_presets.iter().map(String::as_str).collect();
        let event = self
            .dashboard_picker
            .key(key, &|filter| filter_labels(&labels, filter));
        match event {
            PickerEvent::Stay => {}
            PickerEvent::Back => self.back(),
            PickerEvent::Chosen(index) => self.leave_dashboard(Some(index), None),
            PickerEvent::Other(Key::Char('c')) => self.leave_dashboard(None, None),
            PickerEvent::Other(Key::Char('d')) => match self.dashboard_picker.current() {
                Some(index) => self.leave_dashboard(Some(index), Some("drill")),
                None => self.notice = Some("No preset here to drill.".into()),
            },
            PickerEvent::Other(key) => self.common_key(key),
        }
    }

    fn drill_key(&mut self, key: Key) {
        let event = match &mut self.drill {
            DrillState::Running { .. } => {
                if matches!(key, Key::Esc | Key::Char('q')) {
                    self.notice = Some(
                        "The drill is running: wait for its verdicts, or Ctrl-C stops it (its \
                         directory is removed) and leaves."
                            .into(),
                    );
                } else {
                    self.common_key(key);
                }
                return;
            }
            DrillState::NotStarted | DrillState::Failed(_) => {
                self.common_key(key);
                return;
            }
            DrillState::Done { outcome, picker } => {
                let lines: Vec<&str> = outcome
                    .files
                    .iter()
                    .map(|(_, line)| line.as_str())
                    .collect();
                picker.key(key, &|filter| filter_labels(&lines, filter))
            }
        };
        match event {
            PickerEvent::Stay | PickerEvent::Chosen(_) => {}
            PickerEvent::Back => self.back(),
            PickerEvent::Other(key) => self.common_key(key),
        }
    }

    fn command_key(&mut self, key: Key) {
        let refilter = |filter: &str| {
            let labels: Vec<&str> = COMMANDS.iter().map(|(name, _)| *name).collect();
            filter_labels(&labels, filter)
        };
        match self.command_picker.key(key, &refilter) {
            PickerEvent::Stay => {}
            PickerEvent::Back => self.back(),
            PickerEvent::Other(key) => self.common_key(key),
            PickerEvent::Chosen(index) => {
                let chosen = COMMANDS[index].0.to_owned();
                if self.command.as_deref() != Some(&chosen) {
                    self.overwrite = None;
                }
                self.command = Some(chosen);
                self.offer_presets();
                self.forward();
            }
        }
    }

    fn preset_key(&mut self, key: Key) {
        let labels: Vec<String> = self
            .offered_presets()
            .map(|preset| match &preset.repository {
                Some(repository) => format!("{} {repository}", preset.name),
                None => preset.name.clone(),
            })
            .collect();
        let refilter = |filter: &str| filter_labels(&labels, filter);
        match self.preset_picker.key(key, &refilter) {
            PickerEvent::Stay => {}
            PickerEvent::Back if self.expanded_prefix().is_some() => self.offer_presets(),
            PickerEvent::Back => self.back(),
            PickerEvent::Other(key) => self.common_key(key),
            PickerEvent::Chosen(index) => {
                let Some(entry) = self.offered.get(index).map(|&i| &self.setup.presets[i]) else {
                    return;
                };
                if entry.combines {
                    let prefix = entry.name.clone();
                    self.expand_prefix(&prefix);
                    return;
                }
                self.preset = Some(entry.name.clone());
                self.forward();
            }
        }
    }

    fn snapshots_key(&mut self, key: Key) {
        let browsing = self.browsing();
        let chosen = match &mut self.snapshots {
            SnapshotsState::Loading | SnapshotsState::Failed { field: None, .. } => {
                self.common_key(key);
                return;
            }
            SnapshotsState::Loaded { snapshots, picker } => {
                let list: &[_] = snapshots;
                match picker.key(key, &|filter| filter_snapshots(list, filter)) {
                    PickerEvent::Stay => return,
                    PickerEvent::Back if self.compare_from.is_some() => {
                        self.compare_from = None;
                        return;
                    }
                    PickerEvent::Back => None,
                    PickerEvent::Other(Key::Char('d')) if browsing => {
                        let Some(index) = picker.current() else {
                            return;
                        };
                        self.mark_for_comparison(index);
                        return;
                    }
                    PickerEvent::Other(key) => {
                        self.common_key(key);
                        return;
                    }
                    PickerEvent::Chosen(index) if browsing && self.compare_from.is_some() => {
                        self.mark_for_comparison(index);
                        return;
                    }
                    PickerEvent::Chosen(index) => Some(list[index].snapshot.id.clone()),
                }
            }
            SnapshotsState::Failed {
                field: Some(field), ..
            }
            | SnapshotsState::Empty { field } => match field.key(key) {
                FieldEvent::Stay | FieldEvent::Complete => return,
                FieldEvent::Back => None,
                FieldEvent::Submit => {
                    let id = field.text().trim();
                    if id.is_empty() {
                        self.notice = Some("Type a snapshot ID (or `latest`).".into());
                        return;
                    }
                    if id.contains(char::is_whitespace) {
                        self.notice = Some(format!(
                            "A snapshot ID has no spaces: {id:?} is not one. Type its hex digits \
                             (8 are enough) or `latest`."
                        ));
                        return;
                    }
                    Some(id.to_owned())
                }
            },
        };
        match chosen {
            None => self.back(),
            Some(id) => {
                if self.snapshot.as_deref() != Some(&id) {
                    self.includes.clear();
                }
                self.snapshot = Some(id);
                if browsing {
                    self.go(ScreenId::Tree);
                } else {
                    self.forward();
                }
            }
        }
    }

    /// `d` (or Enter once one is marked) in the list: mark the first snapshot of a
    /// comparison, unmark it, or compare the marked one with this one.
    fn mark_for_comparison(&mut self, index: usize) {
        let SnapshotsState::Loaded { snapshots, .. } = &self.snapshots else {
            return;
        };
        match self.compare_from {
            None => {
                self.compare_from = Some(index);
                self.notice = Some(format!(
                    "Comparing {} with …: choose the other snapshot (Enter or d).",
                    snapshots[index].snapshot.short()
                ));
            }
            Some(marked) if marked == index => self.compare_from = None,
            Some(marked) => {
                // Oldest first, so `+` means added since.
                let (older, newer) = if snapshots[marked].instant <= snapshots[index].instant {
                    (marked, index)
                } else {
                    (index, marked)
                };
                let (from, to) = (
                    snapshots[older].snapshot.id.clone(),
                    snapshots[newer].snapshot.id.clone(),
                );
                self.compare_from = None;
                self.compare(from, to);
            }
        }
    }

    fn tree_key(&mut self, key: Key) {
        let restoring = self.restoring();
        let tree = match &mut self.tree {
            TreeState::Loading => {
                self.common_key(key);
                return;
            }
            TreeState::Failed { restorable, error } => {
                match key {
                    Key::Enter if *restorable && restoring => {
                        self.includes.clear();
                        self.forward();
                    }
                    Key::Enter if restoring && super::answers::wrong_password(error) => {
                        self.notice =
                            Some("The password opens no key: fix it in the config first.".into());
                    }
                    Key::Enter if restoring => {
                        self.notice =
                            Some("restic found no such snapshot: Esc, then choose one.".into());
                    }
                    _ => self.common_key(key),
                }
                return;
            }
            TreeState::Loaded(tree) => tree,
        };
        if self.tree_typing {
            match key {
                Key::Up | Key::Ctrl('p') => tree.move_cursor(-1),
                Key::Down | Key::Ctrl('n') => tree.move_cursor(1),
                _ => match self.tree_query.key(key) {
                    FieldEvent::Submit => self.tree_typing = false,
                    FieldEvent::Back => {
                        self.tree_typing = false;
                        self.tree_query = TextField::default();
                        tree.end_search();
                    }
                    FieldEvent::Complete => {}
                    FieldEvent::Stay => tree.search(self.tree_query.text()),
                },
            }
            return;
        }
        match key {
            Key::Up | Key::Char('k') => tree.move_cursor(-1),
            Key::Down | Key::Char('j') => tree.move_cursor(1),
            Key::PageUp => tree.move_cursor(-PAGE),
            Key::PageDown => tree.move_cursor(PAGE),
            Key::Home | Key::Char('g') => tree.cursor_to_end(false),
            Key::End | Key::Char('G') => tree.cursor_to_end(true),
            Key::Right | Key::Char('l') => tree.expand(),
            Key::Left | Key::Char('h') => tree.collapse(),
            Key::Char('/') => {
                self.tree_typing = true;
                tree.search(self.tree_query.text());
            }
            Key::Esc if tree.search_query().is_some() => {
                self.tree_query = TextField::default();
                tree.end_search();
            }
            Key::Char(' ') if restoring => tree.toggle(),
            Key::Char('a') if restoring && tree.search_query().is_some() => {
                tree.toggle_matches();
            }
            Key::Char('a') if restoring => tree.toggle_all(),
            Key::Enter if !restoring => tree.expand_or_collapse(),
            Key::Enter => match tree.selection() {
                Selection::Nothing => {
                    self.notice =
                        Some("Nothing selected: Space selects an entry, a selects all.".into());
                }
                Selection::Everything => {
                    self.includes.clear();
                    self.forward();
                }
                Selection::Paths(paths) => {
                    self.includes = paths;
                    self.forward();
                }
            },
            other => self.common_key(other),
        }
    }

    fn target_key(&mut self, key: Key) {
        match self.target.key(key) {
            FieldEvent::Stay => self.completions.clear(),
            FieldEvent::Back => {
                self.completions.clear();
                self.back();
            }
            FieldEvent::Complete => {
                let completion = complete_path(
                    self.target.text(),
                    self.setup.home.as_deref(),
                    &self.setup.cwd,
                );
                if completion.text == self.target.text() && completion.candidates.is_empty() {
                    self.notice = Some("No directory starts with that.".into());
                }
                self.target.set(&completion.text);
                self.completions = completion.candidates;
            }
            FieldEvent::Submit if self.target.text().trim().is_empty() => {
                self.notice = Some("Type the directory to restore into.".into());
            }
            FieldEvent::Submit => {
                self.completions.clear();
                self.forward();
            }
        }
    }

    fn overwrite_key(&mut self, key: Key) {
        if self.overwrite_waiting() {
            self.common_key(key);
            return;
        }
        let refilter = |filter: &str| {
            let labels: Vec<&str> = OVERWRITE_POLICIES.iter().map(|(name, _)| *name).collect();
            filter_labels(&labels, filter)
        };
        match self.overwrite_picker.key(key, &refilter) {
            PickerEvent::Stay => {}
            PickerEvent::Back => self.back(),
            PickerEvent::Other(key) => self.common_key(key),
            PickerEvent::Chosen(index) => {
                self.overwrite = Some(OVERWRITE_POLICIES[index].0.to_owned());
                self.forward();
            }
        }
    }

    fn confirm_key(&mut self, key: Key) {
        let scroll = |app: &mut Self, delta: isize| {
            let lines = app.confirm_scroll.get().saturating_add_signed(delta);
            app.confirm_scroll.set(lines);
        };
        match key {
            Key::Up | Key::Char('k') => scroll(self, -1),
            Key::Down | Key::Char('j') => scroll(self, 1),
            Key::PageUp => scroll(self, -PAGE),
            Key::PageDown => scroll(self, PAGE),
            Key::Home | Key::Char('g') => self.confirm_scroll.set(0),
            Key::End | Key::Char('G') => self.confirm_scroll.set(usize::MAX / 2),
            Key::Enter => match &self.preview {
                Some(Ok(_)) if !self.confirm_seen.get() => {
                    self.notice =
                        Some("Read it all first: ↓ shows the rest of the command.".into());
                }
                Some(Ok(_)) if matches!(self.plan, PlanState::Loading(_)) => {
                    self.notice = Some("Waiting for restic's dry run of the policy.".into());
                }
                Some(Ok(_)) if self.over_live_files() && !self.armed => {
                    self.armed = true;
                    self.notice = Some(
                        "This writes over the live files in /: Enter again to do it, Esc not to."
                            .into(),
                    );
                }
                Some(Ok(_)) => self.exit = Some(Exit::Run(self.choice())),
                _ => self.notice = Some("Go back (Esc) and fix the choice first.".into()),
            },
            other => self.common_key(other),
        }
    }

    fn diff_key(&mut self, key: Key) {
        let DiffState::Loaded { diff, picker } = &mut self.diff else {
            self.common_key(key);
            return;
        };
        let paths: Vec<&str> = diff.changes.iter().map(|(path, _)| path.as_str()).collect();
        match picker.key(key, &|filter| filter_labels(&paths, filter)) {
            PickerEvent::Stay | PickerEvent::Chosen(_) => {}
            PickerEvent::Back => self.back(),
            PickerEvent::Other(key) => self.common_key(key),
        }
    }
}
