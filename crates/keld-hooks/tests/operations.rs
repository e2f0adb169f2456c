//! Unattended operation on real processes: run records, the preset lock, success exit
//! codes, hook timeouts and metrics.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use keld_hooks::{
    EnvEntry, EnvSource, Event, Holder, Invocation, LockError, Operations, ProcessInfo, Record,
    Recorder, RunError,
};
use keld_status::RunResult;

mod support;
use support::{RunOptions, run_report};

/// A temp dir with a state directory and a restic stand-in that logs its argv and the
/// descriptors it holds, then exits with `$FAKE_EXIT`.
struct World {
    dir: tempfile::TempDir,
}

const FAKE_RESTIC: &str = r#"#!/bin/sh
echo "restic $*" >> "$LOG"
ls -l /proc/$$/fd/ 2>/dev/null | grep -c 'locks/' > "$FDS" || true
[ -n "$SLEEP" ] && sleep "$SLEEP"
exit "${FAKE_EXIT:-0}"
"#;

impl World {
    fn new() -> Self {
        let dir = support::with_fake_restic(FAKE_RESTIC);
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn state(&self) -> PathBuf {
        self.path("state")
    }

    fn options(&self, preset: &str) -> RunOptions {
        RunOptions {
            program: Some(self.path("restic").into()),
            args: vec!["backup".into(), "/src".into()],
            base_env: vec![
                ("PATH".into(), "/usr/bin:/bin".into()),
                ("LOG".into(), self.path("log").into()),
                ("FDS".into(), self.path("fds").into()),
                ("KELD_STATE_DIR".into(), self.state().into()),
            ],
            command: "backup".into(),
            preset: Some(preset.into()),
            ..RunOptions::default()
        }
    }

    fn recorder(&self) -> Recorder {
        Recorder::new(Some(self.state()), ProcessInfo::this_process("test"))
    }

    fn records(&self) -> Vec<Record> {
        keld_hooks::read_records(&self.state()).unwrap()
    }
}

fn with_env(mut options: RunOptions, name: &str, value: &str) -> RunOptions {
    options.base_env.push((name.into(), value.into()));
    options
}

#[test]
fn every_run_is_one_private_line_and_no_secret_reaches_the_state_directory() {
    let world = World::new();
    let mut options = world.options("home@nas");
    options.environ = vec![
        EnvEntry {
            name: "RESTIC_PASSWORD".into(),
            source: EnvSource::Literal("pw-literal-s3cret".into()),
        },
        EnvEntry {
            name: "TOKEN".into(),
            source: EnvSource::Command("echo token-from-command-s3cret".into()),
        },
    ];
    options.args = vec![
        "backup".into(),
        "--repo".into(),
        "rest:https://u:url-s3cret@host/".into(),
        "/src".into(),
    ];
    options
        .base_env
        .push(("HOOK_VALUE".into(), "hook-output-s3cret".into()));
    options.post_hooks = vec!["echo \"$HOOK_VALUE\"; exit 4".into()];
    let mut recorder = world.recorder();
    let report = run_report(&options, &mut recorder);
    assert_eq!(report.exit_code, 1, "restic 0, a post-hook failed");
    assert!(recorder.take_warnings().is_empty());

    let records = world.records();
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record.preset, "home@nas");
    assert_eq!(record.command, "backup");
    assert_eq!(record.result, RunResult::Failed);
    assert_eq!(record.restic_exit_code, Some(0));
    assert_eq!(record.restic_status.as_deref(), Some("success"));
    assert!(
        record
            .error
            .as_deref()
            .is_some_and(|e| e.contains("post-hook")),
        "{record:?}"
    );
    assert_eq!(record.finished.len(), "2026-12-06T02:00:00.123Z".len());

