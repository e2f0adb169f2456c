//! `--show-command`: what would run, printed instead of running it.
//!
//! Every form (plain, provenance, JSON) renders from the same two things: the
//! invocation the run pipeline would run ([`Invocation`], for the program as
//! configured) and the resolved config's redacted view ([`keld_config::Redacted`]),
//! in which secrets are already `<redacted>`, URL passwords masked and run-time-only
//! variables gone, so none of the forms can show what another hides.

mod json;
mod text;

pub use text::origin as origin_text;

use crate::invocation::Invocation;
use crate::purpose::Purpose;
use keld_config::{Redacted, ResolvedConfig, shell};

/// Which form of `--show-command` to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShowForm {
    /// `--json`
    pub json: bool,
    /// `--verbose`: provenance of every value.
    pub verbose: bool,
}

/// `--show-command`: what `invocation` (resolved from `resolved`) would run, in the
/// requested form; the text ends with a newline.
pub fn show_command(resolved: &ResolvedConfig, invocation: &Invocation, form: ShowForm) -> String {
    let view = View::new(resolved.redacted(), invocation);
    let text = match (form.json, form.verbose) {
        (true, verbose) => return json::render(&view, verbose),
        (false, false) => text::plain(&view),
        (false, true) => text::verbose(&view),
    };
    // Every field is quoted or escaped on its own; this keeps a control character
    // that slipped through off the terminal all the same.
    keld_config::terminal::message(&text).into_owned()
}

/// The `--show-command --json` document of one resolution, for a list of several.
pub fn show_command_json(
    resolved: &ResolvedConfig,
    invocation: &Invocation,
    verbose: bool,
) -> serde_json::Value {
    json::document(&View::new(resolved.redacted(), invocation), verbose)
}

/// `--show-command` for several presets in one call: the text blocks one after
/// another, a blank line between them, or with `--json` one array of the documents.
pub fn show_commands(shown: &[(ResolvedConfig, Invocation)], form: ShowForm) -> String {
    if form.json {
        let documents: Vec<serde_json::Value> = shown
            .iter()
            .map(|(resolved, invocation)| show_command_json(resolved, invocation, form.verbose))
            .collect();
        crate::json::pretty_json(&documents)
    } else {
        let blocks: Vec<String> = shown
            .iter()
            .map(|(resolved, invocation)| show_command(resolved, invocation, form))
            .collect();
        blocks.join("\n")
    }
}

/// The command line `invocation` runs, as every output shows it: the program, then
/// the arguments with secret values redacted (`redacted` is the config's redacted
/// view), unquoted.
pub fn shown_argv(redacted: &Redacted, invocation: &Invocation) -> Vec<String> {
    let mut argv = vec![invocation.program.to_string_lossy().into_owned()];
    argv.extend(redacted.args.iter().cloned());
    argv
}

/// The redacted config and the command line it runs.
#[derive(Debug)]
struct View {
    redacted: Redacted,
    /// Program and arguments, unquoted, secrets redacted.
    argv: Vec<String>,
    /// Whether restic does its job, or is only asked for help or a dry run (then no
    /// hook runs).
    purpose: Purpose,
}

impl View {
    fn new(redacted: Redacted, invocation: &Invocation) -> Self {
        let argv = shown_argv(&redacted, invocation);
        Self {
            redacted,
            argv,
            purpose: invocation.purpose,
        }
    }

    /// The command line, quoted for pasting into a shell.
    fn shell_line(&self) -> String {
        shell::join(&self.argv)
    }

    /// Hooks that will run (only for a `backup` that is no help and no dry run).
    fn active_hooks(&self, pre: bool) -> &[String] {
        if !self.hooks_run() {
            return &[];
        }
        let setting = if pre {
            &self.redacted.pre_hooks
        } else {
            &self.redacted.post_hooks
        };
        self.redacted.active_hooks(setting)
    }

    /// Whether the configured hooks run: for `backup`, unless restic is only asked
    /// for help or a dry run.
    fn hooks_run(&self) -> bool {
        self.redacted.hooks_apply && self.purpose == Purpose::Run
    }

    /// Why configured hooks do not run, if they do not.
    fn hooks_not_run(&self) -> Option<&'static str> {
        if !self.redacted.hooks_apply {
            Some("hooks apply only to backup")
        } else {
            match self.purpose {
                Purpose::Run => None,
                Purpose::Help => Some("restic is only asked for help"),
                Purpose::DryRun => Some("a dry run stores nothing"),
            }
        }
    }
}
