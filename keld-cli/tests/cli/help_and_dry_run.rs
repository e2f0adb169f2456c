//! A run in which restic is only asked for its help or for a dry run is no backup: no
//! hook, no lock, no record, no ping (docs/hooks.md, "When hooks run"). What counts is
//! what restic reads from its arguments, not how they were spelt.

use std::process::Output;

use crate::support::{Sandbox, log_hook, status_hook, text, toml_list};

/// A backup preset whose hooks log, with a lock, and records in `state/`; `extra` is
/// more TOML for the preset.
fn sandbox_with(extra: &str) -> Sandbox {
    let mut sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "[home.backup]\n_arguments = [\"/home\"]\n_lock = true\n_pre_hooks = {}\n_post_hooks = {}\n{extra}",
        toml_list(&[log_hook("pre")]),
        toml_list(&[status_hook("post")]),
    ));
    sandbox.set_env("KELD_STATE_DIR", sandbox.path("state"));
    sandbox
}

fn sandbox() -> Sandbox {
    sandbox_with("")
}

fn backup(sandbox: &Sandbox, args: &[&str]) -> Output {
    let mut words = vec!["-p", "home", "backup"];
    words.extend_from_slice(args);
    sandbox.keld(&words).output().expect("keld runs")
}

fn records(sandbox: &Sandbox) -> String {
    std::fs::read_to_string(sandbox.path("state/runs.jsonl")).unwrap_or_default()
}

/// The event log without the stand-in's lines: what the hooks wrote.
fn hook_lines(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .log_lines()
        .into_iter()
        .filter(|line| !line.starts_with("restic"))
        .collect()
}

#[test]
fn help_and_dry_runs_run_no_hook_and_leave_no_record() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["--help=true"],
        &["--help=1"],
        &["--dry-run"],
        &["-n"],
        &["--dry-run=T"],
        &["-vn"],
        &["--verbose", "-n", "/tmp"],
    ] {
        // A ping that would fail (nothing listens there) and say so on stderr.
        let sandbox = sandbox_with("_healthchecks = \"http://127.0.0.1:9/ping\"\n");
        let output = backup(&sandbox, args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {output:?}");
        assert_eq!(sandbox.restic_runs().len(), 1, "{args:?}: restic runs");
        assert_eq!(hook_lines(&sandbox), Vec::<String>::new(), "{args:?}");
        assert_eq!(text(&output.stderr), "", "{args:?}: no ping, no warning");
        // No record and no lock: keld did not even create its state directory.
        assert!(!sandbox.path("state").exists(), "{args:?}: state written");
        // A dry run is no backup for monitoring.
        let status = sandbox
            .keld(&["status", "--max-age", "1d", "-p", "home"])
            .output()
            .unwrap();
        assert_eq!(status.status.code(), Some(1), "{args:?}: {status:?}");
        assert!(
            text(&status.stderr).contains("no successful backup recorded"),
            "{args:?}: {status:?}"
        );
    }
}

#[test]
fn a_false_help_or_dry_run_and_words_restic_reads_otherwise_are_real_backups() {
    for args in [
        &["--help=false"][..],
        &["--dry-run=false"],
        &["--dry-run=0"],
        &["--dry-run=F"],
        &["-n=false"],
        &["--dry-run", "--dry-run=false"],
        // The value of --tag, and a path after `--`: restic backs up.
        &["--tag", "--dry-run"],
        &["--tag", "-h"],
        &["--", "-n"],
    ] {
        let sandbox = sandbox();
        let output = backup(&sandbox, args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {output:?}");
        assert_eq!(
            hook_lines(&sandbox),
            ["pre", "post code=0 status=success command=backup"],
            "{args:?}"
        );
        let records = records(&sandbox);
        assert_eq!(records.lines().count(), 1, "{args:?}: {records}");
        assert!(records.contains("\"result\":\"success\""), "{records}");
    }
}

#[test]
fn show_command_says_why_the_hooks_do_not_run() {
    let sandbox = sandbox();
    for (args, why) in [
        (&["--dry-run"][..], "(not run: a dry run stores nothing)"),
        (&["-h"], "(not run: restic is only asked for help)"),
    ] {
        let mut words = vec!["--show-command", "--verbose", "-p", "home", "backup"];
        words.extend_from_slice(args);
        let output = sandbox.keld(&words).output().unwrap();
        let shown = text(&output.stdout);
        assert!(shown.contains(&format!("pre-hooks {why}")), "{shown}");
        assert!(shown.contains(&format!("post-hooks {why}")), "{shown}");
        let plain = sandbox
            .keld(&[&["--show-command", "-p", "home", "backup"][..], args].concat())
            .output()
            .unwrap();
        assert!(!text(&plain.stdout).contains("pre-hooks"), "{plain:?}");
    }
    assert_eq!(sandbox.restic_runs().len(), 0);
}