    let state = world.state();
    assert_eq!(fs::metadata(&state).unwrap().mode() & 0o777, 0o700);
    assert_eq!(
        fs::metadata(state.join("runs.jsonl")).unwrap().mode() & 0o777,
        0o600
    );
    for entry in walk(&state) {
        let text = String::from_utf8_lossy(&fs::read(&entry).unwrap()).into_owned();
        for secret in [
            "pw-literal",
            "token-from-command",
            "url-s3cret",
            "hook-output",
        ] {
            assert!(
                !text.contains(secret),
                "{secret} in {}: {text}",
                entry.display()
            );
        }
        assert!(!text.contains("--repo"), "argv in {}", entry.display());
    }
}

#[test]
fn a_failed_commands_output_stays_out_of_the_record() {
    let world = World::new();
    let mut options = world.options("home");
    options.environ = vec![EnvEntry {
        name: "TOKEN".into(),
        source: EnvSource::Command(
            "echo stdout-s3cret; echo 'vault: token stderr-s3cret expired' >&2; exit 4".into(),
        ),
    }];
    let mut recorder = world.recorder();
    let report = run_report(&options, &mut recorder);
    assert_eq!(report.exit_code, 1);
    // The terminal's message quotes the command's complaint ...
    let shown = report
        .error
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(shown.contains("stderr-s3cret"), "{shown}");
    // ... the record (and so every ping, which sends it) does not.
    let records = world.records();
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].error.as_deref(),
        Some("TOKEN_COMMAND failed: exit status 4")
    );
    for entry in walk(&world.state()) {
        let text = String::from_utf8_lossy(&fs::read(&entry).unwrap()).into_owned();
        assert!(!text.contains("s3cret"), "{}: {text}", entry.display());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn concurrent_appends_and_rotation_lose_nothing() {
    let world = World::new();
    let state = world.state();
    fs::create_dir_all(&state).unwrap();
    fs::set_permissions(&state, fs::Permissions::from_mode(0o700)).unwrap();
    let template = Record {
        version: 1,
        preset: "p".into(),
        command: "backup".into(),
        alias: "backup".into(),
        host: "h".into(),
        user: "u".into(),
        pid: 0,
        started: "2026-12-06T02:00:00.000Z".into(),
        finished: "2026-12-06T02:00:00.000Z".into(),
        duration_ms: 0,
        result: RunResult::Success,
        exit_code: 0,
        restic_exit_code: Some(0),
        restic_status: Some("success".into()),
        signal: None,
        error: None,
        keld_version: "x".repeat(200),
    };
    // Just under the limit, so the appends below rotate it.
    let line_len = serde_json::to_vec(&template).unwrap().len() + 1;
    let before = usize::try_from(keld_hooks::ROTATE_AT).unwrap() / line_len + 1;
    for pid in 0..before {
        let record = Record {
            pid: u32::try_from(pid).unwrap(),
            ..template.clone()
        };
        keld_hooks::append_record(&state, &record).unwrap();
    }
    // Twenty writers at once, each with its own pid range, many lines each.
    std::thread::scope(|scope| {
        for writer in 0..20u32 {
            let template = &template;
            let state = &state;
            scope.spawn(move || {
                for n in 0..50u32 {
                    let record = Record {
                        pid: 1_000_000 + writer * 1_000 + n,
                        ..template.clone()
                    };
                    keld_hooks::append_record(state, &record).unwrap();
                }
            });
        }
    });
    let current = fs::read_to_string(state.join("runs.jsonl")).unwrap();
    let old = fs::read_to_string(state.join("runs.jsonl.1")).unwrap();
    for line in current.lines().chain(old.lines()) {
        serde_json::from_str::<Record>(line).expect("every line is a whole record");
    }
    // The first file was rotated once; what it held plus what came after is all
    // there, except what a second rotation may have replaced — which the limit
    // (1 MiB) and 1000 short lines make impossible here.
    let records = world.records();
    let late: Vec<u32> = records
        .iter()
        .map(|record| record.pid)
        .filter(|pid| *pid >= 1_000_000)
        .collect();
    assert_eq!(late.len(), 1_000, "every concurrent record is kept");
    let mut sorted = late.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 1_000, "and none twice");
}

