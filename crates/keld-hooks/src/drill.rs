//! Restore drills (`keld drill`, docs/drill.md): a random sample of a snapshot's files
//! restored into a private temporary directory and compared with the live files.
//!
//! A drill is one run of keld made of several restic commands of the preset, each run
//! by [`Runner::capture`] under the run's supervision (signals from other processes
//! reach restic, `_COMMAND`s run once for the whole drill), and it is reported to
//! observers as the command `drill` ([`Event::Started`], [`Event::Finished`]), so it is
//! recorded and pinged like any run:
//!
//! 1. the snapshot: the one asked for, else the newest of the preset's backups (the
//!    preset's `snapshots` with [`SnapshotQuery::args`]);
//! 2. `ls --json <snapshot>`: its regular files of at most the size limit;
//! 3. the sample ([`sample`]): reproducible from its seed;
//! 4. the preset's `restore` into a new directory under `$TMPDIR` (mode 0700) with one
//!    `--include` per file ([`include_pattern`]);
//! 5. a [`Verdict`] per file, from streamed comparisons; live files are opened
//!    read-only, without following symbolic links, and without updating their access
//!    time where the system allows it;
//! 6. the directory removed, also after a failure or a signal.
//!
//! ```
//! use keld_hooks::{Verdict, include_pattern, parse_size, sample};
//!
//! // The same seed picks the same files.
//! assert_eq!(sample(10_000, 3, 42), sample(10_000, 3, 42));
//! assert_eq!(sample(5, 20, 1), [0, 1, 2, 3, 4]);
//! assert_eq!(parse_size("64MiB")?, 64 * 1024 * 1024);
//! assert_eq!(include_pattern("/srv/a*b [1].txt"), r"/srv/a\*b \[1].txt");
//! assert!(Verdict::Mismatch.fails() && !Verdict::Changed.fails());
//! # Ok::<(), keld_hooks::SizeError>(())
//! ```

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chacha20::ChaCha20Rng;
use jiff::Timestamp;
use keld_config::{Config, Environment};
use keld_status::{Outcome, RunFacts, RunResult};
use keld_supervise::env_lookup;
use nix::fcntl::OFlag;
use rand_core::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::backups::{PresetBackup, resolve_preset_command};
use crate::invocation::{Host, Invocation};
use crate::listing::{drop_flags, reading_invocation};
use crate::purpose::Purpose;
use crate::report::{Event, Observer, RunError, RunReport};
use crate::run::{CaptureFailure, Environs, Runner};
use crate::snapshots::{Snapshot, SnapshotQuery, newest_in};

/// How many files a drill restores unless told otherwise.
pub const DEFAULT_SAMPLE: usize = 20;

/// The largest file a drill restores unless told otherwise (64 MiB).
pub const DEFAULT_MAX_SIZE: u64 = 64 * 1024 * 1024;

/// Seeds keld picks itself are below 2^53, so they survive any JSON reader.
const RANDOM_SEED_BITS: u32 = 53;

/// The size of the pieces compared at a time.
const CHUNK: usize = 64 * 1024;

/// What restic prints in `ls --json` for each byte of a name that is not UTF-8.
const REPLACEMENT: char = '\u{fffd}';

/// Restore flags a drill never passes on from the config: where and what is restored
/// is the drill's to say.
const RESTORE_FLAGS_DROPPED: &[&str] = &[
    "target",
    "include",
    "exclude",
    "iinclude",
    "iexclude",
    "include-file",
    "exclude-file",
    "iinclude-file",
    "iexclude-file",
    "dry-run",
];

/// What a drill is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillOptions {
    /// How many files (all when the snapshot has fewer).
    pub sample: usize,
    /// The seed of the sample; a random one (reported) when `None`.
    pub seed: Option<u64>,
    /// Only regular files of at most this many bytes.
    pub max_size: u64,
    /// The snapshot (an id or anything restic accepts); the newest of the preset's
    /// backups when `None`.
    pub snapshot: Option<String>,
}

impl Default for DrillOptions {
    fn default() -> Self {
        Self {
            sample: DEFAULT_SAMPLE,
            seed: None,
            max_size: DEFAULT_MAX_SIZE,
            snapshot: None,
        }
    }
}

/// How one file of the sample compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The restored file has the live file's bytes.
    Ok,
    /// The bytes differ, and the live file was modified after the snapshot was made.
    Changed,
    /// The live file no longer exists.
    Missing,
    /// The live file cannot be read.
    Unreadable,
    /// The restored file's size is not the one restic listed, or the bytes differ
    /// while the live file was not modified after the snapshot was made.
    Mismatch,
    /// restic did not produce the file.
    NotRestored,
}

impl Verdict {
    /// Every verdict, in the order reports count them.
    pub const ALL: [Verdict; 6] = [
        Self::Ok,
        Self::Changed,
        Self::Missing,
        Self::Unreadable,
        Self::Mismatch,
        Self::NotRestored,
    ];

    /// The name in text and JSON output: `ok`, `not_restored`, ...
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Changed => "changed",
            Self::Missing => "missing",
            Self::Unreadable => "unreadable",
            Self::Mismatch => "mismatch",
            Self::NotRestored => "not_restored",
        }
    }

    /// Whether it fails the drill (exit 1): the backup did not give the file back.
    pub const fn fails(self) -> bool {
        matches!(self, Self::Mismatch | Self::NotRestored)
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// One file of the sample and how it compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileVerdict {
    /// The path in the snapshot as restic lists it (`ls --json`), where each byte of
    /// a name that is not UTF-8 is U+FFFD.
    pub path: String,
    /// The live file it was compared with, exactly (not UTF-8 where the name is not).
    pub live: PathBuf,
    /// Its size in the snapshot.
    pub size: u64,
    /// How it compared.
    pub verdict: Verdict,
    /// What was seen, in words, when it is not `ok`.
    pub detail: Option<String>,
}

impl FileVerdict {
    /// The line `keld drill` prints for it: the verdict padded to seven characters,
    /// then the live path on one line (a control character or a byte that is not
    /// UTF-8 escaped in bash's `$'...'` form).
    pub fn line(&self) -> String {
        format!(
            "{:<7} {}",
            self.verdict.as_str(),
            keld_config::shell::display_bytes(self.live.as_os_str().as_encoded_bytes())
        )
    }
}

/// Where a drill is ([`Drill::run_with_progress`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrillProgress {
    /// Asking restic for the newest snapshot of the preset's backups.
    FindingSnapshot,
    /// Listing the snapshot's files (`restic ls`).
    Listing {
        /// The snapshot: its first eight characters, as given or found.
        snapshot: String,
    },
    /// Restoring the sample into the private directory (`restic restore`).
    Restoring {
        /// How many files.
        files: usize,
    },
    /// Comparing the restored files with the live ones.
    Comparing {
        /// Files compared so far.
        done: usize,
        /// Files to compare.
        total: usize,
    },
}

