//! What passes between the state machine and the rest of keld: what is known at
//! the start ([`Setup`]), the background work it asks for ([`Request`]) and the
//! answers ([`Msg`]), and how the session ends ([`Exit`], [`Choice`]).

use std::path::PathBuf;

use keld_hooks::DrillProgress;

use crate::dashboard::Records;
use crate::diff::Diff;
use crate::drill_outcome::DrillOutcome;
use crate::forget::ForgetPlan;
use crate::snapshots::ListedSnapshot;
use crate::tree::FileTree;

/// The commands offered on the command menu, with a one-line description: those
/// that run with what the config and these screens supply. `snapshots` chosen here
/// stays in the session: the list, a snapshot's files, and `restic diff` of two;
/// `drill` runs in the session too (keld's restore drill, docs/drill.md).
pub(crate) const COMMANDS: [(&str, &str); 9] = [
    ("backup", "save files into the repository"),
    ("restore", "bring files back from a snapshot"),
    ("snapshots", "list, browse and compare the snapshots"),
    ("check", "verify the repository"),
    (
        "drill",
        "restore a sample and compare it with the live files",
    ),
    ("forget", "remove snapshots by policy"),
    ("prune", "free space no snapshot uses"),
    ("stats", "show repository statistics"),
    ("unlock", "remove stale locks"),
];

/// Commands that work on a whole repository: their preset picker offers the
/// repository halves of split presets (`@nas`) too.
pub(crate) const REPOSITORY_WIDE: [&str; 4] = ["check", "forget", "prune", "unlock"];

/// `restore --overwrite` policies (restic 0.17 and later), restic's default first.
pub(crate) const OVERWRITE_POLICIES: [(&str, &str); 4] = [
    ("always", "replace every existing file (restic's default)"),
    ("if-changed", "replace files whose content differs"),
    ("if-newer", "replace files older than the snapshot's copy"),
    ("never", "keep every existing file"),
];

/// What keld should run once the user confirms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The restic command (or `_command` alias) chosen.
    pub command: String,
    /// The preset chosen, if any.
    pub preset: Option<String>,
    /// Arguments after the command, e.g. `ID --target DIR --include P --overwrite never`.
    pub args: Vec<String>,
}

/// The exact invocation shown on the confirmation screen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Preview {
    /// Program and arguments, as they will be run.
    pub argv: Vec<String>,
    /// Names of the environment variables keld sets for restic (never their values).
    pub env_names: Vec<String>,
    /// What the user should know before running it (e.g. configured `_arguments`
    /// that restic will read as something else).
    pub warnings: Vec<String>,
}

/// A preset the preset picker offers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PresetEntry {
    /// The name to pass to `--preset`.
    pub name: String,
    /// Its repository as it may be shown (a URL's password masked), when the config
    /// names one.
    pub repository: Option<String>,
    /// A repository half of split presets (`@nas`): offered only for commands that
    /// work on a whole repository (check, forget, prune, unlock).
    pub repository_only: bool,
    /// A prefix half (`home@`) standing in for its combinations (when there are too
    /// many to list): choosing it lists `home@` with every suffix.
    pub combines: bool,
    /// For an entry made by choosing a prefix half: that prefix.
    pub expanded_from: Option<String>,
}

impl PresetEntry {
    /// A preset with nothing known about it but its name.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
}

/// Turns a [`Choice`] into the invocation it resolves to (through the config files).
pub type PreviewFn = Box<dyn Fn(&Choice) -> Result<Preview, String>>;

