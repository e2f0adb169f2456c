//! The screen state machine: key presses and background results in, a [`Choice`] out.
//!
//! Nothing here touches a terminal or starts a process. Work that takes time (asking
//! restic for snapshots, a listing or its version) leaves the machine as a
//! [`Request`] carrying a ticket; its answer comes back as a [`Msg`] with the same
//! ticket, and an answer whose ticket is no longer awaited (the user went back and
//! chose another preset meanwhile) is dropped.

use crate::protocol::{COMMANDS, Choice, Exit, Msg, OVERWRITE_POLICIES, Preview, Request, Setup};
use crate::restic_version::supports_overwrite;
use crate::snapshots::{Snapshot, filter_snapshots};
use crate::tree::{FileTree, Selection, include_pattern};
use crate::widgets::{
    FieldEvent, Key, PAGE, Picker, PickerEvent, ScreenId, TextField, filter_labels,
};

/// The snapshot screen's states.
#[derive(Debug)]
pub(crate) enum SnapshotsState {
    Loading,
    Loaded {
        snapshots: Vec<Snapshot>,
        picker: Picker,
    },
    /// restic failed: its message and a field for an ID.
    Failed {
        error: String,
        field: TextField,
    },
    /// The repository has no snapshots: a field for an ID.
    Empty {
        field: TextField,
    },
}

/// The tree screen's states.
#[derive(Debug)]
pub(crate) enum TreeState {
    Loading,
    Loaded(FileTree),
    Failed(String),
}

/// Whether this restic can be asked how to treat existing files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OverwriteSupport {
    NotAsked,
    Asking(u64),
    Known(bool),
}

/// The whole interactive session's state.
pub struct App {
    setup: Setup,
    screen: ScreenId,
    /// Visible screens before the current one, for Esc.
    history: Vec<ScreenId>,
    pub(crate) command_picker: Picker,
    pub(crate) preset_picker: Picker,
    command: Option<String>,
    preset: Option<String>,
    /// The preset the snapshot list belongs to, and the ticket it waits for.
    snapshots_for: Option<(Option<String>, u64)>,
    pub(crate) snapshots: SnapshotsState,
    snapshot: Option<String>,
    /// The snapshot the tree belongs to, and the ticket it waits for.
    tree_for: Option<(Option<String>, String, u64)>,
    pub(crate) tree: TreeState,
    includes: Vec<String>,
    pub(crate) target: TextField,
    overwrite_support: OverwriteSupport,
    pub(crate) overwrite_picker: Picker,
    overwrite: Option<String>,
    preview: Option<Result<Preview, String>>,
    /// A one-line remark about the last key (e.g. why Enter did nothing).
    notice: Option<String>,
    requests: Vec<Request>,
    next_ticket: u64,
    exit: Option<Exit>,
    spinner: usize,
}

impl App {
    /// Start at the first screen whose value is not known yet.
    pub fn new(setup: Setup) -> Self {
        let presets = setup.presets.len();
        let mut app = Self {
            command: setup.command.clone(),
            preset: setup.preset.clone().or_else(|| match presets {
                1 => setup.presets.first().cloned(),
                _ => None,
            }),
            target: TextField::default(),
            setup,
            screen: ScreenId::Command,
            history: Vec::new(),
            command_picker: Picker::new(COMMANDS.len()),
            preset_picker: Picker::new(presets),
            snapshots_for: None,
            snapshots: SnapshotsState::Loading,
            snapshot: None,
            tree_for: None,
            tree: TreeState::Loading,
            includes: Vec::new(),
            overwrite_support: OverwriteSupport::NotAsked,
            overwrite_picker: Picker::new(OVERWRITE_POLICIES.len()),
            overwrite: None,
            preview: None,
            notice: None,
            requests: Vec::new(),
            next_ticket: 1,
            exit: None,
            spinner: 0,
        };
        app.snapshot.clone_from(&app.setup.snapshot);
        let first = if app.visible(ScreenId::Command) {
            ScreenId::Command
        } else {
            app.next_visible(ScreenId::Command)
        };
        app.enter(first);
        app
    }

