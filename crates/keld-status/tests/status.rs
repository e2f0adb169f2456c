//! The status and exit-code tables.

use keld_status::{Outcome, StartFailure, Status, UnknownStatus, signal_name};

#[test]
fn status_table_matches_restic_exit_codes() {
    let table = [
        (0, "success"),
        (1, "fatal"),
        (2, "runtime_error"),
        (3, "partial"),
        (10, "repository_missing"),
        (11, "locked"),
        (12, "wrong_password"),
        (130, "interrupted"),
        (143, "terminated"),
    ];
    for (code, name) in table {
        assert_eq!(Status::from_exit_code(code).as_str(), name, "exit {code}");
        assert_eq!(Outcome::Exited(code).status().to_string(), name);
    }
    let named: Vec<u8> = table.iter().map(|(code, _)| *code).collect();
    for code in (0..=255u8).filter(|code| !named.contains(code)) {
        assert_eq!(
            Status::from_exit_code(code),
            Status::UnknownFailure,
            "exit {code}"
        );
    }
}

#[test]
fn every_status_round_trips_through_its_name() {
    for status in Status::ALL {
        assert_eq!(status.to_string().parse::<Status>(), Ok(status));
    }
    let mut names: Vec<_> = Status::ALL.iter().map(|status| status.as_str()).collect();
    names.dedup();
    assert_eq!(names.len(), Status::ALL.len());
}

#[test]
fn unknown_names_are_rejected() {
    for bad in ["", "Success", "SUCCESS", "success ", "ok", "128"] {
        assert_eq!(bad.parse::<Status>(), Err(UnknownStatus(bad.to_owned())));
    }
    assert_eq!(
        "nope".parse::<Status>().unwrap_err().to_string(),
        "unknown restic status \"nope\""
    );
}

#[test]
fn exit_codes_pass_through_unchanged() {
    for code in 0..=255u8 {
        let outcome = Outcome::Exited(code);
        assert_eq!(outcome.exit_code(), code);
        assert!(outcome.started());
        assert_eq!(outcome.success(), code == 0);
    }
}

#[test]
fn a_signal_reads_as_128_plus_n_and_never_as_success() {
    for signal in 1..=64 {
        let outcome = Outcome::Signaled(signal);
        assert_eq!(i32::from(outcome.exit_code()), 128 + signal);
        assert!(!outcome.success());
        assert!(outcome.started());
    }
    assert_eq!(Outcome::Signaled(2).status(), Status::Interrupted);
    assert_eq!(Outcome::Signaled(15).status(), Status::Terminated);
    assert_eq!(Outcome::Signaled(9).status(), Status::UnknownFailure);
    // Out-of-range numbers clamp instead of wrapping around to a success code.
    assert_eq!(Outcome::Signaled(0).exit_code(), 129);
    assert_eq!(Outcome::Signaled(500).exit_code(), 255);
}

#[test]
fn start_failures_use_shell_codes_and_their_own_status() {
    let not_found = Outcome::StartFailed(StartFailure::NotFound);
    let not_executable = Outcome::StartFailed(StartFailure::NotExecutable);
    assert_eq!(not_found.exit_code(), 127);
    assert_eq!(not_executable.exit_code(), 126);
    for outcome in [not_found, not_executable] {
        assert_eq!(outcome.status(), Status::StartFailed);
        assert!(!outcome.started());
        assert!(!outcome.success());
    }
}

#[test]
fn outcomes_describe_themselves() {
    assert_eq!(Outcome::Exited(3).to_string(), "exit status 3");
    assert_eq!(
        Outcome::Signaled(15).to_string(),
        "killed by signal 15 (SIGTERM)"
    );
    assert_eq!(Outcome::Signaled(40).to_string(), "killed by signal 40");
    assert_eq!(
        Outcome::StartFailed(StartFailure::NotExecutable).to_string(),
        "not executable"
    );
    assert_eq!(signal_name(3), Some("SIGQUIT"));
    assert_eq!(signal_name(64), None);
}

#[cfg(feature = "serde")]
#[test]
fn serde_uses_snake_case_names() {
    assert_eq!(
        serde_json::to_string(&Status::WrongPassword).unwrap(),
        "\"wrong_password\""
    );
    assert_eq!(
        serde_json::to_string(&Outcome::StartFailed(StartFailure::NotFound)).unwrap(),
        "{\"start_failed\":\"not_found\"}"
    );
}

mod run_result {
    use keld_status::{Outcome, RunFacts, RunResult};

    fn facts(exit_code: u8, restic: Option<Outcome>) -> RunFacts {
        RunFacts {
            exit_code,
            restic,
            ..RunFacts::default()
        }
    }

    #[test]
    fn the_first_rule_that_applies_wins() {
        let ok = facts(0, Some(Outcome::Exited(0)));
        assert_eq!(RunResult::of(&ok), RunResult::Success);
        // A signal beats everything, even a clean exit.
        let signalled = RunFacts {
            signal: Some(15),
            ..ok
        };
        assert_eq!(RunResult::of(&signalled), RunResult::Interrupted);
        let skipped = RunFacts {
            skipped: true,
            ..facts(0, None)
        };
        assert_eq!(RunResult::of(&skipped), RunResult::Skipped);
        // A command that did not need restic's success (no restic): success.
        assert_eq!(RunResult::of(&facts(0, None)), RunResult::Success);
        // keld's own failure before restic.
        assert_eq!(RunResult::of(&facts(1, None)), RunResult::Failed);
        assert_eq!(RunResult::of(&facts(127, None)), RunResult::Failed);
    }

    #[test]
    fn exit_3_and_listed_codes_are_warnings_unless_a_hook_failed() {
        assert_eq!(
            RunResult::of(&facts(3, Some(Outcome::Exited(3)))),
            RunResult::Warning
        );
        let listed = RunFacts {
            listed_success_code: true,
            ..facts(0, Some(Outcome::Exited(3)))
        };
        assert_eq!(RunResult::of(&listed), RunResult::Warning);
        let other_listed = RunFacts {
            listed_success_code: true,
            ..facts(0, Some(Outcome::Exited(12)))
        };
        assert_eq!(RunResult::of(&other_listed), RunResult::Warning);
        let hook_failed = RunFacts {
            hook_failed: true,
            ..facts(1, Some(Outcome::Exited(3)))
        };
        assert_eq!(RunResult::of(&hook_failed), RunResult::Failed);
        // restic exited 0 but a post-hook failed: keld exits 1, failed.
        let post_failed = RunFacts {
            hook_failed: true,
            ..facts(1, Some(Outcome::Exited(0)))
        };
        assert_eq!(RunResult::of(&post_failed), RunResult::Failed);
        // A signal-killed restic is never mapped.
        assert_eq!(
            RunResult::of(&facts(143, Some(Outcome::Signaled(15)))),
            RunResult::Failed
        );
    }

    #[test]
    fn names_round_trip() {
        for result in RunResult::ALL {
            assert_eq!(result.as_str().parse::<RunResult>(), Ok(result));
        }
        assert!("ok".parse::<RunResult>().is_err());
        assert!(RunResult::Warning.is_success());
        assert!(!RunResult::Skipped.is_success());
    }
}
