//! Run records: one JSON line per run in `<state>/runs.jsonl` (docs/operations.md).
//!
//! A line is written with one `write(2)` on a file opened with `O_APPEND`, so lines of
//! concurrent runs never interleave or split. A file over 1 MiB is renamed to
//! `runs.jsonl.1` before the next line is appended; that happens under an exclusive
//! `flock` on `runs.lock`, so two runs never both rotate and no line is lost.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use keld_status::{RunFacts, RunResult};
use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use crate::invocation::Invocation;
use crate::report::{RunError, RunReport};
use crate::state::{self, StateError};

/// The records file in the state directory.
pub const RECORDS_FILE: &str = "runs.jsonl";

/// The previous records file, kept after rotation.
pub const OLD_RECORDS_FILE: &str = "runs.jsonl.1";

/// Above this size the records file is rotated before the next line (1 MiB).
pub const ROTATE_AT: u64 = 1024 * 1024;

/// One run, as `runs.jsonl` holds it. It never holds restic's arguments, an
/// environment value, hook output or a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The format's version: 1.
    pub version: u32,
    /// The preset as resolved (`home@nas`); empty when no preset was used.
    pub preset: String,
    /// The restic command that ran, after `_command` aliasing, or `drill`.
    pub command: String,
    /// The command word as typed.
    pub alias: String,
    /// This machine's hostname.
    pub host: String,
    /// The effective user's name.
    pub user: String,
    /// keld's process id.
    pub pid: u32,
    /// When the run started: UTC, RFC 3339 with milliseconds.
    pub started: String,
    /// When it finished.
    pub finished: String,
    /// `finished - started` in milliseconds.
    pub duration_ms: u64,
    /// How the run ended, in one word.
    pub result: RunResult,
    /// keld's exit code.
    pub exit_code: u8,
    /// restic's exit code (128 + N when killed by signal N); null when restic did not
    /// start.
    pub restic_exit_code: Option<u8>,
    /// The `KELD_RESTIC_STATUS` name; `start_failed` when restic could not start;
    /// null when restic was not attempted.
    pub restic_status: Option<String>,
    /// The first signal keld received during the run.
    pub signal: Option<i32>,
    /// keld's own message when the run failed or a hook failed (URL passwords masked).
    pub error: Option<String>,
    /// The keld that ran.
    pub keld_version: String,
}

/// Who ran: the part of a record that is the same for every run of one keld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    /// This machine's hostname.
    pub host: String,
    /// The effective user's name.
    pub user: String,
    /// keld's process id.
    pub pid: u32,
    /// keld's version.
    pub keld_version: String,
}

impl ProcessInfo {
    /// This process: hostname, effective user (its uid when it has no name), pid.
    pub fn this_process(keld_version: &str) -> Self {
        let host = nix::unistd::gethostname()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let uid = nix::unistd::geteuid();
        let user = nix::unistd::User::from_uid(uid)
            .ok()
            .flatten()
            .map_or_else(|| uid.to_string(), |user| user.name);
        Self {
            host,
            user,
            pid: std::process::id(),
            keld_version: keld_version.to_owned(),
        }
    }
}

