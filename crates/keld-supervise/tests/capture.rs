//! Captured children with real `sh`: output, limits, stderr, stopping a registry.

use std::sync::Arc;
use std::time::{Duration, Instant};

use keld_status::Outcome;
use keld_supervise::{
    CaptureError, ChildCommand, Children, STDERR_KEPT, Stdin, Supervisor, capture,
};

fn shell(script: &str) -> ChildCommand {
    let mut command = ChildCommand::shell(script);
    command.env = vec![("PATH".into(), "/usr/bin:/bin".into())];
    command
}

#[test]
fn stdout_and_stderr_are_captured_with_the_outcome() {
    let children = Children::new();
    let captured = capture(
        &shell("printf out; printf err >&2; exit 3"),
        None,
        &children,
    )
    .unwrap();
    assert_eq!(captured.outcome, Outcome::Exited(3));
    assert_eq!(captured.stdout, b"out");
    assert_eq!(captured.stderr, b"err");
    assert_eq!(children.count(), 0, "reaped and forgotten");
}

#[test]
fn a_killed_child_reports_its_signal() {
    let captured = capture(&shell("kill -TERM $$"), None, &Children::new()).unwrap();
    assert_eq!(captured.outcome, Outcome::Signaled(15));
}

#[test]
fn output_at_the_limit_is_kept_and_over_it_stops_the_whole_tree() {
    let children = Children::new();
    let exact = capture(
        &shell("head -c 4096 /dev/zero | tr '\\0' x"),
        Some(4096),
        &children,
    )
    .unwrap();
    assert_eq!(exact.stdout.len(), 4096);

    // `yes` is a child of sh, writing forever: only killing the tree ends it.
    let started = Instant::now();
    let error = capture(&shell("yes; true"), Some(4096), &children).unwrap_err();
    assert!(
        matches!(error, CaptureError::TooLarge { limit: 4096 }),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(children.count(), 0);
}

#[test]
fn long_stderr_is_kept_up_to_its_limit_and_drained() {
    let script = format!(
        "head -c {} /dev/zero | tr '\\0' e >&2; exit 1",
        STDERR_KEPT * 4
    );
    let captured = capture(&shell(&script), None, &Children::new()).unwrap();
    assert_eq!(captured.stderr.len(), STDERR_KEPT);
    assert_eq!(captured.outcome, Outcome::Exited(1));
}

#[test]
fn stdin_null_never_waits_for_input() {
    let mut command = shell("cat; echo done");
    command.stdin = Stdin::Null;
    let captured = capture(&command, None, &Children::new()).unwrap();
    assert_eq!(captured.stdout, b"done\n");
}

#[test]
fn stop_all_ends_a_running_child_and_refuses_new_ones() {
    let children = Arc::new(Children::new());
    let running = {
        let children = Arc::clone(&children);
        // A subshell below sh: stopping must reach the whole tree.
        std::thread::spawn(move || capture(&shell("(sleep 30); true"), None, &children))
    };
    let started = Instant::now();
    while children.count() == 0 {
        assert!(started.elapsed() < Duration::from_secs(20), "never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        children.stop_all(Duration::from_secs(20)),
        "stopped in time"
    );
    let ended = running.join().unwrap().unwrap();
    assert_eq!(ended.outcome, Outcome::Signaled(15));
    assert!(started.elapsed() < Duration::from_secs(20));

    let refused = capture(&shell("true"), None, &children).unwrap_err();
    assert!(matches!(refused, CaptureError::Stopped), "{refused:?}");
}

#[test]
fn a_missing_program_is_a_start_error() {
    let error = capture(
        &ChildCommand::new("/nonexistent/program", ["x"]),
        None,
        &Children::new(),
    )
    .unwrap_err();
    assert!(matches!(error, CaptureError::Start(_)), "{error:?}");
}

#[test]
fn under_a_supervisor_captures_work_as_alone() {
    let supervisor = Supervisor::install().unwrap();
    let captured = supervisor.capture(&shell("echo hi"), Some(10)).unwrap();
    assert_eq!(captured.stdout, b"hi\n");
}

#[test]
fn a_stopper_ends_a_captured_child_and_every_later_start() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let (stoppers, stopper) = std::sync::mpsc::channel();
    let supervised = std::thread::spawn(move || {
        let supervisor = Supervisor::install().unwrap();
        stoppers.send(supervisor.stopper()).unwrap();
        let script = format!("touch '{}'; exec sleep 30", ready.display());
        let first = supervisor.capture(&shell(&script), None);
        let second = supervisor.capture(&shell("true"), None);
        (first, second, supervisor.signal_received())
    });
    let stopper = stopper.recv().unwrap();
    let started = Instant::now();
    while !dir.path().join("ready").exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    stopper.stop(nix::libc::SIGTERM);
    let (first, second, received) = supervised.join().unwrap();
    assert_eq!(
        first.unwrap().outcome,
        Outcome::Signaled(nix::libc::SIGTERM)
    );
    assert!(
        matches!(second, Err(CaptureError::Interrupted { signal }) if signal == nix::libc::SIGTERM),
        "{second:?}"
    );
    assert_eq!(received, Some(nix::libc::SIGTERM));
}
