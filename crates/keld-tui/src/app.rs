//! The screen state machine: key presses and background results in, a [`Choice`] out.
//!
//! Nothing here touches a terminal or starts a process. Work that takes time (asking
//! restic for snapshots, a listing, a comparison, a dry run or its version) leaves
//! the machine as a [`Request`] carrying a ticket; its answer comes back as a
//! [`Msg`] with the same ticket, and an answer whose ticket is no longer awaited
//! (the user went back and chose another preset meanwhile) is dropped.
//!
//! The keys of each screen are in `app_keys.rs`, the answers' effects in
//! `app_answers.rs`.

use std::cell::Cell;
use std::path::Path;

use keld_hooks::DrillProgress;

use crate::dashboard::{Records, Status};
use crate::diff::Diff;
use crate::drill_outcome::DrillOutcome;
use crate::field::{TextField, expand_tilde};
use crate::forget::ForgetPlan;
use crate::protocol::{
    COMMANDS, Choice, Exit, OVERWRITE_POLICIES, PresetEntry, Preview, REPOSITORY_WIDE, Request,
    Setup,
};
use crate::snapshots::ListedSnapshot;
use crate::tree::{FileTree, include_pattern};
use crate::widgets::{Picker, ScreenId};

#[path = "app_answers.rs"]
mod answers;
#[path = "app_keys.rs"]
mod keys;

/// The snapshot screen's states.
#[derive(Debug)]
pub(crate) enum SnapshotsState {
    Loading,
    Loaded {
        snapshots: Vec<ListedSnapshot>,
        picker: Picker,
    },
    /// restic failed: its message, and a field for an ID unless the failure means
    /// nothing from this repository can be read (a wrong password).
    Failed {
        error: String,
        field: Option<TextField>,
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
    /// restic could not list the snapshot; with `restorable`, Enter restores the
    /// whole snapshot anyway (a restore may still work: restic will ask for a
    /// missing password on the terminal).
    Failed {
        error: String,
        restorable: bool,
    },
}

/// The comparison screen's states.
#[derive(Debug)]
pub(crate) enum DiffState {
    Loading,
    Loaded { diff: Diff, picker: Picker },
    Failed(String),
}

/// `restic forget --dry-run` on the confirmation screen.
#[derive(Debug)]
pub(crate) enum PlanState {
    /// Not a forget.
    None,
    Loading(u64),
    Loaded(ForgetPlan),
    Failed(String),
}

/// The drill screen's states.
#[derive(Debug)]
pub(crate) enum DrillState {
    NotStarted,
    /// Waiting for the drill: where it is, once it says.
    Running {
        ticket: u64,
        progress: Option<DrillProgress>,
    },
    /// Its verdicts, one line per file, in a list.
    Done {
        outcome: Box<DrillOutcome>,
        picker: Picker,
    },
    /// It could not start.
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
    /// The presets the dashboard lists, in order.
    pub(crate) dashboard_presets: Vec<String>,
    /// What the run records say about each of them (all unknown until read).
    pub(crate) statuses: Vec<Status>,
    /// The run records as last read; `None` until the first answer.
    pub(crate) records: Option<Result<Records, String>>,
    /// The ticket of the records asked for and not answered yet.
    records_ticket: Option<u64>,
    pub(crate) dashboard_picker: Picker,
    /// The preset was chosen on the dashboard: the preset picker is not shown.
    preset_from_dashboard: bool,
    pub(crate) drill: DrillState,
    pub(crate) command_picker: Picker,
    pub(crate) preset_picker: Picker,
    /// Indexes into `setup.presets` of the presets offered for the command.
    offered: Vec<usize>,
    /// The prefix half whose combinations the preset picker lists now, if any.
    expanded: Option<String>,
    command: Option<String>,
    preset: Option<String>,
    /// The preset the snapshot list belongs to, and the ticket it waits for.
    snapshots_for: Option<(Option<String>, u64)>,
    pub(crate) snapshots: SnapshotsState,
    snapshot: Option<String>,
    /// The snapshot (index into the list) chosen first for a comparison.
    pub(crate) compare_from: Option<usize>,
    /// The snapshot the tree belongs to, and the ticket it waits for.
    tree_for: Option<(Option<String>, String, u64)>,
    pub(crate) tree: TreeState,
    /// Keys type into the tree's search.
    pub(crate) tree_typing: bool,
    pub(crate) tree_query: TextField,
    includes: Vec<String>,
    pub(crate) target: TextField,
    /// Directories Tab offered for the target.
    pub(crate) completions: Vec<String>,
    overwrite_support: OverwriteSupport,
    pub(crate) overwrite_picker: Picker,
    overwrite: Option<String>,
    preview: Option<Result<Preview, String>>,
    pub(crate) plan: PlanState,
    /// Lines the confirmation is scrolled down by (the view keeps it in range).
    pub(crate) confirm_scroll: Cell<usize>,
    /// Set by the view: whether the confirmation's last line is on the screen.
    pub(crate) confirm_seen: Cell<bool>,
    /// Enter was pressed once on a restore over the live files.
    armed: bool,
    diff_for: Option<(String, String, u64)>,
    pub(crate) diff: DiffState,
    /// The keys of the current screen are shown over it.
    pub(crate) help: bool,
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
        let dashboard_presets: Vec<String> = setup
            .presets
            .iter()
            .filter(|entry| !entry.repository_only && !entry.combines)
            .map(|entry| entry.name.clone())
            .collect();
        let mut app = Self {
            command: setup.command.clone(),
            preset: setup.preset.clone(),
            target: TextField::default(),
            snapshot: setup.snapshot.clone(),
            setup,
            screen: ScreenId::Command,
            history: Vec::new(),
            statuses: vec![Status::default(); dashboard_presets.len()],
            dashboard_picker: Picker::new(dashboard_presets.len()),
            dashboard_presets,
            records: None,
            records_ticket: None,
            preset_from_dashboard: false,
            drill: DrillState::NotStarted,
            command_picker: Picker::new(COMMANDS.len()),
            preset_picker: Picker::new(0),
            offered: Vec::new(),
            expanded: None,
            snapshots_for: None,
            snapshots: SnapshotsState::Loading,
            compare_from: None,
            tree_for: None,
            tree: TreeState::Loading,
            tree_typing: false,
            tree_query: TextField::default(),
            includes: Vec::new(),
            completions: Vec::new(),
            overwrite_support: OverwriteSupport::NotAsked,
            overwrite_picker: Picker::new(OVERWRITE_POLICIES.len()),
            overwrite: None,
            preview: None,
            plan: PlanState::None,
            confirm_scroll: Cell::new(0),
            confirm_seen: Cell::new(true),
            armed: false,
            diff_for: None,
            diff: DiffState::Loading,
            help: false,
            notice: None,
            requests: Vec::new(),
            next_ticket: 1,
            exit: None,
            spinner: 0,
        };
        app.offer_presets();
        let first = ScreenId::ORDER
            .iter()
            .copied()
            .find(|&screen| app.visible(screen))
            .unwrap_or(ScreenId::Confirm);
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