/// A process holding `preset`'s lock in `world`, as another keld would, with
/// `flock(1)`; its lock file names it.
fn hold_lock(world: &World, preset: &str) -> Child {
    let dir = world.state().join("locks");
    fs::create_dir_all(&dir).unwrap();
    fs::set_permissions(world.state(), fs::Permissions::from_mode(0o700)).unwrap();
    let path = dir.join(format!("{}.lock", keld_hooks::file_name_part(preset)));
    let holder = Holder {
        pid: 4242,
        command: "backup".into(),
        started: "2026-12-06T02:00:00.000Z".into(),
    };
    fs::write(&path, serde_json::to_string(&holder).unwrap()).unwrap();
    let ready = world.path("held");
    // `--close`: only flock(1) itself holds the lock, so killing it releases it.
    let child = Command::new("flock")
        .args(["--close", "-x"])
        .arg(&path)
        .args(["sh", "-c", "touch \"$0\"; exec sleep 30"])
        .arg(&ready)
        .spawn()
        .expect("flock(1) from util-linux");
    let started = Instant::now();
    while !ready.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "holder never locked"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

fn locked(options: RunOptions, wait: Duration) -> RunOptions {
    RunOptions {
        operations: Operations {
            lock: true,
            lock_wait: wait,
            ..Operations::default()
        },
        ..options
    }
}

#[test]
fn a_held_lock_stops_the_run_at_once_naming_the_holder_and_is_recorded() {
    let world = World::new();
    let mut holder = hold_lock(&world, "home@nas");
    let mut options = locked(world.options("home@nas"), Duration::ZERO);
    options.environ = vec![EnvEntry {
        name: "X".into(),
        source: EnvSource::Command(format!(
            "touch {}; echo x",
            world.path("command-ran").display()
        )),
    }];
    options.pre_hooks = vec![format!("touch {}", world.path("hook-ran").display())];
    let mut recorder = world.recorder();
    let started = Instant::now();
    let report = run_report(&options, &mut recorder);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(report.exit_code, 1);
    let error = report.error.expect("an error");
    assert!(
        matches!(error, RunError::Lock(LockError::Held { .. })),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "preset \"home@nas\" is already running (pid 4242, backup, since 2026-12-06T02:00:00.000Z)"
    );
    assert!(!world.path("command-ran").exists(), "no _COMMAND ran");
    assert!(!world.path("hook-ran").exists(), "no hook ran");
    assert!(!world.path("log").exists(), "restic did not run");
    assert_eq!(world.records()[0].result, RunResult::Failed);

    // kill -9 of the holder: the next run gets the lock at once.
    holder.kill().unwrap();
    holder.wait().unwrap();
    let report = run_report(
        &locked(world.options("home@nas"), Duration::ZERO),
        &mut recorder,
    );
    assert_eq!(report.exit_code, 0, "{:?}", report.error);
    // restic did not hold the lock's descriptor.
    assert_eq!(fs::read_to_string(world.path("fds")).unwrap().trim(), "0");
}

#[test]
fn lock_wait_waits_for_the_holder_then_runs() {
    let world = World::new();
    let mut holder = hold_lock(&world, "home");
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        holder.kill().unwrap();
        holder.wait().unwrap();
    });
    let mut waited = 0;
    let options = locked(world.options("home"), Duration::from_secs(20));
    let report = run_report(&options, &mut |_: &Invocation, event: &Event<'_>| {
        if let Event::LockWaiting { holder, .. } = event {
            assert_eq!(holder.map(|h| h.pid), Some(4242));
            waited += 1;
        }
    });
    release.join().unwrap();
    assert_eq!(report.exit_code, 0, "{:?}", report.error);
    assert_eq!(waited, 1, "told once");
}

