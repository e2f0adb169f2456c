//! Layered TOML configuration for keld, resolved into one restic invocation.
//!
//! # How it works
//!
//! 1. **Discovery** ([`Config::load`]) finds the config files in ascending priority:
//!    system directories, the user directory, `KELD_CONFIG_PATHS`; or only the file
//!    named by `--config` / `KELD_CONFIG_FILE`. Each is opened by walking its path from
//!    `/`, judging every directory and link on the way (like ssh's `StrictModes` and
//!    sudo). A file another user could have written may set only what shapes a backup:
//!    one that runs a command (hooks, `_COMMAND`s, `PATH`, `password-command`, ...),
//!    chooses the repository, where keld writes or reports, or sets anything keld
//!    cannot classify is refused, when it is read and again when a resolution takes a
//!    value from it (see [`LoadOptions::trusted_uid`] and [`ALLOW_UNSAFE_VAR`]).
//! 2. **Parsing** keeps every key's file, line and column (`toml_parser` spans) and checks
//!    the structure of every file: value types, unknown `_` keys, nesting, preset names.
//! 3. **Merging** combines the files: tables merge recursively, other values are replaced
//!    whole, and each replaced definition is kept for provenance.
//! 4. **Resolution** ([`Config::resolve`]) stacks the sections that apply to a preset and
//!    command, lowest priority first (`global`, `global.backup`, `@cloud`, ... `home@cloud.backup`).
//!    The order of that list *is* the precedence. The winning value of each key is
//!    interpolated (`${section.key}`, `${NAME}`), turned into restic flags, and
//!    the command line after COMMAND overrides it.
//!
//! Secret values (passwords, keys, tokens) never leave through a diagnostic: each file is
//! also kept as a masked copy, with every byte of a secret value replaced by `*`, and
//! diagnostics and provenance quote that copy. It has the same length and lines as the
//! file, so spans stay valid; it is made by a tolerant scanner, so it works for files
//! that do not parse.
//!
//! The result, [`ResolvedConfig`], says for every flag, argument list, variable,
//! working directory and hook list where it was defined and what it replaced. Nothing
//! here reads the process environment or runs anything: the environment comes in as
//! an [`Environment`] value and `_COMMAND` variables stay unrun.
//!
//! # Example
//!
//! ```
//! use keld_config::{Config, Environment, FlagValue, Origin, Request, Source};
//!
//! let config = Config::from_sources([Source {
//!     path: "/etc/keld/config.toml".into(),
//!     text: r#"
//! [global]
//! repo = "/srv/restic"
//!
//! [home.backup]
//! tag = ["daily", "home"]
//! _arguments = "~/Documents ~/Pictures"
//! "#
//!     .into(),
//! }])?;
//!
//! let env = Environment { home: Some("/home/ann".into()), ..Environment::default() };
//! let request = Request { command: "backup".into(), ..Request::default() };
//! // One preset is defined, so it is chosen without --preset.
//! let resolved = config.resolve(&request, &env)?;
//!
//! assert_eq!(resolved.preset.as_deref(), Some("home"));
//! assert_eq!(
//!     resolved.args(),
//!     ["backup", "--repo", "/srv/restic", "--tag", "daily", "--tag", "home",
//!      "/home/ann/Documents", "/home/ann/Pictures"],
//! );
//! let tag = &resolved.flags[1];
//! assert_eq!(tag.value, FlagValue::Values(vec!["daily".into(), "home".into()]));
//! assert!(matches!(&tag.origin, Origin::File { line: 6, section, .. } if section == "home.backup"));
//! # Ok::<(), keld_config::Error>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use tree::Tree;

mod cache;
mod decode;
mod discover;
mod document;
pub mod duration;
mod effect;
mod error;
mod file;
/// The 50-file benchmark config, for tests of what a large config costs.
#[cfg(test)]
#[path = "../benches/fixture.rs"]
mod fixture;

