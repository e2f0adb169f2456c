//! Unattended operation through the real binary: run records, `keld status` and its
//! freshness check, and several presets in one call.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::Sandbox;
use crate::support::process::{wait_for_file, wait_timeout};

/// Two backup presets, the stand-in restic, and records in `state/`.
fn sandbox() -> Sandbox {
    let mut sandbox = Sandbox::new();
    sandbox.write_config(
        "[home.backup]\n_arguments = [\"/home\"]\n[work.backup]\n_arguments = [\"/work\"]\n",
    );
    let state = sandbox.path("state");
    sandbox.set_env("KELD_STATE_DIR", state);
    sandbox
}

fn records(sandbox: &Sandbox) -> Vec<Value> {
    fs::read_to_string(sandbox.path("state/runs.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a whole JSON line"))
        .collect()
}

fn run(command: &mut Command) -> (i32, String, String) {
    let output = command.output().expect("run keld");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn every_run_is_recorded_with_its_result() {
    let sandbox = sandbox();
    assert_eq!(run(&mut sandbox.keld(&["-p", "home", "backup"])).0, 0);
    let (code, ..) = run(sandbox
        .keld(&["-p", "home", "backup"])
        .env("FAKE_RESTIC_EXIT", "3"));
    assert_eq!(code, 3);
    let (code, ..) = run(sandbox
        .keld(&["-p", "work", "snapshots"])
        .env("FAKE_RESTIC_EXIT", "12"));
    assert_eq!(code, 12);
    // Not runs: help, --show-command, keld's own commands.
    run(&mut sandbox.keld(&["-p", "home", "backup", "--help"]));
    run(&mut sandbox.keld(&["-p", "home", "-n", "backup"]));
    run(&mut sandbox.keld(&["presets"]));
    run(&mut sandbox.keld(&["status"]));

    let records = records(&sandbox);
    let summary: Vec<(String, String, String, i64)> = records
        .iter()
        .map(|record| {
            (
                record["preset"].as_str().unwrap().to_owned(),
                record["command"].as_str().unwrap().to_owned(),
                record["result"].as_str().unwrap().to_owned(),
                record["exit_code"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("home".into(), "backup".into(), "success".into(), 0),
            ("home".into(), "backup".into(), "warning".into(), 3),
            ("work".into(), "snapshots".into(), "failed".into(), 12),
        ]
    );
    assert_eq!(records[2]["restic_status"], "wrong_password");
    let state = sandbox.path("state");
    assert_eq!(fs::metadata(&state).unwrap().mode() & 0o777, 0o700);
    assert_eq!(
        fs::metadata(state.join("runs.jsonl")).unwrap().mode() & 0o777,
        0o600
    );
}

#[test]
fn twenty_concurrent_runs_leave_twenty_whole_lines() {
    let sandbox = sandbox();
    let mut children: Vec<_> = (0..20)
        .map(|_| {
            sandbox
                .keld(&["-p", "home", "backup"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start keld")
        })
        .collect();
    for child in &mut children {
        assert!(wait_timeout(child, Duration::from_secs(60)).success());
    }
    let records = records(&sandbox);
    assert_eq!(records.len(), 20);
    let mut pids: Vec<i64> = records.iter().map(|r| r["pid"].as_i64().unwrap()).collect();
    pids.sort_unstable();
    pids.dedup();
    assert_eq!(pids.len(), 20, "one line per run");
}

#[test]
fn status_shows_the_last_run_and_success_per_preset_and_command() {
    let sandbox = sandbox();
    run(&mut sandbox.keld(&["-p", "home", "backup"]));
    run(sandbox
        .keld(&["-p", "home", "backup"])
        .env("FAKE_RESTIC_EXIT", "1"));
    run(&mut sandbox.keld(&["-p", "work", "backup"]));
    let (code, stdout, _) = run(&mut sandbox.keld(&["status"]));
    assert_eq!(code, 0);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("PRESET  COMMAND  LAST RUN"),
        "{stdout}"
    );
    assert!(lines[1].starts_with("home    backup"), "{stdout}");
    assert!(lines[1].contains("failed"), "{stdout}");
    assert!(lines[1].ends_with("s ago"), "the earlier success: {stdout}");
    assert!(lines[2].starts_with("work    backup") && lines[2].contains("success"));

    let (_, stdout, _) = run(&mut sandbox.keld(&["status", "--json", "-p", "home"]));
    let rows: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["last"]["result"], "failed");
    assert_eq!(rows[0]["last_success"]["result"], "success");

    let empty = Sandbox::new();
    let (code, stdout, _) = run(empty
        .keld(&["status"])
        .env("KELD_STATE_DIR", empty.path("s")));
    assert_eq!((code, stdout.as_str()), (0, "no runs recorded yet\n"));
}

#[test]
fn max_age_fails_for_a_stale_or_never_successful_preset() {
    let sandbox = sandbox();
    run(&mut sandbox.keld(&["-p", "home", "backup"]));
    run(sandbox
        .keld(&["-p", "work", "backup"])
        .env("FAKE_RESTIC_EXIT", "1"));
    let (code, stdout, stderr) =
        run(&mut sandbox.keld(&["status", "--max-age", "26h", "-p", "home"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("home: last successful backup "),
        "{stdout}"
    );
    let (code, _, stderr) =
        run(&mut sandbox.keld(&["-p", "home,work", "status", "--max-age", "26h"]));
    assert_eq!(code, 1);
    assert_eq!(stderr, "work: no successful backup recorded\n");
    // A success older than the limit is stale: age the record by rewriting its time.
    let path = sandbox.path("state/runs.jsonl");
    let old = fs::read_to_string(&path)
        .unwrap()
        .replace("\"finished\":\"20", "\"finished\":\"19");
    fs::write(&path, old).unwrap();
    let (code, _, stderr) = run(&mut sandbox.keld(&["status", "--max-age", "1w", "-p", "home"]));
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("home: last successful backup ") && stderr.contains("(max 1w)"),
        "{stderr}"
    );
    // A bad duration is a usage error naming the format.
    let (code, _, stderr) = run(&mut sandbox.keld(&["status", "--max-age", "1.5h"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("a whole number and a unit"), "{stderr}");
}

#[test]
fn several_presets_run_in_order_with_headers_a_summary_and_the_first_failure_code() {
    let sandbox = sandbox();
    sandbox.extend_restic("[ \"$2\" = /home ] && exit 3");
    let (code, _, stderr) = run(&mut sandbox.keld(&["-p", "home,work", "-p", "home", "backup"]));
    assert_eq!(code, 3, "{stderr}");
    let paths: Vec<String> = sandbox
        .restic_runs()
        .iter()
        .map(|run| run[1].clone())
        .collect();
    assert_eq!(paths, ["/home", "/work", "/home"]);
    let headers: Vec<&str> = stderr.lines().filter(|l| l.starts_with("==> ")).collect();
    assert_eq!(
        headers,
        [
            "==> home: restic backup",
            "==> work: restic backup",
            "==> home: restic backup",
            "==> summary"
        ]
    );
    assert!(
        stderr.contains("  home  warning      exit 3\n  work  success      exit 0\n"),
        "{stderr}"
    );
    assert_eq!(records(&sandbox).len(), 3, "each preset is its own run");

    // An unknown preset fails alone; the others still run.
    let (code, _, stderr) = run(&mut sandbox.keld(&["-p", "nope,work", "backup"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("unknown preset \"nope\""), "{stderr}");
    assert_eq!(sandbox.restic_runs().last().unwrap()[1], "/work");
}

#[test]
fn a_signal_stops_the_sequence() {
    let mut sandbox = sandbox();
    sandbox.set_env("FAKE_RESTIC_WAIT", "backup");
    let mut child = sandbox
        .keld(&["-p", "home,work", "backup"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start keld");
    assert!(wait_for_file(
        &sandbox.path("restic.ready"),
        Duration::from_secs(20)
    ));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = wait_timeout(&mut child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(143));
    assert_eq!(sandbox.restic_runs().len(), 1, "work never started");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("work  not run (stopped by signal 15)"),
        "{stderr}"
    );
    assert_eq!(records(&sandbox)[0]["result"], "interrupted");
}

#[test]
fn show_command_prints_each_preset() {
    let sandbox = sandbox();
    let (code, stdout, _) = run(&mut sandbox.keld(&["-p", "home,work", "-n", "backup"]));
    assert_eq!(code, 0);
    assert_eq!(stdout.matches("command: ").count(), 2, "{stdout}");
    assert!(stdout.contains("preset: home\n") && stdout.contains("preset: work\n"));
    let (_, stdout, _) = run(&mut sandbox.keld(&["-p", "home,work", "-n", "--json", "backup"]));
    let documents: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(documents[1]["preset"], "work");
    assert!(sandbox.restic_runs().is_empty());
}
