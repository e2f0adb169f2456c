//! The redacted view of a resolved configuration: what every output renders from.
//!
//! `--show-command` (text and JSON), the interactive mode's confirmation, `Debug`
//! output and an embedder's serialisation all start from [`Redacted`], in which a
//! secret value is already [`REDACTED`] and every URL password masked, so none of
//! them can show what another hides.

use std::fmt;
use std::path::PathBuf;

use crate::redact::{REDACTED, is_secret_name, mask_url_passwords, mask_url_path};
use crate::resolved::{
    EnvValue, Flag, FlagValue, Operations, Origin, Overridden, ResolvedConfig, Setting,
};

/// Variables that exist only while post-hooks run; never part of a configuration.
const RUN_TIME_ONLY: [&str; 2] = ["KELD_RESTIC_EXIT_CODE", "KELD_RESTIC_STATUS"];

/// A [`ResolvedConfig`] that is safe to show: secret values are [`REDACTED`], the
/// password of every `scheme://user:password@host` URL is [`REDACTED`], and values
/// that exist only at run time are left out.
///
/// With the `serde` feature it serialises; that is the only serialisation this crate
/// offers for a resolved configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Redacted {
    /// The preset that was resolved, if any.
    pub preset: Option<String>,
    /// COMMAND as typed.
    pub typed_command: String,
    /// The restic command that will run, after `_command` aliasing.
    pub command: String,
    /// restic's arguments after the program name, as they will run (redacted).
    pub args: Vec<String>,
    /// Flags in argv order.
    pub flags: Vec<RedactedFlag>,
    /// Positional arguments, if any.
    pub arguments: Option<RedactedSetting<Vec<String>>>,
    /// Working directory.
    pub workdir: Option<RedactedSetting<PathBuf>>,
    /// Environment variables the config sets, sorted by name.
    pub environ: Vec<RedactedVar>,
    /// Pre-hooks as configured (whether they apply: [`Redacted::hooks_apply`]).
    pub pre_hooks: Option<RedactedSetting<Vec<String>>>,
    /// Post-hooks as configured.
    pub post_hooks: Option<RedactedSetting<Vec<String>>>,
    /// Whether backup hooks apply to this command.
    pub hooks_apply: bool,
    /// The keys for unattended operation that resolved.
    pub operations: RedactedOperations,
    /// Config files read, lowest priority first.
    pub files: Vec<PathBuf>,
    /// Sections that applied, lowest priority first.
    pub sections: Vec<String>,
}

/// One flag, safe to show.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RedactedFlag {
    /// The key as configured or typed (`repo`, `r`).
    pub key: String,
    /// Its argv elements (`--tag a --tag b`), a secret value [`REDACTED`].
    pub argv: Vec<String>,
    /// Where it came from.
    pub origin: Origin,
    /// What it replaced, highest priority first.
    pub overridden: Vec<Overridden>,
}

/// An environment variable's value as it may be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(
    feature = "serde",
    serde(tag = "kind", content = "text", rename_all = "snake_case")
)]
pub enum ShownValue {
    /// A literal value whose name does not look secret.
    Literal(String),
    /// A literal value whose name looks secret.
    Redacted,
    /// Shell text whose output becomes the value (`NAME_COMMAND`); not run.
    Command(String),
}

impl ShownValue {
    /// How the value reads after `NAME=`: quoted for a shell, [`REDACTED`], or
    /// `$(command)`.
    pub fn display(&self) -> String {
        match self {
            Self::Literal(value) => crate::shell::quote(value),
            Self::Redacted => REDACTED.to_owned(),
            Self::Command(command) => format!("$({})", crate::shell::display(command)),
        }
    }
}

/// One environment variable, safe to show.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RedactedVar {
    /// The name restic sees.
    pub name: String,
    /// Its value, as it may be shown.
    pub value: ShownValue,
    /// Where it came from.
    pub origin: Origin,
    /// What it replaced (values redacted when the name looks secret).
    pub overridden: Vec<Overridden>,
}

/// A resolved value with its provenance, safe to show.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RedactedSetting<T> {
    /// The value.
    pub value: T,
    /// Where the winning definition was.
    pub origin: Origin,
    /// What it replaced, highest priority first.
    pub overridden: Vec<Overridden>,
}