/// Why a drill ended without judging its sample.
#[derive(Debug, thiserror::Error)]
pub enum DrillError {
    /// The repository holds no snapshot of the preset's backups.
    #[error("no snapshot of this preset's backups (restic snapshots {})", query_text(.query))]
    NoSnapshot {
        /// What was asked.
        query: SnapshotQuery,
    },
    /// The snapshot has no regular file within the size limit: nothing to compare.
    #[error("snapshot {snapshot} has no regular file of at most {} to restore", format_size(*max_size))]
    NothingToDrill {
        /// The snapshot's short id.
        snapshot: String,
        /// The limit.
        max_size: u64,
    },
    /// A restic step ran and failed.
    #[error("restic {step} failed ({outcome}){}", stderr_text(.stderr))]
    Restic {
        /// `snapshots`, `ls` or `restore`.
        step: &'static str,
        /// How it ended.
        outcome: Outcome,
        /// The last lines of its standard error.
        stderr: String,
    },
    /// keld stopped before a restic step: a problem found before anything ran, a
    /// `_COMMAND` that failed.
    #[error(transparent)]
    Run(RunError),
    /// restic could not be started or read.
    #[error("restic {step}: {failure}")]
    Capture {
        /// The step.
        step: &'static str,
        /// What went wrong.
        failure: CaptureFailure,
    },
    /// restic listed no snapshot by the name given.
    #[error("restic ls found no snapshot {snapshot:?}")]
    UnknownSnapshot {
        /// The name given.
        snapshot: String,
    },
    /// restic's output is not what keld reads.
    #[error("restic {step} --json wrote output keld cannot read: {message}")]
    Output {
        /// The step.
        step: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The private directory could not be made.
    #[error("cannot make a private directory under {}: {source}", .parent.display())]
    Scratch {
        /// `$TMPDIR`, or `/tmp`.
        parent: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A signal stopped the drill.
    #[error("stopped by signal {signal}{}", signal_suffix(*signal))]
    Interrupted {
        /// The signal number.
        signal: i32,
    },
}

impl DrillError {
    /// keld's exit code for it: restic's for a failed step, 128 + N for signal N,
    /// 126 or 127 when restic cannot be run, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Restic { outcome, .. } => outcome.exit_code(),
            Self::Run(error) => error.exit_code(),
            Self::Capture { failure, .. } => failure.exit_code(),
            Self::Interrupted { signal } => Outcome::Signaled(*signal).exit_code(),
            Self::NoSnapshot { .. }
            | Self::UnknownSnapshot { .. }
            | Self::NothingToDrill { .. }
            | Self::Output { .. }
            | Self::Scratch { .. } => 1,
        }
    }
}

impl DrillError {
    /// What to do about it, for `preset` (the help under keld's message).
    pub fn help(&self, preset: &str) -> String {
        let preset = keld_config::shell::quote(preset);
        match self {
            Self::NoSnapshot { .. } => format!(
                "back up first (`keld -p {preset} backup`), or name a snapshot: \
                 `keld -p {preset} drill SNAPSHOT`"
            ),
            Self::UnknownSnapshot { .. } => format!(
                "`keld -p {preset} snapshots` lists the snapshots of this preset's repository"
            ),
            Self::NothingToDrill { .. } => "raise --max-size, or drill another snapshot".to_owned(),
            Self::Restic {
                step: "restore", ..
            } => format!(
                "files restic did not give back are `not_restored`; keld exits with restic's \
                 code. `keld -p {preset} check --read-data` reads every pack of the repository"
            ),
            Self::Restic { step, .. } => format!(
                "keld exits with restic's code; `keld -p {preset} {step}` shows the same \
                 failure"
            ),
            Self::Run(_) | Self::Capture { .. } => {
                "nothing was restored; fix the preset's restic or its environment".to_owned()
            }
            Self::Output { .. } => "keld reads the JSON of restic 0.14 and later; check which \
                                    restic runs (KELD_EXECUTABLE)"
                .to_owned(),
            Self::Scratch { .. } => "set TMPDIR to a directory this user can write".to_owned(),
            Self::Interrupted { .. } => {
                "the drill's directory was removed; run the drill again".to_owned()
            }
        }
    }
}

fn query_text(query: &SnapshotQuery) -> String {
    keld_config::shell::join(query.args())
}

fn stderr_text(stderr: &str) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!(": {stderr}")
    }
}

fn signal_suffix(signal: i32) -> String {
    keld_status::signal_name(signal)
        .map(|name| format!(" ({name})"))
        .unwrap_or_default()
}

/// How a drill went: the run as observers heard of it, and what it found.
#[derive(Debug)]
pub struct DrillReport {
    /// The run: exit code, result, times, the last restic step's outcome.
    pub run: RunReport,
    /// The preset.
    pub preset: String,
    /// The snapshot drilled, once restic described it.
    pub snapshot: Option<Snapshot>,
    /// The seed of the sample.
    pub seed: u64,
    /// How many files were asked for.
    pub sample: usize,
    /// The size limit.
    pub max_size: u64,
    /// The snapshot's regular files.
    pub listed: usize,
    /// Of those, the ones within the size limit the sample was drawn from.
    pub eligible: usize,
    /// Every file of the sample, in the snapshot's order.
    pub files: Vec<FileVerdict>,
    /// What ended the drill early, or the restore that failed.
    pub error: Option<DrillError>,
    /// Problems that did not change the verdicts (the directory not removed).
    pub warnings: Vec<String>,
}

/// What to do about files that failed a drill (the help under
/// [`DrillReport::failed_files`]).
pub const FAILED_FILES_HELP: &str = "`mismatch`: restic gave back other bytes than the live \
    file has, which was not modified since the snapshot: suspect the backup or the disk. \
    `not_restored`: restic could not give the file back. --json has the details";

impl DrillReport {
    /// How many files got `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.files
            .iter()
            .filter(|file| file.verdict == verdict)
            .count()
    }

    /// The summary line `keld drill` prints after the files, or `None` when the drill
    /// judged no file: `drill home@nas: 20 files from snapshot 1a2b3c4d (2026-12-05
    /// 02:00): 17 ok, 2 changed, 1 missing, 0 errors`, the snapshot's time in the
    /// local time zone; `errors` counts `unreadable`, `mismatch` and `not_restored`.
    pub fn summary(&self) -> Option<String> {
        let snapshot = self.snapshot.as_ref().filter(|_| !self.files.is_empty())?;
        let errors = self.count(Verdict::Unreadable)
            + self.count(Verdict::Mismatch)
            + self.count(Verdict::NotRestored);
        Some(format!(
            "drill {}: {} files from snapshot {} ({}): {} ok, {} changed, {} missing, {errors} errors",
            keld_config::shell::display(&self.preset),
            self.files.len(),
            keld_config::shell::display(snapshot.short()),
            keld_config::shell::display(&crate::status::local_minute(&snapshot.time)),
            self.count(Verdict::Ok),
            self.count(Verdict::Changed),
            self.count(Verdict::Missing),
        ))
    }

    /// What `keld drill` prints on standard output: a line per file
    /// ([`FileVerdict::line`]), then the [`DrillReport::summary`].
    pub fn text(&self) -> String {
        let mut out = String::new();
        for file in &self.files {
            out.push_str(&file.line());
            out.push('\n');
        }
        if let Some(summary) = self.summary() {
            out.push_str(&summary);
            out.push('\n');
        }
        out
    }

    /// `2 of 20 files failed the drill: 1 mismatch, 1 not_restored` when a file is
    /// `mismatch` or `not_restored` (what to do: [`FAILED_FILES_HELP`]).
    pub fn failed_files(&self) -> Option<String> {
        let (mismatch, not_restored) = (
            self.count(Verdict::Mismatch),
            self.count(Verdict::NotRestored),
        );
        (mismatch + not_restored > 0).then(|| {
            format!(
                "{} of {} files failed the drill: {mismatch} mismatch, {not_restored} not_restored",
                mismatch + not_restored,
                self.files.len(),
            )
        })
    }
}

