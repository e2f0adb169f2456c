//! Timeouts on real processes: SIGTERM to the whole tree, SIGKILL to what is left,
//! and no waiting on output a leftover process holds open.

use std::fs;
use std::time::{Duration, Instant};

use keld_status::Outcome;
use keld_supervise::{ChildCommand, Ran, Supervisor, Timeout};

fn shell(script: &str) -> ChildCommand {
    let mut command = ChildCommand::shell(script);
    command.env = vec![("PATH".into(), "/usr/bin:/bin".into())];
    command
}

fn short(after_ms: u64, kill_after_ms: u64) -> Option<Timeout> {
    Some(Timeout {
        after: Duration::from_millis(after_ms),
        kill_after: Duration::from_millis(kill_after_ms),
    })
}

fn alive(pid: i32) -> bool {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
        && !fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| stat.contains(") Z "))
}

#[test]
fn a_child_within_its_limit_is_untouched() {
    let supervisor = Supervisor::install().unwrap();
    let ran = supervisor
        .run_with(&shell("exit 4"), short(5_000, 100))
        .unwrap();
    assert_eq!(
        ran,
        Ran {
            outcome: Outcome::Exited(4),
            timed_out: false
        }
    );
}

#[test]
fn a_child_past_its_limit_and_its_children_get_sigterm() {
    let supervisor = Supervisor::install().unwrap();
    let started = Instant::now();
    let ran = supervisor
        .run_with(&shell("sleep 30; echo never"), short(200, 5_000))
        .unwrap();
    assert!(ran.timed_out);
    assert_eq!(ran.outcome, Outcome::Signaled(15));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn what_ignores_sigterm_gets_sigkill_and_held_output_does_not_keep_the_caller() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    // A background child that ignores SIGTERM and keeps the (shared) stdout open.
    let script = format!(
        "(trap '' TERM; echo $$ > /dev/null; sh -c 'echo $$ > {}; trap \"\" TERM; sleep 30') & sleep 30",
        pid_file.display()
    );
    let supervisor = Supervisor::install().unwrap();
    let started = Instant::now();
    let ran = supervisor
        .run_with(&shell(&script), short(300, 500))
        .unwrap();
    assert!(ran.timed_out);
    let leftover: i32 = fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The caller got back once SIGKILL had gone out, not after the sleep.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    let gone = Instant::now();
    while alive(leftover) {
        assert!(
            gone.elapsed() < Duration::from_secs(5),
            "{leftover} still runs"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
