//! `examples/keld/config.toml` and `config_long.toml`, resolved with `--show-command`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::{Resolve, USER, clean_success, example, sandbox};

// ── examples/keld/config.toml ──

#[test]
fn short_example_defines_one_home_preset() {
    let sandbox = sandbox();
    let presets = sandbox.presets(&example("keld/config.toml"));
    assert_eq!(presets, vec![("home".to_owned(), true)]);
}

#[test]
fn short_example_backs_up_home_with_its_excludes() {
    let sandbox = sandbox();
    let config = example("keld/config.toml");
    let shown = sandbox.show(&config, "home", "backup", &[]);

    assert_eq!(shown.command(), "backup");
    assert_eq!(shown.argv()[1], "backup");
    assert_eq!(shown.value("--repo"), "/srv/backup/restic-home");
    assert_eq!(
        shown.value("--password-file"),
        sandbox.tilde(".config/keld/home.password")
    );
    assert_eq!(shown.value("--cache-dir"), sandbox.tilde(".cache/restic"));
    assert_eq!(shown.values("--tag"), ["home"]);
    assert!(shown.has("--exclude-caches") && shown.has("--one-file-system"));
    // One --exclude per line of the multi-line string, `~` expanded.
    assert_eq!(
        shown.values("--exclude"),
        [
            sandbox.tilde(".cache"),
            sandbox.tilde("Downloads"),
            "*.tmp".to_owned(),
            "node_modules".to_owned()
        ]
    );
    assert_eq!(shown.arguments(), [sandbox.home().display().to_string()]);
    assert_eq!(
        shown.argv().last(),
        Some(&sandbox.home().display().to_string())
    );
    assert!(shown.pre_hooks().is_empty() && shown.post_hooks().is_empty());
}

#[test]
fn short_example_forget_and_snapshots_get_no_backup_flags() {
    let sandbox = sandbox();
    let config = example("keld/config.toml");

    let forget = sandbox.show(&config, "home", "forget", &[]);
    assert_eq!(forget.value("--keep-daily"), "7");
    assert_eq!(forget.value("--keep-weekly"), "4");
    assert_eq!(forget.value("--keep-monthly"), "12");
    assert!(forget.has("--prune"));
    assert!(!forget.has("--exclude") && !forget.has("--tag"));

    let snapshots = sandbox.show(&config, "home", "snapshots", &[]);
    assert_eq!(
        snapshots.argv(),
        [
            "restic".to_owned(),
            "snapshots".to_owned(),
            "--cache-dir".to_owned(),
            sandbox.tilde(".cache/restic"),
            "--password-file".to_owned(),
            sandbox.tilde(".config/keld/home.password"),
            "--repo".to_owned(),
            "/srv/backup/restic-home".to_owned(),
        ]
    );
}

#[test]
fn short_example_command_line_flags_override_the_config() {
    let sandbox = sandbox();
    let shown = sandbox.show(
        &example("keld/config.toml"),
        "home",
        "backup",
        &["--tag", "manual", "/etc"],
    );
    assert_eq!(shown.values("--tag"), ["manual"]);
    assert_eq!(shown.arguments(), ["/etc"]);
}

// ── examples/keld/config_long.toml ─────────────────────────────────────────

pub(crate) fn long() -> PathBuf {
    example("keld/config_long.toml")
}

#[test]
fn long_example_defines_the_presets_its_comments_name() {
    let sandbox = sandbox();
    let presets = sandbox.presets(&long());
    let runnable: BTreeSet<&str> = presets
        .iter()
        .filter(|(_, r)| *r)
        .map(|(name, _)| name.as_str())
        .collect();
    let halves: BTreeSet<&str> = presets
        .iter()
        .filter(|(_, r)| !*r)
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(
        runnable,
        BTreeSet::from([
            "laptop",
            "home@nas",
            "home@cloud",
            "home@usb",
            "db@nas",
            "db@cloud",
            "db@usb"
        ])
    );
    assert_eq!(
        halves,
        BTreeSet::from(["home@", "db@", "@nas", "@cloud", "@usb"])
    );
}

