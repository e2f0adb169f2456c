//! Wiring to the config: previews, restore gaps, background commands, `_COMMAND`
//! caching and the signals that end a session.

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use keld_config::Source;

use super::*;

fn config(text: &str) -> Config {
    Config::from_sources([Source {
        path: "/etc/keld/config.toml".into(),
        text: text.to_owned(),
    }])
    .expect("valid config")
}

fn host(vars: &[(&str, &str)]) -> Host {
    Host {
        env: vars
            .iter()
            .map(|(name, value)| (OsString::from(name), OsString::from(value)))
            .collect(),
        cwd: PathBuf::from("/"),
        home: None,
    }
}

fn session(config: Config, host: Host, show_command: bool) -> SessionContext {
    SessionContext {
        config: Arc::new(config),
        env: Environment::default(),
        host,
        show_command,
    }
}

fn resolve(config: &Config, preset: &str, command: &str, args: &[&str]) -> ResolvedConfig {
    config
        .resolve(
            &Request {
                preset: Some(preset.to_owned()),
                command: command.to_owned(),
                args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            },
            &Environment::default(),
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
    let env = Environment::default();
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
fn backup_paths_in_a_preset_or_prefix_section_are_no_snapshot() {
    // The layout docs/configuration.md shows: the paths in the prefix section.
    let config = config(
        "[\"data@\"]\n_arguments = [\"/srv/data\"]\n[\"@local\"]\nrepo = \"/r\"\n\
         [plain]\nrepo = \"/r\"\n_arguments = [\"/home\"]\n",
    );
    let env = Environment::default();
    for preset in ["data@local", "plain"] {
        let known = known_at_start(&config, Some("restore".into()), Some(preset.into()), &env);
        assert_eq!(known.snapshot, None, "{preset}: the snapshot is asked for");
        assert_eq!(
            restore_gaps(&resolve(&config, preset, "restore", &[])).map(|known| known.snapshot),
            Some(None),
            "{preset}"
        );
    }
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
    let preview = preview_fn(session(
        config(TWO_PRESETS),
        host(&[("KELD_EXECUTABLE", "/opt/restic")]),
        false,
    ));
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

/// The confirmation shows the command as `--show-command` does: a password in the
/// repository URL is redacted, never shown.
#[test]
fn the_preview_redacts_secrets_in_arguments() {
    let text = r#"
[cloud]
repo = "rest:https://ann:url-pass-123@backup.example/repo"
"#;
    let preview = preview_fn(session(
        config(text),
        host(&[("KELD_EXECUTABLE", "/opt/restic")]),
        false,
    ));
    let shown = preview(&choice("cloud", "snapshots", &[])).expect("resolves");
    let everything = format!("{shown:?}");
    assert!(!everything.contains("url-pass-123"), "{everything}");
    let line = shown.argv.join(" ");
    assert!(line.contains("rest:https://ann:"), "{line}");
    assert!(line.contains("@backup.example/repo"), "{line}");
}

#[test]
fn the_preview_applies_the_checks_of_a_run() {
    let preview = preview_fn(session(config(TWO_PRESETS), host(&[]), false));
    let error = preview(&choice("home", "backup", &[])).expect_err("no paths");
    assert!(error.contains("needs paths to back up"), "{error}");
    assert!(error.contains("help: "), "{error}");
    let ok = preview(&choice("work", "backup", &[])).expect("configured paths");
    assert_eq!(ok.argv.last().map(String::as_str), Some("/work"));
    let error = preview(&choice("bad name!", "check", &[])).expect_err("invalid preset");
    assert!(error.contains("bad name!"), "{error}");
}

/// A directory with a restic stand-in that writes its arguments, one per line, and
/// its environment (NUL-separated) next to itself, then prints `[]`.
struct FakeRestic {
    dir: tempfile::TempDir,
}

impl FakeRestic {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let restic = dir.path().join("restic");
        fs::write(
            &restic,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{0}/args'\nenv -0 > '{0}/env'\necho '[]'\n",
                dir.path().display()
            ),
        )
        .expect("write");
        fs::set_permissions(&restic, fs::Permissions::from_mode(0o755)).expect("chmod");
        Self { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("restic")
    }

    fn host(&self) -> Host {
        Host {
            env: vec![
                ("PATH".into(), "/usr/bin:/bin".into()),
                ("KEEP".into(), "me".into()),
                ("KELD_EXECUTABLE".into(), self.path().into()),
            ],
            cwd: PathBuf::from("/"),
            home: None,
        }
    }

    fn args(&self) -> Vec<String> {
        fs::read_to_string(self.dir.path().join("args"))
            .expect("restic ran")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn env(&self, name: &str) -> Option<String> {
        let bytes = fs::read(self.dir.path().join("env")).expect("restic ran");
        bytes.split(|&byte| byte == 0).find_map(|entry| {
            let entry = String::from_utf8_lossy(entry);
            entry.strip_prefix(&format!("{name}=")).map(str::to_owned)
        })
    }
}

#[test]
fn background_commands_are_the_presets_resolved_commands() {
    let fake = FakeRestic::new();
    let restic = ConfigRestic::new(
        Arc::new(config(TWO_PRESETS)),
        Environment::default(),
        fake.host(),
        true,
    );

    restic
        .output(Some("home"), "snapshots", &["--json"])
        .expect("runs");
    assert_eq!(
        fake.args(),
        ["snapshots", "--repo", "/srv/restic/home", "--json"]
    );
    assert_eq!(fake.env("RESTIC_PASSWORD").as_deref(), Some("hunter2-home"));
    assert_eq!(fake.env("KEEP").as_deref(), Some("me"));

    // The restore section's target is not a flag of `ls`.
    restic
        .output(Some("home"), "ls", &["--json", "abc"])
        .expect("runs");
    assert_eq!(
        fake.args(),
        ["ls", "--repo", "/srv/restic/home", "--json", "abc"]
    );

    restic.output(None, "version", &[]).expect("runs");
    assert_eq!(fake.args(), ["version"]);
    assert_eq!(fake.env("RESTIC_PASSWORD"), None);

    let error = restic
        .output(Some("bad name!"), "snapshots", &[])
        .expect_err("invalid preset");
    assert!(error.contains("bad name!"), "{error}");
}

#[test]
fn configured_arguments_are_never_snapshot_ids() {
    let fake = FakeRestic::new();
    let config = config("[\"home@\"]\n_arguments = [\"/home\"]\n[\"@nas\"]\nrepo = \"/srv/nas\"\n");
    let restic = ConfigRestic::new(Arc::new(config), Environment::default(), fake.host(), true);
    restic
        .output(Some("home@nas"), "snapshots", &["--json"])
        .expect("runs");
    assert_eq!(fake.args(), ["snapshots", "--repo", "/srv/nas", "--json"]);
}

#[test]
fn a_missing_restic_is_a_message() {
    let restic = ConfigRestic::new(
        Arc::new(config(TWO_PRESETS)),
        Environment::default(),
        host(&[("KELD_EXECUTABLE", "/nonexistent/restic")]),
        true,
    );
    let error = restic
        .output(Some("home"), "snapshots", &[])
        .expect_err("not found");
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
    let fake = FakeRestic::new();
    let marker = fake.dir.path().join("runs");
    let restic = ConfigRestic::new(
        Arc::new(counting_config(&marker)),
        Environment::default(),
        fake.host(),
        true,
    );
    for command in ["snapshots", "ls", "snapshots"] {
        restic.output(Some("home"), command, &[]).expect("runs");
        assert_eq!(fake.env("TOKEN").as_deref(), Some("from-the-command"));
        assert_eq!(fake.env("TOKEN_COMMAND"), None);
    }
    assert_eq!(fs::read_to_string(&marker).expect("ran"), "run\n");
}

#[test]
fn show_command_runs_no_command_variable() {
    let fake = FakeRestic::new();
    let marker = fake.dir.path().join("runs");
    let restic = ConfigRestic::new(
        Arc::new(counting_config(&marker)),
        Environment::default(),
        fake.host(),
        false,
    );
    restic.output(Some("home"), "snapshots", &[]).expect("runs");
    assert_eq!(fake.env("TOKEN"), None);
    assert_eq!(
        fake.env("RESTIC_CACHE_DIR").as_deref(),
        Some("/var/cache/restic"),
        "literal values are still set"
    );
    assert!(!marker.exists(), "no _COMMAND ran");
}

#[test]
fn a_failing_command_variable_is_remembered_not_rerun() {
    let fake = FakeRestic::new();
    let marker = fake.dir.path().join("runs");
    let config = config(&format!(
        "[home]\nrepo = \"/srv/restic\"\n\n[home.environ]\n\
         TOKEN_COMMAND = \"echo run >> '{}'; echo vault is sealed >&2; exit 3\"\n",
        marker.display()
    ));
    let restic = ConfigRestic::new(Arc::new(config), Environment::default(), fake.host(), true);
    for _ in 0..2 {
        let error = restic
            .output(Some("home"), "snapshots", &[])
            .expect_err("fails");
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

#[test]
fn presets_come_with_their_repository_and_halves_are_marked() {
    let config = config(
        "[home]\nrepo = \"/srv/restic/home\"\n\
         [cloud]\nrepo = \"rest:https://ann:s3cret@backup.example/ann\"\n\
         [env]\n[env.environ]\nRESTIC_REPOSITORY = \"/srv/from-env\"\n\
         [\"data@\"]\n_arguments = [\"/data\"]\n[\"@nas\"]\nrepo = \"/srv/nas\"\n",
    );
    let entries = preset_entries(&config, &Environment::default());
    let shown: Vec<(&str, Option<&str>, bool)> = entries
        .iter()
        .map(|entry| {
            (
                entry.name.as_str(),
                entry.repository.as_deref(),
                entry.repository_only,
            )
        })
        .collect();
    assert!(shown.contains(&("home", Some("/srv/restic/home"), false)));
    assert!(shown.contains(&("env", Some("/srv/from-env"), false)));
    assert!(shown.contains(&("data@nas", Some("/srv/nas"), false)));
    assert!(shown.contains(&("@nas", Some("/srv/nas"), true)));
    assert!(
        !shown.iter().any(|(name, _, _)| *name == "data@"),
        "a prefix alone is no preset"
    );
    let cloud = shown
        .iter()
        .find(|(name, ..)| *name == "cloud")
        .expect("cloud");
    assert!(!cloud.1.unwrap_or_default().contains("s3cret"), "{cloud:?}");
}

#[test]
fn arguments_from_a_backup_section_are_warned_about_for_other_commands() {
    let text = "[\"data@\"]\n_arguments = [\"/data\"]\n[\"@nas\"]\nrepo = \"/srv/nas\"\n\
                [\"data@nas\".forget]\n_arguments = [\"abc123\"]\n";
    let preview = preview_fn(session(config(text), host(&[]), false));
    let snapshots = preview(&choice("data@nas", "snapshots", &[])).expect("resolves");
    assert_eq!(snapshots.warnings.len(), 1, "{snapshots:?}");
    assert!(snapshots.warnings[0].contains("`_arguments` from [data@] (/data)"));
    assert!(snapshots.warnings[0].contains("[data@nas.snapshots]"));
    let backup = preview(&choice("data@nas", "backup", &[])).expect("resolves");
    assert!(backup.warnings.is_empty(), "backup is what they are for");
    let forget = preview(&choice("data@nas", "forget", &[])).expect("resolves");
    assert!(forget.warnings.is_empty(), "set for forget itself");
    let typed = preview(&choice("data@nas", "snapshots", &["latest"])).expect("resolves");
    assert!(typed.warnings.is_empty(), "typed arguments replace them");
}

#[test]
fn forgets_dry_run_keeps_only_the_ids_configured_for_forget() {
    let fake = FakeRestic::new();
    let text = "[\"data@\"]\n_arguments = [\"/data\"]\n[\"@nas\"]\nrepo = \"/srv/nas\"\n\
                [\"data@nas\".forget]\n_arguments = [\"abc123\"]\n";
    let restic = ConfigRestic::new(
        Arc::new(config(text)),
        Environment::default(),
        fake.host(),
        true,
    );
    restic
        .output(Some("data@nas"), "forget", &["--dry-run", "--json"])
        .expect("runs");
    assert_eq!(
        fake.args(),
        [
            "forget",
            "--repo",
            "/srv/nas",
            "abc123",
            "--dry-run",
            "--json"
        ]
    );
    restic
        .output(Some("data@nas"), "diff", &["--json", "a", "b"])
        .expect("runs");
    assert_eq!(
        fake.args(),
        ["diff", "--repo", "/srv/nas", "--json", "a", "b"]
    );
}

#[test]
fn many_combinations_are_offered_through_their_prefixes() {
    let mut text = String::new();
    for n in 0..40 {
        text.push_str(&format!("[\"p{n}@\"]\n_arguments = [\"/p{n}\"]\n"));
    }
    for n in 0..30 {
        text.push_str(&format!("[\"@s{n}\"]\nrepo = \"/srv/s{n}\"\n"));
    }
    let entries = preset_entries(&config(&text), &Environment::default());
    assert_eq!(entries.len(), 70, "the halves, not 1,200 combinations");
    assert!(
        entries
            .iter()
            .filter(|e| e.combines)
            .all(|e| e.name.ends_with('@'))
    );
    assert_eq!(entries.iter().filter(|e| e.combines).count(), 40);
    let few = preset_entries(
        &config("[\"a@\"]\n[\"b@\"]\n[\"@x\"]\nrepo = \"/x\"\n"),
        &Environment::default(),
    );
    let names: Vec<&str> = few.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["@x", "a@x", "b@x"],
        "few combinations are listed as they are"
    );
    assert!(few.iter().all(|e| !e.combines));
}
