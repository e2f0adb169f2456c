//! The result of resolution: one restic invocation with provenance for every part.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::redact::is_secret_name;

/// What `Debug` output shows instead of a secret value.
const HIDDEN: &str = crate::redact::REDACTED;

/// Where a value was defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A key in a config file.
    File {
        /// The config file.
        path: PathBuf,
        /// 1-based line of the key.
        line: usize,
        /// 1-based column of the key.
        column: usize,
        /// The section (table path) that holds the key, e.g. `home@.backup` or `home.environ`.
        section: String,
    },
    /// The command line after COMMAND.
    CommandLine {
        /// 0-based index of the token among the arguments after COMMAND.
        index: usize,
    },
}

/// How an origin reads for people: `config.toml:3:1 [home.backup]`, or
/// `command line, argument 2` (counted from 1 after COMMAND).
///
/// ```
/// use keld_config::Origin;
///
/// let origin = Origin::File {
///     path: "/etc/keld/config.toml".into(),
///     line: 3,
///     column: 1,
///     section: "home.backup".into(),
/// };
/// assert_eq!(origin.to_string(), "/etc/keld/config.toml:3:1 [home.backup]");
/// assert_eq!(Origin::CommandLine { index: 1 }.to_string(), "command line, argument 2");
/// ```
impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File {
                path,
                line,
                column,
                section,
            } => write!(f, "{}:{line}:{column} [{section}]", path.display()),
            Self::CommandLine { index } => write!(f, "command line, argument {}", index + 1),
        }
    }
}

/// A lower-priority definition that a resolved value replaced.
///
/// Safe to print, `Debug` included: `value` has its secret parts masked when made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overridden {
    /// Where the replaced definition was.
    pub origin: Origin,
    /// The replaced value, rendered as it appeared (TOML or command-line text), with a
    /// secret value masked by `*` (a password, key or token never appears here).
    pub value: String,
}

/// A resolved value with the place it came from and what it replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// Where the winning definition was.
    pub origin: Origin,
    /// Lower-priority definitions it replaced, highest priority first.
    pub overridden: Vec<Overridden>,
}

/// The largest count a counting flag is given (`verbose = 3` is `--verbose` three
/// times). restic's verbosity stops changing at 3; a config asking for more than this
/// is an error, and [`Flag::argv`] never repeats a flag more often than this.
pub const MAX_COUNT: u32 = 100;

/// The value part of a restic flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagValue {
    /// A switch with no value: `--quiet`.
    Switch,
    /// One argv pair per value: `--tag a --tag b`.
    Values(Vec<String>),
    /// A counting switch given N times: `verbose = 2` is `--verbose --verbose`
    /// (restic's `--verbose` counts; `--verbose 2` would make `2` a path).
    Count(u32),
    /// A value typed attached on the command line and passed on as the one token it
    /// was: `--quiet=false`, `--verbose=3`, `--some-new-flag=x`. Used for switches,
    /// counters and flags keld does not know, whose meaning would change if the
    /// value were split off or reinterpreted; restic parses and checks it.
    Attached(String),
}

/// One restic flag as it will appear on the command line.
///
/// Its `Debug` output hides the value when the key's name looks secret (the rule of
/// the masked config text: `PASSWORD`, `SECRET`, `TOKEN`, `KEY`, `CREDENTIAL`).
#[derive(Clone, PartialEq, Eq)]
pub struct Flag {
    /// The key as configured or typed, without dashes (`repo`, `r`, `tag`).
    pub key: String,
    /// The flag's value(s).
    pub value: FlagValue,
    /// Where the flag came from and what it replaced.
    pub origin: Origin,
    /// Lower-priority definitions it replaced, highest priority first.
    pub overridden: Vec<Overridden>,
}

impl Flag {
    /// The spelling used on the command line: `-r` for one-letter keys, `--repo` otherwise.
    pub fn spelling(&self) -> String {
        if self.key.chars().count() == 1 {
            format!("-{}", self.key)
        } else {
            format!("--{}", self.key)
        }
    }

    /// The argv elements for this flag, e.g. `["--tag", "a", "--tag", "b"]`.
    pub fn argv(&self) -> Vec<String> {
        let spelling = self.spelling();
        match &self.value {
            FlagValue::Switch => vec![spelling],
            FlagValue::Attached(value) => vec![format!("{spelling}={value}")],
            FlagValue::Count(times) => (0..(*times).min(MAX_COUNT))
                .map(|_| spelling.clone())
                .collect(),
            FlagValue::Values(values) => values
                .iter()
                .flat_map(|value| [spelling.clone(), value.clone()])
                .collect(),
        }
    }
}

/// The value of an environment variable set by the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvValue {
    /// A literal value.
    Literal(String),
    /// Shell text (from `NAME_COMMAND`) whose standard output, less one trailing newline,
    /// becomes the value. Not run by this crate.
    Command(String),
}