/// `texts` (the benchmark config's, or changed ones) as the files
/// `/etc/keld/conf.d/00.toml` .., parsed.
#[cfg(test)]
fn parsed_fixture(texts: Vec<String>) -> Config {
    Config::from_sources(texts.into_iter().enumerate().map(|(n, text)| Source {
        path: format!("/etc/keld/conf.d/{}", fixture::file_name(n)).into(),
        text,
    }))
    .expect("valid")
}
mod flags;
mod interpolate;
mod merge;
mod overrides;
mod presets;
mod redact;
mod redacted;
mod resolved;
pub mod restic;
mod secure;
pub mod shell;
mod source;
mod special;
mod stack;
pub mod terminal;
mod tree;
mod trust;
mod value;
mod values;

pub use error::Error;
pub use file::MAX_FILE_LEN;
pub use flags::FlagData;
pub use presets::Presets;
pub use redact::{
    REDACTED, is_secret_name, mask_url_passwords, mask_url_path, url_password_ranges,
};
pub use redacted::{
    OperationRow, Redacted, RedactedFlag, RedactedOperations, RedactedSetting, RedactedVar,
    ShownValue,
};
pub use resolved::{
    EnvValue, EnvVar, Flag, FlagValue, MAX_COUNT, Operations, Origin, Overridden, ResolvedConfig,
    Setting, Warning,
};
pub use source::SourceText;

/// The environment variable that turns the permission check of config files off
/// (read by the program, passed in as [`LoadOptions::allow_unsafe_permissions`];
/// docs/security.md).
pub const ALLOW_UNSAFE_VAR: &str = "KELD_ALLOW_UNSAFE_CONFIG";

/// The outside world resolution may look at, passed in as a value.
///
/// Nothing in this crate reads or changes the process environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    /// Environment variables (for `${NAME}`, `KELD_CONFIG_FILE`, `KELD_CONFIG_PATHS`,
    /// `XDG_CONFIG_HOME`) whose values are UTF-8.
    pub vars: BTreeMap<String, String>,
    /// Environment variables whose values are not UTF-8, as given (on Unix, any bytes).
    ///
    /// They are not dropped: `KELD_CONFIG_FILE`, `KELD_CONFIG_PATHS` and
    /// `XDG_CONFIG_HOME` are paths and are used as they are, and a `${NAME}` reference
    /// to one is an error that names it ([`Error::NotUtf8Value`]). A variable is in at
    /// most one of the two maps.
    pub non_utf8_vars: BTreeMap<String, OsString>,
    /// The home directory, for `~` expansion and the default user config. It may be
    /// any bytes: paths are used as they are, and `~` in a config value, which is
    /// text, is an error when the home directory is not UTF-8.
    pub home: Option<PathBuf>,
}

impl Environment {
    /// The variable `name` as given, whether its value is UTF-8 or not.
    pub fn var_os(&self, name: &str) -> Option<OsString> {
        self.vars
            .get(name)
            .map(OsString::from)
            .or_else(|| self.non_utf8_vars.get(name).cloned())
    }

    /// The file `KELD_CONFIG_FILE` names, as [`Config::load`] reads it (`~`
    /// expanded, any bytes kept); `None` when it is unset or empty.
    pub fn config_file(&self) -> Option<PathBuf> {
        self.var_os("KELD_CONFIG_FILE")
            .filter(|value| !value.is_empty())
            .map(|value| values::expand_home_path(&value, self.home.as_deref()))
    }
}

/// Where config files are looked for, and how strictly they are checked.
///
/// [`LoadOptions::default`] is as strict as keld itself: a file that runs commands (or
/// sets anything else only a trusted file may) must belong to root or to the
/// effective user, and so must every directory above it; none of them may be writable
/// by others (docs/security.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// `--config FILE`: the only file read (wins over `KELD_CONFIG_FILE`).
    pub config_file: Option<PathBuf>,
    /// System directories read before the user config, lowest priority first.
    /// Default: `/usr/share/keld`, `/etc/keld`.
    pub system_dirs: Vec<PathBuf>,
    /// The user trusted besides root (default: the effective uid of this process).
    /// A file that runs commands (hooks, `_COMMAND`s, ...) must be owned by root or
    /// this user, and so must every directory on its path. `None` checks only the
    /// permission bits.
    pub trusted_uid: Option<u32>,
    /// Use every file, whatever it sets, even when others could have written it
    /// (the program sets it from [`ALLOW_UNSAFE_VAR`]; default `false`).
    pub allow_unsafe_permissions: bool,
    /// A directory to keep the merged tree of a large config in between runs (keld
    /// uses `$XDG_CACHE_HOME/keld`), so that a run that reads the same files again
    /// need not parse them; default `None`: no cache. Only configs of 64 KiB and more
    /// whose files nobody else could have written are cached, and never a value
    /// (see `docs/performance.md`).
    pub cache_dir: Option<PathBuf>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            config_file: None,
            system_dirs: vec![PathBuf::from("/usr/share/keld"), PathBuf::from("/etc/keld")],
            trusted_uid: effective_uid(),
            allow_unsafe_permissions: false,
            cache_dir: None,
        }
    }
}

