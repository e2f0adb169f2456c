//! Signals on real processes: keld, `sh` hooks and the stand-in restic. (A signal from
//! another process: `features/backup_hooks.feature`.)

use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use rexpect::process::WaitStatus;

use crate::support::process::{running, wait_for_file, wait_timeout};
use crate::support::pty::{SessionLeader, Terminal};
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

/// keld leads the session of its terminal (started by a terminal emulator, `ssh host
/// keld ...`, `setsid`): when the terminal goes away the kernel sends the hang-up to
/// keld alone, so keld must pass it on. restic alone would have died with 129, and
/// so must keld; the post-hook, whose terminal is gone, reports it to a file.
#[test]
fn a_hang_up_of_the_terminal_keld_leads_reaches_restic() {
    let sandbox = waiting_sandbox();
    let mut keld = SessionLeader::spawn(&sandbox.keld(&["-p", "home", "backup"]));
    assert!(
        wait_for_file(&sandbox.path("restic.ready"), TIMEOUT),
        "restic never started"
    );
    let pid = keld.child.id();
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let session: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    assert_eq!(
        session[3],
        pid.to_string(),
        "keld leads its session: {stat}"
    );
    keld.hang_up();
    let status = wait_timeout(&mut keld.child, TIMEOUT);
    assert_eq!(
        status.code(),
        Some(129),
        "{status:?} {:#?}",
        sandbox.log_lines()
    );
    assert_eq!(restic_signals(&sandbox), ["restic backup got HUP"]);
    assert_eq!(
        sandbox.log_lines().last().unwrap(),
        "post code=129 status=unknown_failure command=backup"
    );
}

/// The same with several presets: the hang-up stops the sequence, and keld, whose
/// terminal is gone, still ends with 129 (a header or summary it cannot write is no
/// crash).
#[test]
fn a_hang_up_stops_a_sequence_of_presets_keld_leads() {
    let mut sandbox = Sandbox::new();
    sandbox.set_env("FAKE_RESTIC_WAIT", "backup");
    sandbox.write_config(&format!(
        "[home.backup]\n_arguments = [\"/home\"]\n_post_hooks = {}\n[work.backup]\n_arguments = [\"/work\"]\n",
        toml_list(&[status_hook("post")]),
    ));
    let mut keld = SessionLeader::spawn(&sandbox.keld(&["-p", "home,work", "backup"]));
    assert!(
        wait_for_file(&sandbox.path("restic.ready"), TIMEOUT),
        "restic never started"
    );
    keld.hang_up();
    let status = wait_timeout(&mut keld.child, TIMEOUT);
    assert_eq!(
        status.code(),
        Some(129),
        "{status:?} {:#?}",
        sandbox.log_lines()
    );
    assert_eq!(restic_signals(&sandbox), ["restic backup got HUP"]);
    assert_eq!(sandbox.restic_runs().len(), 1, "work never starts");
}
