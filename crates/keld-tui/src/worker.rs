//! The background work the session asks for, done by running restic, reading the
//! run records and running drills.
//!
//! Each listing runs one short restic command with its output captured and stdin
//! closed (so restic never waits for a password prompt), and parses the answer on
//! the worker thread so a 100,000-line listing never stalls the screen. The run
//! records are read and summed up on a worker thread too; a drill waits on one for
//! the thread that runs it ([`crate::drills`]).

use std::path::PathBuf;
use std::sync::Arc;

use keld_config::{Config, Environment, Request as ConfigRequest};
use keld_hooks::{Host, Invocation, Lister};

use crate::dashboard::read_records;
use crate::diff::parse_diff;
use crate::drill_runner::Drills;
use crate::forget::parse_forget;
use crate::protocol::{Msg, Request};
use crate::snapshots::parse_snapshots;
use crate::tree::FileTree;

/// Does one piece of background work (runs on its own thread) and returns the answer;
/// answers on the way (a drill's progress) go to the function it is given.
pub type Worker = Arc<dyn Fn(Request, &dyn Fn(Msg)) -> Msg + Send + Sync>;

/// What the session needs from restic: the standard output of `restic COMMAND` with
/// the preset's configured flags, and `extra` arguments appended; the error is a
/// message for the screen.
pub trait Restic: Send + Sync {
    /// Run `command` (`snapshots`, `ls`, `version`) for `preset` and return its output.
    fn output(
        &self,
        preset: Option<&str>,
        command: &str,
        extra: &[&str],
    ) -> Result<Vec<u8>, String>;
}

/// restic as a run of the preset would start it: the preset's resolved `snapshots`,
/// `ls`, `diff` and `forget` (their flags and environment, not their `_arguments`,
/// except those `forget` is configured with), prepared and run by [`Lister`];
/// `version` with keld's own environment and no preset.
pub struct ConfigRestic {
    config: Arc<Config>,
    env: Environment,
    host: Host,
    lister: Lister,
}

impl ConfigRestic {
    /// restic for `config`; without `run_commands` (under `--show-command`) no
    /// `_COMMAND` runs and only literal variables are set.
    pub fn new(config: Arc<Config>, env: Environment, host: Host, run_commands: bool) -> Self {
        let lister = Lister::new(host.clone(), run_commands);
        Self {
            config,
            env,
            host,
            lister,
        }
    }

    /// The restic processes still running (to stop them when the session ends).
    pub fn lister(&self) -> &Lister {
        &self.lister
    }

    fn invocation(&self, preset: Option<&str>, command: &str) -> Result<Invocation, String> {
        if command == "version" {
            return Ok(Invocation::plain("version", &self.host));
        }
        let request = ConfigRequest {
            preset: preset.map(str::to_owned),
            command: command.to_owned(),
            args: Vec::new(),
        };
        let resolved = self
            .config
            .resolve(&request, &self.env)
            .map_err(|error| crate::resolution::describe(&error))?;
        // A listing takes its own arguments; a configured `_arguments` (backup paths
        // in a prefix section, say) is no snapshot id. Only `forget`'s dry run keeps
        // the IDs configured for `forget` itself, as the run will.
        let keep_arguments =
            command == "forget" && crate::resolution::arguments_meant_for_command(&resolved);
        Ok(keld_hooks::reading_invocation(
            &resolved,
            &self.host,
            keep_arguments,
        ))
    }
}

impl Restic for ConfigRestic {
    fn output(
        &self,
        preset: Option<&str>,
        command: &str,
        extra: &[&str],
    ) -> Result<Vec<u8>, String> {
        let invocation = self.invocation(preset, command)?;
        self.lister
            .capture(&invocation, extra)
            .map_err(|error| error.to_string())
    }
}

/// The session's [`Worker`]: the run records from `state_dir`, drills from `drills`,
/// everything else from `restic`.
pub(crate) fn session_worker(
    restic: Worker,
    state_dir: Option<PathBuf>,
    drills: Arc<Drills>,
) -> Worker {
    Arc::new(move |request, progress| match request {
        Request::Records { ticket } => Msg::Records {
            ticket,
            result: read_records(state_dir.as_deref(), jiff::Timestamp::now()),
        },
        Request::Drill { ticket, preset } => Msg::Drill {
            ticket,
            result: drills.run(preset.as_deref(), &|step| {
                progress(Msg::DrillProgress {
                    ticket,
                    progress: step,
                });
            }),
        },
        other => restic(other, progress),
    })
}

/// A [`Worker`] that answers requests with `restic` (it reads no run records and runs
/// no drill: those requests get an error).
pub fn restic_worker(restic: Arc<dyn Restic>) -> Worker {
    Arc::new(move |request, _| match request {
        Request::Snapshots { ticket, preset } => {
            let result = restic
                .output(preset.as_deref(), "snapshots", &["--json"])
                .and_then(utf8)
                .and_then(|out| parse_snapshots(&out).map_err(|err| err.to_string()));
            Msg::Snapshots { ticket, result }
        }
        Request::Listing {
            ticket,
            preset,
            snapshot,
        } => {
            let result = restic
                .output(preset.as_deref(), "ls", &["--json", &snapshot])
                .and_then(utf8)
                .and_then(|out| FileTree::parse(&out).map_err(|err| err.to_string()));
            Msg::Listing { ticket, result }
        }
        Request::ResticVersion { ticket } => Msg::ResticVersion {
            ticket,
            result: restic.output(None, "version", &[]).and_then(utf8),
        },
        Request::Diff {
            ticket,
            preset,
            from,
            to,
        } => {
            let result = restic
                .output(preset.as_deref(), "diff", &["--json", &from, &to])
                .and_then(utf8)
                .and_then(|out| parse_diff(&out).map_err(|err| err.to_string()));
            Msg::Diff { ticket, result }
        }
        Request::ForgetPlan { ticket, preset } => {
            let result = restic
                .output(preset.as_deref(), "forget", &["--dry-run", "--json"])
                .and_then(utf8)
                .and_then(|out| parse_forget(&out).map_err(|err| err.to_string()));
            Msg::ForgetPlan { ticket, result }
        }
        Request::Records { ticket } => Msg::Records {
            ticket,
            result: Err("no run records here".to_owned()),
        },
        Request::Drill { ticket, .. } => Msg::Drill {
            ticket,
            result: Err("no drill runs here".to_owned()),
        },
    })
}

fn utf8(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|_| "restic wrote output that is not UTF-8".to_owned())
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