/// A preset's drill: the preset's `snapshots`, `ls` and `restore` as keld resolves
/// them (without `_arguments`, and without the restore flags that choose where and
/// what is restored), the query for its newest backup, and the invocation observers
/// record (command `drill`, with the `[P.drill]` section's pings and metrics).
#[derive(Debug, Clone)]
pub struct Drill {
    invocation: Invocation,
    snapshots: Invocation,
    ls: Invocation,
    restore: Invocation,
    query: SnapshotQuery,
    live_root: PathBuf,
}

impl Drill {
    /// The drill of `preset` on the machine named `hostname`.
    ///
    /// Relative backup paths (restic stores them below the snapshot's root) are found
    /// again in the backup's working directory: the preset's `_workdir` for
    /// `backup`, else keld's.
    pub fn new(
        config: &Config,
        preset: &str,
        env: &Environment,
        host: &Host,
        hostname: &str,
    ) -> Result<Self, keld_config::Error> {
        let resolve = |command: &str| resolve_preset_command(config, preset, command, env);
        let PresetBackup { backup, query } = PresetBackup::resolve(config, preset, env, hostname)?;
        let live_root = match &backup.workdir {
            Some(workdir) => host.cwd.join(&workdir.value),
            None => host.cwd.clone(),
        };
        // A step takes its own arguments; configured ones are no snapshot or path.
        let step = |command: &str, dropped: &[&str]| -> Result<Invocation, keld_config::Error> {
            let mut resolved = resolve(command)?;
            drop_flags(&mut resolved, dropped);
            Ok(reading_invocation(&resolved, host, false))
        };
        let drill = resolve("drill")?;
        let mut invocation = Invocation::new(&drill, host);
        invocation.command = "drill".to_owned();
        invocation.alias = "drill".to_owned();
        invocation.args = Vec::new();
        invocation.pre_hooks.clear();
        invocation.post_hooks.clear();
        invocation.purpose = Purpose::Run;
        // A drill takes no lock and maps no exit code: its verdicts are its own.
        invocation.operations.lock = false;
        invocation.operations.success_exit_codes.clear();
        invocation.operations.hook_timeout = None;
        Ok(Self {
            invocation,
            snapshots: step("snapshots", &[])?,
            ls: step("ls", &[])?,
            restore: step("restore", RESTORE_FLAGS_DROPPED)?,
            query,
            live_root,
        })
    }

    /// The invocation observers hear about: command `drill`.
    pub fn invocation(&self) -> &Invocation {
        &self.invocation
    }

    /// How the preset's newest backup is asked for.
    pub fn query(&self) -> &SnapshotQuery {
        &self.query
    }

    /// Run the drill through `runner`: [`Event::Started`] and [`Event::Finished`] go
    /// to `observer` with [`Drill::invocation`].
    ///
    /// The exit code: 0 when no file is `mismatch` or `not_restored`, else 1; a
    /// failed restic step's exit code (the sample is still judged after a failed
    /// restore); 128 + N after signal N, with the directory removed.
    pub fn run(
        &self,
        runner: &Runner,
        host: &Host,
        options: &DrillOptions,
        observer: &mut dyn Observer,
    ) -> DrillReport {
        self.run_with_progress(runner, host, options, observer, &mut |_| {})
    }

    /// [`Drill::run`], telling `progress` where the drill is before each step and
    /// after each file compared (for a screen that shows it).
    pub fn run_with_progress(
        &self,
        runner: &Runner,
        host: &Host,
        options: &DrillOptions,
        observer: &mut dyn Observer,
        progress: &mut dyn FnMut(&DrillProgress),
    ) -> DrillReport {
        let started = SystemTime::now();
        observer.on_event(&self.invocation, &Event::Started);
        let seed = options.seed.unwrap_or_else(random_seed);
        let mut found = Found::default();
        let error = self
            .steps(runner, host, options, seed, &mut found, progress)
            .err();
        let signal = runner.end_of_run_signal();
        let error = match (error, signal) {
            // A restic step a signal ended is an interruption, not a failure of restic.
            (Some(DrillError::Restic { .. }) | None, Some(signal)) => {
                Some(DrillError::Interrupted { signal })
            }
            (error, _) => error,
        };
        let failing = found
            .files
            .iter()
            .filter(|file| file.verdict.fails())
            .count();
        let exit_code = match &error {
            Some(error) => error.exit_code(),
            None => u8::from(failing > 0),
        };
        let failure = match &error {
            Some(error) => Some(error.to_string()),
            None if failing > 0 => Some(failing_text(&found.files)),
            None => None,
        };
        let mut run = RunReport {
            exit_code,
            result: RunResult::Failed,
            restic: found.restic,
            skipped_by: None,
            failed_post_hooks: 0,
            first_hook_failure: None,
            error: None,
            failure,
            signal,
            started,
            finished: SystemTime::now(),
        };
        run.result = RunResult::of(&RunFacts {
            exit_code,
            restic: run.restic,
            skipped: false,
            signal,
            hook_failed: false,
            listed_success_code: false,
        });
        observer.on_event(&self.invocation, &Event::Finished(&run));
        DrillReport {
            run,
            preset: self.invocation.preset.clone().unwrap_or_default(),
            snapshot: found.snapshot,
            seed,
            sample: options.sample,
            max_size: options.max_size,
            listed: found.listed,
            eligible: found.eligible,
            files: found.files,
            error,
            warnings: found.warnings,
        }
    }