    /// The screen shown now.
    pub fn screen(&self) -> ScreenId {
        self.screen
    }

    /// How the session ended, once it has.
    pub fn exit(&self) -> Option<&Exit> {
        self.exit.as_ref()
    }

    /// Background work to start now (each request is handed out once).
    pub fn take_requests(&mut self) -> Vec<Request> {
        std::mem::take(&mut self.requests)
    }

    /// The remark about the last key, if any.
    pub(crate) fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// The chosen command, once known.
    pub(crate) fn command(&self) -> Option<&str> {
        self.command.as_deref()
    }

    /// The chosen preset, once known.
    pub(crate) fn preset(&self) -> Option<&str> {
        self.preset.as_deref()
    }

    /// Every preset name.
    pub(crate) fn presets(&self) -> &[String] {
        &self.setup.presets
    }

    /// The chosen snapshot ID, once known.
    pub(crate) fn snapshot(&self) -> Option<&str> {
        self.snapshot.as_deref()
    }

    /// Whether the overwrite question is waiting for `restic version`.
    pub(crate) fn overwrite_waiting(&self) -> bool {
        !matches!(self.overwrite_support, OverwriteSupport::Known(_))
    }

    /// The confirmation screen's invocation, or why it could not be resolved.
    pub(crate) fn preview(&self) -> Option<&Result<Preview, String>> {
        self.preview.as_ref()
    }

    /// Whether the current screen shows a spinner (waiting for restic).
    pub fn waiting(&self) -> bool {
        match self.screen {
            ScreenId::Snapshots => matches!(self.snapshots, SnapshotsState::Loading),
            ScreenId::Tree => matches!(self.tree, TreeState::Loading),
            ScreenId::Overwrite => self.overwrite_waiting(),
            _ => false,
        }
    }

    /// Frame number of the loading spinner.
    pub(crate) fn spinner(&self) -> usize {
        self.spinner
    }

    /// Advance the loading spinner (called on a timer).
    pub fn tick(&mut self) {
        self.spinner = self.spinner.wrapping_add(1);
    }

    /// The choice as answered so far.
    pub fn choice(&self) -> Choice {
        let command = self.command.clone().unwrap_or_default();
        let mut args = Vec::new();
        if command == "restore" {
            if self.setup.snapshot.is_none()
                && let Some(snapshot) = &self.snapshot
            {
                args.push(snapshot.clone());
            }
            if self.setup.target.is_none() {
                args.extend(["--target".to_owned(), self.target.text().to_owned()]);
            }
            for include in &self.includes {
                args.extend(["--include".to_owned(), include_pattern(include)]);
            }
            if let Some(policy) = &self.overwrite {
                args.extend(["--overwrite".to_owned(), policy.clone()]);
            }
        }
        Choice {
            command,
            preset: self.preset.clone(),
            args,
        }
    }

    /// Apply one key press.
    pub fn key(&mut self, key: Key) {
        if self.exit.is_some() {
            return;
        }
        if key == Key::Interrupt {
            self.exit = Some(Exit::Cancelled);
            return;
        }
        self.notice = None;
        match self.screen {
            ScreenId::Command => self.command_key(key),
            ScreenId::Preset => self.preset_key(key),
            ScreenId::Snapshots => self.snapshots_key(key),
            ScreenId::Tree => self.tree_key(key),
            ScreenId::Target => match self.target.key(key) {
                FieldEvent::Stay => {}
                FieldEvent::Back => self.back(),
                FieldEvent::Submit if self.target.text().trim().is_empty() => {
                    self.notice = Some("Type the directory to restore into.".into());
                }
                FieldEvent::Submit => self.forward(),
            },
            ScreenId::Overwrite => self.overwrite_key(key),
            ScreenId::Confirm => match key {
                Key::Esc => self.back(),
                Key::Enter => match &self.preview {
                    Some(Ok(_)) => self.exit = Some(Exit::Run(self.choice())),
                    _ => self.notice = Some("Go back (Esc) and fix the choice first.".into()),
                },
                _ => {}
            },
        }
    }

