//! The lifecycle on real processes: `sh` hooks and a fake restic script.

use std::fs;
use std::path::PathBuf;

use keld_hooks::{EnvEntry, EnvSource, Event, RunError};

mod support;
use keld_status::Outcome;
use support::{Finished, RunOptions, run};

/// A temp dir with a fake restic that logs its argv, cwd and the KELD_* variables
/// it sees, then exits with `$FAKE_EXIT`.
struct Fixture {
    dir: tempfile::TempDir,
}

const FAKE_RESTIC: &str = r#"#!/bin/sh
printf 'restic %s | cwd=%s | preset=%s\n' "$*" "$(pwd)" "${KELD_PRESET-unset}" >> "$LOG"
exit "${FAKE_EXIT:-0}"
"#;

impl Fixture {
    fn new() -> Self {
        let dir = support::with_fake_restic(FAKE_RESTIC);
        fs::create_dir(dir.path().join("work")).unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn options(&self, restic_exit: u8) -> RunOptions {
        RunOptions {
            program: Some(self.path("restic").into()),
            args: vec!["backup".into(), "--tag".into(), "x".into(), "src".into()],
            base_env: vec![
                ("PATH".into(), "/usr/bin:/bin".into()),
                ("LOG".into(), self.path("log").into()),
                ("FAKE_EXIT".into(), restic_exit.to_string().into()),
            ],
            workdir: Some(self.path("work")),
            command: "backup".into(),
            ..RunOptions::default()
        }
    }

    fn log(&self) -> Vec<String> {
        match fs::read_to_string(self.path("log")) {
            Ok(text) => text.lines().map(str::to_owned).collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// A hook that appends `line` to the log.
fn log_hook(line: &str) -> String {
    format!(r#"echo '{line}' >> "$LOG""#)
}

/// A post-hook that logs what keld told it.
fn status_hook(name: &str) -> String {
    format!(
        r#"echo "{name} code=${{KELD_RESTIC_EXIT_CODE-unset}} status=$KELD_RESTIC_STATUS cmd=$KELD_COMMAND" >> "$LOG""#
    )
}

fn run_collecting(options: &RunOptions) -> (Result<Finished, RunError>, Vec<String>) {
    let mut events = Vec::new();
    let result = run(options, &mut |event| {
        events.push(match event {
            Event::Skipped { hook } => format!("skipped by {hook}"),
            Event::ResticStartFailed(error) => format!("starting restic: {error}"),
            Event::PostHookFailed(error) => error.to_string(),
            Event::Started | Event::LockWaiting { .. } | Event::Finished(_) => return,
        });
    });
    (result, events)
}

#[test]
fn pre_hooks_restic_and_post_hooks_run_in_order_in_the_workdir() {
    let fixture = Fixture::new();
    let mut options = fixture.options(0);
    options.pre_hooks = vec![log_hook("pre one"), log_hook("pre two")];
    options.post_hooks = vec![status_hook("post one"), status_hook("post two")];
    options.preset = Some("home".into());
    let (result, events) = run_collecting(&options);
    assert_eq!(result.unwrap().exit_code, 0);
    assert!(events.is_empty(), "{events:?}");
    let work = fixture.path("work").canonicalize().unwrap();
    assert_eq!(
        fixture.log(),
        [
            "pre one".to_owned(),
            "pre two".to_owned(),
            format!(
                "restic backup --tag x src | cwd={} | preset=unset",
                work.display()
            ),
            "post one code=0 status=success cmd=backup".to_owned(),
            "post two code=0 status=success cmd=backup".to_owned(),
        ]
    );
}

#[test]
fn hooks_get_preset_and_typed_command_restic_does_not() {
    let fixture = Fixture::new();
    let mut options = fixture.options(0);
    options.preset = Some("home@cloud".into());
    options.command = "nightly".into();
    options
        .base_env
        .push(("KELD_RESTIC_STATUS".into(), "stale".into()));
    options
        .base_env
        .push(("KELD_RESTIC_EXIT_CODE".into(), "99".into()));
    options.pre_hooks = vec![
        r#"echo "pre $KELD_PRESET $KELD_COMMAND ${KELD_RESTIC_STATUS-none} ${KELD_RESTIC_EXIT_CODE-none}" >> "$LOG""#.into(),
    ];
    options.post_hooks = vec![r#"echo "post $KELD_PRESET $KELD_COMMAND" >> "$LOG""#.into()];
    let (result, _) = run_collecting(&options);
    assert_eq!(result.unwrap().exit_code, 0);
    let log = fixture.log();
    assert_eq!(log[0], "pre home@cloud nightly none none");
    assert!(log[1].ends_with("preset=unset"), "{}", log[1]);
    assert_eq!(log[2], "post home@cloud nightly");
}

#[test]
fn restic_exit_code_reaches_post_hooks_and_keld() {
    let table = [
        (0, "success"),
        (1, "fatal"),
        (2, "runtime_error"),
        (3, "partial"),
        (10, "repository_missing"),
        (11, "locked"),
        (12, "wrong_password"),
        (99, "unknown_failure"),
        (130, "interrupted"),
        (143, "terminated"),
        (255, "unknown_failure"),
    ];
    for (code, status) in table {
        let fixture = Fixture::new();
        let mut options = fixture.options(code);
        options.post_hooks = vec![status_hook("post")];
        let (result, events) = run_collecting(&options);
        let finished = result.unwrap();
        assert_eq!(finished.exit_code, code);
        assert_eq!(finished.restic, Some(Outcome::Exited(code)));
        assert!(events.is_empty());
        assert_eq!(
            fixture.log()[1],
            format!("post code={code} status={status} cmd=backup")
        );
    }
}

#[test]
fn restic_killed_by_a_signal_reads_as_128_plus_n() {
    let fixture = Fixture::new();
    fs::write(fixture.path("restic"), "#!/bin/sh\nkill -TERM $$\n").unwrap();
    let mut options = fixture.options(0);
    options.post_hooks = vec![status_hook("post")];
    let (result, _) = run_collecting(&options);
    assert_eq!(result.unwrap().exit_code, 143);
    assert_eq!(
        fixture.log(),
        ["post code=143 status=terminated cmd=backup"]
    );
}

#[test]
fn failing_pre_hook_stops_everything() {
    let fixture = Fixture::new();
    let mut options = fixture.options(0);
    options.pre_hooks = vec![
        log_hook("pre one"),
        format!("{}; exit 42", log_hook("pre fail")),
        log_hook("pre three"),
    ];
    options.post_hooks = vec![log_hook("post")];
    let (result, events) = run_collecting(&options);
    let error = result.unwrap_err();
    assert_eq!(error.exit_code(), 1);
    assert_eq!(
        error.to_string(),
        format!("pre-hook {:?} failed: exit status 42", options.pre_hooks[1])
    );
    assert!(events.is_empty());
    assert_eq!(fixture.log(), ["pre one", "pre fail"]);
}

#[test]
fn pre_hook_exit_75_skips_the_backup() {
    let fixture = Fixture::new();
    let mut options = fixture.options(0);
    options.pre_hooks = vec![
        format!("{}; exit 75", log_hook("pre skip")),
        log_hook("pre never"),
    ];
    options.post_hooks = vec![log_hook("post")];
    let (result, events) = run_collecting(&options);
    let finished = result.unwrap();
    assert_eq!(finished.exit_code, 0);
    assert_eq!(finished.restic, None);
    assert_eq!(events, [format!("skipped by {}", options.pre_hooks[0])]);
    assert_eq!(fixture.log(), ["pre skip"]);
}

#[test]
fn every_post_hook_runs_and_failures_are_reported() {
    let fixture = Fixture::new();
    let mut options = fixture.options(3);
    options.post_hooks = vec![
        format!("{}; exit 44", log_hook("post fail")),
        format!("{}; kill -TERM $$", log_hook("post killed")),
        log_hook("post last"),
    ];
    let (result, events) = run_collecting(&options);
    let finished = result.unwrap();
    // restic's own failure code wins over the post-hook failures.
    assert_eq!(finished.exit_code, 3);
    assert_eq!(finished.failed_post_hooks, 2);
    assert_eq!(
        events,
        [
            format!(
                "post-hook {:?} failed: exit status 44",
                options.post_hooks[0]
            ),
            format!(
                "post-hook {:?} failed: killed by signal 15 (SIGTERM)",
                options.post_hooks[1]
            ),
        ]
    );
    assert_eq!(
        fixture.log()[1..],
        ["post fail", "post killed", "post last"]
    );
}

#[test]
fn post_hook_failure_after_restic_success_exits_1() {
    let fixture = Fixture::new();
    let mut options = fixture.options(0);
    options.post_hooks = vec!["exit 5".into()];
    let (result, events) = run_collecting(&options);
    assert_eq!(result.unwrap().exit_code, 1);
    assert_eq!(events.len(), 1);
}

#[test]
fn restic_that_cannot_start_runs_post_hooks_with_start_failed() {
    let fixture = Fixture::new();
    fs::write(
        fixture.path("restic"),
        "#!/definitely/missing/interpreter\n",
    )
    .unwrap();
    let mut options = fixture.options(0);
    options.pre_hooks = vec![log_hook("pre")];
    options.post_hooks = vec![status_hook("post")];
    let (result, events) = run_collecting(&options);
    let finished = result.unwrap();
    assert_eq!(finished.exit_code, 126);
    assert_eq!(events.len(), 1);
    assert!(events[0].starts_with("starting restic: "), "{events:?}");
    assert_eq!(
        fixture.log(),
        ["pre", "post code=unset status=start_failed cmd=backup"]
    );
}

#[test]
fn missing_restic_runs_nothing_and_exits_127() {
    let fixture = Fixture::new();
    let mut options = fixture.options(0);
    options.program = Some(fixture.path("missing").into());
    options.pre_hooks = vec![log_hook("pre")];
    options.post_hooks = vec![log_hook("post")];
    options.environ = vec![EnvEntry {
        name: "SIDE_EFFECT".into(),
        source: EnvSource::Command(log_hook("command")),
    }];
    let (result, _) = run_collecting(&options);
    let error = result.unwrap_err();
    assert_eq!(error.exit_code(), 127);
    assert!(error.to_string().starts_with("restic not found"), "{error}");
    assert!(fixture.log().is_empty());
}

#[test]
fn restic_is_found_on_a_path_the_config_sets() {
    let fixture = Fixture::new();
    fs::rename(fixture.path("restic"), fixture.path("keld-fake-restic")).unwrap();
    let mut options = fixture.options(0);
    options.program = Some("keld-fake-restic".into());
    options.environ = vec![EnvEntry {
        name: "PATH".into(),
        source: EnvSource::Literal(
            format!("{}:/usr/bin:/bin", fixture.dir.path().display()).into(),
        ),
    }];
    let (result, _) = run_collecting(&options);
    assert_eq!(result.unwrap().exit_code, 0);
    assert_eq!(fixture.log().len(), 1);

    options.environ.clear();
    let (result, _) = run_collecting(&options);
    let error = result.unwrap_err();
    assert_eq!(error.exit_code(), 127);
    assert!(error.to_string().contains("/usr/bin:/bin"), "{error}");
}

#[test]
fn failing_env_command_stops_before_any_hook() {
    let fixture = Fixture::new();
    let mut options = fixture.options(0);
    options.pre_hooks = vec![log_hook("pre")];
    options.post_hooks = vec![log_hook("post")];
    options.environ = vec![EnvEntry {
        name: "RESTIC_PASSWORD".into(),
        source: EnvSource::Command("echo secret; echo locked >&2; exit 2".into()),
    }];
    let (result, _) = run_collecting(&options);
    let error = result.unwrap_err();
    assert_eq!(error.exit_code(), 1);
    assert_eq!(
        error.to_string(),
        "RESTIC_PASSWORD_COMMAND failed: exit status 2; stderr: locked"
    );
    assert!(fixture.log().is_empty());
}

#[test]
fn env_commands_feed_restic_and_hooks() {
    let fixture = Fixture::new();
    fs::write(fixture.path("work/token"), "abc\n").unwrap();
    let mut options = fixture.options(0);
    options.environ = vec![EnvEntry {
        name: "TOKEN".into(),
        // Runs in the workdir.
        source: EnvSource::Command("cat token".into()),
    }];
    options.pre_hooks = vec![r#"echo "pre [$TOKEN]" >> "$LOG""#.into()];
    let (result, _) = run_collecting(&options);
    assert_eq!(result.unwrap().exit_code, 0);
    assert_eq!(fixture.log()[0], "pre [abc]");
}

#[test]
fn missing_workdir_is_an_error_before_anything_runs() {
    let fixture = Fixture::new();
    let mut options = fixture.options(0);
    options.workdir = Some(fixture.path("nope"));
    options.pre_hooks = vec![log_hook("pre")];
    let (result, _) = run_collecting(&options);
    let error = result.unwrap_err();
    assert_eq!(error.exit_code(), 1);
    assert!(
        matches!(error, RunError::Prepare(keld_hooks::PrepareError::Workdir { ref path, .. }) if path == &fixture.path("nope")),
        "{error:?}"
    );
    assert!(fixture.log().is_empty());
}

#[test]
fn hooks_of_a_non_backup_command_are_simply_absent() {
    let fixture = Fixture::new();
    let mut options = fixture.options(12);
    options.args = vec!["snapshots".into()];
    options.command = "snapshots".into();
    let (result, _) = run_collecting(&options);
    assert_eq!(result.unwrap().exit_code, 12);
    assert_eq!(fixture.log().len(), 1);
    assert!(fixture.log()[0].starts_with("restic snapshots |"));
}