    fn steps(
        &self,
        runner: &Runner,
        host: &Host,
        options: &DrillOptions,
        seed: u64,
        found: &mut Found,
        progress: &mut dyn FnMut(&DrillProgress),
    ) -> Result<(), DrillError> {
        let mut environs = Environs::default();
        let mut step = Steps {
            runner,
            host,
            environs: &mut environs,
        };
        let id = match &options.snapshot {
            Some(id) => id.clone(),
            None => {
                progress(&DrillProgress::FindingSnapshot);
                let args: Vec<OsString> = self.query.args().into_iter().map(Into::into).collect();
                let output = step.run(&self.snapshots, "snapshots", &args, found)?;
                let newest = newest_in(&output).map_err(|error| DrillError::Output {
                    step: "snapshots",
                    message: error.to_string(),
                })?;
                match newest {
                    Some(snapshot) => snapshot.id,
                    None => {
                        return Err(DrillError::NoSnapshot {
                            query: self.query.clone(),
                        });
                    }
                }
            }
        };
        progress(&DrillProgress::Listing {
            snapshot: id.chars().take(8).collect(),
        });
        let output = step.run(&self.ls, "ls", &["--json".into(), id.clone().into()], found)?;
        // restic 0.14 lists nothing, successfully, for a snapshot it does not know.
        let listing = Listing::parse(&output, options.max_size)?
            .ok_or(DrillError::UnknownSnapshot { snapshot: id })?;
        found.snapshot = Some(listing.snapshot.clone());
        found.listed = listing.listed;
        found.eligible = listing.files.len();
        let snapshot_time = listing
            .snapshot
            .timestamp()
            .ok_or_else(|| DrillError::Output {
                step: "ls",
                message: format!(
                    "the snapshot's time {:?} is not a time",
                    listing.snapshot.time
                ),
            })?;
        let chosen: Vec<&Listed> = sample(listing.files.len(), options.sample, seed)
            .into_iter()
            .map(|index| &listing.files[index])
            .collect();
        if chosen.is_empty() {
            return Err(DrillError::NothingToDrill {
                snapshot: listing.snapshot.short().to_owned(),
                max_size: options.max_size,
            });
        }

        let parent = temp_parent(host);
        let scratch = Scratch::new(&parent).map_err(|source| DrillError::Scratch {
            parent: parent.clone(),
            source,
        })?;
        let mut args: Vec<OsString> = vec!["--target".into(), scratch.path().into()];
        let mut patterns: Vec<String> = chosen
            .iter()
            .map(|file| include_pattern(&file.path))
            .collect();
        patterns.dedup();
        for pattern in patterns {
            args.extend(["--include".into(), pattern.into()]);
        }
        args.push(listing.snapshot.id.clone().into());
        progress(&DrillProgress::Restoring {
            files: chosen.len(),
        });
        let restored = step.run(&self.restore, "restore", &args, found);
        let restore_failure = match restored {
            Ok(_) => None,
            Err(error @ DrillError::Restic { .. }) => Some(error),
            Err(error) => return Err(error),
        };
        if let Some(signal) = runner.signal_received() {
            return Err(DrillError::Interrupted { signal });
        }
        // restic restores the modes the files had; the drill must read what it
        // restored, and remove it.
        make_traversable(scratch.path());
        let total = chosen.len();
        for (done, file) in chosen.into_iter().enumerate() {
            progress(&DrillProgress::Comparing { done, total });
            if let Some(signal) = runner.signal_received() {
                return Err(DrillError::Interrupted { signal });
            }
            found
                .files
                .push(self.judge(scratch.path(), &listing.snapshot, snapshot_time, file));
        }
        if let Err(error) = scratch.remove() {
            found.warnings.push(error);
        }
        restore_failure.map_or(Ok(()), Err)
    }

    /// Find `file` in the restore below `target` and on the live system, and compare.
    fn judge(
        &self,
        target: &Path,
        snapshot: &Snapshot,
        snapshot_time: Timestamp,
        file: &Listed,
    ) -> FileVerdict {
        let relative = locate(target, file);
        let live_relative = relative
            .clone()
            .unwrap_or_else(|| PathBuf::from(file.path.trim_start_matches('/')));
        let live = if snapshot
            .paths
            .iter()
            .any(|path| is_within(&file.path, path))
        {
            Path::new("/").join(&live_relative)
        } else {
            self.live_root.join(&live_relative)
        };
        let (verdict, detail) = match relative {
            Some(relative) => compare(&target.join(relative), &live, file.size, snapshot_time),
            None => (
                Verdict::NotRestored,
                Some("restic did not restore it".to_owned()),
            ),
        };
        FileVerdict {
            path: file.path.clone(),
            live,
            size: file.size,
            verdict,
            detail,
        }
    }
}

/// What the drill learnt so far (kept when a later step fails).
#[derive(Debug, Default)]
struct Found {
    snapshot: Option<Snapshot>,
    listed: usize,
    eligible: usize,
    files: Vec<FileVerdict>,
    restic: Option<Outcome>,
    warnings: Vec<String>,
}

/// The restic steps of one drill, sharing their environments.
struct Steps<'a> {
    runner: &'a Runner,
    host: &'a Host,
    environs: &'a mut Environs,
}

impl Steps<'_> {
    /// One restic step: its standard output when it succeeded.
    fn run(
        &mut self,
        invocation: &Invocation,
        step: &'static str,
        extra: &[OsString],
        found: &mut Found,
    ) -> Result<Vec<u8>, DrillError> {
        let captured = self
            .runner
            .capture(invocation, extra, self.host, self.environs)
            .map_err(|failure| match failure {
                CaptureFailure::Run(RunError::Interrupted { signal }) => {
                    DrillError::Interrupted { signal }
                }
                CaptureFailure::Run(error) => DrillError::Run(error),
                failure => DrillError::Capture { step, failure },
            })?;
        found.restic = Some(captured.outcome);
        if captured.outcome.success() {
            return Ok(captured.stdout);
        }
        Err(DrillError::Restic {
            step,
            outcome: captured.outcome,
            stderr: crate::listing::last_lines(&plain_errors(&captured.stderr), 5),
        })
    }
}

/// restic's standard error with the JSON error lines that restic 0.15 and later write
/// under `--json` (`{"message_type":"exit_error","message":"..."}`) shown as their
/// message.
fn plain_errors(stderr: &[u8]) -> Vec<u8> {
    #[derive(Deserialize)]
    struct JsonError {
        message_type: String,
        message: String,
    }
    let mut plain = Vec::with_capacity(stderr.len());
    for line in stderr.split(|&byte| byte == b'\n') {
        match serde_json::from_slice::<JsonError>(line) {
            Ok(error) if error.message_type.ends_with("error") => {
                plain.extend_from_slice(error.message.as_bytes());
            }
            _ => plain.extend_from_slice(line),
        }
        plain.push(b'\n');
    }
    plain
}

/// `2 of 20 files failed the drill: 1 mismatch, 1 not_restored`.
fn failing_text(files: &[FileVerdict]) -> String {
    let count = |verdict: Verdict| files.iter().filter(|file| file.verdict == verdict).count();
    let failing = [Verdict::Mismatch, Verdict::NotRestored]
        .into_iter()
        .filter(|verdict| count(*verdict) > 0)
        .map(|verdict| format!("{} {verdict}", count(verdict)))
        .collect::<Vec<_>>()
        .join(", ");
    let total = count(Verdict::Mismatch) + count(Verdict::NotRestored);
    format!(
        "{total} of {} files failed the drill: {failing}",
        files.len()
    )
}

/// A seed from the system's random source, below 2^53.
fn random_seed() -> u64 {
    let bits = getrandom::u64().unwrap_or_else(|_| {
        // No random source: the time still varies from drill to drill.
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
    });
    bits & ((1 << RANDOM_SEED_BITS) - 1)
}

/// The indices of `take` of `count` items (all of them when there are fewer),
/// chosen at random from `seed`, in increasing order.
///
/// Reproducible for good: the generator is ChaCha20 (RFC 8439's block function)
/// keyed with the seed's 8 bytes, little-endian, followed by 24 zero bytes; the
/// choice is a partial Fisher–Yates shuffle of `0..count` whose swap partner for
/// position `i` is `i + below(count - i)`, where `below(n)` draws 64-bit words
/// until one is under the largest multiple of `n` and takes it modulo `n`.
pub fn sample(count: usize, take: usize, seed: u64) -> Vec<usize> {
    let take = take.min(count);
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let mut rng = ChaCha20Rng::from_seed(key);
    // Only the positions swapped so far are stored: a sample of 20 from a million
    // files never holds a million indices.
    let mut swapped: HashMap<usize, usize> = HashMap::new();
    let mut chosen = Vec::with_capacity(take);
    for position in 0..take {
        let remaining = (count - position) as u64;
        let other = position + usize::try_from(below(&mut rng, remaining)).unwrap_or(0);
        let at_other = swapped.get(&other).copied().unwrap_or(other);
        let at_position = swapped.get(&position).copied().unwrap_or(position);
        swapped.insert(other, at_position);
        chosen.push(at_other);
    }
    chosen.sort_unstable();
    chosen
}

