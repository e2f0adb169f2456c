//! Monitoring pings against a real local HTTP server: what each service receives for
//! each result, retries, and a server that is down.

use std::net::TcpListener;
use std::time::Duration;

use keld_hooks::{Operations, Pinger, Pings, ProcessInfo};

mod support;
use support::http::Server;
use support::{RunOptions, run_report};

struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> Self {
        let dir = support::with_fake_restic("#!/bin/sh\nexit \"${FAKE_EXIT:-0}\"\n");
        Self { dir }
    }

    fn options(&self, pings: Pings, exit: u8) -> RunOptions {
        RunOptions {
            program: Some(self.dir.path().join("restic").into()),
            args: vec!["backup".into(), "/src".into()],
            base_env: vec![
                ("PATH".into(), "/usr/bin:/bin".into()),
                ("FAKE_EXIT".into(), exit.to_string().into()),
                (
                    "KELD_STATE_DIR".into(),
                    self.dir.path().join("state").into(),
                ),
            ],
            command: "nightly".into(),
            preset: Some("home@nas".into()),
            operations: Operations {
                pings,
                ..Operations::default()
            },
            ..RunOptions::default()
        }
    }
}

fn pinger() -> Pinger {
    Pinger::new(ProcessInfo::this_process("9.9.9"))
        .with_pauses([Duration::from_millis(10), Duration::from_millis(40)])
}

fn all(server: &Server) -> Pings {
    Pings {
        healthchecks: Some(server.url("/hc/5f0c-uuid")),
        ntfy: Some(server.url("/topic-s3cret")),
        webhook: Some(server.url("/hook")),
    }
}

#[test]
fn a_successful_run_pings_start_and_success_and_posts_its_record() {
    let server = Server::start();
    let world = World::new();
    let mut pinger = pinger();
    let report = run_report(&world.options(all(&server), 0), &mut pinger);
    assert_eq!(report.exit_code, 0);
    assert!(pinger.take_warnings().is_empty());
    let received = server.received();
    let paths: Vec<(&str, &str)> = received
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("GET", "/hc/5f0c-uuid/start"),
            ("POST", "/hc/5f0c-uuid/0"),
            ("POST", "/hook")
        ],
        "no ntfy message for a success"
    );
    for request in &received {
        assert_eq!(request.header("user-agent"), Some("keld/9.9.9"));
    }
    let body = &received[1].body;
    assert!(
        body.starts_with("keld home@nas nightly: success (exit 0, restic success, "),
        "{body}"
    );
    let record: serde_json::Value = serde_json::from_str(body.lines().last().unwrap()).unwrap();
    assert_eq!(record["result"], "success");
    assert_eq!(received[2].header("content-type"), Some("application/json"));
    let posted: serde_json::Value = serde_json::from_str(&received[2].body).unwrap();
    assert_eq!(posted["preset"], "home@nas");
    assert_eq!(posted["alias"], "nightly");
}

#[test]
fn failures_and_warnings_reach_ntfy_with_their_priority() {
    let server = Server::start();
    let world = World::new();
    let mut pinger = pinger();
    assert_eq!(
        run_report(&world.options(all(&server), 1), &mut pinger).exit_code,
        1
    );
    let failed = server.received();
    assert_eq!(failed[1].path, "/hc/5f0c-uuid/1");
    let ntfy = failed
        .iter()
        .find(|r| r.path == "/topic-s3cret")
        .expect("ntfy");
    assert_eq!(ntfy.header("title"), Some("keld home@nas nightly failed"));
    assert_eq!(ntfy.header("priority"), Some("high"));
    assert_eq!(ntfy.header("tags"), Some("warning"));
    assert!(
        ntfy.body
            .starts_with("keld home@nas nightly: failed (exit 1, restic fatal")
    );

    let server = Server::start();
    assert_eq!(
        run_report(&world.options(all(&server), 3), &mut pinger).exit_code,
        3
    );
    let warned = server.received();
    assert_eq!(warned[1].path, "/hc/5f0c-uuid/3");
    let ntfy = warned
        .iter()
        .find(|r| r.path == "/topic-s3cret")
        .expect("ntfy");
    assert_eq!(ntfy.header("title"), Some("keld home@nas nightly warning"));
    assert_eq!(ntfy.header("priority"), Some("default"));
}

#[test]
fn a_skipped_run_logs_and_a_failed_pre_hook_reports_its_error() {
    let server = Server::start();
    let world = World::new();
    let mut pinger = pinger();
    let mut skipped = world.options(all(&server), 0);
    skipped.pre_hooks = vec!["exit 75".into()];
    assert_eq!(run_report(&skipped, &mut pinger).exit_code, 0);
    let received = server.received();
    assert_eq!(received[1].path, "/hc/5f0c-uuid/log");
    assert!(
        received.iter().all(|r| r.path != "/topic-s3cret"),
        "no ntfy for skipped"
    );

    let server = Server::start();
    let mut failing = world.options(all(&server), 0);
    failing.pre_hooks = vec!["exit 42".into()];
    assert_eq!(run_report(&failing, &mut pinger).exit_code, 1);
    let received = server.received();
    assert_eq!(received[1].path, "/hc/5f0c-uuid/1");
    assert!(
        received[1]
            .body
            .contains("pre-hook \"exit 42\" failed: exit status 42"),
        "{}",
        received[1].body
    );
}

#[test]
fn a_failed_attempt_is_retried_and_a_lasting_failure_is_one_warning_without_the_path() {
    let server = Server::start();
    let world = World::new();
    let mut pinger = pinger();
    let pings = Pings {
        healthchecks: Some(server.url("/hc/5f0c-uuid")),
        ..Pings::default()
    };
    server.answer(&[500, 502]);
    run_report(&world.options(pings.clone(), 0), &mut pinger);
    assert!(
        pinger.take_warnings().is_empty(),
        "the third start attempt passed"
    );
    assert_eq!(server.received().len(), 4, "start x3, end x1");

    let server_down = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
        // dropped: nothing listens there any more
    };
    let pings = Pings {
        healthchecks: Some(format!("http://127.0.0.1:{server_down}/hc/5f0c-uuid")),
        ntfy: None,
        webhook: Some(format!("http://127.0.0.1:{server_down}/hook-s3cret")),
    };
    let report = run_report(&world.options(pings, 0), &mut pinger);
    assert_eq!(report.exit_code, 0, "pings never change the exit code");
    let warnings = pinger.take_warnings();
    assert_eq!(warnings.len(), 3, "start, end, webhook: {warnings:?}");
    for warning in &warnings {
        assert!(
            warning.contains(&format!("127.0.0.1:{server_down}")),
            "{warning}"
        );
        assert!(
            !warning.contains("uuid") && !warning.contains("s3cret"),
            "{warning}"
        );
    }
    assert!(
        warnings[0].starts_with("healthchecks ping to "),
        "{warnings:?}"
    );

    // A client error is not retried.
    let server = Server::start();
    server.answer(&[404, 404]);
    let pings = Pings {
        healthchecks: Some(server.url("/hc/wrong")),
        ..Pings::default()
    };
    run_report(&world.options(pings, 0), &mut pinger);
    assert_eq!(
        server.received().len(),
        2,
        "one attempt each for start and end"
    );
    let warnings = pinger.take_warnings();
    assert_eq!(warnings.len(), 2);
    assert!(warnings[0].ends_with("HTTP status 404"), "{warnings:?}");
}
