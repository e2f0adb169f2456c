//! Signals on real processes: keld, `sh` hooks and the stand-in restic. (A signal from
//! another process: `features/backup_hooks.feature`.)

use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use rexpect::process::WaitStatus;

use crate::support::process::{running, wait_for_file};
use crate::support::pty::Terminal;
use crate::support::{Sandbox, status_hook, toml_list};

const TIMEOUT: Duration = Duration::from_secs(10);

/// A backup preset whose post-hook logs the restic outcome; restic waits for a signal.
fn waiting_sandbox() -> Sandbox {
    let mut sandbox = Sandbox::new();
    sandbox.set_env("FAKE_RESTIC_WAIT", "backup");
    sandbox.write_config(&format!(
        "[home.backup]\n_arguments = {}\n_post_hooks = {}\n",
        toml_list(&[sandbox.path("source").display().to_string()]),
        toml_list(&[status_hook("post")]),
    ));
    sandbox
}

/// The signals the stand-in restic logged.
fn restic_signals(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .log_lines()
        .into_iter()
        .filter(|line| line.starts_with("restic backup got "))
        .collect()
}

#[test]
fn ctrl_c_on_the_terminal_reaches_restic_exactly_once() {
    let sandbox = waiting_sandbox();
    let mut terminal = Terminal::spawn(&sandbox.keld(&["-p", "home", "backup"]), 30, 100);
    assert!(
        wait_for_file(&sandbox.path("restic.ready"), TIMEOUT),
        "restic never started"
    );
    terminal.send("\x03");
    let status = terminal.wait_status();
    assert!(
        matches!(status, WaitStatus::Exited(_, 130)),
        "{status:?} {:#?}",
        sandbox.log_lines()
    );
    assert_eq!(restic_signals(&sandbox), ["restic backup got INT"]);
    assert_eq!(
        sandbox.log_lines().last().unwrap(),
        "post code=130 status=interrupted command=backup"
    );
}

#[test]
fn restic_does_not_outlive_a_killed_keld() {
    let sandbox = waiting_sandbox();
    let mut keld = sandbox
        .keld(&["-p", "home", "backup"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(
        wait_for_file(&sandbox.path("restic.ready"), TIMEOUT),
        "restic never started"
    );
    let restic: u32 = fs::read_to_string(sandbox.path("restic.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    kill(Pid::from_raw(keld.id() as i32), Signal::SIGKILL).unwrap();
    let killed_at = Instant::now();
    assert_eq!(keld.wait().unwrap().code(), None);
    // The SIGTERM must arrive within a second; the stand-in then lingers 0.3 s on
    // purpose (to catch a duplicate delivery), so its exit gets a wider margin.
    while restic_signals(&sandbox).is_empty() && killed_at.elapsed() < Duration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        restic_signals(&sandbox),
        ["restic backup got TERM"],
        "restic got no SIGTERM within a second of keld's death"
    );
    while running(restic) && killed_at.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        !running(restic),
        "restic still runs 5 s after keld was killed"
    );
    assert_eq!(restic_signals(&sandbox), ["restic backup got TERM"]);
}