    /// Apply the answer to a background request.
    pub fn message(&mut self, msg: Msg) {
        match msg {
            Msg::Snapshots { ticket, result } => {
                if self.snapshots_for.as_ref().map(|(_, t)| *t) != Some(ticket) {
                    return;
                }
                self.snapshots = match result {
                    Ok(list) if list.is_empty() => SnapshotsState::Empty {
                        field: TextField::default(),
                    },
                    Ok(list) => SnapshotsState::Loaded {
                        picker: Picker::new(list.len()),
                        snapshots: list,
                    },
                    Err(error) => SnapshotsState::Failed {
                        error,
                        field: TextField::default(),
                    },
                };
            }
            Msg::Listing { ticket, result } => {
                if self.tree_for.as_ref().map(|(_, _, t)| *t) != Some(ticket) {
                    return;
                }
                self.tree = match result {
                    Ok(tree) => TreeState::Loaded(tree),
                    Err(error) => TreeState::Failed(error),
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
            PickerEvent::Chosen(index) => {
                let chosen = COMMANDS[index].0.to_owned();
                if self.command.as_deref() != Some(&chosen) {
                    self.overwrite = None;
                }
                self.command = Some(chosen);
                self.forward();
            }
        }
    }

    fn preset_key(&mut self, key: Key) {
        let labels = self.setup.presets.clone();
        let refilter = |filter: &str| filter_labels(&labels, filter);
        match self.preset_picker.key(key, &refilter) {
            PickerEvent::Stay => {}
            PickerEvent::Back => self.back(),
            PickerEvent::Chosen(index) => {
                self.preset = self.setup.presets.get(index).cloned();
                self.forward();
            }
        }
    }

    fn snapshots_key(&mut self, key: Key) {
        let chosen = match &mut self.snapshots {
            SnapshotsState::Loading => {
                if key == Key::Esc {
                    self.back();
                }
                return;
            }
            SnapshotsState::Loaded { snapshots, picker } => {
                let list: &[Snapshot] = snapshots;
                match picker.key(key, &|filter| filter_snapshots(list, filter)) {
                    PickerEvent::Stay => return,
                    PickerEvent::Back => None,
                    PickerEvent::Chosen(index) => Some(list[index].id.clone()),
                }
            }
            SnapshotsState::Failed { field, .. } | SnapshotsState::Empty { field } => {
                match field.key(key) {
                    FieldEvent::Stay => return,
                    FieldEvent::Back => None,
                    FieldEvent::Submit => {
                        let id = field.text().trim();
                        if id.is_empty() || id.contains(char::is_whitespace) {
                            self.notice = Some("Type a snapshot ID (or `latest`).".into());
                            return;
                        }
                        Some(id.to_owned())
                    }
                }
            }
        };
        match chosen {
            None => self.back(),
            Some(id) => {
                if self.snapshot.as_deref() != Some(&id) {
                    self.includes.clear();
                }
                self.snapshot = Some(id);
                self.forward();
            }
        }
    }

    fn tree_key(&mut self, key: Key) {
        let tree = match &mut self.tree {
            TreeState::Loading => {
                if key == Key::Esc {
                    self.back();
                }
                return;
            }
            TreeState::Failed(_) => {
                match key {
                    Key::Esc => self.back(),
                    Key::Enter => {
                        self.includes.clear();
                        self.forward();
                    }
                    _ => {}
                }
                return;
            }
            TreeState::Loaded(tree) => tree,
        };
        match key {
            Key::Up | Key::Char('k') => tree.move_cursor(-1),
            Key::Down | Key::Char('j') => tree.move_cursor(1),
            Key::PageUp => tree.move_cursor(-PAGE),
            Key::PageDown => tree.move_cursor(PAGE),
            Key::Home | Key::Char('g') => tree.cursor_to_end(false),
            Key::End | Key::Char('G') => tree.cursor_to_end(true),
            Key::Right | Key::Char('l') => tree.expand(),
            Key::Left | Key::Char('h') => tree.collapse(),
            Key::Char(' ') => tree.toggle(),
            Key::Char('a') => tree.toggle_all(),
            Key::Esc => self.back(),
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
            _ => {}
        }
    }

    fn overwrite_key(&mut self, key: Key) {
        if self.overwrite_waiting() {
            if key == Key::Esc {
                self.back();
            }
            return;
        }
        let refilter = |filter: &str| {
            let labels: Vec<&str> = OVERWRITE_POLICIES.iter().map(|(name, _)| *name).collect();
            filter_labels(&labels, filter)
        };
        match self.overwrite_picker.key(key, &refilter) {
            PickerEvent::Stay => {}
            PickerEvent::Back => self.back(),
            PickerEvent::Chosen(index) => {
                self.overwrite = Some(OVERWRITE_POLICIES[index].0.to_owned());
                self.forward();
            }
        }
    }

    /// Whether `screen` asks something that is not known yet.
    fn visible(&self, screen: ScreenId) -> bool {
        let restore = self.command.as_deref() == Some("restore");
        match screen {
            ScreenId::Command => self.setup.command.is_none(),
            ScreenId::Preset => self.setup.preset.is_none() && self.setup.presets.len() > 1,
            ScreenId::Snapshots => restore && self.setup.snapshot.is_none(),
            ScreenId::Tree => restore,
            ScreenId::Target => restore && self.setup.target.is_none(),
            ScreenId::Overwrite => {
                restore && self.overwrite_support != OverwriteSupport::Known(false)
            }
            ScreenId::Confirm => true,
        }
    }

    fn next_visible(&self, after: ScreenId) -> ScreenId {
        ScreenId::ORDER
            .iter()
            .skip_while(|&&screen| screen != after)
            .skip(1)
            .copied()
            .find(|&screen| self.visible(screen))
            .unwrap_or(ScreenId::Confirm)
    }

    fn forward(&mut self) {
        let next = self.next_visible(self.screen);
        self.history.push(self.screen);
        self.enter(next);
    }

    fn back(&mut self) {
        match self.history.pop() {
            Some(previous) => {
                self.screen = previous;
                self.preview = None;
            }
            None => self.exit = Some(Exit::Cancelled),
        }
    }

    /// Show `screen`, starting the background work it needs.
    fn enter(&mut self, screen: ScreenId) {
        self.screen = screen;
        let restore = self.command.as_deref() == Some("restore");
        if restore && self.overwrite_support == OverwriteSupport::NotAsked {
            // Asked early so the answer is in long before the overwrite question.
            let ticket = self.ticket();
            self.overwrite_support = OverwriteSupport::Asking(ticket);
            self.requests.push(Request::ResticVersion { ticket });
        }
        match screen {
            ScreenId::Preset => {
                if let Some(index) = self
                    .preset
                    .as_ref()
                    .and_then(|preset| self.setup.presets.iter().position(|name| name == preset))
                {
                    self.preset_picker.select(index);
                }
            }
            ScreenId::Snapshots => {
                let wanted = self.preset.clone();
                if self.snapshots_for.as_ref().map(|(preset, _)| preset) != Some(&wanted) {
                    let ticket = self.ticket();
                    self.snapshots_for = Some((wanted.clone(), ticket));
                    self.snapshots = SnapshotsState::Loading;
                    self.requests.push(Request::Snapshots {
                        ticket,
                        preset: wanted,
                    });
                }
            }
            ScreenId::Tree => {
                let snapshot = self.snapshot.clone().unwrap_or_default();
                let current = self.tree_for.as_ref().map(|(preset, id, _)| (preset, id));
                if current != Some((&self.preset, &snapshot)) {
                    let ticket = self.ticket();
                    self.tree_for = Some((self.preset.clone(), snapshot.clone(), ticket));
                    self.tree = TreeState::Loading;
                    self.includes.clear();
                    self.requests.push(Request::Listing {
                        ticket,
                        preset: self.preset.clone(),
                        snapshot,
                    });
                }
            }
            ScreenId::Confirm => {
                self.preview = Some((self.setup.preview)(&self.choice()));
            }
            ScreenId::Command | ScreenId::Target | ScreenId::Overwrite => {}
        }
    }

    fn ticket(&mut self) -> u64 {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        ticket
    }
}

#[cfg(test)]
#[path = "app_tests.rs"]
pub(crate) mod tests;
