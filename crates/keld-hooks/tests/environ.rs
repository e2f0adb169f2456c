//! `NAME_COMMAND` variables with real `sh`, seen through a stand-in restic that
//! writes the environment it received.

use std::ffi::OsString;
use std::fs;

use keld_hooks::{EnvCommandError, EnvEntry, EnvSource, OUTPUT_LIMIT, RunError};
use keld_status::Outcome;

mod support;
use support::{RunOptions, run};

/// A temp dir holding a restic that writes its environment (NUL-separated) to `env`.
struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> Self {
        let dir = support::with_fake_restic("#!/bin/sh\nenv -0 > \"$ENV_OUT\"\n");
        Self { dir }
    }

    fn options(&self, environ: Vec<EnvEntry>) -> RunOptions {
        RunOptions {
            program: Some(self.dir.path().join("restic").into()),
            args: vec!["snapshots".into()],
            base_env: vec![
                ("PATH".into(), "/usr/bin:/bin".into()),
                ("KEEP".into(), "from keld".into()),
                ("ENV_OUT".into(), self.dir.path().join("env").into()),
            ],
            environ,
            command: "snapshots".into(),
            ..RunOptions::default()
        }
    }

    /// The value restic saw for `name`.
    fn seen(&self, name: &str) -> Option<OsString> {
        use std::os::unix::ffi::OsStrExt;
        let bytes = fs::read(self.dir.path().join("env")).ok()?;
        bytes.split(|&byte| byte == 0).find_map(|entry| {
            let rest = entry.strip_prefix(name.as_bytes())?.strip_prefix(b"=")?;
            Some(std::ffi::OsStr::from_bytes(rest).to_owned())
        })
    }
}

fn literal(name: &str, value: &str) -> EnvEntry {
    EnvEntry {
        name: name.into(),
        source: EnvSource::Literal(value.into()),
    }
}

fn command(name: &str, script: &str) -> EnvEntry {
    EnvEntry {
        name: name.into(),
        source: EnvSource::Command(script.into()),
    }
}

fn env_error(world: &World, environ: Vec<EnvEntry>) -> EnvCommandError {
    match run(&world.options(environ), &mut |_| {}) {
        Err(RunError::EnvCommand(error)) => error,
        other => panic!("expected a _COMMAND failure, got {other:?}"),
    }
}

