//! Wiring to the config: previews, restore gaps, background commands, `_COMMAND`
//! caching and the signals that end a session.

use std::ffi::OsStr;
use std::fs;

use keld_config::Source;

use super::*;

fn config(text: &str) -> Config {
    Config::from_sources([Source {
        path: "/etc/keld/config.toml".into(),
        text: text.to_owned(),
    }])
    .expect("valid config")
}

fn context(vars: &[(&str, &str)]) -> Context {
    Context::from_parts(
        vars.iter()
            .map(|(name, value)| (OsString::from(name), OsString::from(value)))
            .collect(),
        false,
        false,
        false,
        crate::context::Account::default(),
    )
}

fn resolve(config: &Config, preset: &str, command: &str, args: &[&str]) -> ResolvedConfig {
    config
        .resolve(
            &Request {
                preset: Some(preset.to_owned()),
                command: command.to_owned(),
                args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            },
            &context(&[]).env,
        )
        .expect("resolves")
}

fn choice(preset: &str, command: &str, args: &[&str]) -> Choice {
    Choice {
        command: command.to_owned(),
        preset: Some(preset.to_owned()),
        args: args.iter().map(|arg| (*arg).to_owned()).collect(),
    }
}

const TWO_PRESETS: &str = r#"
[home]
repo = "/srv/restic/home"

[home.environ]
RESTIC_PASSWORD = "hunter2-home"
AWS_SECRET_ACCESS_KEY = "aws-secret-value"
RESTIC_CACHE_DIR = "/var/cache/restic"

[home.restore]
target = "/restore/home"

[work]
repo = "/srv/restic/work"

[work.backup]
_arguments = ["/work"]
"#;

#[test]
fn restore_gaps_name_what_the_config_leaves_open() {
    let config = config(&format!(
        "{TWO_PRESETS}\n[all]\nrepo = \"/r\"\n[all.restore]\ntarget = \"/t\"\n_arguments = [\"latest\"]\n"
    ));
    assert_eq!(
        restore_gaps(&resolve(&config, "home", "restore", &[])),
        Some(Known {
            command: Some("restore".into()),
            preset: Some("home".into()),
            snapshot: None,
            target: Some("/restore/home".into()),
        })
    );
    assert_eq!(
        restore_gaps(&resolve(&config, "work", "restore", &[])),
        Some(Known {
            command: Some("restore".into()),
            preset: Some("work".into()),
            snapshot: None,
            target: None,
        })
    );
    assert_eq!(
        restore_gaps(&resolve(&config, "all", "restore", &[])),
        None,
        "snapshot and target both configured: nothing to ask"
    );
    assert_eq!(
        restore_gaps(&resolve(&config, "work", "snapshots", &[])),
        None
    );
}

#[test]
fn a_known_preset_brings_its_configured_restore_values() {
    let config = config(TWO_PRESETS);
    let env = context(&[]).env;
    let home = known_at_start(&config, None, Some("home".into()), &env);
    assert_eq!(home.target.as_deref(), Some("/restore/home"));
    assert_eq!(home.snapshot, None);
    assert_eq!(home.command, None);
    // No preset yet among two: nothing is known before the preset screen.
    let open = known_at_start(&config, Some("restore".into()), None, &env);
    assert_eq!(
        open,
        Known {
            command: Some("restore".into()),
            ..Known::default()
        }
    );
    // Another command never takes the restore values.
    let check = known_at_start(&config, Some("check".into()), Some("home".into()), &env);
    assert_eq!(check.target, None);
    // The only preset is known without --preset.
    let single = self::config(
        "[solo]\nrepo = \"/r\"\n[solo.restore]\ntarget = \"/t\"\n_arguments = [\"latest\"]\n",
    );
    let solo = known_at_start(&single, None, None, &env);
    assert_eq!(solo.snapshot.as_deref(), Some("latest"));
    assert_eq!(solo.target.as_deref(), Some("/t"));
}

#[test]
fn a_choice_becomes_the_request_typed_on_the_command_line() {
    let chosen = choice("home", "restore", &["abc", "--target", "/t"]);
    assert_eq!(
        request_for(&chosen),
        Request {
            preset: Some("home".into()),
            command: "restore".into(),
            args: vec!["abc".into(), "--target".into(), "/t".into()],
        }
    );
}

#[test]
fn the_preview_is_the_resolved_command_with_variable_names_only() {
    let ctx = context(&[("KELD_EXECUTABLE", "/opt/restic")]);
    let preview = preview_fn(Arc::new(config(TWO_PRESETS)), ctx);
    let shown = preview(&choice(
        "home",
        "restore",
        &["7324ac45", "--target", "/tmp/x", "--include", "/a"],
    ))
    .expect("resolves");
    assert_eq!(
        shown.argv,
        [
            "/opt/restic",
            "restore",
            "--repo",
            "/srv/restic/home",
            "--target",
            "/tmp/x",
            "--include",
            "/a",
            "7324ac45"
        ]
    );
    assert_eq!(
        shown.env_names,
        [
            "AWS_SECRET_ACCESS_KEY",
            "RESTIC_CACHE_DIR",
            "RESTIC_PASSWORD"
        ]
    );
    let everything = format!("{shown:?}");
    for secret in ["hunter2-home", "aws-secret-value"] {
        assert!(!everything.contains(secret), "{everything}");
    }
}

