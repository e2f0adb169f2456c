//! Running a resolved configuration through keld's one run pipeline
//! ([`keld_hooks::Runner`]), and telling the user what happened on the way.
//!
//! Everything keld reports during a run (a failing pre-hook, a skipped backup, a
//! restic that cannot start, a failing post-hook) is a miette diagnostic on stderr
//! with a `help` that says what to do; restic's own exit code stays keld's.

use keld_config::{ResolvedConfig, mask_url_passwords};
use keld_hooks::{
    Drill, DrillOptions, DrillReport, EnvCommandError, Event, Host, Invocation, LockError,
    Observer, Pinger, PrepareError, ProcessInfo, Recorder, RunError, RunReport, Runner,
};
use miette::Diagnostic;
use thiserror::Error;

use crate::context::Context;
use crate::error;

/// The runs of one keld call: one [`Runner`] (so a signal between two presets still
/// stops the next), the records, and the diagnostics on stderr.
pub(crate) struct Runs<'a> {
    runner: Runner,
    recorder: Recorder,
    pinger: Pinger,
    host: Host,
    ctx: &'a Context,
}

impl<'a> Runs<'a> {
    /// Catch keld's signals from now on; `Err` with keld's exit code (1) when that
    /// is not possible (reported).
    pub(crate) fn new(ctx: &'a Context) -> Result<Self, u8> {
        let runner = Runner::new().map_err(|err| {
            let message = Message::error(
                err.to_string(),
                "keld could not prepare to supervise restic; nothing was run",
            );
            error::report(&message, ctx);
            1
        })?;
        let host = ctx.host();
        let process = ProcessInfo::this_process(env!("CARGO_PKG_VERSION"));
        Ok(Self {
            runner,
            recorder: Recorder::new(host.state_dir(), process.clone()),
            pinger: Pinger::new(process),
            host,
            ctx,
        })
    }

    /// The signal keld received and no run has accounted for yet.
    pub(crate) fn signal_received(&self) -> Option<i32> {
        self.runner.signal_received()
    }

    /// Run `resolved` (restic with its `_COMMAND`s and hooks), report what happens on
    /// the way, record it, and say how it ended.
    pub(crate) fn run(&mut self, resolved: &ResolvedConfig) -> RunReport {
        let ctx = self.ctx;
        let invocation = Invocation::new(resolved, &self.host);
        let (recorder, pinger) = (&mut self.recorder, &mut self.pinger);
        let report = self.runner.run(
            &invocation,
            &self.host,
            &mut |invocation: &Invocation, event: &Event<'_>| {
                if let Some(message) = Message::from_event(event) {
                    error::report(&message, ctx);
                }
                if let Event::Finished(report) = event
                    && let Some(err) = &report.error
                {
                    // Said before the pings go out, which may take a while.
                    error::report(&Message::from_error(err, resolved), ctx);
                }
                recorder.on_event(invocation, event);
                pinger.on_event(invocation, event);
            },
        );
        self.report_warnings();
        report
    }

    /// Run `drill` through the same runner, records and pings as every run.
    pub(crate) fn drill(&mut self, drill: &Drill, options: &DrillOptions) -> DrillReport {
        let (recorder, pinger) = (&mut self.recorder, &mut self.pinger);
        let report = drill.run(
            &self.runner,
            &self.host,
            options,
            &mut |invocation: &Invocation, event: &Event<'_>| {
                recorder.on_event(invocation, event);
                pinger.on_event(invocation, event);
            },
        );
        self.report_warnings();
        report
    }

    /// The recorder's and the pinger's warnings, on stderr.
    fn report_warnings(&mut self) {
        let warnings = self.recorder.take_warnings();
        for warning in warnings.into_iter().chain(self.pinger.take_warnings()) {
            error::report(&error::WarningReport::new(warning, None), self.ctx);
        }
    }
}

/// Run `resolved` alone and return keld's exit code.
pub(crate) fn execute(resolved: &ResolvedConfig, ctx: &Context) -> u8 {
    match Runs::new(ctx) {
        Ok(mut runs) => runs.run(resolved).exit_code,
        Err(code) => code,
    }
}

/// One message of the run, rendered like every keld diagnostic.
#[derive(Debug, Error)]
#[error("{message}")]
struct Message {
    message: String,
    help: Option<String>,
    /// `None` is an error; a skipped backup is only advice.
    severity: Option<miette::Severity>,
}

impl Diagnostic for Message {
    fn severity(&self) -> Option<miette::Severity> {
        self.severity
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn std::fmt::Display>)
    }
}

impl Message {
    /// An error whose message (which may quote a hook or a restic path) has the
    /// passwords of URLs in it masked, as `--show-command` shows them.
    fn error(message: String, help: impl Into<String>) -> Self {
        Self {
            message: mask_url_passwords(&message),
            help: Some(help.into()),
            severity: None,
        }
    }

