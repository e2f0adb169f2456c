//! The run lifecycle: one restic run, from a resolved preset to keld's exit code.
//!
//! Every way keld runs restic goes through this crate: the command line (one preset
//! or several), `--show-command` (which prints an [`Invocation`]), the interactive
//! mode's confirmed command and its background listings ([`Lister`]), and restore
//! drills ([`Drill`]: several restic steps as one run, each through
//! [`Runner::capture`]).
//!
//! It also says what keld prints about them, so a front end only prints:
//! `--show-command` ([`show_command`]), `keld status` ([`rows_table`],
//! [`check_max_age`], [`RepositoryStatus`]), `keld schedule` ([`schedule_list`]),
//! a drill's JSON ([`DrillReport::to_json`]) and the messages of a run
//! ([`RunMessage`]).
//!
//! # How it works
//!
//! 1. [`Invocation::new`] turns a [`keld_config::ResolvedConfig`] and keld's
//!    environment ([`Host`]) into plain data: restic as configured
//!    (`KELD_EXECUTABLE` or `restic`), its arguments, the config's variables, the
//!    working directory and the hooks that apply.
//! 2. [`Invocation::prepare`] finds restic, once, on the `PATH` restic will get, and
//!    checks everything that can be checked before anything starts (docs/hooks.md).
//! 3. [`Runner::run`] runs it: `_COMMAND`s, pre-hooks, restic, post-hooks, under one
//!    [`keld_supervise::Supervisor`], reporting each [`Event`] to an [`Observer`]
//!    and returning a [`RunReport`]. A feature that acts around runs (printing,
//!    records, monitoring) is an observer, not another copy of this sequence.
//!
//! ```
//! use keld_config::{Config, Environment, Request, Source};
//! use keld_hooks::{Event, Host, Invocation, Runner};
//!
//! let dir = tempfile::tempdir()?;
//! let config = Config::from_sources([Source {
//!     path: "keld.toml".into(),
//!     text: format!(
//!         r#"[db.backup]
//! _workdir = "{}"
//! _arguments = ["."]
//! _pre_hooks = ["echo dump > db.sql"]
//! _post_hooks = ['test "$KELD_RESTIC_STATUS" = success && rm db.sql']
//! "#,
//!         dir.path().display()
//!     ),
//! }])?;
//! let request = Request { command: "backup".into(), ..Request::default() };
//! let resolved = config.resolve(&request, &Environment::default())?;
//!
//! // Any program stands in for restic here.
//! let host = Host {
//!     env: vec![
//!         ("PATH".into(), "/usr/bin:/bin".into()),
//!         ("KELD_EXECUTABLE".into(), "true".into()),
//!     ],
//!     cwd: dir.path().to_owned(),
//!     home: None,
//! };
//! let invocation = Invocation::new(&resolved, &host);
//! let report = Runner::new()?.run(&invocation, &host, &mut |_: &Invocation, event: &Event<'_>| {
//!     eprintln!("{event:?}");
//! });
//! assert_eq!(report.exit_code, 0);
//! assert!(!dir.path().join("db.sql").exists());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod backups;
mod drill;
mod drill_json;
mod environ;
mod files;
mod invocation;
mod json;
mod limits;
mod listing;
mod lock;
mod metrics;
mod ping;
mod prepare;
mod program;
mod purpose;
mod record;
mod recorder;
mod report;
mod run;
mod run_messages;
mod schedule;
mod schedule_output;
mod sequence;
mod show;
mod snapshots;
mod state;
mod status;
mod status_output;
mod table;

pub use backups::{PresetBackup, hostname, resolve_preset_command};
pub use drill::{
    DEFAULT_MAX_SIZE, DEFAULT_SAMPLE, Drill, DrillError, DrillOptions, DrillProgress, DrillReport,
    FAILED_FILES_HELP, FileVerdict, SizeError, Verdict, format_size, include_pattern, parse_size,
    restic_lossy, sample,
};
pub use environ::{EnvCommandError, EnvEntry, EnvSource, OUTPUT_LIMIT, STDERR_QUOTE_LIMIT};
pub use files::write_atomically;
pub use invocation::{Host, Invocation, Operations, Pings};
pub use json::pretty_json;
pub use keld_supervise::Stopper;
pub use listing::{Lister, ListingError, reading_invocation};
pub use lock::{Holder, LockError, PresetLock, file_name_part};
pub use metrics::{metrics_path, render as render_metrics};
pub use ping::Pinger;
pub use prepare::{PrepareError, PreparedRun};
pub use program::{DEFAULT_PROGRAM, ResticNotFound, configured as configured_program};
pub use purpose::Purpose;
pub use record::{
    OLD_RECORDS_FILE, ProcessInfo, RECORDS_FILE, ROTATE_AT, Record, RecordLog, RecordsRead,
    append as append_record, format_time, read_all as read_records,
    read_counted as read_records_counted, records_path,
};
pub use recorder::Recorder;
pub use report::{
    Event, HookError, HookFailure, HookPhase, Observer, RunError, RunReport, SKIP_EXIT_CODE,
};
pub use run::{CaptureFailure, Environs, Runner};
pub use run_messages::RunMessage;
pub use schedule::{
    Launcher, MARKER, Plan, ScheduleError, Scope, Timer, ToolError, Unit, WantedError,
    apply as apply_schedule, check_calendar, escape as systemd_escape, keld_units, next_elapses,
    plan as plan_schedule, stem as unit_stem, systemctl, units, unschedule_plan, wanted_timers,
};
pub use schedule_output::{NOTHING_TO_DO, linger_note, schedule_list};
pub use sequence::{SequenceSummary, sequence_header};
pub use show::{ShowForm, origin_text, show_command, show_command_json, show_commands, shown_argv};
pub use snapshots::{
    Snapshot, SnapshotQuery, SnapshotSummary, SnapshotsError, newest_in, newest_snapshot,
};
pub use state::{STATE_DIR_VAR, StateError, state_dir};
pub use status::{Freshness, Row, age, format_age, freshness, judge, local_minute, rows};
pub use status_output::{
    FreshnessCheck, NewestBackup, NewestBackupError, RepositoryStatus, StatusLine, check_max_age,
    rows_json, rows_table, snapshots_failed_line,
};