#[test]
fn hooks_and_commands_never_hold_the_lock_descriptor() {
    let world = World::new();
    let mut options = locked(world.options("home"), Duration::ZERO);
    let count = |name: &str| {
        format!(
            "ls -l /proc/$$/fd/ | grep -c 'locks/' > {} || true",
            world.path(name).display()
        )
    };
    options.environ = vec![EnvEntry {
        name: "X".into(),
        source: EnvSource::Command(format!("{}; echo x", count("command-fds"))),
    }];
    options.pre_hooks = vec![count("pre-fds")];
    options.post_hooks = vec![count("post-fds")];
    let report = run_report(&options, &mut |_: &Invocation, _: &Event<'_>| {});
    assert_eq!(report.exit_code, 0, "{:?}", report.error);
    for name in ["command-fds", "pre-fds", "fds", "post-fds"] {
        assert_eq!(
            fs::read_to_string(world.path(name)).unwrap().trim(),
            "0",
            "{name}"
        );
    }
}

#[test]
fn listed_exit_codes_are_success_for_keld_and_real_for_hooks() {
    let world = World::new();
    let mut options = with_env(world.options("home"), "FAKE_EXIT", "3");
    options.operations.success_exit_codes = vec![3];
    options.post_hooks = vec![format!(
        "echo \"$KELD_RESTIC_EXIT_CODE $KELD_RESTIC_STATUS\" > {}",
        world.path("seen").display()
    )];
    let mut recorder = world.recorder();
    let report = run_report(&options, &mut recorder);
    assert_eq!(report.exit_code, 0);
    assert_eq!(report.result, RunResult::Warning);
    assert_eq!(
        fs::read_to_string(world.path("seen")).unwrap(),
        "3 partial\n"
    );
    assert_eq!(world.records()[0].restic_exit_code, Some(3));

    // Not listed: restic's code stays keld's, still a warning.
    options.operations.success_exit_codes.clear();
    let report = run_report(&options, &mut recorder);
    assert_eq!((report.exit_code, report.result), (3, RunResult::Warning));

    // Listed, but a post-hook failed: 1.
    options.operations.success_exit_codes = vec![3];
    options.post_hooks.push("exit 9".into());
    let report = run_report(&options, &mut recorder);
    assert_eq!((report.exit_code, report.result), (1, RunResult::Failed));

    // A restic killed by a signal is never mapped.
    let mut killed = world.options("home");
    killed.program = Some(world.path("killed-restic").into());
    support::write_script(&world.path("killed-restic"), "#!/bin/sh\nkill -TERM $$\n");
    killed.operations.success_exit_codes = vec![143];
    let report = run_report(&killed, &mut recorder);
    assert_eq!(report.exit_code, 143);
}

#[test]
fn a_hook_past_its_timeout_fails_with_a_message_and_nothing_waits_for_it() {
    let world = World::new();
    let mut options = world.options("home");
    options.operations.hook_timeout = Some((Duration::from_secs(1), "1s".into()));
    // Its background child holds stdout open (one that also ignores SIGTERM gets
    // SIGKILL 10 s later: keld-supervise's timeout tests).
    options.pre_hooks = vec!["sleep 60 & sleep 60".into()];
    options.post_hooks = vec![format!("touch {}", world.path("post-ran").display())];
    let started = Instant::now();
    let report = run_report(&options, &mut |_: &Invocation, _: &Event<'_>| {});
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(report.exit_code, 1);
    assert_eq!(
        report.error.unwrap().to_string(),
        "pre-hook \"sleep 60 & sleep 60\" timed out after 1s"
    );
    assert!(!world.path("log").exists(), "restic did not run");
    assert!(!world.path("post-ran").exists());

    // A post-hook that times out is a failed post-hook; the next one still runs.
    let mut options = world.options("home");
    options.operations.hook_timeout = Some((Duration::from_secs(1), "1s".into()));
    options.post_hooks = vec![
        "sleep 60".into(),
        format!("touch {}", world.path("post-ran").display()),
    ];
    let mut failures = Vec::new();
    let report = run_report(&options, &mut |_: &Invocation, event: &Event<'_>| {
        if let Event::PostHookFailed(error) = event {
            failures.push(error.to_string());
        }
    });
    assert_eq!(report.exit_code, 1);
    assert_eq!(failures, ["post-hook \"sleep 60\" timed out after 1s"]);
    assert!(world.path("post-ran").exists());
}

/// The metric lines of a textfile: (name, labels, value).
fn samples(text: &str) -> Vec<(String, String, f64)> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let (name, rest) = line.split_once('{').unwrap();
            let (labels, value) = rest.rsplit_once("} ").unwrap();
            (name.to_owned(), labels.to_owned(), value.parse().unwrap())
        })
        .collect()
}

