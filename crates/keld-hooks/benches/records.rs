//! What a run record and the preset lock cost, inside one process.
//!
//! Run with `cargo bench -p keld-hooks`; `cargo xtask bench` repeats the table in
//! docs/performance.md, beside its end-to-end comparison of whole keld runs.
//!
//! - `append_record`: one record appended to `runs.jsonl` as a run ends
//!   ([`keld_hooks::append_record`]: the state directory checked, `runs.lock` taken,
//!   the size looked at, the line written with one `write(2)`; the file grows, so
//!   it is rotated every few thousand appends, as it would be).
//! - `run_*`: a whole [`Runner::run`] of a no-op restic (`/bin/true`) without the lock,
//!   with it (`_lock = true`: the lock file opened, `flock`ed and written, released
//!   when the run ends), and with the lock and the record as keld's recorder writes
//!   it. Starting `/bin/true` dominates these; the differences between the rows are
//!   what the lock and the record add.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use keld_hooks::{
    Event, Host, Invocation, Observer, ProcessInfo, Record, Recorder, Runner, append_record,
};
use keld_status::RunResult;

fn main() {
    divan::main();
}

fn record() -> Record {
    Record {
        version: 1,
        preset: "home@nas".to_owned(),
        command: "backup".to_owned(),
        alias: "nightly".to_owned(),
        host: "nas".to_owned(),
        user: "root".to_owned(),
        pid: 4242,
        started: "2026-12-06T02:00:00.123Z".to_owned(),
        finished: "2026-12-06T02:14:03.456Z".to_owned(),
        duration_ms: 843_333,
        result: RunResult::Success,
        exit_code: 0,
        restic_exit_code: Some(0),
        restic_status: Some("success".to_owned()),
        signal: None,
        error: None,
        keld_version: "0.1.0".to_owned(),
    }
}

/// A private state directory in a fresh temporary directory.
fn state_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let state = dir.path().join("state");
    (dir, state)
}

#[divan::bench(sample_count = 300)]
fn append_record_to_runs_jsonl(bencher: divan::Bencher<'_, '_>) {
    let (_dir, state) = state_dir();
    let record = record();
    bencher.bench_local(|| append_record(&state, &record).expect("appended"));
}

fn host(state: &Path) -> Host {
    let env: Vec<(OsString, OsString)> = vec![
        ("PATH".into(), "/usr/bin:/bin".into()),
        ("KELD_EXECUTABLE".into(), "/bin/true".into()),
        ("KELD_STATE_DIR".into(), state.into()),
    ];
    Host {
        env,
        cwd: PathBuf::from("/"),
        home: None,
    }
}

fn invocation(host: &Host, lock: bool) -> Invocation {
    let mut invocation = Invocation::plain("backup", host);
    invocation.preset = Some("home@nas".to_owned());
    invocation.operations.lock = lock;
    invocation
}

fn bench_run(bencher: divan::Bencher<'_, '_>, lock: bool, recorded: bool) {
    let (_dir, state) = state_dir();
    let host = host(&state);
    let invocation = invocation(&host, lock);
    let runner = Runner::new().expect("signal handlers");
    let mut recorder = Recorder::new(
        Some(state.clone()),
        ProcessInfo::this_process(env!("CARGO_PKG_VERSION")),
    );
    let mut nothing = |_: &Invocation, _: &Event<'_>| {};
    bencher.bench_local(|| {
        let observer: &mut dyn Observer = if recorded {
            &mut recorder
        } else {
            &mut nothing
        };
        let report = runner.run(&invocation, &host, observer);
        assert_eq!(report.exit_code, 0);
    });
    assert!(recorder.take_warnings().is_empty());
}

#[divan::bench(sample_count = 300)]
fn run_without_lock(bencher: divan::Bencher<'_, '_>) {
    bench_run(bencher, false, false);
}

#[divan::bench(sample_count = 300)]
fn run_with_lock(bencher: divan::Bencher<'_, '_>) {
    bench_run(bencher, true, false);
}

#[divan::bench(sample_count = 300)]
fn run_with_lock_and_record(bencher: divan::Bencher<'_, '_>) {
    bench_run(bencher, true, true);
}