    /// What an event says, if it says anything (the end of a run is reported from
    /// its result).
    fn from_event(event: &Event<'_>) -> Option<Self> {
        Some(match event {
            Event::Skipped { hook } => Self {
                message: mask_url_passwords(&format!(
                    "backup skipped: pre-hook {hook:?} exited {}",
                    keld_hooks::SKIP_EXIT_CODE
                )),
                help: Some(
                    "restic and the post-hooks did not run; a pre-hook exits 75 to skip a \
                     backup on purpose"
                        .to_owned(),
                ),
                severity: Some(miette::Severity::Advice),
            },
            Event::ResticStartFailed(err) => Self::error(
                format!("starting restic: {err}"),
                "check that restic (or KELD_EXECUTABLE) is an executable file for this \
                 machine; the post-hooks ran with KELD_RESTIC_STATUS=start_failed",
            ),
            Event::PostHookFailed(err) => Self::error(
                err.to_string(),
                "the remaining post-hooks still ran; keld exits with restic's code, or 1 \
                 when restic succeeded",
            ),
            Event::LockWaiting { holder, wait } => Self {
                message: match holder {
                    Some(holder) => format!(
                        "waiting up to {} for the lock: pid {} runs {} since {}",
                        keld_config::duration::format(*wait),
                        holder.pid,
                        holder.command,
                        holder.started
                    ),
                    None => format!(
                        "waiting up to {} for the lock of this preset",
                        keld_config::duration::format(*wait)
                    ),
                },
                help: Some("`_lock_wait` sets how long keld waits".to_owned()),
                severity: Some(miette::Severity::Advice),
            },
            Event::Started | Event::Finished(_) => return None,
        })
    }

    fn from_error(err: &RunError, resolved: &ResolvedConfig) -> Self {
        let message = err.to_string();
        match err {
            RunError::Prepare(PrepareError::NotFound(_)) => Self::error(
                message,
                "install restic, or set KELD_EXECUTABLE to the restic program (a path or a \
                 name in PATH); nothing was run",
            ),
            RunError::Prepare(PrepareError::NotExecutable { .. }) => Self::error(
                message,
                "point KELD_EXECUTABLE at the restic program itself (`chmod +x` it if it \
                 is one); nothing was run",
            ),
            RunError::Prepare(PrepareError::Workdir { .. }) => {
                let place = resolved
                    .workdir
                    .as_ref()
                    .map(|setting| format!(" (set at {})", crate::show::origin(&setting.origin)))
                    .unwrap_or_default();
                Self::error(
                    message,
                    format!("create the directory or change `_workdir`{place}; nothing was run"),
                )
            }
            RunError::Prepare(PrepareError::Unpassable { fix, .. }) => {
                Self::error(message, format!("{fix}; nothing was run"))
            }
            RunError::Prepare(PrepareError::TooLarge { .. }) => Self::error(
                message,
                "pass long lists through a file instead (`files-from`, `exclude-file`), or \
                 shorten the values; nothing was run",
            ),
            RunError::Supervise(_) => Self::error(
                message,
                "keld could not prepare to supervise restic; nothing was run",
            ),
            RunError::EnvCommand(env_err) => {
                let place = resolved
                    .environ
                    .iter()
                    .find(|var| var.name == env_err.name())
                    .map(|var| format!(" (set at {})", crate::show::origin(&var.origin)))
                    .unwrap_or_default();
                let name = env_err.name();
                let fix = match env_err {
                    EnvCommandError::Unpassable { .. } => format!(
                        "make {name}_COMMAND{place} print a value without NUL bytes that fits \
                         in a variable"
                    ),
                    EnvCommandError::TooLargeToStart { .. } => {
                        format!("shorten the largest values, or {name}_COMMAND{place}")
                    }
                    _ => format!(
                        "run the command in a shell to see why it fails, or fix \
                         {name}_COMMAND{place}"
                    ),
                };
                Self::error(message, format!("{fix}; no hook and no restic ran"))
            }
            RunError::PreHook(_) => Self::error(
                message,
                "fix the hook or its `_pre_hooks` entry; restic and the post-hooks did not \
                 run (a pre-hook exits 75 to skip the backup without an error)",
            ),
            RunError::Lock(LockError::Held { .. }) => Self::error(
                message,
                "another keld runs this preset now (`_lock = true`); nothing was run. \
                 Set `_lock_wait` to wait for it",
            ),
            RunError::Lock(LockError::Interrupted { .. }) => {
                Self::error(message, "nothing was run")
            }
            RunError::Lock(LockError::State { .. }) => Self::error(
                message,
                "`_lock = true` needs a state directory keld can write: set KELD_STATE_DIR or \
                 fix the directory's permissions; nothing was run",
            ),
            RunError::Interrupted { .. } => Self::error(
                message,
                "restic and the post-hooks did not run; start keld again to back up",
            ),
        }
    }
}