/// A number below `bound` (> 0), without bias.
fn below(rng: &mut ChaCha20Rng, bound: u64) -> u64 {
    // 2^64 mod bound: the top values that would favour small results.
    let excess = (u64::MAX % bound + 1) % bound;
    loop {
        let word = rng.next_u64();
        if word <= u64::MAX - excess {
            return word % bound;
        }
    }
}

/// The `--include` pattern that matches exactly the snapshot path `path` as restic
/// lists it: `*`, `?`, `[` and `\` escaped with `\` for restic's filter (Go's
/// `filepath.Match`), and each U+FFFD — which is how `ls --json` shows a byte that
/// is not UTF-8 — matched by `?`, which matches one such byte.
pub fn include_pattern(path: &str) -> String {
    let mut pattern = String::with_capacity(path.len() + 8);
    for c in path.chars() {
        match c {
            '*' | '?' | '[' | '\\' => {
                pattern.push('\\');
                pattern.push(c);
            }
            REPLACEMENT => pattern.push('?'),
            c => pattern.push(c),
        }
    }
    pattern
}

/// `name` as restic's JSON shows it: each byte that is not part of valid UTF-8
/// becomes U+FFFD (Go's encoding, one per byte, where Rust's lossy decoding would
/// merge a broken sequence into one).
pub fn restic_lossy(name: &[u8]) -> String {
    let mut text = String::with_capacity(name.len());
    for chunk in name.utf8_chunks() {
        text.push_str(chunk.valid());
        for _ in chunk.invalid() {
            text.push(REPLACEMENT);
        }
    }
    text
}

/// Why a size does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not a size: a whole number of bytes, or with a unit: K, M, G, T (or KiB, MiB, GiB, TiB; powers of 1024)"
)]
pub struct SizeError {
    /// The text given.
    pub text: String,
}

/// A size as `--max-size` takes it: `1048576`, `512K`, `64MiB`, `2G` (units of 1024,
/// case ignored; `B` for bytes).
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let error = || SizeError {
        text: text.to_owned(),
    };
    let trimmed = text.trim();
    let digits = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits);
    let number: u64 = number.parse().map_err(|_| error())?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "ki" | "kib" => 10,
        "m" | "mi" | "mib" => 20,
        "g" | "gi" | "gib" => 30,
        "t" | "ti" | "tib" => 40,
        _ => return Err(error()),
    };
    number.checked_mul(1 << shift).ok_or_else(error)
}

/// `size` in the largest unit of 1024 that divides it (`64MiB`), else in bytes.
pub fn format_size(size: u64) -> String {
    for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if size >= 1 << shift && size.is_multiple_of(1 << shift) {
            return format!("{}{unit}", size >> shift);
        }
    }
    format!("{size}B")
}

/// One regular file of the listing.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listed {
    /// As restic lists it.
    path: String,
    /// In bytes.
    size: u64,
    /// How many regular files before it in the listing have the same listed path
    /// (names that differ only in bytes that are not UTF-8).
    rank: usize,
}

/// What `restic ls --json` said, as far as a drill needs it.
#[derive(Debug)]
struct Listing {
    snapshot: Snapshot,
    /// The snapshot's regular files.
    listed: usize,
    /// Those within the size limit, in the listing's order.
    files: Vec<Listed>,
}

/// One line of `ls --json` (the fields a drill reads).
#[derive(Debug, Deserialize)]
struct Line {
    #[serde(default)]
    struct_type: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    size: u64,
}

impl Listing {
    /// The listing, or `None` when restic listed nothing at all.
    fn parse(output: &[u8], max_size: u64) -> Result<Option<Self>, DrillError> {
        let bad = |message: String| DrillError::Output {
            step: "ls",
            message,
        };
        let mut snapshot = None;
        let mut listed = 0;
        let mut files = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (number, line) in output.split(|&byte| byte == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let parsed: Line = serde_json::from_slice(line)
                .map_err(|error| bad(format!("line {}: {error}", number + 1)))?;
            match parsed.struct_type.as_str() {
                "snapshot" if snapshot.is_none() => {
                    let described: Snapshot = serde_json::from_slice(line)
                        .map_err(|error| bad(format!("line {}: {error}", number + 1)))?;
                    snapshot = Some(described);
                }
                "node" if parsed.kind == "file" => {
                    listed += 1;
                    let rank = if parsed.path.contains(REPLACEMENT) {
                        let count = seen.entry(parsed.path.clone()).or_default();
                        *count += 1;
                        *count - 1
                    } else {
                        0
                    };
                    if parsed.size <= max_size && parsed.path.starts_with('/') {
                        files.push(Listed {
                            path: parsed.path,
                            size: parsed.size,
                            rank,
                        });
                    }
                }
                _ => {}
            }
        }
        let Some(snapshot) = snapshot else {
            if listed == 0 {
                return Ok(None);
            }
            return Err(bad("no line describes the snapshot".to_owned()));
        };
        Ok(Some(Self {
            snapshot,
            listed,
            files,
        }))
    }
}

/// Whether the listed `path` is `base` or below it.
fn is_within(path: &str, base: &str) -> bool {
    let base = base.trim_end_matches('/');
    path == base
        || path
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The restored file's path below `target`, with the exact bytes of its names;
/// `None` when restic did not restore it.
fn locate(target: &Path, file: &Listed) -> Option<PathBuf> {
    let relative = file.path.trim_start_matches('/');
    if !relative.contains(REPLACEMENT) {
        return Some(PathBuf::from(relative));
    }
    // Names that are not UTF-8: the restored names whose JSON form is the listed
    // one, in restic's order (bytewise, directory by directory, as `ls` lists them).
    let parts: Vec<&str> = relative.split('/').collect();
    let mut found = Vec::new();
    expand(target, PathBuf::new(), &parts, &mut found);
    found.into_iter().nth(file.rank)
}

/// Every path below `dir` whose names show as `parts` in restic's JSON, in order.
fn expand(dir: &Path, prefix: PathBuf, parts: &[&str], found: &mut Vec<PathBuf>) {
    let Some((part, rest)) = parts.split_first() else {
        return;
    };
    let mut names: Vec<OsString> = if part.contains(REPLACEMENT) {
        fs::read_dir(dir.join(&prefix))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.file_name())
                    .filter(|name| restic_lossy(name.as_bytes()) == *part)
                    .collect()
            })
            .unwrap_or_default()
    } else {
        vec![OsString::from(part)]
    };
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    for name in names {
        let path = prefix.join(&name);
        let Ok(meta) = fs::symlink_metadata(dir.join(&path)) else {
            continue;
        };
        if rest.is_empty() {
            if meta.is_file() {
                found.push(path);
            }
        } else if meta.is_dir() {
            expand(dir, path, rest, found);
        }
    }
}

