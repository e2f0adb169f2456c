//! The run lifecycle: prepare, `_COMMAND`s, pre-hooks, restic, post-hooks, report.

use std::ffi::OsString;
use std::time::SystemTime;

use keld_status::{Outcome, RunResult};

use keld_supervise::{
    CaptureError, Captured, ChildCommand, RunError as ChildError, Stdin, Stopper, SuperviseError,
    Supervisor, Timeout, env_set,
};

use crate::environ;
use crate::invocation::{Host, Invocation};
use crate::lock::{self, Holder, LockError, LockRequest, PresetLock};
use crate::prepare::{PreparedRun, check_environment, check_hooks, check_restic_total};
use crate::record::format_time;
use crate::report::{
    Event, HookError, HookFailure, HookPhase, Observer, RunError, RunReport, SKIP_EXIT_CODE,
};
use crate::state::StateError;

/// Runs invocations, one at a time, while keld's terminating signals are caught.
///
/// Keep one for a whole call of keld (several presets run through the same one): a
/// signal that arrives between two runs is then still seen, and stops the next.
/// Use it from the thread that lives longest (normally `main`): on Linux children
/// receive SIGTERM when the thread that started them ends.
#[derive(Debug)]
pub struct Runner {
    supervisor: Supervisor,
}

impl Runner {
    /// Catch keld's terminating signals from now on (see [`Supervisor`]).
    pub fn new() -> Result<Self, SuperviseError> {
        Ok(Self {
            supervisor: Supervisor::install()?,
        })
    }

    /// The signal keld received and no run has accounted for yet, if any.
    pub fn signal_received(&self) -> Option<i32> {
        self.supervisor.signal_received()
    }

    /// A handle that stops this runner's run (or drill) from another thread, as that
    /// signal from another process would: restic gets it, nothing more starts, and
    /// the run ends as interrupted (a drill removes its directory).
    pub fn stopper(&self) -> Stopper {
        self.supervisor.stopper()
    }

    /// Run `invocation` from start to end and say how it ended.
    ///
    /// The steps, each ending the run when it fails (docs/hooks.md):
    ///
    /// 1. prepare: find restic and check every value ([`Invocation::prepare`]) —
    ///    nothing runs on a problem (exit 127, 126 or 1);
    /// 2. build restic's environment, running each `NAME_COMMAND` — failure: exit 1;
    /// 3. the pre-hooks in order with `sh -c` — a failure stops everything (exit 1),
    ///    exit 75 skips the backup (exit 0), a signal stops the run (exit 128 + N);
    /// 4. restic, supervised (signals from other processes forwarded);
    /// 5. every post-hook, with `KELD_RESTIC_STATUS` and, when restic started,
    ///    `KELD_RESTIC_EXIT_CODE`;
    /// 6. keld's exit code: restic's, or 1 when restic succeeded but a post-hook
    ///    failed, or 126/127 when restic could not start.
    ///
    /// `observer` hears each [`Event`] when it happens, [`Event::Finished`] last, for
    /// every run that was asked for, also one that stopped before restic.
    pub fn run(
        &self,
        invocation: &Invocation,
        host: &Host,
        observer: &mut dyn Observer,
    ) -> RunReport {
        let started = SystemTime::now();
        let ended = match invocation.prepare(host) {
            Ok(prepared) => {
                let mut on_event = |event: &Event<'_>| observer.on_event(invocation, event);
                match self.execute_steps(&prepared, host, &mut on_event) {
                    Ok(ended) => ended,
                    Err(error) => Ended::early(error),
                }
            }
            Err(error) => Ended::early(error.into()),
        };
        let signal = self.end_of_run_signal();
        let report = ended.into_report(started, signal);
        observer.on_event(invocation, &Event::Finished(&report));
        report
    }