#[test]
fn long_example_every_preset_resolves_without_warnings() {
    let sandbox = sandbox();
    let config = long();
    let presets = sandbox.presets(&config);
    assert!(presets.len() >= 10, "too few presets: {presets:?}");
    for (name, runnable) in &presets {
        // Every name works for a command that needs no paths ...
        for command in ["snapshots", "check", "forget"] {
            let shown = sandbox.show(&config, name, command, &[]);
            assert_eq!(shown.command(), command);
            assert!(
                shown.pre_hooks().is_empty(),
                "{}: hooks outside backup",
                shown.what
            );
        }
        // ... and every runnable one backs something up.
        if *runnable {
            let shown = sandbox.show(&config, name, "backup", &[]);
            assert_eq!(shown.command(), "backup");
            assert!(
                !shown.arguments().is_empty(),
                "{}: no backup paths",
                shown.what
            );
            assert!(
                !shown.values("--repo").is_empty(),
                "{}: no repository",
                shown.what
            );
        }
    }
}

#[test]
fn long_example_split_preset_applies_sections_in_documented_order() {
    let sandbox = sandbox();
    let shown = sandbox.show(&long(), "home@cloud", "backup", &[]);
    let documented = [
        "global",
        "global.backup",
        "@cloud",
        "@cloud.backup",
        "home@",
        "home@.backup",
        "home@cloud",
        "home@cloud.backup",
    ];
    // Environment sections ride along with their sections; the rest is exactly the
    // documented order, and each half's own table counts even when only its
    // sub-tables are written out (["home@".backup] makes "home@" exist).
    let sections: Vec<String> = shown
        .sections()
        .into_iter()
        .filter(|section| !section.ends_with(".environ"))
        .collect();
    assert_eq!(sections, documented);
    assert!(shown.sections().iter().any(|s| s == "@cloud.environ"));

    // The full name's own section wins over both halves.
    assert_eq!(shown.values("--tag"), ["home", "offsite"]);
    assert_eq!(
        shown.arguments(),
        [sandbox.tilde("Documents"), sandbox.tilde("Projects")]
    );
    assert_eq!(shown.value("--exclude-larger-than"), "500M");
    // From the suffix and from [global] / [global.backup].
    assert_eq!(
        shown.value("--repo"),
        "s3:s3.eu-central-003.backblazeb2.com/example-bucket/restic"
    );
    assert_eq!(shown.value("--limit-upload"), "4096");
    assert_eq!(shown.value("--option"), "s3.connections=8");
    assert_eq!(shown.value("--compression"), "auto");
    assert!(shown.has("--cleanup-cache"));
    assert_eq!(shown.value("--exclude-if-present"), ".nobackup");
    // `$$` is a literal `$`.
    assert_eq!(shown.value("--iexclude"), "$RECYCLE.BIN");
    assert_eq!(shown.values("--exclude").len(), 5);
    // Secrets come from commands that --show-command shows but never runs.
    let key_id = shown
        .env("AWS_ACCESS_KEY_ID")
        .expect("AWS_ACCESS_KEY_ID is set");
    assert_eq!(key_id["command"], "pass show backup/b2-key-id");
    assert!(shown.env("AWS_SECRET_ACCESS_KEY").is_some());
    assert!(shown.env("RESTIC_PASSWORD_COMMAND").is_some());
    assert!(shown.env("AWS_ACCESS_KEY_ID_COMMAND").is_none());
    // The healthchecks hooks from [global.backup].
    assert_eq!(shown.pre_hooks().len(), 1);
    assert!(shown.pre_hooks()[0].contains("/start"));
    assert!(shown.post_hooks()[0].contains("KELD_RESTIC_STATUS"));
}

#[test]
fn long_example_alias_runs_backup_without_global_backup_section() {
    let sandbox = sandbox();
    let shown = sandbox.show(&long(), "laptop", "nightly", &[]);
    assert_eq!(shown.command(), "backup");
    assert_eq!(shown.json["typed_command"], "nightly");
    assert_eq!(shown.argv()[1], "backup");
    let sections = shown.sections();
    assert!(
        !sections.iter().any(|s| s == "global.backup"),
        "{sections:?}"
    );
    assert!(
        sections.iter().any(|s| s == "laptop.nightly"),
        "{sections:?}"
    );
    // A whitespace-separated string of arguments.
    assert_eq!(
        shown.arguments(),
        [sandbox.tilde("Documents"), sandbox.tilde("Projects")]
    );
    // The excludes taken over by reference, whole.
    let backup = sandbox.show(&long(), "laptop", "backup", &[]);
    assert_eq!(shown.values("--exclude"), backup.values("--exclude"));
    assert_eq!(shown.values("--exclude").len(), 5);
    assert!(shown.has("--quiet") && shown.has("--exclude-caches"));
    assert!(!shown.has("--one-file-system"));
    assert_eq!(shown.values("--tag"), ["laptop", "nightly"]);
    // Backup hooks apply to an alias of backup: only its own post-hook.
    assert!(shown.pre_hooks().is_empty());
    assert_eq!(shown.post_hooks().len(), 1);
    assert!(shown.post_hooks()[0].starts_with("echo \"nightly backup of laptop"));
}

