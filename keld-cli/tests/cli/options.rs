//! keld's own options and the environment variables that stand for them.

use assert_cmd::prelude::*;
use predicates::str::contains;

use crate::support::{Sandbox, stdout_of};
use crate::{ONE_PRESET, TWO_PRESETS};

// ---------------------------------------------------------------- options

#[test]
fn help_lists_options_environment_and_own_commands() {
    let sandbox = Sandbox::new();
    sandbox
        .keld(&["--help"])
        .assert()
        .code(0)
        .stdout(contains("keld [OPTIONS] [COMMAND [RESTIC-ARGS...]]"))
        .stdout(contains("-p, --preset <NAME>"))
        .stdout(contains("-c, --config <FILE>"))
        .stdout(contains("-n, --show-command"))
        .stdout(contains("--json"))
        .stdout(contains("--verbose"))
        .stdout(contains("-V, --version"))
        .stdout(contains("presets"))
        .stdout(contains("completions"))
        .stdout(contains("KELD_DRYRUN"))
        .stdout(contains("KELD_NONINTERACTIVE"));
    assert!(sandbox.restic_runs().is_empty());
}

#[test]
fn short_help_is_help() {
    Sandbox::new()
        .keld(&["-h"])
        .assert()
        .code(0)
        .stdout(contains("--show-command"));
}

#[test]
fn version_prints_keld_version() {
    for flag in ["-V", "--version"] {
        Sandbox::new()
            .keld(&[flag])
            .assert()
            .code(0)
            .stdout(format!("keld {}\n", env!("CARGO_PKG_VERSION")));
    }
}

#[test]
fn unknown_option_before_command_is_a_usage_error() {
    Sandbox::new()
        .keld(&["--bogus", "snapshots"])
        .assert()
        .code(2)
        .stderr(contains("--bogus"));
}

#[test]
fn preset_without_value_is_a_usage_error() {
    Sandbox::new()
        .keld(&["--preset"])
        .assert()
        .code(2)
        .stderr(contains("--preset <NAME>"));
}

#[test]
fn json_before_command_without_show_command_is_a_usage_error() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(ONE_PRESET);
    for flag in ["--json", "--verbose"] {
        sandbox
            .keld(&[flag, "snapshots"])
            .assert()
            .code(2)
            .stderr(contains("put them after COMMAND"));
    }
    assert!(sandbox.restic_runs().is_empty());
}

#[test]
fn config_option_reads_only_that_file() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(TWO_PRESETS);
    let only = sandbox.file("only.toml", "[solo]\nrepo = \"/srv/solo\"\n");
    for flag in ["-c", "--config"] {
        let assert = sandbox
            .keld(&[flag, only.to_str().unwrap(), "-n", "snapshots"])
            .assert()
            .code(0);
        let out = stdout_of(&assert);
        assert!(out.contains("--repo /srv/solo"), "{out}");
        assert!(
            out.contains("preset: solo"),
            "one preset is the default: {out}"
        );
        assert!(!out.contains("xdg/keld/config.toml"), "{out}");
    }
}

#[test]
fn missing_config_file_is_an_error_naming_it() {
    let sandbox = Sandbox::new();
    sandbox
        .keld(&["-c", "nowhere.toml", "snapshots"])
        .assert()
        .code(1)
        .stderr(contains("nowhere.toml"))
        .stderr(contains("does not exist"));
    assert!(sandbox.restic_runs().is_empty());
}

#[test]
fn preset_option_selects_the_preset() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(TWO_PRESETS);
    for flag in ["-p", "--preset"] {
        sandbox
            .keld(&[flag, "work", "-n", "backup"])
            .assert()
            .code(0)
            .stdout(contains(
                "command: restic backup --repo /srv/restic /work\n",
            ));
    }
}

#[test]
fn unknown_preset_suggests_the_nearest() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(TWO_PRESETS);
    sandbox
        .keld(&["-p", "hom", "snapshots"])
        .assert()
        .code(1)
        .stderr(contains("unknown preset"))
        .stderr(contains("home"));
    assert!(sandbox.restic_runs().is_empty());
}

#[test]
fn show_command_runs_nothing_and_exits_zero() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(ONE_PRESET);
    for flag in ["-n", "--show-command"] {
        sandbox
            .keld(&[flag, "backup"])
            .assert()
            .code(0)
            .stdout(contains(
                "command: restic backup --repo /srv/restic /home/me",
            ));
    }
    assert!(sandbox.restic_runs().is_empty());
}

// ---------------------------------------------------------------- environment

