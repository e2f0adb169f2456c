//! Signals and exit codes on real processes: keld, `sh` hooks and a fake restic.

mod support;

use std::fs::{self, File};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use support::{Sandbox, status_hook, toml_list, wait_for};

const TIMEOUT: Duration = Duration::from_secs(10);

/// A backup preset whose post-hook logs the restic outcome; restic waits for a signal.
fn waiting_sandbox() -> Sandbox {
    let mut sandbox = Sandbox::new();
    sandbox.set_env("FAKE_RESTIC_MODE", "wait");
    sandbox.write_config(&format!(
        "[home.backup]\n_arguments = {}\n_post_hooks = {}\n",
        toml_list(&[sandbox.path("source").display().to_string()]),
        toml_list(&[status_hook("post")]),
    ));
    sandbox
}

fn wait_with_timeout(child: &mut std::process::Child) -> ExitStatus {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("keld did not exit in time");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn restic_signals(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .log_lines()
        .into_iter()
        .filter(|line| line.starts_with("restic got "))
        .collect()
}

#[test]
fn signals_from_another_process_reach_restic_exactly_once() {
    for (signal, name, code, status) in [
        (Signal::SIGTERM, "TERM", 143, "terminated"),
        (Signal::SIGINT, "INT", 130, "interrupted"),
        (Signal::SIGHUP, "HUP", 129, "unknown_failure"),
    ] {
        let sandbox = waiting_sandbox();
        let stderr = sandbox.path("stderr");
        let mut keld = sandbox
            .keld(&["-p", "home", "backup"])
            .stdout(Stdio::null())
            .stderr(File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        assert!(
            wait_for(&sandbox.path("restic.ready"), TIMEOUT),
            "restic never started"
        );
        kill(Pid::from_raw(keld.id() as i32), signal).unwrap();
        let exit = wait_with_timeout(&mut keld);
        let log = sandbox.log_lines();
        assert_eq!(
            exit.code(),
            Some(code),
            "SIG{name}: {log:#?} {}",
            fs::read_to_string(&stderr).unwrap()
        );
        assert_eq!(
            restic_signals(&sandbox),
            [format!("restic got {name}")],
            "{log:#?}"
        );
        assert_eq!(
            log.last().unwrap(),
            &format!("post code={code} status={status} command=backup")
        );
    }
}

#[test]
fn ctrl_c_on_the_terminal_reaches_restic_exactly_once() {
    let sandbox = waiting_sandbox();
    let mut session =
        rexpect::session::spawn_command(sandbox.keld(&["-p", "home", "backup"]), Some(10_000))
            .expect("spawn keld on a pty");
    assert!(
        wait_for(&sandbox.path("restic.ready"), TIMEOUT),
        "restic never started"
    );
    session.send_control('c').unwrap();
    session.exp_eof().unwrap();
    let status = session.process().wait().unwrap();
    assert!(
        matches!(status, rexpect::process::WaitStatus::Exited(_, 130)),
        "{status:?} {:#?}",
        sandbox.log_lines()
    );
    assert_eq!(restic_signals(&sandbox), ["restic got INT"]);
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
        wait_for(&sandbox.path("restic.ready"), TIMEOUT),
        "restic never started"
    );
    let restic: i32 = fs::read_to_string(sandbox.path("restic.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    kill(Pid::from_raw(keld.id() as i32), Signal::SIGKILL).unwrap();
    let killed_at = Instant::now();
    assert_eq!(keld.wait().unwrap().code(), None);
    // Gone means no such process or a zombie nobody reaped yet.
    let alive = || match fs::read_to_string(format!("/proc/{restic}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
        Err(_) => false,
    };
    // The SIGTERM must arrive within a second; the stand-in then lingers 0.3 s on
    // purpose (to catch a duplicate delivery), so its exit gets a wider margin.
    while restic_signals(&sandbox).is_empty() && killed_at.elapsed() < Duration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        restic_signals(&sandbox),
        ["restic got TERM"],
        "restic got no SIGTERM within a second of keld's death"
    );
    while alive() && killed_at.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!alive(), "restic still runs 5 s after keld was killed");
    assert_eq!(restic_signals(&sandbox), ["restic got TERM"]);
}

#[test]
fn every_exit_code_passes_through_for_backup_and_other_commands() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "[home.backup]\n_arguments = {}\n_post_hooks = {}\n",
        toml_list(&[sandbox.path("source").display().to_string()]),
        toml_list(&[
            r#"printf '%s\n' "$KELD_RESTIC_EXIT_CODE" >> "$KELD_TEST_DIR/codes""#.to_owned()
        ]),
    ));
    for code in 0..=255u8 {
        for command in ["backup", "snapshots"] {
            let output = sandbox
                .keld(&["-p", "home", command])
                .env("FAKE_RESTIC_EXIT", code.to_string())
                .output()
                .unwrap();
            assert_eq!(
                output.status.code(),
                Some(i32::from(code)),
                "{command} exit {code}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    // The post-hook ran for each backup (and only for backups), seeing each code.
    let codes = fs::read_to_string(sandbox.path("codes")).unwrap();
    let expected: String = (0..=255).map(|code| format!("{code}\n")).collect();
    assert_eq!(codes, expected);
}
