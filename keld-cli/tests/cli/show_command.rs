//! Snapshots of every `--show-command` form (plain, `--verbose`, `--json`,
//! `--json --verbose`) for several kinds of preset, run through the real `keld` binary
//! in a hermetic environment. Temporary paths read `[TMP]` in the snapshots.

use assert_cmd::prelude::*;
use predicates::str::contains;

use crate::support::{Sandbox, text};

/// A sandbox whose user config is `config`.
struct World {
    sandbox: Sandbox,
}

impl World {
    fn new(config: &str) -> Self {
        let sandbox = Sandbox::new();
        sandbox.write_user_config(config);
        Self { sandbox }
    }

    /// Run keld with `args`; returns stdout with the temp dir as `[TMP]`, after
    /// checking that it succeeded, wrote nothing to stderr and ran nothing.
    fn show(&self, args: &[&str]) -> String {
        let output = self.sandbox.keld(args).output().expect("keld runs");
        self.shown(&output)
    }

    fn shown(&self, output: &std::process::Output) -> String {
        let stdout = String::from_utf8(output.stdout.clone()).expect("utf-8 stdout");
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
        assert_eq!(stderr, "", "nothing on stderr");
        assert!(
            self.sandbox.log_lines().is_empty(),
            "--show-command ran restic or a hook"
        );
        self.sandbox.redact(&stdout)
    }

    /// Every form for one command line: plain, --verbose, --json, --json --verbose.
    fn snapshot_all_forms(&self, name: &str, args: &[&str]) {
        let forms: [(&str, &[&str]); 4] = [
            ("plain", &["-n"]),
            ("verbose", &["-n", "--verbose"]),
            ("json", &["-n", "--json"]),
            ("json_verbose", &["-n", "--json", "--verbose"]),
        ];
        for (form, flags) in forms {
            let mut full: Vec<&str> = flags.to_vec();
            full.extend_from_slice(args);
            let out = self.show(&full);
            if form.starts_with("json") {
                serde_json::from_str::<serde_json::Value>(&out).expect("valid JSON");
            }
            insta::assert_snapshot!(format!("{name}__{form}"), out, &full.join(" "));
        }
    }
}

#[test]
fn plain_preset() {
    let world = World::new(
        r#"
[global]
repo = "/srv/restic"
password-file = "~/.config/keld/password"

[global.backup]
exclude-caches = true
one-file-system = false

[home]
_arguments = ["~/Documents", "/etc"]
_workdir = "/srv"

[home.backup]
tag = ["home", "daily"]
exclude = """
*.tmp
node_modules
"""

[home.environ]
RESTIC_CACHE_DIR = "/var/cache/restic"
"#,
    );
    world.snapshot_all_forms("plain_preset", &["-p", "home", "backup"]);
}

#[test]
fn command_line_overrides_and_quoting() {
    let world = World::new(
        r#"
[home]
repo = "/srv/restic"
tag = ["home"]
_arguments = ["/home/me"]
"#,
    );
    world.snapshot_all_forms(
        "command_line",
        &[
            "backup",
            "--tag",
            "it's mine",
            "/home/me/My Documents",
            "/tmp/$x",
        ],
    );
}

#[test]
fn split_preset() {
    let world = World::new(
        r#"
[global]
compression = "max"

["home@"]
_arguments = ["/home"]

["home@".backup]
exclude-file = "/etc/keld/home.exclude"

["@cloud"]
repo = "s3:s3.example.com/bucket/restic"

["@cloud".environ]
AWS_DEFAULT_REGION = "eu-central-1"

["@usb"]
repo = "/media/usb/restic"
"#,
    );
    world.snapshot_all_forms("split_preset", &["-p", "home@cloud", "backup"]);
    world.snapshot_all_forms(
        "suffix_alone",
        &["-p", "@cloud", "snapshots", "--latest", "3"],
    );
}

#[test]
fn aliased_command() {
    let world = World::new(
        r#"
[home]
repo = "/srv/restic"
_arguments = ["/home/me"]

[home.nightly]
_command = "backup"
tag = ["nightly"]
_pre_hooks = ["echo nightly starts"]
"#,
    );
    world.snapshot_all_forms("aliased", &["-p", "home", "nightly"]);
}

const HOOKS: &str = r#"
[global]
repo = "/srv/restic"
_post_hooks = ["echo global post-hook"]

[db]
_arguments = ["/var/backups/db"]
_workdir = "/var/backups"
_pre_hooks = ["pg_dump app > /var/backups/db/app.sql", "test -s /var/backups/db/app.sql"]
_post_hooks = ["curl -fsS \"https://hc.example/ping/$KELD_RESTIC_STATUS\"", "rm -f /var/backups/db/app.sql"]

[db.forget]
keep-daily = 7
"#;

#[test]
fn hooks_on_backup() {
    World::new(HOOKS).snapshot_all_forms("hooks_backup", &["-p", "db", "backup"]);
}

