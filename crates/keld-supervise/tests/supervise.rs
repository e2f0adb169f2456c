//! Real child processes through the supervisor: exit codes, signals, start failures.

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use keld_status::{Outcome, StartFailure};
use keld_supervise::{ChildCommand, NotFound, RunError, Supervisor, find_program};

fn base_env() -> Vec<(OsString, OsString)> {
    vec![("PATH".into(), "/usr/bin:/bin".into())]
}

fn shell(script: &str) -> ChildCommand {
    let mut command = ChildCommand::shell(script);
    command.env = base_env();
    command
}

fn write_script(path: &Path, text: &str, mode: u32) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn every_exit_code_passes_through() {
    let supervisor = Supervisor::install().unwrap();
    for code in 0..=255u8 {
        let outcome = supervisor.run(&shell(&format!("exit {code}"))).unwrap();
        assert_eq!(outcome, Outcome::Exited(code));
        assert_eq!(outcome.exit_code(), code);
    }
}

#[test]
fn death_by_signal_reads_as_128_plus_n() {
    let supervisor = Supervisor::install().unwrap();
    for (name, number) in [
        ("HUP", 1),
        ("INT", 2),
        ("QUIT", 3),
        ("KILL", 9),
        ("TERM", 15),
    ] {
        let outcome = supervisor.run(&shell(&format!("kill -{name} $$"))).unwrap();
        assert_eq!(outcome, Outcome::Signaled(number), "SIG{name}");
        assert_eq!(outcome.exit_code(), 128 + number as u8);
        assert!(!outcome.success());
    }
}

#[test]
fn child_gets_exactly_the_given_environment_and_workdir() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut command =
        shell(r#"printf '%s|%s|%s' "$KELD_SPECIAL" "$(pwd)" "${HOME-unset}" > "$OUT""#);
    command
        .env
        .push(("KELD_SPECIAL".into(), "value with spaces".into()));
    command.env.push(("OUT".into(), out.clone().into()));
    command.workdir = Some(dir.path().to_owned());
    let outcome = Supervisor::install().unwrap().run(&command).unwrap();
    assert_eq!(outcome, Outcome::Exited(0));
    let workdir = dir.path().canonicalize().unwrap();
    assert_eq!(
        fs::read_to_string(out).unwrap(),
        format!("value with spaces|{}|unset", workdir.display())
    );
}

#[test]
fn bare_name_not_in_path_is_not_found_naming_the_directories() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![(
        "PATH".into(),
        OsString::from(format!("{}:/nonexistent", dir.path().display())),
    )];
    let error = find_program("restic".as_ref(), &env, dir.path()).unwrap_err();
    assert_eq!(error.exit_code(), 127);
    let message = error.to_string();
    assert!(message.starts_with("no \"restic\" in PATH"), "{message}");
    assert!(
        message.contains(&dir.path().display().to_string()),
        "{message}"
    );
    assert!(message.contains("/nonexistent"), "{message}");
}

#[test]
fn missing_path_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let error = find_program("bin/restic".as_ref(), &[], dir.path()).unwrap_err();
    assert_eq!(
        error,
        NotFound::Path {
            path: dir.path().join("bin/restic")
        }
    );
}

#[test]
fn an_empty_name_is_never_found() {
    let dir = tempfile::tempdir().unwrap();
    write_script(&dir.path().join("x"), "#!/bin/sh\nexit 0\n", 0o755);
    let env = vec![("PATH".into(), dir.path().as_os_str().to_owned())];
    assert!(matches!(
        find_program("".as_ref(), &env, Path::new("/")),
        Err(NotFound::Search { .. })
    ));
}

#[test]
fn an_executable_later_in_path_beats_a_plain_file_earlier() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    write_script(&first.path().join("restic"), "#!/bin/sh\n", 0o644);
    write_script(&second.path().join("restic"), "#!/bin/sh\n", 0o755);
    let path = std::env::join_paths([first.path(), second.path()]).unwrap();
    let env = vec![("PATH".into(), path)];
    assert_eq!(
        find_program("restic".as_ref(), &env, Path::new("/")).unwrap(),
        second.path().join("restic")
    );
}

fn start_failure(program: &Path) -> keld_supervise::StartError {
    let mut command = ChildCommand::new(program, ["backup"]);
    command.env = base_env();
    start_error_of(&command)
}

fn start_error_of(command: &ChildCommand) -> keld_supervise::StartError {
    match Supervisor::install().unwrap().run(command) {
        Err(RunError::Start(error)) => error,
        other => panic!("expected a start failure, got {other:?}"),
    }
}

#[test]
fn not_executable_is_126_not_127() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("restic");
    write_script(&program, "#!/bin/sh\nexit 0\n", 0o644);
    // Found (only a non-executable candidate), so lookup succeeds and starting fails.
    let env = vec![("PATH".into(), dir.path().as_os_str().to_owned())];
    assert_eq!(
        find_program("restic".as_ref(), &env, Path::new("/")).unwrap(),
        program
    );
    let error = start_failure(&program);
    assert_eq!(error.failure, StartFailure::NotExecutable);
    assert_eq!(error.outcome().exit_code(), 126);
}