#[test]
fn the_preview_applies_the_checks_of_a_run() {
    let preview = preview_fn(Arc::new(config(TWO_PRESETS)), context(&[]));
    let error = preview(&choice("home", "backup", &[])).expect_err("no paths");
    assert!(error.contains("needs paths to back up"), "{error}");
    assert!(error.contains("help: "), "{error}");
    let ok = preview(&choice("work", "backup", &[])).expect("configured paths");
    assert_eq!(ok.argv.last().map(String::as_str), Some("/work"));
    let error = preview(&choice("bad name!", "check", &[])).expect_err("invalid preset");
    assert!(error.contains("bad name!"), "{error}");
}

fn args_of(command: &Command) -> Vec<String> {
    command
        .get_args()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect()
}

fn env_of(command: &Command, name: &str) -> Option<String> {
    command
        .get_envs()
        .find(|(key, _)| *key == OsStr::new(name))
        .and_then(|(_, value)| value)
        .map(|value| value.to_string_lossy().into_owned())
}

#[test]
fn background_commands_are_the_presets_resolved_commands() {
    let ctx = context(&[("PATH", "/usr/bin:/bin"), ("KEEP", "me")]);
    let restic_for = restic_for(Arc::new(config(TWO_PRESETS)), ctx, false);

    let snapshots = restic_for(Some("home"), "snapshots").expect("builds");
    assert_eq!(snapshots.get_program(), "/usr/bin/restic");
    assert_eq!(
        args_of(&snapshots),
        ["snapshots", "--repo", "/srv/restic/home"]
    );
    assert_eq!(
        env_of(&snapshots, "RESTIC_PASSWORD").as_deref(),
        Some("hunter2-home")
    );
    assert_eq!(env_of(&snapshots, "KEEP").as_deref(), Some("me"));

    // The restore section's target is not a flag of `ls`.
    let ls = restic_for(Some("home"), "ls").expect("builds");
    assert_eq!(args_of(&ls), ["ls", "--repo", "/srv/restic/home"]);

    let version = restic_for(None, "version").expect("builds");
    assert_eq!(args_of(&version), ["version"]);
    assert_eq!(env_of(&version, "RESTIC_PASSWORD"), None);

    let error = restic_for(Some("bad name!"), "snapshots").expect_err("invalid preset");
    assert!(error.contains("bad name!"), "{error}");
}

#[test]
fn a_missing_restic_is_a_message() {
    let ctx = context(&[("KELD_EXECUTABLE", "/nonexistent/restic")]);
    let restic_for = restic_for(Arc::new(config(TWO_PRESETS)), ctx, false);
    let error = restic_for(Some("home"), "snapshots").expect_err("not found");
    assert!(error.contains("/nonexistent/restic"), "{error}");
}

/// A config whose password comes from a `_COMMAND` that counts its runs in `marker`.
fn counting_config(marker: &Path) -> Config {
    config(&format!(
        "[home]\nrepo = \"/srv/restic\"\n\n[home.environ]\n\
         RESTIC_CACHE_DIR = \"/var/cache/restic\"\n\
         TOKEN_COMMAND = \"echo run >> '{}'; echo from-the-command\"\n",
        marker.display()
    ))
}

#[test]
fn command_variables_run_once_per_session() {
    let dir = tempfile::tempdir().expect("temp dir");
    let marker = dir.path().join("runs");
    let ctx = context(&[("PATH", "/usr/bin:/bin")]);
    let restic_for = restic_for(Arc::new(counting_config(&marker)), ctx, false);
    for command in ["snapshots", "ls", "snapshots"] {
        let built = restic_for(Some("home"), command).expect("builds");
        assert_eq!(env_of(&built, "TOKEN").as_deref(), Some("from-the-command"));
        assert_eq!(env_of(&built, "TOKEN_COMMAND"), None);
    }
    assert_eq!(fs::read_to_string(&marker).expect("ran"), "run\n");
}

#[test]
fn show_command_runs_no_command_variable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let marker = dir.path().join("runs");
    let ctx = context(&[("PATH", "/usr/bin:/bin")]);
    let restic_for = restic_for(Arc::new(counting_config(&marker)), ctx, true);
    let built = restic_for(Some("home"), "snapshots").expect("builds");
    assert_eq!(env_of(&built, "TOKEN"), None);
    assert_eq!(
        env_of(&built, "RESTIC_CACHE_DIR").as_deref(),
        Some("/var/cache/restic"),
        "literal values are still set"
    );
    assert!(!marker.exists(), "no _COMMAND ran");
}

#[test]
fn a_failing_command_variable_is_remembered_not_rerun() {
    let dir = tempfile::tempdir().expect("temp dir");
    let marker = dir.path().join("runs");
    let config = config(&format!(
        "[home]\nrepo = \"/srv/restic\"\n\n[home.environ]\n\
         TOKEN_COMMAND = \"echo run >> '{}'; echo vault is sealed >&2; exit 3\"\n",
        marker.display()
    ));
    let ctx = context(&[("PATH", "/usr/bin:/bin")]);
    let restic_for = restic_for(Arc::new(config), ctx, false);
    for _ in 0..2 {
        let error = restic_for(Some("home"), "snapshots").expect_err("fails");
        assert!(error.contains("TOKEN_COMMAND failed"), "{error}");
        assert!(error.contains("vault is sealed"), "{error}");
    }
    assert_eq!(fs::read_to_string(&marker).expect("ran"), "run\n");
}

#[test]
fn a_signal_stops_the_session_and_sets_the_exit_code() {
    let signals = Signals::register().expect("register");
    assert_eq!(signals.exit_code(), None);
    assert!(!signals.stop.load(Ordering::SeqCst));
    signal_hook::low_level::raise(signal_hook::consts::SIGHUP).expect("raise");
    assert!(signals.stop.load(Ordering::SeqCst));
    assert_eq!(signals.exit_code(), Some(129));
}