#[test]
fn commands_see_literals_and_earlier_commands_in_name_order() {
    let world = World::new();
    let environ = vec![
        command("B", r#"printf '%s+b\n' "$A""#),
        command("A", r#"printf '%s+a\n\n' "$LIT""#),
        literal("LIT", "lit"),
    ];
    assert_eq!(
        run(&world.options(environ), &mut |_| {}).unwrap().exit_code,
        0
    );
    // Only one trailing newline is removed.
    assert_eq!(world.seen("A").unwrap(), "lit+a\n");
    assert_eq!(world.seen("B").unwrap(), "lit+a\n+b");
    assert_eq!(world.seen("LIT").unwrap(), "lit");
    assert_eq!(world.seen("KEEP").unwrap(), "from keld");
    assert!(world.seen("A_COMMAND").is_none());
}

#[test]
fn a_config_value_replaces_keld_environment() {
    let world = World::new();
    run(
        &world.options(vec![literal("KEEP", "from config")]),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(world.seen("KEEP").unwrap(), "from config");
}

#[test]
fn failure_names_variable_status_and_stderr_but_not_stdout() {
    let world = World::new();
    let error = env_error(
        &world,
        vec![command(
            "RESTIC_REPOSITORY",
            "echo s3cret-value; echo 'vault is sealed' >&2; exit 3",
        )],
    );
    assert_eq!(error.name(), "RESTIC_REPOSITORY");
    assert!(matches!(
        &error,
        EnvCommandError::Failed { outcome: Outcome::Exited(3), stderr, .. } if stderr == "vault is sealed"
    ));
    let message = error.to_string();
    assert_eq!(
        message,
        "RESTIC_REPOSITORY_COMMAND failed: exit status 3; stderr: vault is sealed"
    );
    assert!(!message.contains("s3cret"));
    assert!(world.seen("KEEP").is_none(), "restic did not run");
}

#[test]
fn long_stderr_is_truncated() {
    let world = World::new();
    let error = env_error(
        &world,
        vec![command(
            "X",
            "head -c 100000 /dev/zero | tr '\\0' e >&2; exit 1",
        )],
    );
    let EnvCommandError::Failed { stderr, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(stderr.len() < 2100, "{}", stderr.len());
    assert!(stderr.ends_with('…'));
}

#[test]
fn a_killed_command_is_a_failure() {
    let world = World::new();
    let error = env_error(&world, vec![command("X", "kill -TERM $$")]);
    assert!(matches!(
        error,
        EnvCommandError::Failed {
            outcome: Outcome::Signaled(15),
            ..
        }
    ));
    assert!(error.to_string().contains("killed by signal 15"), "{error}");
}

#[test]
fn output_over_the_limit_is_an_error_and_at_the_limit_is_accepted() {
    let world = World::new();
    let error = env_error(&world, vec![command("BIG", "yes")]);
    assert_eq!(
        error.to_string(),
        format!("BIG_COMMAND printed more than {OUTPUT_LIMIT} bytes; it was stopped")
    );
    // A value that big cannot be passed to restic on Linux (one variable holds at most
    // 128 KiB), which keld says before anything else runs; a smaller one passes.
    let script = format!("head -c {} /dev/zero | tr '\\0' x", OUTPUT_LIMIT + 1);
    assert!(run(&world.options(vec![command("BIG", &script)]), &mut |_| {}).is_err());
    let script = "head -c 100000 /dev/zero | tr '\\0' x";
    run(&world.options(vec![command("BIG", script)]), &mut |_| {}).unwrap();
    assert_eq!(world.seen("BIG").unwrap().len(), 100_000);
}

#[test]
fn a_listing_asks_a_failing_command_once_and_remembers_the_failure() {
    let world = World::new();
    let counter = world.dir.path().join("asked");
    let script = format!("echo x >> '{}'; exit 3", counter.display());
    let (invocation, host) = world
        .options(vec![command("TOKEN_COMMAND", &script)])
        .invocation();
    let lister = keld_hooks::Lister::new(host, true);
    for _ in 0..2 {
        match lister.capture(&invocation, &[]) {
            Err(keld_hooks::ListingError::Environment(message)) => {
                assert!(message.contains("TOKEN_COMMAND"), "{message}");
            }
            other => panic!("expected an environment error, got {other:?}"),
        }
    }
    let asked = fs::read_to_string(&counter).unwrap();
    assert_eq!(
        asked.lines().count(),
        1,
        "the command ran once for both listings"
    );
    assert!(world.seen("PATH").is_none(), "restic never started");
}

#[test]
fn a_listing_too_large_for_execve_once_its_commands_ran_is_refused_before_restic_starts() {
    let world = World::new();
    let arg_max = nix::unistd::sysconf(nix::unistd::SysconfVar::ARG_MAX)
        .unwrap()
        .map_or(2 * 1024 * 1024, |max| usize::try_from(max).unwrap());
    // Literal values filling all but 60 KB of ARG_MAX, which the command's 120 KB
    // value (each value alone is fine) then passes.
    let mut environ = Vec::new();
    let mut left = arg_max - 60_000;
    while left > 0 {
        let size = left.min(100_000);
        environ.push(literal(
            &format!("BIG{:03}", environ.len()),
            &"v".repeat(size),
        ));
        left -= size;
    }
    environ.push(command(
        "LAST_COMMAND",
        "head -c 120000 /dev/zero | tr '\\0' w",
    ));
    let (invocation, host) = world.options(environ).invocation();
    let lister = keld_hooks::Lister::new(host, true);
    match lister.capture(&invocation, &[]) {
        Err(keld_hooks::ListingError::Prepare(error)) => {
            let message = error.to_string();
            assert!(
                message.contains("LAST"),
                "names the largest parts: {message}"
            );
            assert!(!message.contains("wwww"), "never the values: {message}");
        }
        other => panic!("expected a prepare error, got {other:?}"),
    }
    assert!(world.seen("PATH").is_none(), "restic never started");
}
