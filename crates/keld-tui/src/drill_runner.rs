//! Drills started from the session: keld-hooks' [`Drill`] — the same pipeline as
//! `keld drill`, its restic steps run by a [`Runner`] — recorded and pinged as
//! `keld drill` is, with the default sample (docs/drill.md).
//!
//! The runner lives on a thread of its own, started with the first drill and kept
//! until the session ends: a `Runner` catches keld's terminating signals while it
//! exists (so one sent meanwhile reaches restic and the drill removes its directory),
//! its children belong to the thread that started them, and keeping it keeps keld's
//! handling of those signals the same for the rest of the session. When the session
//! ends while a drill runs, [`Drills::stop`] stops it as SIGINT would (restic gets
//! the signal, the directory is removed, the drill is recorded as interrupted) and
//! waits for it.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use keld_config::{Config, Environment};
use keld_hooks::{
    Drill, DrillOptions, DrillProgress, Event, Host, Invocation, Observer, Pinger, ProcessInfo,
    Recorder, Runner, Stopper,
};

use crate::drill_outcome::DrillOutcome;

/// What a drill needs from the session.
struct Context {
    config: Arc<Config>,
    env: Environment,
    host: Host,
    show_command: bool,
}

/// The session's drills: at most one runs at a time (the screen waits for it).
pub(crate) struct Drills {
    context: Arc<Context>,
    state: Mutex<State>,
}

enum State {
    /// No drill has run yet.
    Idle,
    /// The drill thread is there.
    Started(DrillThread),
    /// The session ended: no drill starts any more.
    Stopped,
}

/// The thread that runs the drills, with its runner.
struct DrillThread {
    jobs: mpsc::Sender<Job>,
    stopper: Stopper,
    /// Disconnected when the thread has ended.
    ended: mpsc::Receiver<()>,
    handle: JoinHandle<()>,
}

/// One drill asked for.
struct Job {
    preset: String,
    reply: mpsc::Sender<Reply>,
}

enum Reply {
    Progress(DrillProgress),
    Done(Result<DrillOutcome, String>),
}

impl Drills {
    /// Drills of `config`'s presets; under `--show-command` (`show_command`) none runs.
    pub(crate) fn new(
        config: Arc<Config>,
        env: Environment,
        host: Host,
        show_command: bool,
    ) -> Self {
        Self {
            context: Arc::new(Context {
                config,
                env,
                host,
                show_command,
            }),
            state: Mutex::new(State::Idle),
        }
    }

    /// Run `preset`'s drill and wait for it, telling `progress` where it is; the
    /// error is a message for the screen (the drill could not start).
    pub(crate) fn run(
        &self,
        preset: Option<&str>,
        progress: &dyn Fn(DrillProgress),
    ) -> Result<DrillOutcome, String> {
        if self.context.show_command {
            return Err(
                "keld was started with --show-command, which runs nothing: a drill \
                        runs restic, so none is started"
                    .to_owned(),
            );
        }
        let preset = preset
            .ok_or("a drill needs a preset, and the config defines none")?
            .to_owned();
        let (reply, replies) = mpsc::channel();
        {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if matches!(*state, State::Idle) {
                *state = State::Started(DrillThread::start(Arc::clone(&self.context))?);
            }
            let State::Started(thread) = &*state else {
                return Err("the session is ending: no drill starts".to_owned());
            };
            thread
                .jobs
                .send(Job { preset, reply })
                .map_err(|_| "the drill could not start".to_owned())?;
        }
        for reply in replies {
            match reply {
                Reply::Progress(step) => progress(step),
                Reply::Done(outcome) => return outcome,
            }
        }
        Err("the drill ended without a report".to_owned())
    }

    /// The session ends: no drill starts any more, and one that runs is stopped as
    /// SIGINT would stop it; wait `patience` for it to end, then kill its restic, and
    /// wait for it to remove its directory and be recorded.
    pub(crate) fn stop(&self, patience: Duration) {
        let state = std::mem::replace(
            &mut *self.state.lock().unwrap_or_else(PoisonError::into_inner),
            State::Stopped,
        );
        let State::Started(thread) = state else {
            return;
        };
        let DrillThread {
            jobs,
            stopper,
            ended,
            handle,
        } = thread;
        drop(jobs);
        // A signal that ended the session reached restic already: one is enough.
        if stopper.signal_received().is_none() {
            stopper.stop(nix::libc::SIGINT);
        }
        if matches!(ended.recv_timeout(patience), Err(RecvTimeoutError::Timeout)) {
            stopper.kill();
        }
        let _ = handle.join();
    }
}

impl DrillThread {
    fn start(context: Arc<Context>) -> Result<Self, String> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready, stopper) = mpsc::channel();
        let (ending, ended) = mpsc::channel::<()>();
        let handle = std::thread::Builder::new()
            .name("keld-drill".to_owned())
            .spawn(move || {
                let _ending = ending;
                let runner = match Runner::new() {
                    Ok(runner) => runner,
                    Err(error) => {
                        let _ = ready.send(Err(format!(
                            "keld could not prepare to supervise restic: {error}"
                        )));
                        return;
                    }
                };
                let _ = ready.send(Ok(runner.stopper()));
                drills(&context, &runner, &queue);
            })
            .map_err(|error| format!("the drill could not start: {error}"))?;
        match stopper.recv() {
            Ok(Ok(stopper)) => Ok(Self {
                jobs,
                stopper,
                ended,
                handle,
            }),
            Ok(Err(error)) => {
                let _ = handle.join();
                Err(error)
            }
            Err(_) => {
                let _ = handle.join();
                Err("the drill could not start".to_owned())
            }
        }
    }
}

/// The drill thread: each job in turn, through `runner`, recorded and pinged.
fn drills(context: &Context, runner: &Runner, queue: &mpsc::Receiver<Job>) {
    let process = ProcessInfo::this_process(env!("CARGO_PKG_VERSION"));
    let mut recorder = Recorder::new(context.host.state_dir(), process.clone());
    let mut pinger = Pinger::new(process);
    let hostname = keld_hooks::hostname();
    for job in queue {
        let drill = Drill::new(
            &context.config,
            &job.preset,
            &context.env,
            &context.host,
            &hostname,
        );
        let outcome = match drill {
            Err(error) => Err(crate::resolution::describe(&error)),
            Ok(drill) => {
                let mut observers = |invocation: &Invocation, event: &Event<'_>| {
                    recorder.on_event(invocation, event);
                    pinger.on_event(invocation, event);
                };
                let report = drill.run_with_progress(
                    runner,
                    &context.host,
                    &DrillOptions::default(),
                    &mut observers,
                    &mut |step| {
                        let _ = job.reply.send(Reply::Progress(step.clone()));
                    },
                );
                let mut warnings = recorder.take_warnings();
                warnings.extend(pinger.take_warnings());
                Ok(DrillOutcome::of(&report, warnings))
            }
        };
        let _ = job.reply.send(Reply::Done(outcome));
    }
}