/// The effective uid of this process, where there is one.
fn effective_uid() -> Option<u32> {
    #[cfg(unix)]
    return Some(nix::unistd::geteuid().as_raw());
    #[cfg(not(unix))]
    return None;
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

/// A config file given as text (read from disk by [`Config::load`], or built in memory).
///
/// Its `Debug` output shows the path and the length of the text, never the text: a
/// config file may hold passwords.
#[derive(Clone, PartialEq, Eq)]
pub struct Source {
    /// The path shown in provenance and diagnostics.
    pub path: PathBuf,
    /// The TOML text.
    pub text: String,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source")
            .field("path", &self.path)
            .field("text", &format_args!("<{} bytes>", self.text.len()))
            .finish()
    }
}

/// Config files, parsed, checked and merged; ready to resolve any preset and command.
///
/// Its `Debug` output names the files and sections, never the values: they may be secret.
#[derive(Clone)]
pub struct Config {
    files: Vec<PathBuf>,
    /// Per file, why another user could have written it (only for files read from
    /// disk with the check on): such a file may not have a part in a setting with an
    /// effect (trust.rs), which each resolution checks again.
    doubts: Vec<Option<secure::Doubt>>,
    root: Tree,
    warnings: Vec<Warning>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("files", &self.files)
            .field("sections", &self.root.root().names())
            .field("warnings", &self.warnings)
            .finish()
    }
}

impl Config {
    /// Finds, reads and merges the config files (docs/configuration.md, "Config files").
    ///
    /// With `options.config_file` (or `KELD_CONFIG_FILE` in `env`) that file is the only
    /// one read, and it must exist. Otherwise missing files are skipped.
    ///
    /// Only regular files of at most [`MAX_FILE_LEN`] bytes of UTF-8 are read: a
    /// directory, FIFO or device named as a config file is an error
    /// ([`Error::NotRegularFile`]), and one found in a `conf.d` directory is skipped.
    ///
    /// Each file is opened by walking its path from `/`, every directory and symbolic
    /// link judged on the way and the file judged by the descriptor that is read. A
    /// file that is writable by group or others, or that another user than root and
    /// `options.trusted_uid` could replace (through a directory or link on its path),
    /// may set only what shapes a backup: one that runs a command (non-empty hooks, an
    /// `environ` `*_COMMAND`, `PATH`, `password-command`, an `option` that names a
    /// program, ...), chooses the repository, where keld writes or reports, or sets a
    /// flag, option or variable keld cannot classify is refused with
    /// [`Error::UnsafePermissions`] (the full list is in `docs/security.md`), unless
    /// `options.allow_unsafe_permissions` is set. [`Config::resolve`] refuses it too
    /// when a value from it reaches such a setting through a reference.
    pub fn load(env: &Environment, options: &LoadOptions) -> Result<Config, Error> {
        let discovered = discover::discover(env, options)?;
        let mut sources = Vec::with_capacity(discovered.files.len());
        let mut opener = secure::Opener::new(options.trusted_uid);
        for (order, path) in discovered.files.into_iter().enumerate() {
            let (text, doubt) = file::read(&mut opener, &path, order)?;
            sources.push((Source { path, text }, doubt));
        }
        let mut config = Self::assemble(sources, Some(options))?;
        config.warnings.splice(0..0, discovered.warnings);
        Ok(config)
    }