/// One environment variable set by the config's `environ` sections.
///
/// Its `Debug` output hides a literal value when the name looks secret; a command
/// (`NAME_COMMAND`) is shell text that fetches a secret, and is shown.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvVar {
    /// The variable name restic will see (`FOO` for a configured `FOO_COMMAND`).
    pub name: String,
    /// Its value, or the command that produces it.
    pub value: EnvValue,
    /// Where it came from.
    pub origin: Origin,
    /// Lower-priority definitions it replaced, highest priority first.
    pub overridden: Vec<Overridden>,
}

impl fmt::Debug for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Flag");
        out.field("key", &self.key);
        let masked = |value: &str| crate::redact::mask_url_passwords(value);
        match &self.value {
            FlagValue::Values(_) | FlagValue::Attached(_) if is_secret_name(&self.key) => {
                out.field("value", &format_args!("{HIDDEN}"))
            }
            FlagValue::Values(values) => out.field(
                "value",
                &FlagValue::Values(values.iter().map(|value| masked(value)).collect()),
            ),
            FlagValue::Attached(value) => out.field("value", &FlagValue::Attached(masked(value))),
            value => out.field("value", value),
        };
        out.field("origin", &self.origin)
            .field("overridden", &self.overridden)
            .finish()
    }
}

impl fmt::Debug for EnvVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("EnvVar");
        out.field("name", &self.name);
        match &self.value {
            EnvValue::Literal(_) if is_secret_name(&self.name) => {
                out.field("value", &format_args!("Literal({HIDDEN})"))
            }
            EnvValue::Literal(value) => out.field(
                "value",
                &EnvValue::Literal(crate::redact::mask_url_passwords(value)),
            ),
            value => out.field("value", value),
        };
        out.field("origin", &self.origin)
            .field("overridden", &self.overridden)
            .finish()
    }
}

/// The keys for unattended operation (docs/operations.md): each present when a
/// section that applies sets it, with where it came from.
///
/// Its `Debug` output hides the path and query of the ping URLs (a healthchecks
/// check's UUID is the secret that lets anyone ping it).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Operations {
    /// `_lock`: hold the preset's lock for the whole run.
    pub lock: Option<Setting<bool>>,
    /// `_lock_wait`: how long to wait for the lock.
    pub lock_wait: Option<Setting<Duration>>,
    /// `_success_exit_codes`: restic exit codes reported as 0.
    pub success_exit_codes: Option<Setting<Vec<u8>>>,
    /// `_hook_timeout`: the limit for each hook.
    pub hook_timeout: Option<Setting<Duration>>,
    /// `_metrics_dir`: where the Prometheus textfile goes (`~` expanded).
    pub metrics_dir: Option<Setting<PathBuf>>,
    /// `_healthchecks`: a check's URL (secret).
    pub healthchecks: Option<Setting<String>>,
    /// `_ntfy`: a topic's URL (secret).
    pub ntfy: Option<Setting<String>>,
    /// `_webhook`: a URL that receives each run's record (secret).
    pub webhook: Option<Setting<String>>,
    /// `_schedule`: systemd calendar expressions.
    pub schedule: Option<Setting<Vec<String>>>,
    /// `_schedule_delay`: the timers' randomized delay.
    pub schedule_delay: Option<Setting<Duration>>,
}

impl fmt::Debug for Operations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = |setting: &Option<Setting<String>>| {
            setting
                .as_ref()
                .map(|setting| crate::redact::mask_url_path(&setting.value))
        };
        f.debug_struct("Operations")
            .field("lock", &self.lock.as_ref().map(|s| s.value))
            .field("lock_wait", &self.lock_wait.as_ref().map(|s| s.value))
            .field(
                "success_exit_codes",
                &self.success_exit_codes.as_ref().map(|s| &s.value),
            )
            .field("hook_timeout", &self.hook_timeout.as_ref().map(|s| s.value))
            .field("metrics_dir", &self.metrics_dir.as_ref().map(|s| &s.value))
            .field("healthchecks", &url(&self.healthchecks))
            .field("ntfy", &url(&self.ntfy))
            .field("webhook", &url(&self.webhook))
            .field("schedule", &self.schedule.as_ref().map(|s| &s.value))
            .field(
                "schedule_delay",
                &self.schedule_delay.as_ref().map(|s| s.value),
            )
            .finish()
    }
}

/// A warning that does not stop resolution (e.g. a key that is no flag of the command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// What is odd, e.g. `"tagg" is not a flag of restic backup`.
    pub message: String,
    /// What to do, e.g. `did you mean "tag"?`.
    pub help: Option<String>,
    /// Where, when it comes from a file.
    pub origin: Option<Origin>,
}

