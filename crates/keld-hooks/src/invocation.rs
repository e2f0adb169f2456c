//! What one run is made of: a resolved preset and keld's environment, as plain data.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use keld_config::{EnvValue, ResolvedConfig};

use crate::environ::{EnvEntry, EnvSource};
use crate::program;
use crate::purpose::Purpose;

/// The outside world a run starts from, passed in as a value: keld's environment
/// exactly as the process received it (restic's environment is built on it) and
/// the working directory relative paths are taken from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Host {
    /// Every variable exactly as the process received it.
    pub env: Vec<(OsString, OsString)>,
    /// The working directory.
    pub cwd: PathBuf,
    /// The home directory (`HOME`, or the account's), for the default state directory.
    pub home: Option<PathBuf>,
}

impl Host {
    /// The running process's environment and working directory, and `HOME`.
    pub fn current() -> Self {
        let env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
        let home = keld_supervise::env_lookup(&env, "HOME")
            .filter(|home| !home.is_empty())
            .map(PathBuf::from);
        Self {
            env,
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
            home,
        }
    }

    /// keld's state directory for this host (see [`crate::state_dir`]).
    pub fn state_dir(&self) -> Option<PathBuf> {
        crate::state::state_dir(&self.env, self.home.as_deref())
    }
}

impl Operations {
    /// What `operations` ask of a run with `purpose`: a run that only asks restic for
    /// help or a dry run takes no lock (it changes nothing) and sends no ping (the
    /// [`crate::Pinger`] and [`crate::Recorder`] skip it).
    pub fn of(operations: &keld_config::Operations, purpose: Purpose) -> Self {
        let value = |setting: &Option<keld_config::Setting<String>>| {
            setting.as_ref().map(|setting| setting.value.clone())
        };
        Self {
            lock: purpose == Purpose::Run
                && operations
                    .lock
                    .as_ref()
                    .is_some_and(|setting| setting.value),
            lock_wait: operations
                .lock_wait
                .as_ref()
                .map_or(Duration::ZERO, |setting| setting.value),
            success_exit_codes: operations
                .success_exit_codes
                .as_ref()
                .map(|setting| setting.value.clone())
                .unwrap_or_default(),
            hook_timeout: operations
                .hook_timeout
                .as_ref()
                .map(|setting| (setting.value, keld_config::duration::format(setting.value))),
            metrics_dir: operations
                .metrics_dir
                .as_ref()
                .map(|setting| setting.value.clone()),
            pings: Pings {
                healthchecks: value(&operations.healthchecks),
                ntfy: value(&operations.ntfy),
                webhook: value(&operations.webhook),
            },
        }
    }
}

/// Where a preset's runs are reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pings {
    /// `_healthchecks`: a healthchecks.io-compatible check URL.
    pub healthchecks: Option<String>,
    /// `_ntfy`: an ntfy topic URL (failures and warnings only).
    pub ntfy: Option<String>,
    /// `_webhook`: receives every run's record as JSON.
    pub webhook: Option<String>,
}

impl Pings {
    /// Whether any ping is configured.
    pub fn any(&self) -> bool {
        self.healthchecks.is_some() || self.ntfy.is_some() || self.webhook.is_some()
    }
}

/// What a run does around restic for unattended operation (docs/operations.md).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Operations {
    /// `_lock`: hold the preset's lock for the whole run.
    pub lock: bool,
    /// `_lock_wait`: how long to wait for the lock.
    pub lock_wait: Duration,
    /// `_success_exit_codes`: restic exit codes keld reports as exit 0.
    pub success_exit_codes: Vec<u8>,
    /// `_hook_timeout`: the limit for each hook, with the text it was written as.
    pub hook_timeout: Option<(Duration, String)>,
    /// `_metrics_dir`: where the Prometheus textfile goes.
    pub metrics_dir: Option<PathBuf>,
    /// `_healthchecks`, `_ntfy`, `_webhook`.
    pub pings: Pings,
}

/// One restic invocation with everything around it, before anything is looked up
/// or run: the preset, the program as configured, restic's arguments, the config's
/// environment (`_COMMAND`s still unrun), the working directory and the hooks that
/// apply.
///
/// Built from a [`ResolvedConfig`] by [`Invocation::new`]; `--show-command` prints
/// it, [`crate::Runner::run`] runs it, and listings capture it
/// ([`crate::Lister`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The preset (`home@nas`), if any; hooks get it as `KELD_PRESET`.
    pub preset: Option<String>,
    /// COMMAND as typed (`nightly`); hooks get it as `KELD_COMMAND`.
    pub alias: String,
    /// The restic command that runs (`backup`), after `_command` aliasing.
    pub command: String,
    /// restic as configured (`KELD_EXECUTABLE`, else `restic`), not yet looked up.
    pub program: OsString,
    /// restic's arguments after the program name.
    pub args: Vec<OsString>,
    /// Variables the config sets, literal or `_COMMAND`.
    pub environ: Vec<EnvEntry>,
    /// Working directory of restic, hooks and `_COMMAND`s; keld's own when `None`.
    pub workdir: Option<PathBuf>,
    /// Shell commands run before restic, in order (only for a real `backup`).
    pub pre_hooks: Vec<String>,
    /// Shell commands run after restic was attempted, in order.
    pub post_hooks: Vec<String>,
    /// Whether restic really runs or is only asked for help or a dry run.
    pub purpose: Purpose,
    /// Lock, success codes, hook timeout and metrics.
    pub operations: Operations,
}

impl Invocation {
    /// The invocation `resolved` stands for, with restic as `host` configures it.
    ///
    /// Backup hooks apply to a real `backup` only: not when restic is asked for its
    /// help, and not to a dry run, which stores nothing (docs/hooks.md). Which one
    /// it is, is read from the arguments restic gets, as restic reads them
    /// ([`Purpose::of`]).
    pub fn new(resolved: &ResolvedConfig, host: &Host) -> Self {
        let args: Vec<OsString> = resolved.args().into_iter().map(OsString::from).collect();
        let purpose = Purpose::of(&resolved.command, &args);
        let hooks = |list: &[String]| {
            if purpose == Purpose::Run {
                list.to_vec()
            } else {
                Vec::new()
            }
        };
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
        Self {
            preset: resolved.preset.clone(),
            alias: resolved.typed_command.clone(),
            command: resolved.command.clone(),
            program: program::configured(&host.env),
            args,
            environ,
            workdir: resolved
                .workdir
                .as_ref()
                .map(|setting| setting.value.clone()),
            pre_hooks: hooks(resolved.active_pre_hooks()),
            post_hooks: hooks(resolved.active_post_hooks()),
            purpose,
            operations: Operations::of(&resolved.operations, purpose),
        }
    }

    /// `restic COMMAND` alone (`version`): no preset, no config, keld's own
    /// environment.
    pub fn plain(command: &str, host: &Host) -> Self {
        Self {
            preset: None,
            alias: command.to_owned(),
            command: command.to_owned(),
            program: program::configured(&host.env),
            args: vec![command.into()],
            environ: Vec::new(),
            workdir: None,
            pre_hooks: Vec::new(),
            post_hooks: Vec::new(),
            purpose: Purpose::Run,
            operations: Operations::default(),
        }
    }

    /// The program and its arguments as they will be run.
    pub fn argv(&self) -> impl Iterator<Item = &OsString> {
        std::iter::once(&self.program).chain(&self.args)
    }
}