/// The keys for unattended operation, safe to show: durations in the config's
/// notation, and the ping URLs with their path and query [`REDACTED`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RedactedOperations {
    /// `_lock`.
    pub lock: Option<RedactedSetting<bool>>,
    /// `_lock_wait` (`10m`).
    pub lock_wait: Option<RedactedSetting<String>>,
    /// `_success_exit_codes`.
    pub success_exit_codes: Option<RedactedSetting<Vec<u8>>>,
    /// `_hook_timeout` (`10m`).
    pub hook_timeout: Option<RedactedSetting<String>>,
    /// `_metrics_dir`.
    pub metrics_dir: Option<RedactedSetting<PathBuf>>,
    /// `_healthchecks`, path and query redacted.
    pub healthchecks: Option<RedactedSetting<String>>,
    /// `_ntfy`, path and query redacted.
    pub ntfy: Option<RedactedSetting<String>>,
    /// `_webhook`, path and query redacted.
    pub webhook: Option<RedactedSetting<String>>,
    /// `_schedule`.
    pub schedule: Option<RedactedSetting<Vec<String>>>,
    /// `_schedule_delay` (`30m`).
    pub schedule_delay: Option<RedactedSetting<String>>,
}

/// One resolved key for unattended operation, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRow {
    /// The key (`_lock_wait`).
    pub key: &'static str,
    /// Its value as text (`10m`, `true`, `[3]`, `https://hc-ping.com/<redacted>`).
    pub shown: String,
    /// Where it came from.
    pub origin: Origin,
    /// What it replaced.
    pub overridden: Vec<Overridden>,
}

impl RedactedOperations {
    /// Whether no key resolved.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The keys that resolved, in the order of docs/operations.md.
    pub fn rows(&self) -> Vec<OperationRow> {
        fn row<T>(
            key: &'static str,
            setting: &Option<RedactedSetting<T>>,
            show: impl Fn(&T) -> String,
        ) -> Option<OperationRow> {
            setting.as_ref().map(|setting| OperationRow {
                key,
                shown: show(&setting.value),
                origin: setting.origin.clone(),
                overridden: setting.overridden.clone(),
            })
        }
        let list = |values: &Vec<String>| {
            values
                .iter()
                .map(|value| crate::shell::quote(value))
                .collect::<Vec<_>>()
                .join(", ")
        };
        [
            row("_lock", &self.lock, ToString::to_string),
            row("_lock_wait", &self.lock_wait, Clone::clone),
            row("_success_exit_codes", &self.success_exit_codes, |codes| {
                format!("{codes:?}")
            }),
            row("_hook_timeout", &self.hook_timeout, Clone::clone),
            row("_metrics_dir", &self.metrics_dir, |dir| {
                crate::shell::display(&dir.display().to_string())
            }),
            row("_healthchecks", &self.healthchecks, |url| {
                crate::shell::display(url)
            }),
            row("_ntfy", &self.ntfy, |url| crate::shell::display(url)),
            row("_webhook", &self.webhook, |url| crate::shell::display(url)),
            row("_schedule", &self.schedule, list),
            row("_schedule_delay", &self.schedule_delay, Clone::clone),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn of(operations: &Operations) -> Self {
        fn shown<T: Clone, U>(
            setting: &Option<Setting<T>>,
            show: impl Fn(&T) -> U,
            secret: bool,
        ) -> Option<RedactedSetting<U>> {
            setting.as_ref().map(|setting| RedactedSetting {
                value: show(&setting.value),
                origin: setting.origin.clone(),
                overridden: masked_overridden(&setting.overridden, secret),
            })
        }
        let duration = |value: &std::time::Duration| crate::duration::format(*value);
        let url = |value: &String| mask_url_path(value);
        Self {
            lock: shown(&operations.lock, |value| *value, false),
            lock_wait: shown(&operations.lock_wait, duration, false),
            success_exit_codes: shown(&operations.success_exit_codes, Clone::clone, false),
            hook_timeout: shown(&operations.hook_timeout, duration, false),
            metrics_dir: shown(&operations.metrics_dir, Clone::clone, false),
            healthchecks: shown(&operations.healthchecks, url, true),
            ntfy: shown(&operations.ntfy, url, true),
            webhook: shown(&operations.webhook, url, true),
            schedule: shown(&operations.schedule, Clone::clone, false),
            schedule_delay: shown(&operations.schedule_delay, duration, false),
        }
    }
}

fn masked_overridden(overridden: &[Overridden], secret: bool) -> Vec<Overridden> {
    overridden
        .iter()
        .map(|old| Overridden {
            origin: old.origin.clone(),
            value: if secret {
                REDACTED.to_owned()
            } else {
                mask_url_passwords(&old.value)
            },
        })
        .collect()
}

fn masked_list(setting: &Setting<Vec<String>>) -> RedactedSetting<Vec<String>> {
    RedactedSetting {
        value: setting
            .value
            .iter()
            .map(|v| mask_url_passwords(v))
            .collect(),
        origin: setting.origin.clone(),
        overridden: masked_overridden(&setting.overridden, false),
    }
}

/// A flag's argv with its value(s) redacted when the key looks secret, URL passwords
/// masked otherwise.
fn flag_argv(flag: &Flag) -> Vec<String> {
    let secret = is_secret_name(&flag.key);
    let spelling = flag.spelling();
    match &flag.value {
        FlagValue::Values(values) => values
            .iter()
            .flat_map(|value| {
                let shown = if secret {
                    REDACTED.to_owned()
                } else {
                    mask_url_passwords(value)
                };
                [spelling.clone(), shown]
            })
            .collect(),
        FlagValue::Attached(value) => {
            let shown = if secret {
                REDACTED.to_owned()
            } else {
                mask_url_passwords(value)
            };
            vec![format!("{spelling}={shown}")]
        }
        FlagValue::Switch | FlagValue::Count(_) => flag.argv(),
    }
}

impl ResolvedConfig {
    /// This configuration with every secret removed (see [`Redacted`]).
    pub fn redacted(&self) -> Redacted {
        let flags: Vec<RedactedFlag> = self
            .flags
            .iter()
            .map(|flag| RedactedFlag {
                key: flag.key.clone(),
                argv: flag_argv(flag),
                origin: flag.origin.clone(),
                // Overridden values are the masked config text: a secret is `*` already.
                overridden: masked_overridden(&flag.overridden, false),
            })
            .collect();
        let arguments = self.arguments.as_ref().map(masked_list);
        let mut args = vec![self.command.clone()];
        args.extend(flags.iter().flat_map(|flag| flag.argv.iter().cloned()));
        if let Some(arguments) = &arguments {
            if arguments
                .value
                .iter()
                .any(|argument| argument.starts_with('-'))
            {
                args.push("--".to_owned());
            }
            args.extend(arguments.value.iter().cloned());
        }
        let environ = self
            .environ
            .iter()
            .filter(|var| !RUN_TIME_ONLY.contains(&var.name.as_str()))
            .map(|var| {
                let secret = is_secret_name(&var.name);
                RedactedVar {
                    name: var.name.clone(),
                    value: match &var.value {
                        EnvValue::Command(command) => {
                            ShownValue::Command(mask_url_passwords(command))
                        }
                        EnvValue::Literal(_) if secret => ShownValue::Redacted,
                        EnvValue::Literal(value) => ShownValue::Literal(mask_url_passwords(value)),
                    },
                    origin: var.origin.clone(),
                    overridden: masked_overridden(&var.overridden, secret),
                }
            })
            .collect();
        Redacted {
            preset: self.preset.clone(),
            typed_command: self.typed_command.clone(),
            command: self.command.clone(),
            args,
            flags,
            arguments,
            workdir: self.workdir.as_ref().map(|setting| RedactedSetting {
                value: setting.value.clone(),
                origin: setting.origin.clone(),
                overridden: masked_overridden(&setting.overridden, false),
            }),
            environ,
            pre_hooks: self.pre_hooks.as_ref().map(masked_list),
            post_hooks: self.post_hooks.as_ref().map(masked_list),
            hooks_apply: self.hooks_apply(),
            operations: RedactedOperations::of(&self.operations),
            files: self.files.clone(),
            sections: self.sections.clone(),
        }
    }
}

impl Redacted {
    /// The hooks that will run: the configured list when hooks apply, else none.
    pub fn active_hooks<'a>(
        &self,
        setting: &'a Option<RedactedSetting<Vec<String>>>,
    ) -> &'a [String] {
        match setting {
            Some(setting) if self.hooks_apply => &setting.value,
            _ => &[],
        }
    }
}