/// One restic invocation, fully resolved from config and command line.
///
/// Nothing in it has been run: `_COMMAND` variables are still [`EnvValue::Command`].
///
/// Its `Debug` output is its [`Redacted`](crate::Redacted) view: no secret value,
/// and no URL password, ever shows in it.
#[derive(Clone, PartialEq, Eq)]
pub struct ResolvedConfig {
    /// The preset that was resolved, if any (`home`, `home@cloud`, `@cloud`).
    pub preset: Option<String>,
    /// COMMAND as typed (`nightly`), which names the command sections.
    pub typed_command: String,
    /// The restic command that will run (`backup`), after `_command` aliasing.
    pub command: String,
    /// Flags in argv order (sorted by key; command-line flags as given).
    pub flags: Vec<Flag>,
    /// Positional arguments (`_arguments` or the command line's), if any.
    pub arguments: Option<Setting<Vec<String>>>,
    /// Working directory for restic, hooks and `_COMMAND`s.
    pub workdir: Option<Setting<PathBuf>>,
    /// Environment variables the config sets, sorted by name.
    pub environ: Vec<EnvVar>,
    /// Pre-hooks, when some section defines `_pre_hooks` (an empty list clears).
    pub pre_hooks: Option<Setting<Vec<String>>>,
    /// Post-hooks, when some section defines `_post_hooks`.
    pub post_hooks: Option<Setting<Vec<String>>>,
    /// The keys for unattended operation that resolved (docs/operations.md).
    pub operations: Operations,
    /// Config files read, lowest priority first.
    pub files: Vec<PathBuf>,
    /// Sections that exist and applied, lowest priority first (`global`, `home.backup`, ...).
    pub sections: Vec<String>,
    /// Non-fatal findings.
    pub warnings: Vec<Warning>,
}

impl ResolvedConfig {
    /// The argv after the program name: `<command> <flags...> <arguments...>`.
    ///
    /// When an argument starts with `-` (given after `--`, or configured), a `--` goes
    /// before the arguments so restic does not read it as a flag.
    pub fn args(&self) -> Vec<String> {
        let mut argv = vec![self.command.clone()];
        argv.extend(self.flags.iter().flat_map(Flag::argv));
        if let Some(arguments) = &self.arguments {
            if arguments
                .value
                .iter()
                .any(|argument| argument.starts_with('-'))
            {
                argv.push("--".to_owned());
            }
            argv.extend(arguments.value.iter().cloned());
        }
        argv
    }

    /// Whether backup hooks apply: the command that will run is `backup`.
    pub fn hooks_apply(&self) -> bool {
        self.command == "backup"
    }

    /// `Ok` unless this is a `backup` with nothing to back up: no positional paths and
    /// no flag that names its sources instead ([`Error::BackupWithoutPaths`]).
    ///
    /// [`Error::BackupWithoutPaths`]: crate::Error::BackupWithoutPaths
    pub fn require_backup_paths(&self) -> Result<(), crate::Error> {
        /// restic flags that name the files to back up instead of positional paths.
        const SOURCE_FLAGS: [&str; 5] = [
            "files-from",
            "files-from-raw",
            "files-from-verbatim",
            "stdin",
            "stdin-from-command",
        ];
        let no_paths = self.command == "backup"
            && self
                .arguments
                .as_ref()
                .is_none_or(|arguments| arguments.value.is_empty())
            && !SOURCE_FLAGS.iter().any(|long| self.has_flag(long));
        if no_paths {
            return Err(crate::Error::BackupWithoutPaths {
                preset: self.preset.clone(),
            });
        }
        Ok(())
    }

    /// Whether a flag `long` (a long name: `stdin`, `files-from`) is set, by that
    /// name or by its short alias for this command, to anything restic does not read
    /// as false ([`crate::restic::parse_bool`]). Whether restic is only asked for help
    /// or a dry run is read from its final arguments instead (keld-hooks'
    /// `Purpose::of`), which include what was typed after the command.
    pub fn has_flag(&self, long: &str) -> bool {
        let flags = crate::FlagData::restic();
        self.flags.iter().any(|flag| {
            let named = flag.key == long
                || flags
                    .flag(&self.command, &flag.key)
                    .is_some_and(|spec| spec.long == long);
            named
                && match &flag.value {
                    FlagValue::Switch | FlagValue::Count(_) | FlagValue::Values(_) => true,
                    FlagValue::Attached(value) => crate::restic::parse_bool(value) != Some(false),
                }
        })
    }

    /// The values of flag `long` (by that name or its short alias for this command),
    /// in argv order: `tag = ["a", "b"]` gives `["a", "b"]`; a switch gives nothing.
    pub fn flag_values(&self, long: &str) -> Vec<String> {
        let flags = crate::FlagData::restic();
        self.flags
            .iter()
            .filter(|flag| {
                flag.key == long
                    || flags
                        .flag(&self.command, &flag.key)
                        .is_some_and(|spec| spec.long == long)
            })
            .flat_map(|flag| match &flag.value {
                FlagValue::Values(values) => values.clone(),
                FlagValue::Attached(value) => vec![value.clone()],
                FlagValue::Switch | FlagValue::Count(_) => Vec::new(),
            })
            .collect()
    }

    /// The pre-hooks that will run (empty unless [`Self::hooks_apply`]).
    pub fn active_pre_hooks(&self) -> &[String] {
        match &self.pre_hooks {
            Some(setting) if self.hooks_apply() => &setting.value,
            _ => &[],
        }
    }

    /// The post-hooks that will run (empty unless [`Self::hooks_apply`]).
    pub fn active_post_hooks(&self) -> &[String] {
        match &self.post_hooks {
            Some(setting) if self.hooks_apply() => &setting.value,
            _ => &[],
        }
    }
}
