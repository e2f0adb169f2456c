//! Keld's own failures and how they reach the user: miette diagnostics on stderr.

use std::io::{self, Write};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
    SourceSpan,
};
use thiserror::Error;

use crate::cli::USAGE;
use crate::context::Context;
use crate::escape;

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
/// What is rendered is a [`Safe`] copy: every text of the diagnostic, and the lines
/// of a config file it quotes, with control characters escaped (miette prints both
/// as they are, and they may come from a config file).
pub(crate) fn render(diagnostic: &dyn Diagnostic, ctx: &Context) -> String {
    let theme = if ctx.colour() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let safe = Safe::of(diagnostic);
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    if handler.render_report(&mut out, &safe).is_err() {
        // Rendering into a String only fails if a Display impl fails; fall back to text.
        out = format!("Error: {}\n", safe.message);
    }
    out
}

/// A diagnostic as keld prints it: its message, code, help, labels, causes and
/// related diagnostics with control characters escaped ([`escape::message`]), and
/// the source text it quotes escaped too, its labels moved to match
/// ([`escape::Source`]). Text without control characters is unchanged, and the
/// source code is passed through as it is.
struct Safe<'a> {
    message: String,
    code: Option<String>,
    severity: Option<miette::Severity>,
    help: Option<String>,
    url: Option<String>,
    source: SafeSource<'a>,
    labels: Option<Vec<LabeledSpan>>,
    related: Vec<Safe<'a>>,
    cause: Option<Box<Cause>>,
}

/// The source code a [`Safe`] diagnostic quotes.
enum SafeSource<'a> {
    None,
    /// Nothing to escape: the diagnostic's own.
    Original(&'a dyn SourceCode),
    /// Escaped, with its (escaped) name.
    Escaped(NamedSource<String>),
}

/// One cause of a [`Safe`] diagnostic: only its message is shown.
#[derive(Debug)]
struct Cause {
    message: String,
    next: Option<Box<Cause>>,
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.next
            .as_deref()
            .map(|next| next as &(dyn std::error::Error + 'static))
    }
}

impl<'a> Safe<'a> {
    fn of(diagnostic: &'a dyn Diagnostic) -> Self {
        let text = |shown: &dyn std::fmt::Display| escape::message(&shown.to_string()).into_owned();
        let (source, shift) = match diagnostic.source_code() {
            Some(code) => safe_source(code),
            None => (SafeSource::None, None),
        };
        let labels = match (&source, diagnostic.labels()) {
            // A source that could not be read is not quoted at all.
            (SafeSource::None, _) | (_, None) => None,
            (_, Some(labels)) => Some(
                labels
                    .map(|label| {
                        let (start, end) = (label.offset(), label.offset() + label.len());
                        let (start, end) = match &shift {
                            Some(shown) => (shown.offset(start), shown.offset(end)),
                            None => (start, end),
                        };
                        let span = SourceSpan::from((start, end - start));
                        let text = label.label().map(|label| text(&label));
                        if label.primary() {
                            LabeledSpan::new_primary_with_span(text, span)
                        } else {
                            LabeledSpan::new_with_span(text, span)
                        }
                    })
                    .collect(),
            ),
        };
        // The causes as miette walks them: the diagnostic source, else the error source.
        let mut messages = Vec::new();
        let mut next: Option<&dyn std::error::Error> = match diagnostic.diagnostic_source() {
            Some(cause) => Some(cause),
            None => diagnostic.source(),
        };
        while let Some(cause) = next {
            messages.push(text(&cause));
            next = cause.source();
        }
        let cause = messages.into_iter().rev().fold(None, |next, message| {
            Some(Box::new(Cause { message, next }))
        });
        Self {
            message: text(&diagnostic),
            code: diagnostic.code().map(|code| text(&code)),
            severity: diagnostic.severity(),
            help: diagnostic.help().map(|help| text(&help)),
            url: diagnostic.url().map(|url| text(&url)),
            source,
            labels,
            related: diagnostic
                .related()
                .map(|related| related.map(Safe::of).collect())
                .unwrap_or_default(),
            cause,
        }
    }
}

/// `code` as it may be quoted: itself when neither its text nor its name holds a
/// control character, else an escaped copy and the map of its offsets.
fn safe_source(code: &dyn SourceCode) -> (SafeSource<'_>, Option<escape::Source>) {
    // The whole text: from offset 0, every line after it.
    let Ok(contents) = code.read_span(&SourceSpan::from((0, 0)), 0, usize::MAX) else {
        return (SafeSource::None, None);
    };
    let Ok(text) = std::str::from_utf8(contents.data()) else {
        return (SafeSource::None, None);
    };
    let name = contents
        .name()
        .map(|name| escape::message(name).into_owned());
    let shown = escape::Source::of(text);
    if shown.is_none() && name.as_deref() == contents.name() {
        return (SafeSource::Original(code), None);
    }
    let escaped = shown
        .as_ref()
        .map_or_else(|| text.to_owned(), |shown| shown.text.clone());
    let named = NamedSource::new(name.unwrap_or_default(), escaped);
    (SafeSource::Escaped(named), shown)
}

impl std::fmt::Debug for Safe<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Safe")
            .field("message", &self.message)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Display for Safe<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Safe<'_> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

impl Diagnostic for Safe<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.code
            .as_ref()
            .map(|code| Box::new(code) as Box<dyn std::fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        self.severity
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn std::fmt::Display>)
    }

    fn url<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.url
            .as_ref()
            .map(|url| Box::new(url) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        match &self.source {
            SafeSource::None => None,
            SafeSource::Original(code) => Some(*code),
            SafeSource::Escaped(named) => Some(named),
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.labels
            .as_ref()
            .map(|labels| Box::new(labels.iter().cloned()) as Box<dyn Iterator<Item = _>>)
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related
                .iter()
                .map(|related| related as &dyn Diagnostic),
        ))
    }
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