/// A time as records write it: UTC, RFC 3339, always three fractional digits.
pub fn format_time(time: Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

impl Record {
    /// The record of `report`, a run of `invocation` by `runner`.
    pub fn new(invocation: &Invocation, report: &RunReport, runner: &ProcessInfo) -> Self {
        let started = Timestamp::try_from(report.started).unwrap_or(Timestamp::UNIX_EPOCH);
        let finished = Timestamp::try_from(report.finished).unwrap_or(started);
        let duration_ms = u64::try_from(
            finished
                .as_millisecond()
                .saturating_sub(started.as_millisecond()),
        )
        .unwrap_or(0);
        Self {
            version: 1,
            preset: invocation.preset.clone().unwrap_or_default(),
            command: invocation.command.clone(),
            alias: invocation.alias.clone(),
            host: runner.host.clone(),
            user: runner.user.clone(),
            pid: runner.pid,
            started: format_time(started),
            finished: format_time(finished),
            duration_ms,
            result: report.result,
            exit_code: report.exit_code,
            restic_exit_code: report
                .restic
                .filter(|outcome| outcome.started())
                .map(keld_status::Outcome::exit_code),
            restic_status: report.restic.map(|outcome| outcome.status().to_string()),
            signal: report.signal,
            error: report.error_message(),
            keld_version: runner.keld_version.clone(),
        }
    }

    /// When the run finished, if the record says so readably.
    pub fn finished_at(&self) -> Option<Timestamp> {
        self.finished.parse().ok()
    }
}

impl RunReport {
    /// keld's own message for this run: the error that ended it, else the first hook
    /// that failed, else why it failed anyway (a drill); URL passwords masked, and
    /// nothing a failed `_COMMAND` printed
    /// ([`EnvCommandError::summary`](crate::EnvCommandError::summary)).
    pub fn error_message(&self) -> Option<String> {
        let message = match &self.error {
            Some(RunError::EnvCommand(error)) => error.summary(),
            Some(error) => error.to_string(),
            None => self
                .first_hook_failure
                .clone()
                .or_else(|| self.failure.clone())?,
        };
        Some(keld_config::mask_url_passwords(&message))
    }

    /// The facts [`RunResult::of`] judges.
    pub(crate) fn facts(&self, listed_success_code: bool) -> RunFacts {
        RunFacts {
            exit_code: self.exit_code,
            restic: self.restic,
            skipped: self.skipped_by.is_some(),
            signal: self.signal,
            hook_failed: self.failed_post_hooks > 0
                || matches!(self.error, Some(crate::report::RunError::PreHook(_))),
            listed_success_code,
        }
    }
}

/// Append `record` to the records in `state_dir` (created 0700 when missing), as one
/// line with one `write(2)`, rotating a file over [`ROTATE_AT`] first.
pub fn append(state_dir: &Path, record: &Record) -> Result<(), StateError> {
    state::ensure(state_dir)?;
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| StateError::Io { path, source }
    };
    let lock_path = state_dir.join("runs.lock");
    let lock = private(&lock_path, false).map_err(io(&lock_path))?;
    // Held until this function returns: rotation and append are one step.
    let _lock = Flock::lock(lock, FlockArg::LockExclusive)
        .map_err(|(_, errno)| io(&lock_path)(io::Error::from(errno)))?;
    let path = state_dir.join(RECORDS_FILE);
    if fs::metadata(&path).is_ok_and(|meta| meta.len() > ROTATE_AT) {
        fs::rename(&path, state_dir.join(OLD_RECORDS_FILE)).map_err(io(&path))?;
    }
    let mut line = serde_json::to_vec(record).map_err(|error| io(&path)(error.into()))?;
    line.push(b'\n');
    let mut file = private(&path, true).map_err(io(&path))?;
    let written = file.write(&line).map_err(io(&path))?;
    if written != line.len() {
        return Err(io(&path)(io::Error::new(
            io::ErrorKind::WriteZero,
            "the record was written only in part",
        )));
    }
    Ok(())
}

/// Open (creating with mode 0600) a file in the state directory, close-on-exec.
fn private(path: &Path, append: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).mode(0o600);
    if append {
        options.append(true);
    } else {
        options.write(true);
    }
    options.open(path)
}

/// Every readable record in `state_dir`, oldest first (`runs.jsonl.1`, then
/// `runs.jsonl`). A line that is not a record (a crash mid-write, a hand edit) is
/// skipped; missing files are no records.
pub fn read_all(state_dir: &Path) -> io::Result<Vec<Record>> {
    Ok(RecordLog::read(state_dir)?.records())
}

/// The records of a state directory as read from disk (`runs.jsonl.1`, then
/// `runs.jsonl`), each line parsed only when it is asked for.
///
/// A full history holds thousands of records, and most questions need a few: the
/// newest run and the newest success of each preset and command ([`RecordLog::rows`]),
/// the newest success of one ([`RecordLog::newest_success`]). Those read each line
/// for its preset, command, result and finishing time only, without copying
/// anything, and read a line whole only when it is the answer; a line that is not a
/// record is skipped wherever it is, exactly as [`read_all`] skips it.
#[derive(Debug, Clone, Default)]
pub struct RecordLog {
    /// The files' contents, oldest first.
    files: Vec<Vec<u8>>,
}

/// What a line says about its run, read without copying anything.
#[derive(Debug, Deserialize)]
pub(crate) struct Summary<'a> {
    #[serde(borrow)]
    pub(crate) preset: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) command: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) finished: Cow<'a, str>,
    pub(crate) result: RunResult,
}