#[test]
fn metrics_are_valid_textfile_format_and_keep_the_last_success() {
    let world = World::new();
    let metrics = world.path("metrics");
    fs::create_dir(&metrics).unwrap();
    let mut options = world.options("home@nas\"x");
    options.operations.metrics_dir = Some(metrics.clone());
    let mut recorder = world.recorder();
    assert_eq!(run_report(&options, &mut recorder).exit_code, 0);
    let file = metrics.join("keld_home_nas_x_backup.prom");
    assert_eq!(fs::metadata(&file).unwrap().mode() & 0o777, 0o644);
    let first = fs::read_to_string(&file).unwrap();
    for name in [
        "keld_last_run_timestamp_seconds",
        "keld_last_run_duration_seconds",
        "keld_last_run_exit_code",
        "keld_last_run_success",
        "keld_last_success_timestamp_seconds",
    ] {
        assert!(first.contains(&format!("# HELP {name} ")), "{first}");
        assert!(first.contains(&format!("# TYPE {name} gauge")), "{first}");
    }
    let lines = samples(&first);
    assert!(lines.iter().all(|(_, labels, _)| {
        labels.starts_with("preset=\"home@nas\\\"x\",command=\"backup\",host=\"")
    }));
    let success = lines
        .iter()
        .find(|(name, ..)| name == "keld_last_success_timestamp_seconds")
        .unwrap()
        .2;

    // A failed run: success 0, exit 1, and the last success stays.
    let failing = with_env(options.clone(), "FAKE_EXIT", "1");
    assert_eq!(run_report(&failing, &mut recorder).exit_code, 1);
    let second = samples(&fs::read_to_string(&file).unwrap());
    let value = |name: &str| second.iter().find(|(n, ..)| n == name).map(|s| s.2);
    assert_eq!(value("keld_last_run_success"), Some(0.0));
    assert_eq!(value("keld_last_run_exit_code"), Some(1.0));
    assert_eq!(value("keld_last_success_timestamp_seconds"), Some(success));
    let leftovers: Vec<_> = fs::read_dir(&metrics).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");
}

#[test]
fn a_state_directory_that_cannot_be_written_is_a_warning_not_a_failure() {
    let world = World::new();
    fs::write(world.state(), "a file, not a directory").unwrap();
    let mut recorder = world.recorder();
    let report = run_report(&world.options("home"), &mut recorder);
    assert_eq!(report.exit_code, 0);
    let warnings = recorder.take_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("the run was not recorded"),
        "{warnings:?}"
    );

    // `_lock = true` needs it: then nothing runs.
    let report = run_report(
        &locked(world.options("home"), Duration::ZERO),
        &mut recorder,
    );
    assert_eq!(report.exit_code, 1);
    assert!(matches!(
        report.error,
        Some(RunError::Lock(LockError::State { .. }))
    ));
}

#[test]
fn help_and_dry_runs_are_not_recorded() {
    let world = World::new();
    let mut recorder = world.recorder();
    let (mut invocation, host) = world.options("home").invocation();
    invocation.purpose = keld_hooks::Purpose::DryRun;
    keld_hooks::Runner::new()
        .unwrap()
        .run(&invocation, &host, &mut recorder);
    assert!(world.records().is_empty());
}
