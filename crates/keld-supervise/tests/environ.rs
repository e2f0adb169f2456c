//! `NAME_COMMAND` resolution with real `sh`.

use std::ffi::OsString;

use keld_status::Outcome;
use keld_supervise::{
    EnvCommandError, EnvEntry, EnvSource, OUTPUT_LIMIT, env_lookup, resolve_environ,
    resolve_environ_with_limit,
};

fn base() -> Vec<(OsString, OsString)> {
    vec![
        ("PATH".into(), "/usr/bin:/bin".into()),
        ("KEEP".into(), "from keld".into()),
    ]
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

#[test]
fn commands_see_literals_and_earlier_commands_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    let entries = [
        command("B", r#"printf '%s+b\n' "$A""#),
        command("A", r#"printf '%s+a\n\n' "$LIT""#),
        literal("LIT", "lit"),
        command("WHERE", "pwd"),
    ];
    let env = resolve_environ(&entries, &base(), Some(dir.path())).unwrap();
    // Only one trailing newline is removed.
    assert_eq!(env_lookup(&env, "A").unwrap(), "lit+a\n");
    assert_eq!(env_lookup(&env, "B").unwrap(), "lit+a\n+b");
    assert_eq!(env_lookup(&env, "LIT").unwrap(), "lit");
    assert_eq!(env_lookup(&env, "KEEP").unwrap(), "from keld");
    assert_eq!(
        env_lookup(&env, "WHERE").unwrap(),
        dir.path().canonicalize().unwrap().as_os_str()
    );
    assert!(env_lookup(&env, "A_COMMAND").is_none());
    // One entry per name.
    assert_eq!(env.iter().filter(|(key, _)| key == "A").count(), 1);
}

#[test]
fn config_value_replaces_keld_environment() {
    let env = resolve_environ(&[literal("KEEP", "from config")], &base(), None).unwrap();
    assert_eq!(env_lookup(&env, "KEEP").unwrap(), "from config");
}

#[test]
fn failure_names_variable_status_and_stderr_but_not_stdout() {
    let entries = [command(
        "RESTIC_REPOSITORY",
        "echo s3cret-value; echo 'vault is sealed' >&2; exit 3",
    )];
    let error = resolve_environ(&entries, &base(), None).unwrap_err();
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
}

#[test]
fn long_stderr_is_truncated() {
    let entries = [command(
        "X",
        "head -c 100000 /dev/zero | tr '\\0' e >&2; exit 1",
    )];
    let error = resolve_environ(&entries, &base(), None).unwrap_err();
    let EnvCommandError::Failed { stderr, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(stderr.len() < 2100, "{}", stderr.len());
    assert!(stderr.ends_with('…'));
}

#[test]
fn killed_command_is_a_failure() {
    let error = resolve_environ(&[command("X", "kill -TERM $$")], &base(), None).unwrap_err();
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
fn output_over_the_limit_is_an_error_and_stops_the_command() {
    let error =
        resolve_environ_with_limit(&[command("BIG", "yes")], &base(), None, 4096).unwrap_err();
    assert!(matches!(
        error,
        EnvCommandError::TooLarge { limit: 4096, .. }
    ));
    assert_eq!(
        error.to_string(),
        "BIG_COMMAND printed more than 4096 bytes; it was stopped"
    );
}

#[test]
fn output_at_the_limit_is_accepted() {
    let script = format!("head -c {OUTPUT_LIMIT} /dev/zero | tr '\\0' x");
    let env = resolve_environ(&[command("BIG", &script)], &base(), None).unwrap();
    assert_eq!(env_lookup(&env, "BIG").unwrap().len(), OUTPUT_LIMIT);
    let script = format!("head -c {} /dev/zero | tr '\\0' x", OUTPUT_LIMIT + 1);
    assert!(resolve_environ(&[command("BIG", &script)], &base(), None).is_err());
}