    /// The preset chosen on the dashboard, if the choice goes on with one.
    pub(crate) fn dashboard_preset(&self) -> Option<&str> {
        self.preset
            .as_deref()
            .filter(|_| self.preset_from_dashboard)
    }

    /// The presets the preset picker offers, in order.
    pub(crate) fn offered_presets(&self) -> impl ExactSizeIterator<Item = &PresetEntry> {
        self.offered.iter().map(|&i| &self.setup.presets[i])
    }

    /// The chosen snapshot ID, once known.
    pub(crate) fn snapshot(&self) -> Option<&str> {
        self.snapshot.as_deref()
    }

    /// The two snapshots being compared.
    pub(crate) fn compared(&self) -> Option<(&str, &str)> {
        self.diff_for
            .as_ref()
            .map(|(from, to, _)| (from.as_str(), to.as_str()))
    }

    /// Whether the menu's `snapshots` was chosen: the list, a snapshot's files and
    /// comparisons stay in the session, and nothing is run.
    pub(crate) fn browsing(&self) -> bool {
        self.setup.command.is_none() && self.command.as_deref() == Some("snapshots")
    }

    /// Whether the choice restores.
    pub(crate) fn restoring(&self) -> bool {
        self.command.as_deref() == Some("restore")
    }

    /// Whether the choice is a drill: it runs in the session, nothing is confirmed.
    pub(crate) fn drilling(&self) -> bool {
        self.command.as_deref() == Some("drill")
    }

    /// Whether the overwrite question is waiting for `restic version`.
    pub(crate) fn overwrite_waiting(&self) -> bool {
        !matches!(self.overwrite_support, OverwriteSupport::Known(_))
    }

    /// The confirmation screen's invocation, or why it could not be resolved.
    pub(crate) fn preview(&self) -> Option<&Result<Preview, String>> {
        self.preview.as_ref()
    }

    /// The restore target as restic gets it (`~` expanded).
    pub(crate) fn target_path(&self) -> Option<String> {
        let typed = match &self.setup.target {
            Some(configured) => configured.clone(),
            None => expand_tilde(self.target.text().trim(), self.setup.home.as_deref()),
        };
        (!typed.is_empty()).then_some(typed)
    }

    /// Whether the restore writes into `/`, over the files of the running system.
    pub(crate) fn over_live_files(&self) -> bool {
        self.restoring()
            && self.target_path().is_some_and(|target| {
                Path::new(&target)
                    .components()
                    .eq(Path::new("/").components())
            })
    }