    /// Take the preset's lock (`_lock`), waiting as `_lock_wait` allows.
    fn lock(
        &self,
        invocation: &Invocation,
        host: &Host,
        on_event: &mut dyn FnMut(&Event<'_>),
    ) -> Result<PresetLock, RunError> {
        let preset = invocation.preset.clone().unwrap_or_default();
        let state_dir = host.state_dir().ok_or_else(|| LockError::State {
            preset: preset.clone(),
            source: StateError::Unknown,
        })?;
        let request = LockRequest {
            state_dir: &state_dir,
            preset: &preset,
            wait: invocation.operations.lock_wait,
            me: Holder {
                pid: std::process::id(),
                command: invocation.alias.clone(),
                started: format_time(jiff::Timestamp::now()),
            },
        };
        let wait = invocation.operations.lock_wait;
        Ok(lock::acquire(
            &request,
            &mut |holder| on_event(&Event::LockWaiting { holder, wait }),
            &|| self.supervisor.signal_received(),
        )?)
    }

    fn execute_steps(
        &self,
        run: &PreparedRun<'_>,
        host: &Host,
        on_event: &mut dyn FnMut(&Event<'_>),
    ) -> Result<Ended, RunError> {
        let invocation = run.invocation;
        self.stop_if_signalled()?;
        // Held until the last post-hook has ended (dropped with this frame).
        let _lock = if invocation.operations.lock {
            Some(self.lock(invocation, host, on_event)?)
        } else {
            None
        };
        on_event(&Event::Started);
        self.stop_if_signalled()?;
        let env = self.environment(run, None)?;
        check_restic_total(&run.program, &invocation.args, &env)?;

        let hook_env = environ::for_hooks(&env, invocation.preset.as_deref(), &invocation.alias);
        check_hooks(invocation, &hook_env)?;
        for hook in &invocation.pre_hooks {
            let result = self.run_hook(hook, &hook_env, invocation);
            // A signal while pre-hooks run ends the run whatever the hook made of it.
            self.stop_if_signalled()?;
            let failure = match result {
                Ok(Outcome::Exited(0)) => continue,
                Ok(Outcome::Exited(SKIP_EXIT_CODE)) => {
                    on_event(&Event::Skipped { hook });
                    return Ok(Ended {
                        skipped_by: Some(hook.clone()),
                        ..Ended::new(0)
                    });
                }
                Ok(outcome) => HookFailure::Ended(outcome),
                Err(failure) => failure,
            };
            return Err(RunError::PreHook(HookError {
                phase: HookPhase::Pre,
                hook: hook.clone(),
                failure,
            }));
        }

        let restic = ChildCommand {
            program: run.program.clone(),
            args: invocation.args.clone(),
            env,
            workdir: invocation.workdir.clone(),
            stdin: Stdin::Inherit,
        };
        let outcome = match self.supervisor.run(&restic) {
            Ok(outcome) => outcome,
            Err(ChildError::Start(error)) => {
                on_event(&Event::ResticStartFailed(&error));
                error.outcome()
            }
            // restic ran but its end is unknown: report it as a fatal failure, never success.
            Err(ChildError::Wait(_)) => Outcome::Exited(1),
        };
        // Signals that reached restic are accounted for by its outcome; one another
        // process sent after restic ended goes to the first post-hook (`Supervisor::run`).

        let mut post_env = hook_env;
        env_set(
            &mut post_env,
            "KELD_RESTIC_STATUS",
            outcome.status().as_str().into(),
        );
        if outcome.started() {
            env_set(
                &mut post_env,
                "KELD_RESTIC_EXIT_CODE",
                outcome.exit_code().to_string().into(),
            );
        }
        let mut failed_post_hooks = 0;
        let mut first_hook_failure = None;
        for hook in &invocation.post_hooks {
            let failure = match self.run_hook(hook, &post_env, invocation) {
                Ok(Outcome::Exited(0)) => continue,
                Err(failure) => failure,
                Ok(outcome) => HookFailure::Ended(outcome),
            };
            failed_post_hooks += 1;
            let error = HookError {
                phase: HookPhase::Post,
                hook: hook.clone(),
                failure,
            };
            first_hook_failure.get_or_insert_with(|| error.to_string());
            on_event(&Event::PostHookFailed(&error));
        }

        // `_success_exit_codes`: a listed code from a restic that exited normally is
        // keld's 0; hooks saw the real code.
        let listed_success_code = matches!(outcome, Outcome::Exited(code)
            if code != 0 && invocation.operations.success_exit_codes.contains(&code));
        let exit_code = match outcome.exit_code() {
            _ if failed_post_hooks > 0 && (outcome.success() || listed_success_code) => 1,
            _ if listed_success_code => 0,
            code => code,
        };
        Ok(Ended {
            restic: Some(outcome),
            failed_post_hooks,
            first_hook_failure,
            listed_success_code,
            ..Ended::new(exit_code)
        })
    }

    /// Run `invocation` for its output, with `extra` arguments appended, under this
    /// runner's supervision: one step of a run made of several restic commands (a
    /// drill), where restic's output is read rather than shown.
    ///
    /// It is prepared like a run ([`Invocation::prepare`]); its environment is built
    /// with the `_COMMAND`s the first time `environs` meets its variables and working
    /// directory, and taken from there after that, so a `_COMMAND` runs once per
    /// run. restic gets no standard input (a password prompt cannot be answered when
    /// its output is read) and no hooks run. Once keld received a signal nothing more
    /// starts ([`RunError::Interrupted`]); a signal another process sends while
    /// restic runs reaches restic and every process it started.
    pub fn capture(
        &self,
        invocation: &Invocation,
        extra: &[OsString],
        host: &Host,
        environs: &mut Environs,
    ) -> Result<Captured, CaptureFailure> {
        let prepared = invocation.prepare(host).map_err(RunError::from)?;
        self.stop_if_signalled()?;
        let env = self.environment(&prepared, Some(environs))?;
        let command = prepared
            .output_command(env, extra.iter().cloned())
            .map_err(RunError::from)?;
        self.supervisor
            .capture(&command, None)
            .map_err(|source| match source {
                CaptureError::Interrupted { signal } => RunError::Interrupted { signal }.into(),
                source => CaptureFailure::Capture {
                    program: prepared.program.display().to_string(),
                    source,
                },
            })
    }

    /// The signal that came during the run that just ended, if any; the next run
    /// starts with none (signals are counted per run).
    pub(crate) fn end_of_run_signal(&self) -> Option<i32> {
        let signal = self.supervisor.first_caught().map(|caught| caught.signal);
        let _ = self.supervisor.take_caught();
        signal
    }

    /// restic's environment for `run`: keld's with the config's variables, each
    /// `_COMMAND` run under this supervisor (or taken from `environs` when it was built
    /// before), checked for what `execve` accepts.
    fn environment(
        &self,
        run: &PreparedRun<'_>,
        environs: Option<&mut Environs>,
    ) -> Result<Vec<(OsString, OsString)>, RunError> {
        let invocation = run.invocation;
        let workdir = invocation.workdir.as_deref();
        if let Some(env) = environs
            .as_ref()
            .and_then(|environs| environs.built.get(&invocation.environ, workdir))
        {
            return Ok(env);
        }
        let built = environ::build(
            &invocation.environ,
            run.base_env,
            workdir,
            Stdin::Inherit,
            &mut |command| {
                self.supervisor
                    .capture(command, Some(environ::OUTPUT_LIMIT))
            },
        );
        let env = match built {
            Ok(env) => env,
            Err(error) => {
                // A command that failed because the user pressed Ctrl-C is an
                // interruption, not a broken config.
                self.stop_if_signalled()?;
                return Err(error.into());
            }
        };
        self.stop_if_signalled()?;
        // The `_COMMAND`s' values are known only now; still before any hook.
        check_environment(&env)?;
        if let Some(environs) = environs {
            environs
                .built
                .insert(&invocation.environ, workdir, env.clone());
        }
        Ok(env)
    }

    fn stop_if_signalled(&self) -> Result<(), RunError> {
        match self.supervisor.signal_received() {
            Some(signal) => Err(RunError::Interrupted { signal }),
            None => Ok(()),
        }
    }

    fn run_hook(
        &self,
        hook: &str,
        env: &[(OsString, OsString)],
        invocation: &Invocation,
    ) -> Result<Outcome, HookFailure> {
        let mut command = ChildCommand::shell(hook);
        command.env = env.to_vec();
        command.workdir.clone_from(&invocation.workdir);
        let timeout = invocation
            .operations
            .hook_timeout
            .as_ref()
            .map(|(limit, _)| Timeout::new(*limit));
        let ran = self
            .supervisor
            .run_with(&command, timeout)
            .map_err(|error| match error {
                ChildError::Start(error) => HookFailure::Supervise(error.source),
                ChildError::Wait(error) => HookFailure::Supervise(std::io::Error::other(error)),
            })?;
        match &invocation.operations.hook_timeout {
            Some((_, text)) if ran.timed_out => Err(HookFailure::TimedOut(text.clone())),
            _ => Ok(ran.outcome),
        }
    }
}

/// The environments built for the restic steps of one run that takes several (a
/// drill), so that each `_COMMAND` runs once for the whole run: one per distinct set
/// of variables and working directory.
#[derive(Debug, Default)]
pub struct Environs {
    built: environ::Memo<Vec<(OsString, OsString)>>,
}

/// Why a restic command run for its output ([`Runner::capture`]) has none.
#[derive(Debug, thiserror::Error)]
pub enum CaptureFailure {
    /// keld stopped before restic started: a problem found before anything ran, a
    /// `_COMMAND` that failed, a signal.
    #[error(transparent)]
    Run(#[from] RunError),
    /// restic could not be started, or its output could not be read.
    #[error("could not run {program}: {source}")]
    Capture {
        /// restic as found.
        program: String,
        /// Why.
        #[source]
        source: CaptureError,
    },
}

impl CaptureFailure {
    /// keld's exit code for it: the [`RunError`]'s, 127 or 126 when restic could not
    /// start, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Run(error) => error.exit_code(),
            Self::Capture {
                source: CaptureError::Start(error),
                ..
            } => error.outcome().exit_code(),
            Self::Capture { .. } => 1,
        }
    }
}

/// How the steps ended, before the times and the signal are added.
struct Ended {
    exit_code: u8,
    restic: Option<Outcome>,
    skipped_by: Option<String>,
    failed_post_hooks: usize,
    first_hook_failure: Option<String>,
    listed_success_code: bool,
    error: Option<RunError>,
}

impl Ended {
    fn new(exit_code: u8) -> Self {
        Self {
            exit_code,
            restic: None,
            skipped_by: None,
            failed_post_hooks: 0,
            first_hook_failure: None,
            listed_success_code: false,
            error: None,
        }
    }

    fn early(error: RunError) -> Self {
        Self {
            error: Some(error),
            ..Self::new(0)
        }
        .with_exit_code_of_error()
    }

    fn with_exit_code_of_error(mut self) -> Self {
        if let Some(error) = &self.error {
            self.exit_code = error.exit_code();
        }
        self
    }

    fn into_report(self, started: SystemTime, signal: Option<i32>) -> RunReport {
        let mut report = RunReport {
            exit_code: self.exit_code,
            result: RunResult::Failed,
            restic: self.restic,
            skipped_by: self.skipped_by,
            failed_post_hooks: self.failed_post_hooks,
            first_hook_failure: self.first_hook_failure,
            error: self.error,
            failure: None,
            signal,
            started,
            finished: SystemTime::now(),
        };
        report.result = RunResult::of(&report.facts(self.listed_success_code));
        report
    }
}