/// What is already known before the session starts; known values skip their screen
/// and are not repeated in [`Choice::args`] (they already come from the command line
/// or the config).
pub struct Setup {
    /// The restic command, when given.
    pub command: Option<String>,
    /// The presets to choose from, in the config's order.
    pub presets: Vec<PresetEntry>,
    /// The preset given with `--preset`.
    pub preset: Option<String>,
    /// The snapshot to restore, when already given.
    pub snapshot: Option<String>,
    /// The restore target, when the config already sets one.
    pub target: Option<String>,
    /// Resolves a choice into what the confirmation screen shows.
    pub preview: PreviewFn,
    /// The home directory, for `~` in a typed path.
    pub home: Option<PathBuf>,
    /// keld's working directory, which relative paths are completed from.
    pub cwd: PathBuf,
    /// Start at the dashboard (each preset's last backup, from the run records): a
    /// bare `keld`. Without it the first screen is the first one whose value is not
    /// known.
    pub dashboard: bool,
}

/// Background work the session must start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `restic snapshots --json` with the preset's repository.
    Snapshots {
        /// Matches the answer to the request.
        ticket: u64,
        /// The preset whose repository is listed.
        preset: Option<String>,
    },
    /// `restic ls --json SNAPSHOT`.
    Listing {
        /// Matches the answer to the request.
        ticket: u64,
        /// The preset whose repository is listed.
        preset: Option<String>,
        /// The snapshot to list.
        snapshot: String,
    },
    /// `restic version`.
    ResticVersion {
        /// Matches the answer to the request.
        ticket: u64,
    },
    /// `restic diff --json FROM TO`.
    Diff {
        /// Matches the answer to the request.
        ticket: u64,
        /// The preset whose repository holds both.
        preset: Option<String>,
        /// The older snapshot.
        from: String,
        /// The newer snapshot.
        to: String,
    },
    /// `restic forget --dry-run --json` with the preset's policy.
    ForgetPlan {
        /// Matches the answer to the request.
        ticket: u64,
        /// The preset whose policy and repository are used.
        preset: Option<String>,
    },
    /// The run records in keld's state directory (`runs.jsonl`).
    Records {
        /// Matches the answer to the request.
        ticket: u64,
    },
    /// A restore drill of the preset (keld-hooks' `Drill`, as `keld drill` runs it):
    /// answered with [`Msg::DrillProgress`] on the way and [`Msg::Drill`] at its end.
    Drill {
        /// Matches the answers to the request.
        ticket: u64,
        /// The preset to drill.
        preset: Option<String>,
    },
}

/// The answer to a [`Request`].
#[derive(Debug)]
pub enum Msg {
    /// The snapshots, or why there are none.
    Snapshots {
        /// The request's ticket.
        ticket: u64,
        /// The snapshots, or a message for the screen.
        result: Result<Vec<ListedSnapshot>, String>,
    },
    /// A snapshot's files, or why there are none.
    Listing {
        /// The request's ticket.
        ticket: u64,
        /// The file tree, or a message for the screen.
        result: Result<FileTree, String>,
    },
    /// The raw output of `restic version`.
    ResticVersion {
        /// The request's ticket.
        ticket: u64,
        /// The output, or a message.
        result: Result<String, String>,
    },
    /// What changed between two snapshots.
    Diff {
        /// The request's ticket.
        ticket: u64,
        /// The changes, or a message for the screen.
        result: Result<Diff, String>,
    },
    /// What `forget` would keep and remove.
    ForgetPlan {
        /// The request's ticket.
        ticket: u64,
        /// The plan, or a message for the screen.
        result: Result<ForgetPlan, String>,
    },
    /// The run records, or why they cannot be read.
    Records {
        /// The request's ticket.
        ticket: u64,
        /// The records, or a message for the screen.
        result: Result<Records, String>,
    },
    /// Where a drill is.
    DrillProgress {
        /// The request's ticket.
        ticket: u64,
        /// The step it is at.
        progress: DrillProgress,
    },
    /// How a drill went, or why it could not start.
    Drill {
        /// The request's ticket.
        ticket: u64,
        /// The drill's outcome, or a message for the screen.
        result: Result<DrillOutcome, String>,
    },
}

/// How the session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// Confirmed: run this.
    Run(Choice),
    /// Esc on the first screen, `q` or Ctrl-C: run nothing (exit code 130).
    Cancelled,
}