#[test]
fn hooks_are_not_shown_as_running_for_other_commands() {
    let world = World::new(HOOKS);
    world.snapshot_all_forms("hooks_forget", &["-p", "db", "forget"]);
    let plain = world.show(&["-n", "-p", "db", "forget"]);
    assert!(!plain.contains("pre-hooks"), "{plain}");
    assert!(!plain.contains("post-hooks"), "{plain}");
}

const SECRETS: &str = r#"
[global.environ]
B2_ACCOUNT_KEY = "SECRET-MARKER-global-b2"
RESTIC_PASSWORD = "SECRET-MARKER-global-password"

[home]
repo = "b2:bucket:restic"
_arguments = ["/home/me"]

[home.environ]
B2_ACCOUNT_ID = "0012345"
B2_ACCOUNT_KEY = "SECRET-MARKER-home-b2"
RESTIC_PASSWORD_COMMAND = "pass show restic/home"
AWS_SECRET_ACCESS_KEY_COMMAND = "cat /run/keys/aws"
GITHUB_TOKEN = "SECRET-MARKER-token"
GOOGLE_APPLICATION_CREDENTIALS = "SECRET-MARKER-credentials"
my_api_key = "SECRET-MARKER-lowercase"
KELD_RESTIC_STATUS = "runtime-only"
KELD_RESTIC_EXIT_CODE = "99"

[home.backup.environ]
RESTIC_PASSWORD = "SECRET-MARKER-backup-password"
"#;

#[test]
fn secrets_are_redacted_in_every_form() {
    let world = World::new(SECRETS);
    world.snapshot_all_forms("secrets", &["-p", "home", "backup"]);
    for flags in [
        &["-n"][..],
        &["-n", "--verbose"],
        &["-n", "--json"],
        &["-n", "--json", "--verbose"],
    ] {
        let mut args = flags.to_vec();
        args.extend(["-p", "home", "backup"]);
        let out = world.show(&args);
        assert!(
            !out.contains("SECRET-MARKER"),
            "a secret leaked with {args:?}:\n{out}"
        );
        assert!(!out.contains("KELD_RESTIC_STATUS"), "{out}");
        assert!(!out.contains("KELD_RESTIC_EXIT_CODE"), "{out}");
        assert!(out.contains("<redacted>"), "{out}");
        assert!(
            out.contains("0012345"),
            "non-secret values are shown: {out}"
        );
        assert!(
            out.contains("cat /run/keys/aws"),
            "commands are shown: {out}"
        );
    }
}

const URL_PASSWORDS: &str = r#"
[global]
repo = "rest:https://backup:SECRET-MARKER-global@old.example:8000/r"

[home]
repo = "rest:https://backup:SECRET-MARKER-repo@rest.example:8000/home"
_arguments = ["/home/me"]

[home.environ]
RESTIC_REPOSITORY2 = "s3:https://id:SECRET-MARKER-env@s3.example/bucket"

[home.backup]
_post_hooks = ["curl -fsS https://hc:SECRET-MARKER-hook@hc.example/ping"]
"#;

#[test]
fn url_passwords_are_masked_in_every_form() {
    let world = World::new(URL_PASSWORDS);
    for flags in [
        &["-n"][..],
        &["-n", "--verbose"],
        &["-n", "--json"],
        &["-n", "--json", "--verbose"],
    ] {
        let mut args = flags.to_vec();
        args.extend(["-p", "home", "backup"]);
        let out = world.show(&args);
        assert!(
            !out.contains("SECRET-MARKER"),
            "a URL password leaked with {args:?}:\n{out}"
        );
        for kept in [
            "backup:<redacted>@rest.example:8000/home",
            "hc.example/ping",
            "s3.example",
        ] {
            assert!(
                out.contains(kept),
                "{kept} is still shown with {args:?}:\n{out}"
            );
        }
    }
}

#[test]
fn keld_dryrun_prints_the_same_as_show_command() {
    let world = World::new(HOOKS);
    let flag = world.show(&["-n", "-p", "db", "backup"]);
    let output = world
        .sandbox
        .keld(&["-p", "db", "backup"])
        .env("KELD_DRYRUN", "yes")
        .output()
        .expect("keld runs");
    assert_eq!(world.shown(&output), flag);
}

#[test]
fn show_command_runs_no_command_variable_and_no_hook() {
    let sandbox = Sandbox::new();
    let marker = sandbox.path("marker");
    sandbox.write_user_config(&format!(
        "[home]\nrepo = \"/srv/restic\"\n_arguments = [\"/data\"]\n\
         _pre_hooks = [\"touch '{m}.pre'\"]\n_post_hooks = [\"touch '{m}.post'\"]\n\n\
         [home.environ]\nTOKEN_COMMAND = \"touch '{m}.env'; echo x\"\n",
        m = marker.display()
    ));
    sandbox
        .keld(&["-n", "backup"])
        .assert()
        .code(0)
        .stdout(contains("TOKEN=$(touch"));
    for suffix in ["pre", "post", "env"] {
        assert!(
            !sandbox.path(&format!("marker.{suffix}")).exists(),
            "--show-command ran the {suffix} command"
        );
    }
    assert!(sandbox.restic_runs().is_empty());
}
