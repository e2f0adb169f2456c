//! Running a resolved configuration through keld's one run pipeline
//! ([`keld_hooks::Runner`]), and telling the user what happened on the way.
//!
//! Everything keld reports during a run (a failing pre-hook, a skipped backup, a
//! restic that cannot start, a failing post-hook) is a miette diagnostic on stderr
//! with a `help` that says what to do (what it says is keld-hooks'
//! [`RunMessage`]); restic's own exit code stays keld's.

use keld_config::ResolvedConfig;
use keld_hooks::{
    Drill, DrillOptions, DrillReport, Event, Host, Invocation, Observer, Pinger, ProcessInfo,
    Recorder, RunMessage, RunReport, Runner,
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
            error::report(&Message(RunMessage::supervise_failed(&err)), ctx);
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
                if let Some(message) = RunMessage::of_event(event) {
                    error::report(&Message(message), ctx);
                }
                if let Event::Finished(report) = event
                    && let Some(err) = &report.error
                {
                    // Said before the pings go out, which may take a while.
                    error::report(&Message(RunMessage::of_error(err, resolved)), ctx);
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

/// One message of the run ([`RunMessage`]), rendered like every keld diagnostic.
#[derive(Debug, Error)]
#[error("{}", .0.message)]
struct Message(RunMessage);

impl Diagnostic for Message {
    fn severity(&self) -> Option<miette::Severity> {
        self.0.advice.then_some(miette::Severity::Advice)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.0.help))
    }
}