/// Compare the restored file with the live one.
fn compare(
    restored: &Path,
    live: &Path,
    size: u64,
    snapshot_time: Timestamp,
) -> (Verdict, Option<String>) {
    let mut restored_file = match open_restored(restored) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return (
                Verdict::NotRestored,
                Some("restic did not restore it".to_owned()),
            );
        }
        Err(error) => {
            return (
                Verdict::NotRestored,
                Some(format!("the restored file cannot be read: {error}")),
            );
        }
    };
    let restored_len = match restored_file.metadata() {
        Ok(meta) if meta.is_file() => meta.len(),
        Ok(_) => {
            return (
                Verdict::NotRestored,
                Some("restic restored something that is not a file".to_owned()),
            );
        }
        Err(error) => {
            return (
                Verdict::NotRestored,
                Some(format!("the restored file cannot be read: {error}")),
            );
        }
    };
    if restored_len != size {
        return (
            Verdict::Mismatch,
            Some(format!(
                "restic restored {restored_len} bytes; the snapshot lists {size}"
            )),
        );
    }
    let unreadable = |error: io::Error| (Verdict::Unreadable, Some(error.to_string()));
    let meta = match fs::symlink_metadata(live) {
        Ok(meta) => meta,
        Err(error) if is_gone(&error) => return (Verdict::Missing, None),
        Err(error) => return unreadable(error),
    };
    if !meta.is_file() {
        return differs(&meta, snapshot_time, "it is no longer a regular file");
    }
    let mut live_file = match open_live(live) {
        Ok(file) => file,
        Err(error) if is_gone(&error) => return (Verdict::Missing, None),
        Err(error) => return unreadable(error),
    };
    let meta = match live_file.metadata() {
        Ok(meta) if meta.is_file() => meta,
        Ok(meta) => return differs(&meta, snapshot_time, "it is no longer a regular file"),
        Err(error) => return unreadable(error),
    };
    if meta.len() != restored_len {
        let what = format!(
            "the live file has {} bytes, the restored one {restored_len}",
            meta.len()
        );
        return differs(&meta, snapshot_time, &what);
    }
    match same_bytes(&mut restored_file, &mut live_file) {
        Ok(true) => (Verdict::Ok, None),
        Ok(false) => differs(&meta, snapshot_time, "the bytes differ"),
        Err(Side::Live(error)) => unreadable(error),
        Err(Side::Restored(error)) => (
            Verdict::NotRestored,
            Some(format!("the restored file cannot be read: {error}")),
        ),
    }
}

/// The verdict for a live file that differs: `changed` when it was modified after
/// the snapshot was made, else `mismatch`.
fn differs(meta: &fs::Metadata, snapshot_time: Timestamp, what: &str) -> (Verdict, Option<String>) {
    let modified = meta
        .modified()
        .ok()
        .and_then(|time| Timestamp::try_from(time).ok());
    match modified {
        Some(modified) if modified > snapshot_time => (
            Verdict::Changed,
            Some(format!("{what}; modified {modified} after the snapshot")),
        ),
        Some(modified) => (
            Verdict::Mismatch,
            Some(format!(
                "{what}, but the live file was last modified {modified}, before the snapshot"
            )),
        ),
        None => (Verdict::Mismatch, Some(what.to_owned())),
    }
}

/// A path that does not exist (or whose directory no longer is one).
fn is_gone(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::NotFound
        || error.raw_os_error() == Some(nix::errno::Errno::ENOTDIR as i32)
}

/// Which file a read failed on.
enum Side {
    Restored(io::Error),
    Live(io::Error),
}

/// Whether the two files hold the same bytes, read a piece at a time.
fn same_bytes(restored: &mut File, live: &mut File) -> Result<bool, Side> {
    let mut ours = vec![0u8; CHUNK];
    let mut theirs = vec![0u8; CHUNK];
    loop {
        let read = fill(restored, &mut ours).map_err(Side::Restored)?;
        let live_read = fill(live, &mut theirs).map_err(Side::Live)?;
        if ours[..read] != theirs[..live_read] {
            return Ok(false);
        }
        if read == 0 {
            return Ok(true);
        }
    }
}

/// Read until `buffer` is full or the file ends; the number of bytes read.
fn fill(file: &mut File, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Open a live file to read: never through a symbolic link, never blocking on
/// something that is no longer a regular file, and without updating its access time
/// where this user may ask for that (`O_NOATIME`: the owner, or root).
fn open_live(path: &Path) -> io::Result<File> {
    let open = |flags: OFlag| {
        OpenOptions::new()
            .read(true)
            .custom_flags(flags.bits())
            .open(path)
    };
    let flags = OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK;
    match open(flags | OFlag::O_NOATIME) {
        Err(error) if error.raw_os_error() == Some(nix::errno::Errno::EPERM as i32) => open(flags),
        opened => opened,
    }
}

/// Open a restored file to read (never through a symbolic link). restic gave it the
/// mode it had; one this user cannot read is made readable, inside the drill's own
/// directory only.
fn open_restored(path: &Path) -> io::Result<File> {
    let open = || {
        OpenOptions::new()
            .read(true)
            .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK).bits())
            .open(path)
    };
    match open() {
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
            if fs::symlink_metadata(path)?.is_file() {
                fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
            }
            open()
        }
        opened => opened,
    }
}

/// Give every directory below `dir` (not following symbolic links) that this user
/// cannot list, enter or change the mode 0700, so the drill can look into and remove
/// what restic restored with other modes. Directories that already allow it are left
/// as they are (a mode change is a write to the disk).
fn make_traversable(dir: &Path) {
    let usable =
        fs::symlink_metadata(dir).is_ok_and(|meta| meta.permissions().mode() & 0o700 == 0o700);
    if !usable {
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            make_traversable(&entry.path());
        }
    }
}

/// `$TMPDIR` as the host has it (relative to its working directory), else `/tmp`.
fn temp_parent(host: &Host) -> PathBuf {
    env_lookup(&host.env, "TMPDIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| PathBuf::from("/tmp"), |dir| host.cwd.join(dir))
}

/// The private directory a drill restores into: new, mode 0700, removed when the
/// drill ends, also when it is dropped on an early return.
#[derive(Debug)]
struct Scratch {
    path: Option<PathBuf>,
}

impl Scratch {
    fn new(parent: &Path) -> io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("keld-drill-")
            .permissions(fs::Permissions::from_mode(0o700))
            .tempdir_in(parent)?;
        Ok(Self {
            path: Some(dir.keep()),
        })
    }

    fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new("/nonexistent"))
    }

    /// Remove the directory; a message when that failed.
    fn remove(mut self) -> Result<(), String> {
        match self.path.take() {
            Some(path) => remove_tree(&path).map_err(|error| {
                format!(
                    "the drill's directory {} was not removed: {error}",
                    path.display()
                )
            }),
            None => Ok(()),
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = remove_tree(&path);
        }
    }
}