// `Debug` of a resolved configuration is its redacted view: a password, key or token,
// or a URL's password, never appears in a log line made with `{:?}`.
impl fmt::Debug for ResolvedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolvedConfig")
            .field("redacted", &self.redacted())
            .field("warnings", &self.warnings)
            .finish()
    }
}

#[cfg(feature = "serde")]
mod serialize {
    //! Provenance serialises as plain data (no secret is ever part of it).

    use serde::ser::{Serialize, SerializeStruct, Serializer};

    use crate::resolved::{Origin, Overridden};

    impl Serialize for Origin {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            match self {
                Origin::File {
                    path,
                    line,
                    column,
                    section,
                } => {
                    let mut out = serializer.serialize_struct("Origin", 5)?;
                    out.serialize_field("kind", "file")?;
                    out.serialize_field("path", path)?;
                    out.serialize_field("line", line)?;
                    out.serialize_field("column", column)?;
                    out.serialize_field("section", section)?;
                    out.end()
                }
                Origin::CommandLine { index } => {
                    let mut out = serializer.serialize_struct("Origin", 2)?;
                    out.serialize_field("kind", "command_line")?;
                    out.serialize_field("index", index)?;
                    out.end()
                }
            }
        }
    }

    impl Serialize for Overridden {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut out = serializer.serialize_struct("Overridden", 2)?;
            out.serialize_field("origin", &self.origin)?;
            out.serialize_field("value", &self.value)?;
            out.end()
        }
    }
}
