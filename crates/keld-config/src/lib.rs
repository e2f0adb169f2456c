//! Layered TOML configuration for keld, resolved into one restic invocation.
//!
//! CONTRACT STUB: the public API below is fixed; bodies are being written.
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::path::PathBuf;

pub mod resolved;
pub mod restic;

pub use resolved::{
    EnvValue, EnvVar, Flag, FlagValue, Origin, Overridden, ResolvedConfig, Setting, Warning,
};

/// The outside world resolution may look at, passed in as a value.
///
/// Nothing in this crate reads or changes the process environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    /// Environment variables (for `${NAME}`, `KELD_CONFIG_FILE`, `KELD_CONFIG_PATHS`).
    pub vars: BTreeMap<String, String>,
    /// The home directory, for `~` expansion and the default user config.
    pub home: Option<PathBuf>,
}

/// Where config files are looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// `--config FILE`: the only file read (wins over `KELD_CONFIG_FILE`).
    pub config_file: Option<PathBuf>,
    /// System directories read before the user config, lowest priority first.
    /// Default: `/usr/share/keld`, `/etc/keld`.
    pub system_dirs: Vec<PathBuf>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            config_file: None,
            system_dirs: vec![PathBuf::from("/usr/share/keld"), PathBuf::from("/etc/keld")],
        }
    }
}

/// What to resolve: a preset, the COMMAND word and the arguments after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// `--preset`, if given.
    pub preset: Option<String>,
    /// COMMAND as typed.
    pub command: String,
    /// Every token after COMMAND.
    pub args: Vec<String>,
}

/// The kind of name a preset entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresetKind {
    /// `home`
    Plain,
    /// `home@` (a half; not runnable alone as a default)
    Prefix,
    /// `@cloud` (a half)
    Suffix,
    /// `home@cloud` defined as its own table
    Split,
    /// `home@cloud` formed from a defined prefix and a defined suffix
    Combination,
}

/// Where a section that contributes to a preset is defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionLocation {
    /// Table path: `home@`, `home.backup`.
    pub section: String,
    /// File that defines it.
    pub file: PathBuf,
    /// 1-based line of its header (or first key).
    pub line: usize,
}

/// One preset name and the sections that define it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetInfo {
    /// The name to pass to `--preset`.
    pub name: String,
    /// What kind of name it is.
    pub kind: PresetKind,
    /// Whether it counts as a runnable preset when choosing a default.
    pub runnable: bool,
    /// Sections (of any file) that apply to it, in precedence order.
    pub sections: Vec<SectionLocation>,
}
