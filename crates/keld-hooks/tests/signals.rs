//! Signals during hooks. One test in this binary: a signal sent to the test process
//! reaches every supervisor alive in it, so nothing else may run meanwhile.

use std::fs;

use keld_hooks::{Event, RunError};

mod support;
use support::{RunOptions, run};

#[test]
fn signals_during_hooks() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let base_env = vec![
        ("PATH".into(), "/usr/bin:/bin".into()),
        ("LOG".into(), log.clone().into()),
    ];
    let read_log = || fs::read_to_string(&log).unwrap_or_default();

    // A SIGTERM from another process during a pre-hook reaches the hook and ends the
    // run with 143: no later pre-hook, no restic, no post-hook.
    let options = RunOptions {
        program: Some("/bin/true".into()),
        args: vec!["backup".into()],
        base_env: base_env.clone(),
        pre_hooks: vec![
            // `$PPID` is keld; the signal comes back to this hook and kills it.
            r#"kill -TERM $PPID; sleep 5"#.into(),
            r#"echo "pre two" >> "$LOG""#.into(),
        ],
        post_hooks: vec![r#"echo post >> "$LOG""#.into()],
        command: "backup".into(),
        ..RunOptions::default()
    };
    let error = run(&options, &mut |_| {}).unwrap_err();
    assert!(
        matches!(error, RunError::Interrupted { signal: 15 }),
        "{error:?}"
    );
    assert_eq!(error.exit_code(), 143);
    assert_eq!(read_log(), "");

    fs::remove_file(&log).ok();
    // Even a pre-hook that survives the forwarded signal ends the run.
    let options = RunOptions {
        pre_hooks: vec![
            r#"trap 'echo "pre got TERM" >> "$LOG"; exit 0' TERM; kill -TERM $PPID; sleep 5 & wait"#.into(),
        ],
        ..options
    };
    let error = run(&options, &mut |_| {}).unwrap_err();
    assert_eq!(error.exit_code(), 143);
    assert_eq!(read_log(), "pre got TERM\n");

    // A signal while `_COMMAND`s run stops the run before any hook.
    fs::remove_file(&log).ok();
    let with_command = RunOptions {
        environ: vec![keld_hooks::EnvEntry {
            name: "TOKEN".into(),
            source: keld_hooks::EnvSource::Command("kill -TERM $PPID; echo token".into()),
        }],
        ..options.clone()
    };
    let error = run(&with_command, &mut |_| {}).unwrap_err();
    assert!(
        matches!(error, RunError::Interrupted { signal: 15 }),
        "{error:?}"
    );
    assert_eq!(read_log(), "");

    // A signal during one `_COMMAND` that survives it: the next `_COMMAND` never starts.
    fs::remove_file(&log).ok();
    let two_commands = RunOptions {
        environ: vec![
            keld_hooks::EnvEntry {
                name: "A".into(),
                source: keld_hooks::EnvSource::Command(
                    // Short sleeps in the foreground: the trap runs right after the one
                    // that is running, and no background child holds the output pipe.
                    r#"trap 'echo a; exit 0' TERM; kill -TERM $PPID; i=0; while [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done"#.into(),
                ),
            },
            keld_hooks::EnvEntry {
                name: "B".into(),
                source: keld_hooks::EnvSource::Command(r#"echo "B ran" >> "$LOG"; echo b"#.into()),
            },
        ],
        ..options.clone()
    };
    let error = run(&two_commands, &mut |_| {}).unwrap_err();
    assert!(
        matches!(error, RunError::Interrupted { signal: 15 }),
        "{error:?}"
    );
    assert_eq!(read_log(), "", "B_COMMAND started after the signal");

    // During post-hooks the signal is forwarded to the running hook and the remaining
    // post-hooks still run; the exit code stays restic's.
    fs::remove_file(&log).ok();
    let options = RunOptions {
        pre_hooks: Vec::new(),
        post_hooks: vec![
            r#"trap 'echo "post one got TERM" >> "$LOG"; exit 3' TERM; kill -TERM $PPID; sleep 5 & wait"#.into(),
            r#"echo "post two $KELD_RESTIC_STATUS" >> "$LOG""#.into(),
        ],
        ..options
    };
    let mut failures = Vec::new();
    let finished = run(&options, &mut |event| {
        if let Event::PostHookFailed(error) = event {
            failures.push(error.to_string());
        }
    })
    .unwrap();
    assert_eq!(
        finished.exit_code, 1,
        "restic succeeded, a post-hook failed"
    );
    assert_eq!(read_log(), "post one got TERM\npost two success\n");
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].ends_with("failed: exit status 3"),
        "{failures:?}"
    );
}
