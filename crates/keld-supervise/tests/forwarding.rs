//! Signal forwarding on real processes. One test per binary: a signal sent to the test
//! process would reach every supervisor alive in it.

use std::ffi::OsString;
use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};

use keld_status::Outcome;
use keld_supervise::{ChildCommand, SignalSource, Supervisor};

#[test]
fn a_signal_from_another_process_is_forwarded_once_and_keld_survives() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let ready = dir.path().join("ready");
    let supervisor = Supervisor::install().unwrap();
    let script = r#"trap 'echo TERM >> "$LOG"; exit 7' TERM
touch "$READY"
while :; do sleep 0.02; done"#;
    let mut command = ChildCommand::shell(script);
    command.env = vec![
        ("PATH".into(), "/usr/bin:/bin".into()),
        ("LOG".into(), OsString::from(&log)),
        ("READY".into(), OsString::from(&ready)),
    ];
    let me = std::process::id().to_string();
    let sender = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ready.exists() {
            assert!(Instant::now() < deadline, "child never became ready");
            std::thread::sleep(Duration::from_millis(10));
        }
        let status = Command::new("kill").args(["-TERM", &me]).status().unwrap();
        assert!(status.success());
    });
    let outcome = supervisor.run(&command).unwrap();
    sender.join().unwrap();
    assert_eq!(outcome, Outcome::Exited(7));
    assert_eq!(fs::read_to_string(&log).unwrap(), "TERM\n");
    let caught = supervisor.take_caught();
    assert_eq!(caught.len(), 1, "{caught:?}");
    assert_eq!(caught[0].signal, 15);
    assert!(matches!(caught[0].source, SignalSource::Process(pid) if pid > 0));
    assert!(caught[0].forwarded_to.is_some());
}
