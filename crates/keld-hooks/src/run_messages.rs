//! What keld tells the user during and after a run: a message and what to do about
//! it for each [`Event`] worth telling, for each [`RunError`] that ended a run, and
//! for a drill that failed ([`DrillReport::failure`]).
//! Front ends render these (keld's diagnostics on stderr); restic's own exit code
//! stays keld's either way.

use keld_config::{ResolvedConfig, mask_url_passwords};
use keld_supervise::SuperviseError;

use crate::drill::{DrillReport, FAILED_FILES_HELP};
use crate::environ::EnvCommandError;
use crate::lock::LockError;
use crate::prepare::PrepareError;
use crate::report::{Event, RunError, SKIP_EXIT_CODE};
use crate::show::origin_text;

/// One thing keld says about a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunMessage {
    /// What happened.
    pub message: String,
    /// What to do about it.
    pub help: String,
    /// Only advice (a skipped backup, a wait for the lock), not an error.
    pub advice: bool,
}

impl RunMessage {
    /// An error whose message (which may quote a hook or a restic path) has the
    /// passwords of URLs in it masked, as `--show-command` shows them.
    pub fn error(message: &str, help: impl Into<String>) -> Self {
        Self {
            message: mask_url_passwords(message),
            help: help.into(),
            advice: false,
        }
    }

    /// keld could not set itself up to supervise restic ([`crate::Runner::new`]).
    pub fn supervise_failed(err: &SuperviseError) -> Self {
        Self::error(
            &err.to_string(),
            "keld could not prepare to supervise restic; nothing was run",
        )
    }

    /// What an event says, if it says anything (the end of a run is reported from
    /// its result).
    pub fn of_event(event: &Event<'_>) -> Option<Self> {
        Some(match event {
            Event::Skipped { hook } => Self {
                message: mask_url_passwords(&format!(
                    "backup skipped: pre-hook {hook:?} exited {SKIP_EXIT_CODE}"
                )),
                help: "restic and the post-hooks did not run; a pre-hook exits 75 to skip a \
                       backup on purpose"
                    .to_owned(),
                advice: true,
            },
            Event::ResticStartFailed(err) => Self::error(
                &format!("starting restic: {err}"),
                "check that restic (or KELD_EXECUTABLE) is an executable file for this \
                 machine; the post-hooks ran with KELD_RESTIC_STATUS=start_failed",
            ),
            Event::PostHookFailed(err) => Self::error(
                &err.to_string(),
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
                help: "`_lock_wait` sets how long keld waits".to_owned(),
                advice: true,
            },
            Event::Started | Event::Finished(_) => return None,
        })
    }

    /// What ended a run of `resolved` with `err`, and how to fix it (naming where the
    /// value at fault is set).
    pub fn of_error(err: &RunError, resolved: &ResolvedConfig) -> Self {
        let message = &err.to_string();
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
                    .map(|setting| format!(" (set at {})", origin_text(&setting.origin)))
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
                    .map(|var| format!(" (set at {})", origin_text(&var.origin)))
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

impl DrillReport {
    /// What ended the drill of `preset` (as it was named to keld), or the files that
    /// failed it, if anything did.
    pub fn failure(&self, preset: &str) -> Option<RunMessage> {
        match &self.error {
            Some(error) => Some(RunMessage::error(&error.to_string(), error.help(preset))),
            None => self.failed_files().map(|message| RunMessage {
                message,
                help: FAILED_FILES_HELP.to_owned(),
                advice: false,
            }),
        }
    }
}
