//! What a supervisor does to the process's signal dispositions, and a signal that
//! arrives while no child runs.
//!
//! A signal sent to the test process would reach every supervisor alive in it, and
//! dispositions are process-wide, so each scenario runs in a fresh copy of this test
//! binary (the test re-runs itself with `KELD_SUPERVISE_SCENARIO` set) and the test
//! judges how that copy ended.

use std::ffi::OsString;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use keld_status::Outcome;
use keld_supervise::{ChildCommand, SignalSource, Supervisor};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const SCENARIO_VAR: &str = "KELD_SUPERVISE_SCENARIO";

/// Runs `test` (this very test function) in a new process with the scenario set.
fn in_own_process(test: &str) -> ExitStatus {
    Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(SCENARIO_VAR, test)
        .status()
        .unwrap()
}

/// Runs `test` in a new process and checks that its scenario passed (exit code 0).
fn assert_passes(test: &str) {
    let status = in_own_process(test);
    assert_eq!(status.code(), Some(0), "{status:?}");
}

/// Sets `signal` to "ignore", as a parent can before it execs keld.
fn ignore(signal: Signal) {
    // SAFETY: no handler is installed, only "ignore".
    #[allow(unsafe_code)]
    unsafe { nix::sys::signal::signal(signal, nix::sys::signal::SigHandler::SigIgn) }.unwrap();
}

fn scenario(test: &str) -> bool {
    std::env::var(SCENARIO_VAR).is_ok_and(|name| name == test)
}

/// Sends `signal` to this process from another process, as `kill(1)` would.
fn signal_from_another_process(signal: &str) {
    let me = std::process::id().to_string();
    let status = Command::new("kill").args([signal, &me]).status().unwrap();
    assert!(status.success());
}

fn wait_until(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn after_the_last_supervisor_is_dropped_sigterm_ends_the_process_again() {
    const NAME: &str = "after_the_last_supervisor_is_dropped_sigterm_ends_the_process_again";
    if scenario(NAME) {
        let first = Supervisor::install().unwrap();
        let second = Supervisor::install().unwrap();
        drop(first);
        // One is still alive: the signal is caught, and the process lives on.
        kill(Pid::this(), Signal::SIGTERM).unwrap();
        wait_until(|| second.signal_received().is_some());
        drop(second);
        kill(Pid::this(), Signal::SIGTERM).unwrap();
        std::thread::sleep(Duration::from_secs(10));
        std::process::exit(0);
    }
    let status = in_own_process(NAME);
    assert_eq!(status.signal(), Some(15), "{status:?}");
}

#[test]
fn an_ignored_sigchld_does_not_lose_the_childs_exit_code() {
    const NAME: &str = "an_ignored_sigchld_does_not_lose_the_childs_exit_code";
    if scenario(NAME) {
        // As if keld's parent had ignored SIGCHLD: that survives exec.
        ignore(Signal::SIGCHLD);
        let supervisor = Supervisor::install().unwrap();
        let mut command = ChildCommand::shell("exit 7");
        command.env = vec![("PATH".into(), "/usr/bin:/bin".into())];
        let outcome = supervisor.run(&command).unwrap();
        std::process::exit(if outcome == Outcome::Exited(7) { 0 } else { 1 });
    }
    assert_passes(NAME);
}

#[test]
fn a_signal_that_came_while_no_child_ran_goes_to_the_next_child() {
    const NAME: &str = "a_signal_that_came_while_no_child_ran_goes_to_the_next_child";
    if scenario(NAME) {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let supervisor = Supervisor::install().unwrap();
        // A SIGTERM between a caller's last check and the start of restic.
        signal_from_another_process("-TERM");
        wait_until(|| supervisor.signal_received().is_some());
        // Without the signal it gives up after about 5 s with exit code 9.
        let mut command = ChildCommand::shell(
            r#"trap 'echo TERM >> "$LOG"; exit 5' TERM
i=0
while [ $i -lt 250 ]; do sleep 0.02; i=$((i + 1)); done
exit 9"#,
        );
        command.env = vec![
            ("PATH".into(), "/usr/bin:/bin".into()),
            ("LOG".into(), OsString::from(&log)),
        ];
        let outcome = supervisor.run(&command).unwrap();
        let caught = supervisor.take_caught();
        // It may come before the shell has set its trap, and then ends it at once.
        let received = match outcome {
            Outcome::Exited(5) => fs::read_to_string(&log).unwrap_or_default() == "TERM\n",
            Outcome::Signaled(15) => true,
            _ => false,
        };
        let ok = received
            && caught.len() == 1
            && matches!(caught[0].source, SignalSource::Process(_))
            && caught[0].forwarded_to.is_some();
        if !ok {
            eprintln!("outcome {outcome:?}, caught {caught:?}");
        }
        std::process::exit(if ok { 0 } else { 1 });
    }
    assert_passes(NAME);
}

#[test]
fn a_signal_inherited_as_ignored_stays_ignored_in_keld_and_the_child() {
    const NAME: &str = "a_signal_inherited_as_ignored_stays_ignored_in_keld_and_the_child";
    if scenario(NAME) {
        // What `nohup` does before it execs keld.
        ignore(Signal::SIGHUP);
        let dir = tempfile::tempdir().unwrap();
        let status = dir.path().join("status");
        let supervisor = Supervisor::install().unwrap();
        signal_from_another_process("-HUP");
        let mut command = ChildCommand::new("/bin/cp", ["/proc/self/status"]);
        command.args.push(status.clone().into());
        command.env = vec![("PATH".into(), "/usr/bin:/bin".into())];
        let outcome = supervisor.run(&command).unwrap();
        let ignored = fs::read_to_string(&status)
            .unwrap()
            .lines()
            .find_map(|line| line.strip_prefix("SigIgn:"))
            .map(|mask| u64::from_str_radix(mask.trim(), 16).unwrap())
            .unwrap();
        let sighup = 1 << (nix::libc::SIGHUP - 1);
        let ok = outcome == Outcome::Exited(0)
            && ignored & sighup != 0
            && supervisor.signal_received().is_none();
        if !ok {
            eprintln!(
                "outcome {outcome:?}, SigIgn {ignored:#x}, {:?}",
                supervisor.take_caught()
            );
        }
        // The supervisor is gone; SIGHUP is still ignored.
        drop(supervisor);
        signal_from_another_process("-HUP");
        std::thread::sleep(Duration::from_millis(100));
        std::process::exit(if ok { 0 } else { 1 });
    }
    assert_passes(NAME);
}