    /// Parses and merges files given in ascending priority (a later one overrides an
    /// earlier one key by key). Every file is checked for structure.
    ///
    /// The texts do not come from disk, so no file permissions are checked.
    pub fn from_sources(sources: impl IntoIterator<Item = Source>) -> Result<Config, Error> {
        Self::assemble(sources.into_iter().map(|source| (source, None)), None)
    }

    /// Parses and merges; with `options`, each file another user could have written
    /// (its doubt, from reading it) is refused when it sets what only a trusted file may
    /// (trust.rs), unless the check is off.
    fn assemble(
        sources: impl IntoIterator<Item = (Source, Option<secure::Doubt>)>,
        options: Option<&LoadOptions>,
    ) -> Result<Config, Error> {
        let check = options.is_some_and(|options| !options.allow_unsafe_permissions);
        let mut doubtful = false;
        let (texts, doubts): (Vec<_>, Vec<_>) = sources
            .into_iter()
            .enumerate()
            .map(|(order, (source, doubt))| {
                doubtful |= doubt.is_some();
                let doubt = doubt.filter(|_| check);
                (SourceText::new(order, source.path, source.text), doubt)
            })
            .unzip();
        let files: Vec<PathBuf> = texts.iter().map(|text| text.path().to_owned()).collect();
        // A large config whose files nobody else could have written may come from the
        // cache (cache.rs).
        let total: usize = texts.iter().map(|text| text.raw_text().len()).sum();
        let cache = options
            .and_then(|options| Some((options.cache_dir.as_deref()?, options.trusted_uid)))
            .filter(|_| total >= cache::CACHED_BYTES && !doubtful);
        if let Some((dir, trusted)) = cache
            && let Some(root) = cache::load(dir, trusted, &texts)
        {
            return Ok(Config {
                files,
                doubts,
                root,
                warnings: Vec::new(),
            });
        }
        let judge: Vec<bool> = doubts.iter().map(Option::is_some).collect();
        let mut root = Tree::default();
        // Parsed, checked and merged; each doubtful file is judged right after it is
        // merged.
        document::add_files(&mut root, &texts, &judge, |index, runs| {
            match (runs, &doubts[index]) {
                (Some(runs), Some(doubt)) => Err(trust::refusal(
                    &files[index],
                    doubt,
                    runs.effect,
                    runs.describe(),
                )),
                _ => Ok(()),
            }
        })?;
        if let Some((dir, _)) = cache {
            cache::store(dir, &texts, &root);
        }
        Ok(Config {
            files,
            doubts,
            root,
            warnings: Vec::new(),
        })
    }

    /// The files read, lowest priority first.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The presets: those defined as tables of their own (plain names, halves, full
    /// split names), and how the halves combine (prefix × suffix, made on demand).
    pub fn presets(&self) -> Presets {
        Presets::of(self.root.root())
    }

    /// Resolves one restic invocation using keld's built-in knowledge of restic's flags.
    ///
    /// Values are checked against the flags they become (a switch takes `true` or
    /// `false`, ...). A file [`Config::load`] found that others could have written must
    /// have no part in what runs, where the backup goes, where keld writes or reports:
    /// when a value from one reaches such a setting of the final arguments or
    /// environment (through a `${...}` reference, or `_arguments` made a command by
    /// `--stdin-from-command`), the resolution is refused with
    /// [`Error::UnsafePermissions`] naming both places (docs/security.md).
    pub fn resolve(&self, request: &Request, env: &Environment) -> Result<ResolvedConfig, Error> {
        self.resolve_with_flags(request, env, &FlagData::restic())
    }

    /// Resolves one restic invocation with a given table of restic's commands and flags.
    pub fn resolve_with_flags(
        &self,
        request: &Request,
        env: &Environment,
        flags: &FlagData<'_>,
    ) -> Result<ResolvedConfig, Error> {
        stack::resolve(
            self.root.root(),
            &self.files,
            &self.doubts,
            request,
            env,
            flags,
        )
    }

    /// File-level warnings found while loading (e.g. a missing `KELD_CONFIG_PATHS` entry).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}
