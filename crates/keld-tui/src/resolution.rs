//! Config resolution as the screens need it: a diagnostic as text, and whether a
//! command's `_arguments` were meant for it.

use std::fmt::Write as _;

use keld_config::{Origin, ResolvedConfig};
use miette::Diagnostic;

/// Whether the `_arguments` a command resolved to were set for that command: on
/// the command line, or in a section named for it (`[home.forget]`), not in a
/// section every command reads (`["home@"]`, meant for `backup`).
pub(crate) fn arguments_meant_for_command(resolved: &ResolvedConfig) -> bool {
    resolved
        .arguments
        .as_ref()
        .is_some_and(|arguments| match &arguments.origin {
            Origin::File { section, .. } => {
                section.rsplit('.').next() == Some(resolved.typed_command.as_str())
            }
            _ => true,
        })
}

/// A diagnostic as plain lines for a screen: the message, then its help.
pub(crate) fn describe(diagnostic: &dyn Diagnostic) -> String {
    let mut text = diagnostic.to_string();
    if let Some(help) = diagnostic.help() {
        let _ = write!(text, "\nhelp: {help}");
    }
    text
}