/// Remove the drill's directory; only when that fails for want of permission (a
/// directory restic restored without write permission) are the modes changed first.
fn remove_tree(path: &Path) -> io::Result<()> {
    match fs::remove_dir_all(path) {
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
            make_traversable(path);
            fs::remove_dir_all(path)
        }
        removed => removed,
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::symlink;

    use super::*;

    fn os(bytes: &[u8]) -> &OsStr {
        OsStr::from_bytes(bytes)
    }

    #[test]
    fn the_sample_is_pinned_to_its_seed() {
        // These numbers are the contract of `--seed`: a change here breaks every
        // drill someone wants to repeat. They were computed independently of this
        // code, with the algorithm of `sample`'s documentation over the ChaCha20 of
        // Python's `cryptography` (key: the seed's 8 bytes little-endian and 24 zero
        // bytes; nonce and counter zero; 64-bit words little-endian).
        assert_eq!(sample(10_000, 5, 42), [1055, 3750, 5933, 8235, 9606]);
        assert_eq!(sample(10_000, 5, 0), [822, 5393, 8582, 9027, 9830]);
        assert_eq!(
            sample(10_000, 20, 12345),
            [
                222, 1216, 1778, 2011, 2065, 3633, 4896, 5016, 5738, 6007, 6227, 7042, 7469, 7570,
                7614, 7819, 7862, 8036, 8586, 9683
            ]
        );
        assert_ne!(sample(10_000, 5, 43), sample(10_000, 5, 42));
    }

    #[test]
    fn a_sample_has_distinct_files_and_all_when_fewer() {
        for seed in 0..50 {
            let chosen = sample(30, 20, seed);
            assert_eq!(chosen.len(), 20);
            let mut unique = chosen.clone();
            unique.dedup();
            assert_eq!(unique, chosen, "sorted and distinct");
            assert!(chosen.iter().all(|&index| index < 30));
        }
        assert_eq!(sample(3, 20, 7), [0, 1, 2]);
        assert!(sample(0, 20, 7).is_empty());
        assert!(sample(100, 0, 7).is_empty());
    }

    #[test]
    fn every_file_can_be_chosen_evenly() {
        let mut hits = [0u32; 10];
        for seed in 0..10_000 {
            for index in sample(10, 1, seed) {
                hits[index] += 1;
            }
        }
        // 1,000 expected each; a fair draw stays well within ±15 %.
        assert!(
            hits.iter().all(|&hit| (850..1150).contains(&hit)),
            "{hits:?}"
        );
    }

    #[test]
    fn sizes_read_in_units_of_1024() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("1500"), Ok(1500));
        assert_eq!(parse_size("12B"), Ok(12));
        assert_eq!(parse_size("512k"), Ok(512 * 1024));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("64 MiB"), Ok(64 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("1TiB"), Ok(1 << 40));
        for bad in ["", "MiB", "-1", "1.5M", "10MB", "1PiB", "99999999999T"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert_eq!(format_size(64 << 20), "64MiB");
        assert_eq!(format_size(1536), "1536B");
        assert_eq!(format_size(0), "0B");
        assert_eq!(format_size(3 << 10), "3KiB");
    }

    #[test]
    fn patterns_match_only_their_file() {
        assert_eq!(include_pattern("/home/me/notes.txt"), "/home/me/notes.txt");
        assert_eq!(include_pattern("/a b/c d"), "/a b/c d");
        assert_eq!(include_pattern("/x/*?[]\\"), r"/x/\*\?\[]\\");
        assert_eq!(include_pattern("/x/new\nline"), "/x/new\nline");
        assert_eq!(
            include_pattern("/x/bad\u{fffd}\u{fffd}.txt"),
            "/x/bad??.txt"
        );
    }

    #[test]
    fn names_show_as_restic_shows_them() {
        assert_eq!(restic_lossy(b"plain"), "plain");
        assert_eq!(restic_lossy(b"bad\xff\xfe.txt"), "bad\u{fffd}\u{fffd}.txt");
        // A broken sequence is one U+FFFD per byte in Go, not one for the sequence.
        assert_eq!(restic_lossy(b"a\xe2\x82b"), "a\u{fffd}\u{fffd}b");
        assert_eq!(restic_lossy("é".as_bytes()), "é");
    }

    fn listing(lines: &str) -> Listing {
        Listing::parse(lines.as_bytes(), DEFAULT_MAX_SIZE)
            .expect("a listing")
            .expect("a snapshot")
    }

    #[test]
    fn a_listing_keeps_regular_files_within_the_limit() {
        let text = r#"{"time":"2026-12-05T02:00:00Z","paths":["/home/me"],"hostname":"h","id":"abcdef0123456789","short_id":"abcdef01","struct_type":"snapshot"}
{"name":"me","type":"dir","path":"/home/me","struct_type":"node"}
{"name":"a","type":"file","path":"/home/me/a","size":3,"struct_type":"node"}
{"name":"empty","type":"file","path":"/home/me/empty","struct_type":"node"}
{"name":"big","type":"file","path":"/home/me/big","size":99999999999,"struct_type":"node"}
{"name":"l","type":"symlink","path":"/home/me/l","struct_type":"node","message_type":"node"}
"#;
        let parsed = listing(text);
        assert_eq!(parsed.snapshot.short(), "abcdef01");
        assert_eq!(parsed.listed, 3);
        let paths: Vec<&str> = parsed.files.iter().map(|file| file.path.as_str()).collect();
        assert_eq!(paths, ["/home/me/a", "/home/me/empty"]);
        assert_eq!(parsed.files[1].size, 0);
        let file = br#"{"struct_type":"node","type":"file","path":"/a"}"#;
        assert!(Listing::parse(file, 10).is_err());
        assert!(Listing::parse(b"not json\n", 10).is_err());
        assert!(Listing::parse(b"", 10).unwrap().is_none());
    }

    #[test]
    fn names_that_only_differ_in_bytes_that_are_not_utf8_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("d");
        fs::create_dir(&sub).unwrap();
        for name in [&b"x\xfe"[..], b"x\xff", b"x\xef\xbf\xbd", b"y"] {
            fs::write(sub.join(os(name)), name).unwrap();
        }
        // restic lists all three as `x\u{fffd}`, in the order of their bytes.
        let node =
            "{\"type\":\"file\",\"path\":\"/d/x\u{fffd}\",\"size\":2,\"struct_type\":\"node\"}\n";
        let text = format!(
            "{{\"time\":\"2026-12-05T02:00:00Z\",\"id\":\"ab\",\"struct_type\":\"snapshot\"}}\n{node}{node}{node}"
        );
        let parsed = listing(&text);
        let located: Vec<Vec<u8>> = parsed
            .files
            .iter()
            .map(|file| {
                locate(dir.path(), file)
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes()
            })
            .collect();
        assert_eq!(
            located,
            [&b"d/x\xef\xbf\xbd"[..], b"d/x\xfe", b"d/x\xff"].map(<[u8]>::to_vec)
        );
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn set_mtime(path: &Path, time: Timestamp) {
        let file = File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::from(time)).unwrap();
    }

    #[test]
    fn verdicts_from_bytes_sizes_and_times() {
        let dir = tempfile::tempdir().unwrap();
        let restored = dir.path().join("restored");
        let live = dir.path().join("live");
        let snapshot = at("2026-12-05T02:00:00Z");
        fs::write(&restored, b"hello").unwrap();

        fs::write(&live, b"hello").unwrap();
        assert_eq!(compare(&restored, &live, 5, snapshot).0, Verdict::Ok);

        fs::write(&live, b"jello").unwrap();
        set_mtime(&live, at("2026-12-05T03:00:00Z"));
        assert_eq!(compare(&restored, &live, 5, snapshot).0, Verdict::Changed);
        set_mtime(&live, at("2026-12-04T03:00:00Z"));
        assert_eq!(compare(&restored, &live, 5, snapshot).0, Verdict::Mismatch);
        // The same time as the snapshot is not later.
        set_mtime(&live, snapshot);
        assert_eq!(compare(&restored, &live, 5, snapshot).0, Verdict::Mismatch);

        fs::write(&live, b"hello, world").unwrap();
        set_mtime(&live, at("2026-12-04T03:00:00Z"));
        assert_eq!(compare(&restored, &live, 5, snapshot).0, Verdict::Mismatch);

        fs::write(&live, b"hello").unwrap();
        // restic's size is not what it restored.
        let (verdict, detail) = compare(&restored, &live, 6, snapshot);
        assert_eq!(verdict, Verdict::Mismatch);
        assert!(detail.unwrap().contains("restored 5 bytes"));

        fs::remove_file(&live).unwrap();
        assert_eq!(compare(&restored, &live, 5, snapshot).0, Verdict::Missing);
        assert_eq!(
            compare(&restored, &dir.path().join("restored/x"), 5, snapshot).0,
            Verdict::Missing
        );
        assert_eq!(
            compare(&dir.path().join("nope"), &live, 5, snapshot).0,
            Verdict::NotRestored
        );

        // A live symbolic link is not followed: the file is not what it was.
        fs::write(dir.path().join("elsewhere"), b"hello").unwrap();
        symlink(dir.path().join("elsewhere"), &live).unwrap();
        assert_ne!(compare(&restored, &live, 5, snapshot).0, Verdict::Ok);

        // A live file that cannot be looked at (here: below a loop of links, which
        // stops root too) is unreadable, with the reason.
        let looped = dir.path().join("loop");
        symlink(&looped, &looped).unwrap();
        let (verdict, detail) = compare(&restored, &looped.join("file"), 5, snapshot);
        assert_eq!(verdict, Verdict::Unreadable);
        assert!(detail.unwrap().contains("symbolic links"));
        if !nix::unistd::geteuid().is_root() {
            let locked = dir.path().join("locked");
            fs::write(&locked, b"hello").unwrap();
            fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
            assert_eq!(
                compare(&restored, &locked, 5, snapshot).0,
                Verdict::Unreadable
            );
        }
    }

    #[test]
    fn large_files_compare_piece_by_piece() {
        let dir = tempfile::tempdir().unwrap();
        let restored = dir.path().join("restored");
        let live = dir.path().join("live");
        let mut bytes: Vec<u8> = (0..(3 * CHUNK + 17)).map(|i| (i % 251) as u8).collect();
        fs::write(&restored, &bytes).unwrap();
        fs::write(&live, &bytes).unwrap();
        let size = bytes.len() as u64;
        let snapshot = at("2030-01-01T00:00:00Z");
        assert_eq!(compare(&restored, &live, size, snapshot).0, Verdict::Ok);
        bytes[2 * CHUNK + 5] ^= 1;
        fs::write(&live, &bytes).unwrap();
        assert_eq!(
            compare(&restored, &live, size, snapshot).0,
            Verdict::Mismatch
        );
    }

    #[test]
    fn the_private_directory_is_0700_and_removed_with_what_restic_locked() {
        let parent = tempfile::tempdir().unwrap();
        let scratch = Scratch::new(parent.path()).unwrap();
        let path = scratch.path().to_owned();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let locked = path.join("a/b");
        fs::create_dir_all(&locked).unwrap();
        fs::write(locked.join("f"), b"x").unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o500)).unwrap();
        fs::set_permissions(path.join("a"), fs::Permissions::from_mode(0o000)).unwrap();
        scratch.remove().unwrap();
        assert!(!path.exists());

        let dropped = Scratch::new(parent.path()).unwrap();
        let path = dropped.path().to_owned();
        drop(dropped);
        assert!(!path.exists());
    }

    #[test]
    fn json_errors_read_as_their_message() {
        let stderr =
            b"{\"message_type\":\"exit_error\",\"code\":1,\"message\":\"no matching ID\"}\nplain\n";
        assert_eq!(
            String::from_utf8(plain_errors(stderr)).unwrap(),
            "no matching ID\nplain\n\n"
        );
    }

    #[test]
    fn paths_within_a_snapshot_path() {
        assert!(is_within("/home/me/a", "/home/me"));
        assert!(is_within("/home/me", "/home/me"));
        assert!(is_within("/home/me/a", "/home/me/"));
        assert!(!is_within("/home/meg/a", "/home/me"));
        assert!(is_within("/a", "/"));
    }

    fn file(live: &[u8], verdict: Verdict) -> FileVerdict {
        FileVerdict {
            path: restic_lossy(live),
            live: PathBuf::from(os(live)),
            size: 1,
            verdict,
            detail: None,
        }
    }

    #[test]
    fn lines_and_the_summary_stay_one_line_each() {
        assert_eq!(file(b"/x/a.txt", Verdict::Ok).line(), "ok      /x/a.txt");
        assert_eq!(
            file(b"/x/new\nline\xff", Verdict::Mismatch).line(),
            r"mismatch $'/x/new\nline\xff'"
        );
        assert_eq!(
            file("/x/\u{1b}]0;t\u{7}\u{202e}".as_bytes(), Verdict::Changed).line(),
            r"changed $'/x/\x1b]0;t\x07\u202e'"
        );
        let report = DrillReport {
            run: RunReport {
                exit_code: 1,
                result: RunResult::Failed,
                restic: None,
                skipped_by: None,
                failed_post_hooks: 0,
                first_hook_failure: None,
                error: None,
                failure: None,
                signal: None,
                started: SystemTime::UNIX_EPOCH,
                finished: SystemTime::UNIX_EPOCH,
            },
            preset: "home\u{1b}[2K".to_owned(),
            snapshot: Some(Snapshot {
                id: "1a2b3c4d5e6f".to_owned(),
                short_id: "1a2b3c4d".to_owned(),
                time: "not a time".to_owned(),
                hostname: "h".to_owned(),
                ..Snapshot::default()
            }),
            seed: 1,
            sample: 20,
            max_size: DEFAULT_MAX_SIZE,
            listed: 2,
            eligible: 2,
            files: vec![
                file(b"/x/a", Verdict::Ok),
                file(b"/x/b", Verdict::NotRestored),
            ],
            error: None,
            warnings: Vec::new(),
        };
        assert_eq!(
            report.summary().as_deref(),
            Some(
                r"drill $'home\x1b[2K': 2 files from snapshot 1a2b3c4d (not a time): 1 ok, 0 changed, 0 missing, 1 errors"
            )
        );
        assert_eq!(report.text().lines().count(), 3);
        assert_eq!(
            report.failed_files().as_deref(),
            Some("1 of 2 files failed the drill: 0 mismatch, 1 not_restored")
        );
    }
}
