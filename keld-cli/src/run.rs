//! Running a resolved configuration: the bridge from `keld-config` to `keld-hooks`.
//!
//! Everything keld reports on the way (a failing pre-hook, a skipped backup, a restic
//! that cannot start, a failing post-hook) is a miette diagnostic on stderr with a
//! `help` that says what to do; restic's own exit code stays keld's.

use std::ffi::OsString;

use keld_config::{EnvValue, ResolvedConfig};
use keld_hooks::{EnvEntry, EnvSource, Event, HookError, RunError, RunOptions};
use miette::Diagnostic;
use thiserror::Error;

use crate::context::Context;
use crate::error;

/// Run `resolved` (restic with its `_COMMAND`s and hooks) and return keld's exit code.
///
/// The start-up snapshot `ctx` decides how reports look; restic gets its environment.
pub(crate) fn execute(resolved: &ResolvedConfig, ctx: &Context) -> u8 {
    let options = options(resolved, &ctx.process_env);
    let result = keld_hooks::run(&options, &mut |event| {
        error::report(&RunReport::from_event(&event), ctx);
    });
    match result {
        Ok(finished) => finished.exit_code,
        Err(err) => {
            error::report(&RunReport::from_error(&err, resolved), ctx);
            err.exit_code()
        }
    }
}

/// The lifecycle's options for a resolved configuration. Hooks are only the active
/// ones, so commands other than backup run with none.
fn options(resolved: &ResolvedConfig, process_env: &[(OsString, OsString)]) -> RunOptions {
    let program = process_env
        .iter()
        .rev()
        .find(|(name, value)| name == keld_supervise::EXECUTABLE_VAR && !value.is_empty())
        .map(|(_, value)| value.clone());
    let environ = resolved
        .environ
        .iter()
        .map(|var| EnvEntry {
            name: var.name.clone(),
            source: match &var.value {
                EnvValue::Literal(value) => EnvSource::Literal(value.into()),
                EnvValue::Command(script) => EnvSource::Command(script.clone()),
            },
        })
        .collect();
    RunOptions {
        program,
        args: resolved.args().into_iter().map(OsString::from).collect(),
        base_env: process_env.to_vec(),
        environ,
        workdir: resolved
            .workdir
            .as_ref()
            .map(|setting| setting.value.clone()),
        pre_hooks: resolved.active_pre_hooks().to_vec(),
        post_hooks: resolved.active_post_hooks().to_vec(),
        preset: resolved.preset.clone(),
        command: resolved.typed_command.clone(),
    }
}

/// One message of the run, rendered like every keld diagnostic.
#[derive(Debug, Error)]
#[error("{message}")]
struct RunReport {
    message: String,
    help: Option<String>,
    /// `None` is an error; a skipped backup is only advice.
    severity: Option<miette::Severity>,
}

impl Diagnostic for RunReport {
    fn severity(&self) -> Option<miette::Severity> {
        self.severity
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn std::fmt::Display>)
    }
}

impl RunReport {
    /// A report whose message (which may quote a hook or a restic path) has the
    /// passwords of URLs in it masked, as `--show-command` shows them.
    fn new(message: String, help: impl Into<String>) -> Self {
        Self {
            message: crate::secret::mask_url_passwords(&message).into_owned(),
            help: Some(help.into()),
            severity: None,
        }
    }

    fn from_event(event: &Event<'_>) -> Self {
        match event {
            Event::Skipped { hook } => Self {
                message: crate::secret::mask_url_passwords(&format!(
                    "backup skipped: pre-hook {hook:?} exited {}",
                    keld_hooks::SKIP_EXIT_CODE
                ))
                .into_owned(),
                help: Some(
                    "restic and the post-hooks did not run; a pre-hook exits 75 to skip a \
                     backup on purpose"
                        .to_owned(),
                ),
                severity: Some(miette::Severity::Advice),
            },
            Event::ResticStartFailed(err) => Self::new(
                format!("starting restic: {err}"),
                "check that restic (or KELD_EXECUTABLE) is an executable file for this \
                 machine; the post-hooks ran with KELD_RESTIC_STATUS=start_failed",
            ),
            Event::PostHookFailed(err) => Self::new(
                err.to_string(),
                "the remaining post-hooks still ran; keld exits with restic's code, or 1 \
                 when restic succeeded",
            ),
        }
    }

    fn from_error(err: &RunError, resolved: &ResolvedConfig) -> Self {
        let message = err.to_string();
        match err {
            RunError::NotFound(_) => Self::new(
                message,
                "install restic, or set KELD_EXECUTABLE to the restic program (a path or a \
                 name in PATH); nothing was run",
            ),
            RunError::Workdir { .. } => {
                let place = resolved
                    .workdir
                    .as_ref()
                    .map(|setting| format!(" (set at {})", setting.origin))
                    .unwrap_or_default();
                Self::new(
                    message,
                    format!("create the directory or change `_workdir`{place}"),
                )
            }
            RunError::Supervise(_) => Self::new(
                message,
                "keld could not prepare to supervise restic; nothing was run",
            ),
            RunError::EnvCommand(env_err) => {
                let place = resolved
                    .environ
                    .iter()
                    .find(|var| var.name == env_err.name())
                    .map(|var| format!(" (set at {})", var.origin))
                    .unwrap_or_default();
                Self::new(
                    message,
                    format!(
                        "run the command in a shell to see why it fails, or fix {}_COMMAND{place}; \
                         no hook and no restic ran",
                        env_err.name()
                    ),
                )
            }
            RunError::PreHook(HookError { .. }) => Self::new(
                message,
                "fix the hook or its `_pre_hooks` entry; restic and the post-hooks did not \
                 run (a pre-hook exits 75 to skip the backup without an error)",
            ),
            RunError::Interrupted { .. } => Self::new(
                message,
                "restic and the post-hooks did not run; start keld again to back up",
            ),
        }
    }
}
