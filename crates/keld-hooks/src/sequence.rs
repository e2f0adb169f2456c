//! Several presets in one call (`-p home@nas,home@usb backup`): what keld says before
//! each run, the summary after the last, and the exit code of the whole call
//! (docs/operations.md).

use std::fmt::Write as _;

use keld_config::shell;
use keld_status::{Outcome, RunResult};

/// The line on stderr before `preset`'s run of `command`.
pub fn sequence_header(preset: &str, command: &str) -> String {
    format!(
        "==> {}: restic {}\n",
        shell::display(preset),
        shell::display(command)
    )
}

/// How one preset of a sequence ended.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ended {
    preset: String,
    result: RunResult,
    exit_code: u8,
}

/// How the runs of a sequence ended, in order, and the signal that stopped it, if
/// one did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SequenceSummary {
    ended: Vec<Ended>,
    stopped_by: Option<i32>,
}

impl SequenceSummary {
    /// `preset`'s run ended with `result` and `exit_code`.
    pub fn ended(&mut self, preset: &str, result: RunResult, exit_code: u8) {
        self.ended.push(Ended {
            preset: preset.to_owned(),
            result,
            exit_code,
        });
    }

    /// The signal `signal` stopped the sequence: no later preset runs.
    pub fn stopped_by(&mut self, signal: i32) {
        self.stopped_by = Some(signal);
    }

    /// The call's exit code: 0 when every run exited 0, else the first that did not,
    /// or 128 + N after a signal.
    pub fn exit_code(&self) -> u8 {
        match self.stopped_by {
            Some(signal) => Outcome::Signaled(signal).exit_code(),
            None => self
                .ended
                .iter()
                .map(|run| run.exit_code)
                .find(|&code| code != 0)
                .unwrap_or(0),
        }
    }

    /// The summary on stderr: one line per preset of `presets` (all the sequence was
    /// asked to run) with its result and exit code, and the presets a signal kept from
    /// starting.
    pub fn text(&self, presets: &[String]) -> String {
        let shown: Vec<String> = presets
            .iter()
            .map(|preset| shell::display(preset))
            .collect();
        let width = shown
            .iter()
            .map(|preset| preset.chars().count())
            .max()
            .unwrap_or(0);
        let mut out = String::from("==> summary\n");
        for run in &self.ended {
            let _ = writeln!(
                out,
                "  {:<width$}  {:<11}  exit {}",
                shell::display(&run.preset),
                run.result,
                run.exit_code
            );
        }
        if let Some(signal) = self.stopped_by {
            for preset in shown.iter().skip(self.ended.len()) {
                let _ = writeln!(
                    out,
                    "  {preset:<width$}  not run (stopped by signal {signal})"
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failure_or_the_signal_is_the_exit_code() {
        let presets = ["a".to_owned(), "bb".to_owned(), "c".to_owned()];
        let mut summary = SequenceSummary::default();
        summary.ended("a", RunResult::Success, 0);
        summary.ended("bb", RunResult::Failed, 3);
        assert_eq!(summary.exit_code(), 3);
        assert_eq!(
            summary.text(&presets[..2]),
            "==> summary\n  a   success      exit 0\n  bb  failed       exit 3\n"
        );
        summary.stopped_by(15);
        assert_eq!(summary.exit_code(), 128 + 15);
        assert!(
            summary
                .text(&presets)
                .ends_with("  c   not run (stopped by signal 15)\n")
        );
    }
}
