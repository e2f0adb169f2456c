//! What the drill screen shows of a finished drill: the lines `keld drill` prints
//! (one per file, then the summary), and what ended it or failed it, with the help
//! the command line gives, all made from keld-hooks' [`DrillReport`].

use keld_hooks::{DrillReport, Verdict};

/// A drill run from the session, as its screen shows it. Every text is as keld-hooks
/// renders it for `keld drill` (paths escaped onto one line); the screen escapes
/// messages again where it draws them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillOutcome {
    /// The preset drilled.
    pub preset: String,
    /// Each file's verdict and its line as `keld drill` prints it
    /// (`ok      /home/me/notes.txt`).
    pub files: Vec<(Verdict, String)>,
    /// The summary line as `keld drill` prints it, when files were judged.
    pub summary: Option<String>,
    /// What ended the drill early, or the restore that failed, and what to do.
    pub error: Option<(String, String)>,
    /// `2 of 20 files failed the drill: ...`, when a file is `mismatch` or
    /// `not_restored`.
    pub failed_files: Option<String>,
    /// keld's exit code for the drill, as `keld drill` would exit.
    pub exit_code: u8,
    /// The result it was recorded with (`success`, `failed`, `interrupted`).
    pub result: &'static str,
    /// Records, pings or the private directory that did not work out.
    pub warnings: Vec<String>,
}

impl DrillOutcome {
    /// The outcome of `report`, with `warnings` from its observers.
    pub fn of(report: &DrillReport, mut warnings: Vec<String>) -> Self {
        warnings.extend(report.warnings.iter().cloned());
        Self {
            preset: report.preset.clone(),
            files: report
                .files
                .iter()
                .map(|file| (file.verdict, file.line()))
                .collect(),
            summary: report.summary(),
            error: report.error.as_ref().map(|error| {
                (
                    keld_config::mask_url_passwords(&error.to_string()),
                    error.help(&report.preset),
                )
            }),
            failed_files: report.failed_files(),
            exit_code: report.run.exit_code,
            result: report.run.result.as_str(),
            warnings,
        }
    }
}
