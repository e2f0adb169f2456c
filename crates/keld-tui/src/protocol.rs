//! What passes between the state machine and the rest of keld: what is known at
//! the start ([`Setup`]), the background work it asks for ([`Request`]) and the
//! answers ([`Msg`]), and how the session ends ([`Exit`], [`Choice`]).

use crate::snapshots::Snapshot;
use crate::tree::FileTree;

/// The commands offered on the first screen, with a one-line description: those
/// that run with what the config and these screens supply (`ls` or `diff` would
/// need snapshot arguments no screen asks for).
pub(crate) const COMMANDS: [(&str, &str); 8] = [
    ("backup", "save files into the repository"),
    ("restore", "bring files back from a snapshot"),
    ("snapshots", "list the snapshots"),
    ("check", "verify the repository"),
    ("forget", "remove snapshots by policy"),
    ("prune", "free space no snapshot uses"),
    ("stats", "show repository statistics"),
    ("unlock", "remove stale locks"),
];

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// Program and arguments, as they will be run.
    pub argv: Vec<String>,
    /// Names of the environment variables keld sets for restic (never their values).
    pub env_names: Vec<String>,
}

/// Turns a [`Choice`] into the invocation it resolves to (through the config files).
pub type PreviewFn = Box<dyn Fn(&Choice) -> Result<Preview, String>>;

/// What is already known before the session starts; known values skip their screen
/// and are not repeated in [`Choice::args`] (they already come from the command line
/// or the config).
pub struct Setup {
    /// The restic command, when given.
    pub command: Option<String>,
    /// Every preset in the config files, in their order.
    pub presets: Vec<String>,
    /// The preset given with `--preset`.
    pub preset: Option<String>,
    /// The snapshot to restore, when already given.
    pub snapshot: Option<String>,
    /// The restore target, when the config already sets one.
    pub target: Option<String>,
    /// Resolves a choice into what the confirmation screen shows.
    pub preview: PreviewFn,
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
}

/// The answer to a [`Request`].
#[derive(Debug)]
pub enum Msg {
    /// The snapshots, or why there are none.
    Snapshots {
        /// The request's ticket.
        ticket: u64,
        /// The snapshots, or a message for the screen.
        result: Result<Vec<Snapshot>, String>,
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
}

/// How the session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// Confirmed: run this.
    Run(Choice),
    /// Esc on the first screen or Ctrl-C: run nothing (exit code 130).
    Cancelled,
}