    /// Whether Enter on the confirmation would run the command now.
    pub(crate) fn can_run(&self) -> bool {
        matches!(self.preview, Some(Ok(_)))
            && self.confirm_seen.get()
            && !matches!(self.plan, PlanState::Loading(_))
    }

    /// Whether the current screen shows a spinner (waiting for restic).
    pub fn waiting(&self) -> bool {
        match self.screen {
            ScreenId::Snapshots => matches!(self.snapshots, SnapshotsState::Loading),
            ScreenId::Tree => matches!(self.tree, TreeState::Loading),
            ScreenId::Overwrite => self.overwrite_waiting(),
            ScreenId::Diff => matches!(self.diff, DiffState::Loading),
            ScreenId::Confirm => matches!(self.plan, PlanState::Loading(_)),
            ScreenId::Dashboard => self.records.is_none(),
            ScreenId::Drill => matches!(self.drill, DrillState::Running { .. }),
            ScreenId::Command | ScreenId::Preset | ScreenId::Target => false,
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
                args.extend([
                    "--target".to_owned(),
                    self.target_path().unwrap_or_default(),
                ]);
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

    /// The presets the picker offers for the command chosen now; with one, it is
    /// the preset (the picker is not shown).
    fn offer_presets(&mut self) {
        self.expanded = None;
        let whole = self
            .command
            .as_deref()
            .is_some_and(|command| REPOSITORY_WIDE.contains(&command));
        let expansions = self
            .setup
            .presets
            .iter()
            .position(|entry| entry.expanded_from.is_some())
            .unwrap_or(self.setup.presets.len());
        self.offered = (0..expansions)
            .filter(|&i| whole || !self.setup.presets[i].repository_only)
            .collect();
        self.preset_picker = Picker::new(self.offered.len());
        if let Some(index) = self.preset.as_ref().and_then(|preset| {
            self.offered
                .iter()
                .position(|&i| &self.setup.presets[i].name == preset)
        }) {
            self.preset_picker.select(index);
        }
        if self.setup.preset.is_none()
            && let [only] = self.offered[..]
        {
            self.preset = Some(self.setup.presets[only].name.clone());
        }
    }

    /// List the combinations of prefix half `prefix` (`home@` with every suffix half)
    /// in the preset picker; Esc returns to the full list.
    pub(crate) fn expand_prefix(&mut self, prefix: &str) {
        let base = self
            .setup
            .presets
            .iter()
            .position(|entry| entry.expanded_from.is_some())
            .unwrap_or(self.setup.presets.len());
        self.setup.presets.truncate(base);
        let combinations: Vec<PresetEntry> = self.setup.presets[..base]
            .iter()
            .filter(|entry| entry.repository_only)
            .map(|suffix| PresetEntry {
                name: format!("{prefix}{}", &suffix.name[1..]),
                repository: suffix.repository.clone(),
                repository_only: false,
                combines: false,
                expanded_from: Some(prefix.to_owned()),
            })
            .collect();
        self.setup.presets.extend(combinations);
        self.offered = (base..self.setup.presets.len()).collect();
        self.expanded = Some(prefix.to_owned());
        self.preset_picker = Picker::new(self.offered.len());
    }

    /// The prefix half whose combinations the preset picker lists, if any.
    pub(crate) fn expanded_prefix(&self) -> Option<&str> {
        self.expanded.as_deref()
    }

    /// Whether `screen` asks something that is not known yet.
    fn visible(&self, screen: ScreenId) -> bool {
        let restore = self.restoring();
        match screen {
            ScreenId::Dashboard => self.setup.dashboard,
            ScreenId::Command => self.setup.command.is_none(),
            ScreenId::Preset => {
                self.setup.preset.is_none() && !self.preset_from_dashboard && self.offered.len() > 1
            }
            ScreenId::Drill => self.drilling(),
            ScreenId::Snapshots => (restore && self.setup.snapshot.is_none()) || self.browsing(),
            ScreenId::Tree => restore,
            ScreenId::Target => restore && self.setup.target.is_none(),
            ScreenId::Overwrite => {
                restore && self.overwrite_support != OverwriteSupport::Known(false)
            }
            ScreenId::Confirm => !self.browsing() && !self.drilling(),
            // Reached only from the snapshot list.
            ScreenId::Diff => false,
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

    /// On to the next screen the choice needs.
    fn forward(&mut self) {
        let next = self.next_visible(self.screen);
        self.go(next);
    }

    /// To `screen`, with the current one to come back to.
    fn go(&mut self, screen: ScreenId) {
        self.history.push(self.screen);
        self.enter(screen);
    }

    fn back(&mut self) {
        match self.history.pop() {
            Some(previous) => {
                self.screen = previous;
                self.preview = None;
                self.armed = false;
                if previous == ScreenId::Dashboard {
                    // A run or a drill may have been recorded meanwhile.
                    self.read_records();
                }
            }
            None => self.exit = Some(Exit::Cancelled),
        }
    }

    /// Whether `screen`'s answer is part of the way to the current screen (shown in
    /// the breadcrumb): it comes before the current screen.
    pub(crate) fn answered(&self, screen: ScreenId) -> bool {
        let position = |id| ScreenId::ORDER.iter().position(|&s| s == id);
        position(screen) < position(self.screen)
    }

    /// Show `screen`, starting the background work it needs.
    fn enter(&mut self, screen: ScreenId) {
        self.screen = screen;
        if self.restoring() && self.overwrite_support == OverwriteSupport::NotAsked {
            // Asked early so the answer is in long before the overwrite question.
            let ticket = self.ticket();
            self.overwrite_support = OverwriteSupport::Asking(ticket);
            self.requests.push(Request::ResticVersion { ticket });
        }
        match screen {
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
            ScreenId::Tree => self.list_snapshot(),
            ScreenId::Dashboard => self.read_records(),
            ScreenId::Drill => {
                if !matches!(self.drill, DrillState::Running { .. }) {
                    let ticket = self.ticket();
                    self.drill = DrillState::Running {
                        ticket,
                        progress: None,
                    };
                    self.requests.push(Request::Drill {
                        ticket,
                        preset: self.preset.clone(),
                    });
                }
            }
            ScreenId::Confirm => {
                self.confirm_scroll.set(0);
                self.confirm_seen.set(true);
                self.armed = false;
                self.preview = Some((self.setup.preview)(&self.choice()));
                self.plan = PlanState::None;
                if self.command.as_deref() == Some("forget") && matches!(self.preview, Some(Ok(_)))
                {
                    let ticket = self.ticket();
                    self.plan = PlanState::Loading(ticket);
                    self.requests.push(Request::ForgetPlan {
                        ticket,
                        preset: self.preset.clone(),
                    });
                }
            }
            ScreenId::Command
            | ScreenId::Preset
            | ScreenId::Target
            | ScreenId::Overwrite
            | ScreenId::Diff => {}
        }
    }

    /// Ask for the run records again (what is shown stays until they arrive).
    fn read_records(&mut self) {
        let ticket = self.ticket();
        self.records_ticket = Some(ticket);
        self.requests.push(Request::Records { ticket });
    }

    /// Leave the dashboard for the command menu (`command` `None`) or straight for
    /// `command`'s next screen, with the preset at `index` chosen (or none).
    fn leave_dashboard(&mut self, index: Option<usize>, command: Option<&str>) {
        self.preset = index.and_then(|index| self.dashboard_presets.get(index).cloned());
        self.preset_from_dashboard = self.preset.is_some();
        match command {
            None => {
                self.offer_presets();
                self.go(ScreenId::Command);
            }
            Some(command) => {
                self.command = Some(command.to_owned());
                self.offer_presets();
                let next = self.next_visible(ScreenId::Command);
                self.go(next);
            }
        }
    }

    /// Ask for the chosen snapshot's files, unless the tree already holds them.
    fn list_snapshot(&mut self) {
        let snapshot = self.snapshot.clone().unwrap_or_default();
        let current = self.tree_for.as_ref().map(|(preset, id, _)| (preset, id));
        if current != Some((&self.preset, &snapshot)) {
            let ticket = self.ticket();
            self.tree_for = Some((self.preset.clone(), snapshot.clone(), ticket));
            self.tree = TreeState::Loading;
            self.tree_typing = false;
            self.tree_query = TextField::default();
            self.includes.clear();
            self.requests.push(Request::Listing {
                ticket,
                preset: self.preset.clone(),
                snapshot,
            });
        }
    }

    /// Compare two snapshots (oldest first), unless that comparison is shown already.
    fn compare(&mut self, from: String, to: String) {
        if self
            .diff_for
            .as_ref()
            .is_none_or(|(f, t, _)| (f, t) != (&from, &to))
        {
            let ticket = self.ticket();
            self.diff_for = Some((from.clone(), to.clone(), ticket));
            self.diff = DiffState::Loading;
            self.requests.push(Request::Diff {
                ticket,
                preset: self.preset.clone(),
                from,
                to,
            });
        }
        self.go(ScreenId::Diff);
    }

    fn ticket(&mut self) -> u64 {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        ticket
    }
}

#[cfg(test)]
#[path = "app_flow_tests.rs"]
mod flow_tests;
#[cfg(test)]
#[path = "app_runs_tests.rs"]
pub(crate) mod runs_tests;
#[cfg(test)]
#[path = "app_tests.rs"]
pub(crate) mod tests;
