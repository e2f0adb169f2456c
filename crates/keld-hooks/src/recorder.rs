//! The observer that records every run (`runs.jsonl`) and writes its metrics
//! (`_metrics_dir`). A failure to record or to write metrics is a warning and never
//! changes the run or its exit code.

use std::path::PathBuf;

use jiff::Timestamp;

use crate::invocation::Invocation;
use crate::metrics;
use crate::purpose::Purpose;
use crate::record::{self, ProcessInfo, Record, RecordLog};
use crate::report::{Event, Observer};

/// Records each finished run and writes its metrics; collects warnings for the
/// caller to show.
///
/// A run in which restic was only asked for its help or for a dry run is not
/// recorded: it backed nothing up, and must not count as a backup.
#[derive(Debug)]
pub struct Recorder {
    state_dir: Option<PathBuf>,
    process: ProcessInfo,
    warnings: Vec<String>,
}

impl Recorder {
    /// A recorder writing to `state_dir` (see [`crate::state_dir`]).
    pub fn new(state_dir: Option<PathBuf>, process: ProcessInfo) -> Self {
        Self {
            state_dir,
            process,
            warnings: Vec::new(),
        }
    }

    /// The warnings since the last call (a state directory that cannot be written, a
    /// metrics file that cannot be replaced).
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    fn record(&mut self, invocation: &Invocation, record: &Record) {
        match &self.state_dir {
            Some(dir) => {
                if let Err(error) = record::append(dir, record) {
                    self.warnings
                        .push(format!("the run was not recorded: {error}"));
                }
            }
            None => self.warnings.push(
                "the run was not recorded: keld has no state directory (set KELD_STATE_DIR, \
                 XDG_STATE_HOME or HOME)"
                    .to_owned(),
            ),
        }
        let Some(dir) = &invocation.operations.metrics_dir else {
            return;
        };
        let last_success = self.last_success(record);
        let path = metrics::metrics_path(dir, &record.preset, &record.command);
        if let Err(error) =
            crate::files::write_atomically(&path, &metrics::render(record, last_success))
        {
            self.warnings.push(format!(
                "metrics were not written to {}: {error}",
                path.display()
            ));
        }
    }

    /// The newest `success` or `warning` run of this record's preset and command:
    /// from the records, this one included.
    fn last_success(&self, latest: &Record) -> Option<Timestamp> {
        let recorded = self
            .state_dir
            .as_deref()
            .and_then(|dir| RecordLog::read(dir).ok())
            .and_then(|log| log.newest_success(&latest.preset, &latest.command));
        let latest = latest
            .result
            .is_success()
            .then(|| latest.finished_at())
            .flatten();
        recorded.max(latest)
    }
}

impl Observer for Recorder {
    fn on_event(&mut self, invocation: &Invocation, event: &Event<'_>) {
        let Event::Finished(report) = event else {
            return;
        };
        if invocation.purpose != Purpose::Run {
            return;
        }
        let record = Record::new(invocation, report, &self.process);
        self.record(invocation, &record);
    }
}
