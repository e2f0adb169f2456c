//! The Prometheus textfile for node_exporter (`_metrics_dir`): after each recorded
//! run, `<dir>/keld_<preset>_<command>.prom`, written atomically with mode 0644.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::lock::file_name_part;
use crate::record::Record;

/// The textfile's path for a preset and command.
pub fn metrics_path(dir: &Path, preset: &str, command: &str) -> PathBuf {
    dir.join(format!(
        "keld_{}_{}.prom",
        file_name_part(preset),
        file_name_part(command)
    ))
}

/// A label value in the text exposition format: `\`, `"` and newline escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Seconds since the epoch, with milliseconds.
fn seconds(time: Timestamp) -> String {
    format!("{:.3}", time.as_millisecond() as f64 / 1000.0)
}

/// The file's text for `record`, with `last_success` the newest `success` or
/// `warning` run of this preset and command (in the records, this one included).
pub fn render(record: &Record, last_success: Option<Timestamp>) -> String {
    let labels = format!(
        "{{preset=\"{}\",command=\"{}\",host=\"{}\"}}",
        label(&record.preset),
        label(&record.command),
        label(&record.host)
    );
    let finished = record.finished_at().unwrap_or(Timestamp::UNIX_EPOCH);
    let success = u8::from(matches!(
        record.result,
        keld_status::RunResult::Success
            | keld_status::RunResult::Warning
            | keld_status::RunResult::Skipped
    ));
    let mut gauges = vec![
        (
            "keld_last_run_timestamp_seconds",
            "When the last run of this preset and command finished (Unix time).",
            seconds(finished),
        ),
        (
            "keld_last_run_duration_seconds",
            "How long the last run took.",
            format!("{:.3}", record.duration_ms as f64 / 1000.0),
        ),
        (
            "keld_last_run_exit_code",
            "keld's exit code for the last run.",
            record.exit_code.to_string(),
        ),
        (
            "keld_last_run_success",
            "1 when the last run was a success, a warning or skipped, else 0.",
            success.to_string(),
        ),
    ];
    if let Some(time) = last_success {
        gauges.push((
            "keld_last_success_timestamp_seconds",
            "When the newest successful run (success or warning) finished (Unix time).",
            seconds(time),
        ));
    }
    let mut out = String::new();
    for (name, help, value) in gauges {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        let _ = writeln!(out, "{name}{labels} {value}");
    }
    out
}
