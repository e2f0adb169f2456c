//! `--show-command`: what would run, printed instead of running it.
//!
//! The resolved config is first turned into a [`View`] in which secrets are already
//! redacted and run-time-only variables are gone; the plain, provenance and JSON forms
//! all render from that view, so none of them can show what another hides.

mod json;
mod text;

use std::path::Path;

use keld_config::{EnvValue, FlagValue, Origin, ResolvedConfig, Setting};

use crate::quote;
use crate::secret::{self, REDACTED};

/// Which form of `--show-command` to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Form {
    /// `--json`
    pub(crate) json: bool,
    /// `--verbose`: provenance of every value.
    pub(crate) verbose: bool,
}

/// Render the resolved config in the requested form; the text ends with a newline.
pub(crate) fn render(resolved: &ResolvedConfig, program: &str, form: Form) -> String {
    let resolved = without_url_passwords(resolved);
    let view = View::new(&resolved, program);
    match (form.json, form.verbose) {
        (true, verbose) => json::render(&view, verbose),
        (false, false) => text::plain(&view),
        (false, true) => text::verbose(&view),
    }
}

/// A copy of `resolved` in which every value that could hold a URL (flags, arguments,
/// environment literals, hooks, and all they overrode) has its URL passwords masked, so
/// a rest-server repository `rest:https://me:pw@host/` never shows `pw`.
fn without_url_passwords(resolved: &ResolvedConfig) -> ResolvedConfig {
    fn mask(value: &mut String) {
        if let std::borrow::Cow::Owned(masked) = secret::mask_url_passwords(value) {
            *value = masked;
        }
    }
    fn mask_overridden(overridden: &mut [keld_config::Overridden]) {
        overridden.iter_mut().for_each(|old| mask(&mut old.value));
    }
    fn mask_list(setting: Option<&mut Setting<Vec<String>>>) {
        if let Some(setting) = setting {
            setting.value.iter_mut().for_each(mask);
            mask_overridden(&mut setting.overridden);
        }
    }

    let mut resolved = resolved.clone();
    for flag in &mut resolved.flags {
        match &mut flag.value {
            FlagValue::Values(values) => values.iter_mut().for_each(mask),
            FlagValue::Attached(value) => mask(value),
            FlagValue::Switch | FlagValue::Count(_) => {}
        }
        mask_overridden(&mut flag.overridden);
    }
    for var in &mut resolved.environ {
        match &mut var.value {
            EnvValue::Literal(value) | EnvValue::Command(value) => mask(value),
        }
        mask_overridden(&mut var.overridden);
    }
    mask_list(resolved.arguments.as_mut());
    mask_list(resolved.pre_hooks.as_mut());
    mask_list(resolved.post_hooks.as_mut());
    resolved
}

/// An environment value as it may be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ShownValue {
    /// A literal value whose name does not look secret.
    Literal(String),
    /// A literal value whose name looks secret.
    Redacted,
    /// Shell text whose output becomes the value (`NAME_COMMAND`); not run.
    Command(String),
}

/// One environment variable, ready to show.
#[derive(Debug)]
struct ShownVar<'a> {
    name: &'a str,
    value: ShownValue,
    origin: &'a Origin,
    /// Replaced definitions, values redacted when the name looks secret.
    overridden: Vec<(&'a Origin, String)>,
}

/// The resolved config with everything that must not be shown already removed.
#[derive(Debug)]
struct View<'a> {
    resolved: &'a ResolvedConfig,
    /// Program and arguments, unquoted.
    argv: Vec<String>,
    environ: Vec<ShownVar<'a>>,
}

impl<'a> View<'a> {
    fn new(resolved: &'a ResolvedConfig, program: &str) -> Self {
        let mut argv = vec![program.to_owned()];
        argv.extend(resolved.args());
        let environ = resolved
            .environ
            .iter()
            .filter(|var| !secret::is_run_time_only(&var.name))
            .map(|var| {
                let secret = secret::is_secret_name(&var.name);
                let value = match &var.value {
                    EnvValue::Command(command) => ShownValue::Command(command.clone()),
                    EnvValue::Literal(_) if secret => ShownValue::Redacted,
                    EnvValue::Literal(value) => ShownValue::Literal(value.clone()),
                };
                let overridden = var
                    .overridden
                    .iter()
                    .map(|old| {
                        let value = if secret {
                            REDACTED.to_owned()
                        } else {
                            old.value.clone()
                        };
                        (&old.origin, value)
                    })
                    .collect();
                ShownVar {
                    name: &var.name,
                    value,
                    origin: &var.origin,
                    overridden,
                }
            })
            .collect();
        Self {
            resolved,
            argv,
            environ,
        }
    }

    /// The command line, quoted for pasting into a POSIX shell.
    fn shell_line(&self) -> String {
        quote::join(&self.argv)
    }

    /// Hooks that will run, with the setting they come from (only for `backup`).
    fn active_hooks(&self, setting: &'a Option<Setting<Vec<String>>>) -> &'a [String] {
        match setting {
            Some(setting) if self.resolved.hooks_apply() => &setting.value,
            _ => &[],
        }
    }

    fn workdir(&self) -> Option<&'a Path> {
        self.resolved.workdir.as_ref().map(|w| w.value.as_path())
    }
}

impl ShownValue {
    /// `value`, `<redacted>` or `$(command)`: how the value reads after `NAME=`.
    fn display(&self) -> String {
        match self {
            Self::Literal(value) => quote::quote(value),
            Self::Redacted => REDACTED.to_owned(),
            Self::Command(command) => format!("$({command})"),
        }
    }
}
