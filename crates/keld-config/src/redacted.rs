//! The redacted view of a resolved configuration: what every output renders from.
//!
//! `--show-command` (text and JSON), the interactive mode's confirmation, `Debug`
//! output and an embedder's serialisation all start from [`Redacted`], in which a
//! secret value is already [`REDACTED`] and every URL password masked, so none of
//! them can show what another hides.

use std::fmt;
use std::path::PathBuf;

use crate::redact::{REDACTED, is_secret_name, mask_url_passwords};
use crate::resolved::{EnvValue, Flag, FlagValue, Origin, Overridden, ResolvedConfig, Setting};

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