impl RecordLog {
    /// Reads both records files of `state_dir`; missing files hold no records.
    pub fn read(state_dir: &Path) -> io::Result<Self> {
        let mut files = Vec::with_capacity(2);
        for name in [OLD_RECORDS_FILE, RECORDS_FILE] {
            match fs::read(state_dir.join(name)) {
                Ok(text) => files.push(text),
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
        Ok(Self { files })
    }

    /// The non-empty lines that are UTF-8, newest first: a line that is not UTF-8
    /// is no record (JSON is UTF-8), and a line checked once is not checked again
    /// for each string in it.
    fn lines_newest_first(&self) -> impl Iterator<Item = &str> {
        self.files.iter().rev().flat_map(|text| {
            let mut end = text.len();
            memchr::memrchr_iter(b'\n', text)
                .chain(std::iter::once(usize::MAX))
                .map(move |newline| {
                    let start = newline.wrapping_add(1);
                    let line = &text[start..end];
                    end = newline.min(text.len());
                    line
                })
                .filter(|line| !line.is_empty())
                .filter_map(|line| std::str::from_utf8(line).ok())
        })
    }

    /// Each line that can be summarised, newest first, with the line itself.
    pub(crate) fn summaries(&self) -> impl Iterator<Item = (Summary<'_>, &str)> {
        self.lines_newest_first()
            .filter_map(|line| Some((serde_json::from_str(line).ok()?, line)))
    }

    /// The record a line holds, if it is one.
    pub(crate) fn parse(line: &str) -> Option<Record> {
        serde_json::from_str(line).ok()
    }

    /// Every readable record, oldest first.
    pub fn records(&self) -> Vec<Record> {
        let mut records: Vec<Record> = self.lines_newest_first().filter_map(Self::parse).collect();
        records.reverse();
        records
    }

    /// Every readable record, oldest first, and how many lines are not records (a
    /// crash mid-write, a hand edit, bytes that are not UTF-8), for a reader that says
    /// so (the interactive mode's dashboard). Blank lines are neither.
    pub fn records_counted(&self) -> RecordsRead {
        let mut read = RecordsRead::default();
        for text in &self.files {
            for line in text.split(|&byte| byte == b'\n') {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match serde_json::from_slice::<Record>(line) {
                    Ok(record) => read.records.push(record),
                    Err(_) => read.skipped += 1,
                }
            }
        }
        read
    }

    /// When the newest `success` or `warning` run of `preset` and `command` finished
    /// (the latest finishing time among them, should lines be out of order).
    pub fn newest_success(&self, preset: &str, command: &str) -> Option<Timestamp> {
        self.newest_successes_of(command, |name| name == preset)
            .remove(preset)
            .flatten()
    }

    /// Every preset with a record of `command`, and when its newest `success` or
    /// `warning` run of it finished ([`RecordLog::newest_success`]; `None` when it
    /// has none), read in one pass over the records.
    pub fn newest_successes(&self, command: &str) -> BTreeMap<String, Option<Timestamp>> {
        self.newest_successes_of(command, |_| true)
    }

    fn newest_successes_of(
        &self,
        command: &str,
        wanted: impl Fn(&str) -> bool,
    ) -> BTreeMap<String, Option<Timestamp>> {
        let mut found: BTreeMap<String, Option<Timestamp>> = BTreeMap::new();
        for (summary, line) in self.summaries() {
            if summary.command != command || !wanted(&summary.preset) {
                continue;
            }
            let known = found.get(summary.preset.as_ref()).copied();
            let finished = summary
                .result
                .is_success()
                .then(|| summary.finished.parse::<Timestamp>().ok())
                .flatten()
                .filter(|finished| known.flatten().is_none_or(|newest| *finished > newest));
            // Only a line that would change the answer is read whole, to be sure it
            // is a record.
            if (known.is_some() && finished.is_none()) || Self::parse(line).is_none() {
                continue;
            }
            let entry = found.entry(summary.preset.into_owned()).or_default();
            if finished.is_some() {
                *entry = finished;
            }
        }
        found
    }
}

/// What [`read_counted`] found in the records files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordsRead {
    /// Every readable record, oldest first.
    pub records: Vec<Record>,
    /// Lines that are not records (a crash mid-write, a hand edit), skipped.
    pub skipped: usize,
}

/// [`read_all`], also counting the lines that are not records
/// ([`RecordLog::records_counted`]).
pub fn read_counted(state_dir: &Path) -> io::Result<RecordsRead> {
    Ok(RecordLog::read(state_dir)?.records_counted())
}

/// Where the records of `state_dir` are.
pub fn records_path(state_dir: &Path) -> PathBuf {
    state_dir.join(RECORDS_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"version":1,"preset":"home","command":"backup","alias":"backup","host":"h","user":"u","pid":1,"started":"2026-12-06T02:00:00.000Z","finished":"2026-12-06T02:00:01.000Z","duration_ms":1000,"result":"success","exit_code":0,"restic_exit_code":0,"restic_status":"success","signal":null,"error":null,"keld_version":"0.1.0"}"#;

    #[test]
    fn lines_that_are_not_records_are_counted_and_skipped() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_counted(dir.path()).unwrap(), RecordsRead::default());
        fs::write(
            dir.path().join(OLD_RECORDS_FILE),
            format!("{LINE}\n{{\"version\":1,\"pres\n"),
        )
        .unwrap();
        fs::write(
            dir.path().join(RECORDS_FILE),
            format!("not json\n\n{LINE}\n\u{1b}[2J\n"),
        )
        .unwrap();
        let read = read_counted(dir.path()).unwrap();
        assert_eq!(read.records.len(), 2);
        assert_eq!(read.skipped, 3);
        assert_eq!(read_all(dir.path()).unwrap(), read.records);
    }

    #[test]
    fn an_unreadable_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join(RECORDS_FILE)).unwrap();
        assert!(read_counted(dir.path()).is_err());
    }
}