#[test]
fn missing_interpreter_and_bad_format_are_126() {
    let dir = tempfile::tempdir().unwrap();
    let bad_interpreter = dir.path().join("restic");
    write_script(
        &bad_interpreter,
        "#!/definitely/missing/interpreter\n",
        0o755,
    );
    let error = start_failure(&bad_interpreter);
    assert_eq!(error.failure, StartFailure::NotExecutable);
    assert!(
        error
            .to_string()
            .ends_with(": the interpreter named on its #! line does not exist"),
        "{error}"
    );

    let bad_format = dir.path().join("garbage");
    // An ELF header for another machine (s390, big-endian), as a mis-downloaded binary.
    let mut header = vec![0x7f, b'E', b'L', b'F', 2, 2, 1, 0];
    header.resize(18, 0);
    header.extend_from_slice(&[0, 22]);
    header.resize(64, 0);
    fs::write(&bad_format, header).unwrap();
    fs::set_permissions(&bad_format, fs::Permissions::from_mode(0o755)).unwrap();
    let error = start_failure(&bad_format);
    assert_eq!(error.failure, StartFailure::NotExecutable);
    assert_eq!(error.outcome().exit_code(), 126);
    assert!(
        error
            .to_string()
            .starts_with(&bad_format.display().to_string())
    );
    assert!(error.to_string().contains("Exec format error"), "{error}");

    // Without `#!`, execvp(3) would hand the file to sh; keld refuses to start it.
    let no_shebang = dir.path().join("text");
    write_script(&no_shebang, "exit 0\n", 0o755);
    assert_eq!(
        start_failure(&no_shebang).failure,
        StartFailure::NotExecutable
    );
}

#[test]
fn a_native_binary_starts() {
    let supervisor = Supervisor::install().unwrap();
    let mut command = ChildCommand::new("/bin/true", Vec::<String>::new());
    command.env = base_env();
    assert_eq!(supervisor.run(&command).unwrap(), Outcome::Exited(0));
    command.program = "/bin/false".into();
    assert_eq!(supervisor.run(&command).unwrap(), Outcome::Exited(1));
}

#[test]
fn program_that_vanished_after_lookup_is_127() {
    let dir = tempfile::tempdir().unwrap();
    let error = start_failure(&dir.path().join("gone"));
    assert_eq!(error.failure, StartFailure::NotFound);
    assert_eq!(
        error.outcome(),
        Outcome::StartFailed(StartFailure::NotFound)
    );
}

#[test]
fn no_signal_is_recorded_without_one_arriving() {
    let supervisor = Supervisor::install().unwrap();
    supervisor.run(&shell("exit 0")).unwrap();
    assert_eq!(supervisor.first_caught(), None);
    assert!(supervisor.take_caught().is_empty());
}

#[test]
fn a_bare_program_name_is_found_on_the_childs_path() {
    let supervisor = Supervisor::install().unwrap();
    let mut command = ChildCommand::new("true", Vec::<String>::new());
    command.env = base_env();
    assert_eq!(supervisor.run(&command).unwrap(), Outcome::Exited(0));

    command.program = "keld-no-such-program".into();
    let error = start_error_of(&command);
    assert_eq!(error.failure, StartFailure::NotFound);
    assert!(
        error.to_string().contains("keld-no-such-program"),
        "{error}"
    );
}

/// The fields of `/proc/self/status` a child inherited from keld: blocked and ignored
/// signals survive `exec`.
fn inherited_signal_masks(supervisor: &Supervisor) -> (u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("status");
    let mut command = ChildCommand::new("/bin/cp", ["/proc/self/status"]);
    command.args.push(out.clone().into());
    command.env = base_env();
    assert_eq!(supervisor.run(&command).unwrap(), Outcome::Exited(0));
    let status = fs::read_to_string(&out).unwrap();
    let field = |name: &str| {
        let line = status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {status}"));
        u64::from_str_radix(line.trim(), 16).unwrap()
    };
    (field("SigBlk:"), field("SigIgn:"))
}

#[test]
fn the_child_starts_with_no_signal_blocked_and_sigpipe_at_its_default() {
    let supervisor = Supervisor::install().unwrap();
    let (blocked, ignored) = inherited_signal_masks(&supervisor);
    // Signals are blocked in keld while the child is created; none may stay blocked.
    assert_eq!(blocked, 0, "blocked mask {blocked:#x}");
    // Rust ignores SIGPIPE; restic must die of it like any program on a closed pipe.
    let sigpipe = 1 << (nix::libc::SIGPIPE - 1);
    assert_eq!(ignored & sigpipe, 0, "ignored mask {ignored:#x}");
    // The caught signals are not ignored either: restic can be interrupted.
    for signal in keld_supervise::CAUGHT_SIGNALS {
        assert_eq!(ignored & (1 << (signal - 1)), 0, "signal {signal} ignored");
    }
}

#[test]
fn a_missing_working_directory_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = shell("exit 0");
    command.workdir = Some(dir.path().join("gone"));
    let error = start_error_of(&command);
    assert_eq!(error.failure, StartFailure::NotExecutable);
    let message = error.to_string();
    assert!(
        message.contains("cannot change to the working directory") && message.contains("gone"),
        "{message}"
    );
}

#[test]
fn a_nul_byte_in_an_argument_is_refused_before_anything_runs() {
    let mut command = shell("exit 0");
    command.args.push("a\0b".into());
    let error = start_error_of(&command);
    assert_eq!(error.source.kind(), std::io::ErrorKind::InvalidInput);
}
