//! Keld's own failures and how they reach the user: miette diagnostics on stderr.

use std::io::{self, Write};

use keld_config::terminal::SafeDiagnostic;
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};
use thiserror::Error;

use crate::cli::USAGE;
use crate::context::Context;

/// A failure of keld itself (not of restic): exit code 1 unless said otherwise.
#[derive(Debug, Error, Diagnostic)]
pub(crate) enum CliError {
    /// Config loading or resolution failed; the library's diagnostic says where.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] keld_config::Error),

    /// Bare `keld` with nobody to ask.
    #[error("no command given")]
    #[diagnostic(
        code(keld::no_command),
        help(
            "usage: {USAGE}\n\
             give a restic command, for example `keld -p home backup` or `keld snapshots`; \
             `keld presets` lists your presets and `keld --help` shows every option"
        )
    )]
    NoCommand,

    /// An argument after COMMAND that is not valid UTF-8.
    #[error("{what} is not valid UTF-8: {lossy}")]
    #[diagnostic(
        code(keld::argument_encoding),
        help(
            "keld passes arguments through its config resolution as text; rename the file or pass it with restic's --files-from"
        )
    )]
    NonUtf8Argument {
        /// `COMMAND` or `argument N after COMMAND`.
        what: String,
        /// The argument with invalid bytes replaced.
        lossy: String,
    },

    /// `keld status --repository` without presets.
    #[error("keld status --repository needs the presets to ask restic about")]
    #[diagnostic(
        code(keld::status_presets),
        help(
            "name them with -p (repeat it, or a comma-separated list): `keld status --repository -p home`"
        )
    )]
    StatusNeedsPresets,

    /// No state directory can be known.
    #[error("keld has no state directory, so it has no run records")]
    #[diagnostic(
        code(keld::state_dir),
        help(
            "set KELD_STATE_DIR (or XDG_STATE_HOME, or HOME) as the runs that wrote the records had it"
        )
    )]
    NoStateDir,

    /// The records file exists but cannot be read.
    #[error("cannot read the run records {}", .path.display())]
    #[diagnostic(code(keld::records), help("check the state directory's permissions"))]
    Records {
        /// The records file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },

    /// restic's snapshot list could not be read.
    #[error(transparent)]
    #[diagnostic(code(keld::snapshots))]
    Snapshots(keld_hooks::SnapshotsError),

    /// A `_schedule` calendar systemd refuses.
    #[error("{at}: systemd does not accept the calendar {calendar:?}: {message}")]
    #[diagnostic(
        code(keld::schedule_calendar),
        help(
            "write an OnCalendar= expression systemd understands (`daily`, `Mon..Fri 02:00`, `*-*-* 03:30`); check it with `systemd-analyze calendar EXPR`"
        )
    )]
    BadCalendar {
        /// The expression.
        calendar: String,
        /// Where it is set.
        at: String,
        /// systemd's message.
        message: String,
    },

    /// The user unit directory cannot be known.
    #[error("keld cannot tell where your systemd user units go")]
    #[diagnostic(
        code(keld::unit_dir),
        help("set HOME or XDG_CONFIG_HOME, or use --system as root")
    )]
    NoUnitDir,

    /// keld's own path is unknown (for `ExecStart=`).
    #[error("keld cannot tell its own path for the units' ExecStart=")]
    #[diagnostic(code(keld::own_path))]
    OwnPath(#[source] io::Error),

    /// Writing units or running systemctl failed.
    #[error(transparent)]
    #[diagnostic(code(keld::schedule))]
    Schedule(#[from] keld_hooks::ScheduleError),

    /// Writing to stdout failed (a closed pipe is handled before this is shown).
    #[error("writing to standard output failed")]
    #[diagnostic(code(keld::stdout))]
    Stdout(#[source] io::Error),
}

impl CliError {
    /// Whether this failure is a reader closing the pipe (`keld presets | head -1`),
    /// which is normal and ends keld quietly with success.
    pub(crate) fn is_broken_pipe(&self) -> bool {
        matches!(self, Self::Stdout(err) if err.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// A finding that does not stop keld (e.g. an unknown restic flag).
#[derive(Debug, Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(severity(Warning))]
pub(crate) struct WarningReport {
    message: String,
    #[help]
    help: Option<String>,
}

impl WarningReport {
    /// A warning of keld's own.
    pub(crate) fn new(message: String, help: Option<String>) -> Self {
        Self { message, help }
    }
}

impl From<&keld_config::Warning> for WarningReport {
    fn from(warning: &keld_config::Warning) -> Self {
        let message = match &warning.origin {
            Some(origin) => format!("{} ({})", warning.message, origin),
            None => warning.message.clone(),
        };
        Self {
            message,
            help: warning.help.clone(),
        }
    }
}

/// Render a diagnostic the way every keld message looks: miette's graphical report,
/// coloured only when stderr is a terminal and `NO_COLOR` is not set.
///
/// What is rendered is a [`SafeDiagnostic`] copy: every text of the diagnostic, and the lines
/// of a config file it quotes, with control characters escaped (miette prints both
/// as they are, and they may come from a config file).
pub(crate) fn render(diagnostic: &dyn Diagnostic, ctx: &Context) -> String {
    let theme = if ctx.colour() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let safe = SafeDiagnostic::of(diagnostic);
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    if handler.render_report(&mut out, &safe).is_err() {
        // Rendering into a String only fails if a Display impl fails; fall back to text.
        out = format!("Error: {safe}\n");
    }
    out
}

/// Print a diagnostic to stderr. A failing stderr has nowhere left to report to.
pub(crate) fn report(diagnostic: &dyn Diagnostic, ctx: &Context) {
    let text = render(diagnostic, ctx);
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// Print non-fatal warnings to stderr (never stdout, which may be parsed).
pub(crate) fn report_warnings<'a>(
    warnings: impl IntoIterator<Item = &'a keld_config::Warning>,
    ctx: &Context,
) {
    for warning in warnings {
        report(&WarningReport::from(warning), ctx);
    }
}

/// Replace the default panic hook with one that never prints the panic's message.
///
/// A panic message can quote any value the code had at hand, a password from the
/// config included, so keld prints a fixed text and the place only. It is meant to be
/// the first hook: a later one (the interactive mode's terminal restorer) takes it
/// with `std::panic::take_hook` and calls it after its own work.
pub(crate) fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let text = panic_text(info.location());
        let _ = io::stderr().lock().write_all(text.as_bytes());
    }));
}

/// What keld prints when it panics: a fixed message and where, never the payload.
fn panic_text(location: Option<&std::panic::Location<'_>>) -> String {
    let place = location.map_or_else(
        || "an unknown place".to_owned(),
        |location| format!("{}:{}", location.file(), location.line()),
    );
    format!(
        "keld: internal error at {place}; this is a bug in keld, please report it.\n\
         (The panic message is not shown because it could contain configuration values.)\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Set in a child copy of this test binary, which then panics with a marker.
    const CHILD: &str = "KELD_TEST_PANIC_CHILD";
    const MARKER: &str = "MARKER-panic-s3cr3t";

    /// Installs the panic hook and panics with the marker: run by [`run_child`] in a
    /// process of its own, as the hook is process-wide.
    #[test]
    #[ignore = "a child process of the panic hook tests, run by them"]
    fn panic_child() {
        let mode = std::env::var(CHILD).expect(
            "panic_child runs in a child process of the panic hook tests, which set its mode",
        );
        install_panic_hook();
        if mode == "chained" {
            // The interactive mode's pattern: do its own work, then call the previous hook.
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let _ = io::stderr().write_all(b"terminal restored\n");
                previous(info);
            }));
        }
        let password = MARKER.to_owned();
        panic!("could not parse {password}");
    }

    fn run_child(mode: &str) -> String {
        let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "error::tests::panic_child",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env(CHILD, mode)
            .output()
            .expect("run the test binary");
        assert!(!output.status.success(), "the child must panic");
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    #[test]
    fn a_panic_shows_the_place_but_never_the_message() {
        let stderr = run_child("plain");
        assert!(!stderr.contains("s3cr3t"), "{stderr}");
        assert!(
            stderr.contains("keld: internal error at keld-cli/src/error.rs:"),
            "{stderr}"
        );
    }

    #[test]
    fn a_later_hook_chains_to_the_fixed_message() {
        let stderr = run_child("chained");
        assert!(!stderr.contains("s3cr3t"), "{stderr}");
        let restored = stderr.find("terminal restored").expect("later hook ran");
        let message = stderr
            .find("keld: internal error")
            .expect("keld's hook ran");
        assert!(restored < message, "{stderr}");
    }

    #[test]
    fn the_text_without_a_location() {
        assert!(panic_text(None).starts_with("keld: internal error at an unknown place;"));
    }
}
