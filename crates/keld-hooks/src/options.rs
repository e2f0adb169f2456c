//! What a run is made of: a plain description with `Default`.

use std::ffi::OsString;
use std::path::PathBuf;

use keld_supervise::EnvEntry;

/// Everything [`crate::run`] needs, with no behaviour of its own.
///
/// For commands other than `backup` the hook lists are simply empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// The restic program as configured (`KELD_EXECUTABLE`): a path or a name looked up
    /// in `PATH`; `restic` when `None` or empty.
    pub program: Option<OsString>,
    /// restic's arguments after the program name (`backup --tag x /home`).
    pub args: Vec<OsString>,
    /// keld's own environment, the base of restic's.
    pub base_env: Vec<(OsString, OsString)>,
    /// Variables the config sets, literal or `_COMMAND`.
    pub environ: Vec<EnvEntry>,
    /// Working directory of restic, hooks and `_COMMAND`s; keld's own when `None`.
    pub workdir: Option<PathBuf>,
    /// Shell commands run before restic, in order.
    pub pre_hooks: Vec<String>,
    /// Shell commands run after restic was attempted, in order.
    pub post_hooks: Vec<String>,
    /// The preset being run, given to hooks as `KELD_PRESET`.
    pub preset: Option<String>,
    /// COMMAND as typed (`backup`, or an alias such as `nightly`), given to hooks as
    /// `KELD_COMMAND`.
    pub command: String,
}
