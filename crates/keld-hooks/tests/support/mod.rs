//! The tests' way to describe a run: the fields of an [`Invocation`] with defaults,
//! and [`run`], which runs one through a [`Runner`] and answers like a function that
//! returns early errors as `Err`.
#![allow(dead_code)]

pub(crate) mod http;

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use keld_hooks::{
    EnvEntry, Event, Host, Invocation, Operations, Purpose, RunError, RunReport, Runner,
};
use keld_status::Outcome;

/// Writes an executable shell script (a stand-in restic) at `path`.
pub(crate) fn write_script(path: &Path, body: &str) {
    fs::write(path, body).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A temporary directory holding a stand-in `restic` that runs `body`.
pub(crate) fn with_fake_restic(body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_script(&dir.path().join("restic"), body);
    dir
}

/// One run, as a test writes it.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunOptions {
    pub(crate) program: Option<OsString>,
    pub(crate) args: Vec<OsString>,
    pub(crate) base_env: Vec<(OsString, OsString)>,
    pub(crate) environ: Vec<EnvEntry>,
    pub(crate) workdir: Option<PathBuf>,
    pub(crate) pre_hooks: Vec<String>,
    pub(crate) post_hooks: Vec<String>,
    pub(crate) preset: Option<String>,
    pub(crate) command: String,
    pub(crate) operations: Operations,
}

/// How a run that got as far as its end finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Finished {
    pub(crate) exit_code: u8,
    pub(crate) restic: Option<Outcome>,
    pub(crate) failed_post_hooks: usize,
}

impl RunOptions {
    pub(crate) fn invocation(&self) -> (Invocation, Host) {
        let mut env = self.base_env.clone();
        if let Some(program) = &self.program {
            env.push(("KELD_EXECUTABLE".into(), program.clone()));
        }
        let host = Host {
            env,
            cwd: std::env::current_dir().unwrap(),
            home: None,
        };
        let invocation = Invocation {
            preset: self.preset.clone(),
            alias: self.command.clone(),
            command: self
                .args
                .first()
                .map(|arg| arg.to_string_lossy().into_owned())
                .unwrap_or_default(),
            program: keld_hooks::configured_program(&host.env),
            args: self.args.clone(),
            environ: self.environ.clone(),
            workdir: self.workdir.clone(),
            pre_hooks: self.pre_hooks.clone(),
            post_hooks: self.post_hooks.clone(),
            purpose: Purpose::Run,
            operations: self.operations.clone(),
        };
        // The base environment restic gets is the host's without KELD_EXECUTABLE
        // only when the test set none; tests that check restic's environment use
        // their own variables.
        (invocation, host)
    }
}

/// Run `options` and return the early error, or how it finished.
pub(crate) fn run(
    options: &RunOptions,
    on_event: &mut dyn FnMut(&Event<'_>),
) -> Result<Finished, RunError> {
    let (invocation, host) = options.invocation();
    let runner = Runner::new().expect("signal handlers");
    let report = runner.run(
        &invocation,
        &host,
        &mut |_: &Invocation, event: &Event<'_>| {
            if !matches!(event, Event::Finished(_)) {
                on_event(event);
            }
        },
    );
    match report.error {
        Some(error) => Err(error),
        None => Ok(Finished {
            exit_code: report.exit_code,
            restic: report.restic,
            failed_post_hooks: report.failed_post_hooks,
        }),
    }
}

/// Run `options` through a new [`Runner`] with `observer`, and return the report.
pub(crate) fn run_report(
    options: &RunOptions,
    observer: &mut dyn keld_hooks::Observer,
) -> RunReport {
    let (invocation, host) = options.invocation();
    Runner::new()
        .expect("signal handlers")
        .run(&invocation, &host, observer)
}