#[test]
fn empty_keld_dryrun_does_not_count() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(ONE_PRESET);
    sandbox
        .keld(&["snapshots"])
        .env("KELD_DRYRUN", "")
        .env("FAKE_RESTIC_ECHO", "1")
        .assert()
        .code(0)
        .stdout(contains("fake restic: <snapshots>"));
    assert_eq!(
        sandbox.restic_runs(),
        [["snapshots", "--repo", "/srv/restic", "/home/me"]]
    );
}

#[test]
fn keld_config_file_is_the_only_file_read() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(TWO_PRESETS);
    let only = sandbox.file("elsewhere/keld.toml", "[solo]\nrepo = \"/srv/env\"\n");
    let assert = sandbox
        .keld(&["-n", "snapshots"])
        .env("KELD_CONFIG_FILE", &only)
        .assert()
        .code(0);
    let out = stdout_of(&assert);
    assert!(out.contains("--repo /srv/env"), "{out}");
    assert!(out.contains("elsewhere/keld.toml"), "{out}");
    assert!(!out.contains("xdg/keld"), "{out}");
}

#[test]
fn config_option_wins_over_keld_config_file() {
    let sandbox = Sandbox::new();
    let from_env = sandbox.file("env.toml", "[solo]\nrepo = \"/srv/env\"\n");
    let from_flag = sandbox.file("flag.toml", "[solo]\nrepo = \"/srv/flag\"\n");
    sandbox
        .keld(&["-c", from_flag.to_str().unwrap(), "-n", "snapshots"])
        .env("KELD_CONFIG_FILE", &from_env)
        .assert()
        .code(0)
        .stdout(contains("--repo /srv/flag"));
}

#[test]
fn keld_config_paths_adds_files_after_the_user_config() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(ONE_PRESET);
    sandbox.file("extra/a.toml", "[home]\nrepo = \"/srv/extra\"\n");
    let assert = sandbox
        .keld(&["-n", "snapshots"])
        .env("KELD_CONFIG_PATHS", sandbox.path("extra/*.toml"))
        .assert()
        .code(0);
    let out = stdout_of(&assert);
    assert!(out.contains("--repo /srv/extra"), "{out}");
    let user = out
        .find("xdg/keld/config.toml")
        .expect("user config listed");
    let extra = out.find("extra/a.toml").expect("extra listed");
    assert!(user < extra, "user config is read first: {out}");
}

#[test]
fn without_xdg_config_home_the_config_is_under_home() {
    let sandbox = Sandbox::new();
    sandbox.file(
        "home/.config/keld/config.toml",
        "[h]\nrepo = \"/srv/home\"\n",
    );
    sandbox
        .keld(&["-n", "snapshots"])
        .env_remove("XDG_CONFIG_HOME")
        .assert()
        .code(0)
        .stdout(contains("--repo /srv/home"));
}

#[test]
fn keld_executable_names_the_program_shown_and_run() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(ONE_PRESET);
    sandbox
        .keld(&["-n", "snapshots"])
        .env("KELD_EXECUTABLE", "/opt/my restic")
        .assert()
        .code(0)
        .stdout(contains(
            "command: '/opt/my restic' snapshots --repo /srv/restic /home/me\n",
        ));
    // Not on PATH any more: only KELD_EXECUTABLE can find the stand-in.
    sandbox
        .keld(&["snapshots"])
        .env("KELD_EXECUTABLE", sandbox.restic_path())
        .env("PATH", "/usr/bin:/bin")
        .env("FAKE_RESTIC_ECHO", "1")
        .assert()
        .code(0)
        .stdout(contains("fake restic: <snapshots>"));
}

// ---------------------------------------------------------------- no HOME

/// A systemd system service runs keld without `HOME`: `~` is the account's home
/// directory from the password database, not left as a literal `~`.
#[test]
fn without_home_tilde_is_the_accounts_home_directory() {
    let sandbox = Sandbox::new();
    let config = sandbox.file(
        "etc/config.toml",
        "[home]\npassword-file = \"~/restic.pw\"\n_arguments = [\"~/data\"]\n",
    );
    let account = nix::unistd::User::from_uid(nix::unistd::geteuid())
        .expect("password database")
        .expect("this user has an entry");
    let assert = sandbox
        .keld(&["-c", config.to_str().unwrap(), "-n", "backup"])
        .env_remove("HOME")
        .assert()
        .code(0);
    let out = stdout_of(&assert);
    let home = account.dir.display().to_string();
    assert!(
        out.contains(&format!("--password-file {home}/restic.pw {home}/data")),
        "{out}"
    );
    assert!(!out.contains('~'), "{out}");
}