#[test]
fn long_example_multi_line_arguments_keep_spaces() {
    let sandbox = sandbox();
    let shown = sandbox.show(&long(), "laptop", "photos", &[]);
    assert_eq!(shown.command(), "backup");
    assert_eq!(
        shown.arguments(),
        [
            sandbox.tilde("Pictures/Camera Roll"),
            sandbox.tilde("Pictures/Scans")
        ]
    );
}

#[test]
fn long_example_database_preset_dumps_in_its_workdir() {
    let sandbox = sandbox();
    let shown = sandbox.show(&long(), "db@nas", "backup", &[]);
    assert_eq!(shown.workdir(), Some(sandbox.tilde("apps/notes")));
    assert_eq!(shown.arguments(), ["dumps"]);
    // `false` in ["db@".backup] switches off the `true` from [global.backup].
    assert!(!shown.has("--exclude-caches"));
    assert!(shown.has("--one-file-system"));
    // ${USER} from the environment.
    assert_eq!(
        shown.value("--repo"),
        format!("sftp:backup@nas.lan:/srv/restic/{USER}")
    );
    let pre = shown.pre_hooks();
    assert_eq!(pre.len(), 2);
    assert!(pre[0].contains("/start") && pre[1].contains("sqlite3 notes.db"));
    assert_eq!(shown.post_hooks()[0], "rm -f dumps/notes.db");
}

#[test]
fn long_example_usb_suffix_clears_hooks_but_not_the_database_dump() {
    let sandbox = sandbox();
    let home = sandbox.show(&long(), "home@usb", "backup", &[]);
    assert!(home.pre_hooks().is_empty() && home.post_hooks().is_empty());
    assert_eq!(home.value("--repo"), "/media/usb-backup/restic");
    // The prefix's section has higher priority than the suffix's `[]`.
    let db = sandbox.show(&long(), "db@usb", "backup", &[]);
    assert!(db.pre_hooks().iter().any(|hook| hook.contains("sqlite3")));
}

#[test]
fn long_example_copy_refers_to_the_nas_values() {
    let sandbox = sandbox();
    let shown = sandbox.show(&long(), "@cloud", "copy", &[]);
    assert_eq!(
        shown.value("--from-repo"),
        format!("sftp:backup@nas.lan:/srv/restic/{USER}")
    );
    assert_eq!(
        shown.value("--from-password-file"),
        sandbox.tilde(".config/keld/nas.password")
    );
    assert_eq!(
        shown.value("--repo"),
        "s3:s3.eu-central-003.backblazeb2.com/example-bucket/restic"
    );
}

#[test]
fn long_example_command_sections_and_their_environment() {
    let sandbox = sandbox();
    let forget = sandbox.show(&long(), "@nas", "forget", &[]);
    assert_eq!(forget.value("--group-by"), "host,tags");
    assert_eq!(forget.value("--keep-yearly"), "3");
    assert!(forget.has("--prune"));
    assert!(forget.env("GOGC").is_none());

    let prune = sandbox.show(&long(), "@nas", "prune", &[]);
    assert_eq!(prune.env("GOGC").expect("GOGC for prune")["value"], "20");
    assert!(prune.env("HEALTHCHECKS_URL").is_some());

    let check = sandbox.show(&long(), "@cloud", "check", &[]);
    assert_eq!(check.value("--read-data-subset"), "2%");
}

#[test]
fn long_example_names_the_missing_environment_variable() {
    let sandbox = sandbox();
    let config = long();
    let output = sandbox
        .keld(&[])
        .arg("--config")
        .arg(&config)
        .args(["--preset", "home@nas", "--show-command", "backup"])
        .env_remove("USER")
        .output()
        .expect("run keld");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains("USER"),
        "stderr does not name USER:\n{stderr}"
    );
    // A preset that does not use ${USER} is unaffected.
    let laptop = sandbox
        .keld(&[])
        .arg("--config")
        .arg(&config)
        .args(["--preset", "laptop", "--show-command", "backup"])
        .env_remove("USER")
        .output()
        .expect("run keld");
    clean_success("laptop without USER", &laptop);
}
