//! The `keld` binary from the outside: options, environment variables, subcommands,
//! errors, the non-interactive rules, exit codes and closed pipes.
//!
//! Every test runs the real binary in a cleared environment with a temporary HOME and
//! XDG_CONFIG_HOME, and PATH limited to a directory holding a fake `restic` (a shell
//! script that logs its argv and exits with `FAKE_RESTIC_EXIT`) plus /usr/bin:/bin.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Stdio;

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;

mod support;

/// A hermetic world for one test.
struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical temp dir");
        for sub in ["home", "xdg/keld", "bin"] {
            fs::create_dir_all(root.join(sub)).expect("create dir");
        }
        let log = root.join("restic.log");
        let script = format!(
            "#!/bin/sh\n\
             {{ for a in \"$@\"; do printf '%s\\n' \"$a\"; done; echo '--end--'; }} >> '{}'\n\
             printf 'fake restic:'; for a in \"$@\"; do printf ' <%s>' \"$a\"; done; printf '\\n'\n\
             exit \"${{FAKE_RESTIC_EXIT:-0}}\"\n",
            log.display()
        );
        let restic = root.join("bin/restic");
        fs::write(&restic, script).expect("write fake restic");
        fs::set_permissions(&restic, fs::Permissions::from_mode(0o755)).expect("chmod");
        Self { _dir: dir, root }
    }

    /// Write the user config (`$XDG_CONFIG_HOME/keld/config.toml`).
    fn user_config(&self, text: &str) -> PathBuf {
        self.file("xdg/keld/config.toml", text)
    }

    fn file(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.root.join(relative);
        support::write_private(&path, text);
        path
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// `keld` with a cleared, hermetic environment.
    fn keld(&self) -> Command {
        let mut cmd = Command::cargo_bin("keld").expect("keld binary");
        cmd.env_clear()
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("xdg"))
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.path("bin").display()),
            )
            .current_dir(&self.root);
        cmd
    }

    /// The argv of every fake restic run so far, one Vec per run.
    fn restic_runs(&self) -> Vec<Vec<String>> {
        let Ok(log) = fs::read_to_string(self.path("restic.log")) else {
            return Vec::new();
        };
        log.split_terminator("--end--\n")
            .map(|run| run.lines().map(str::to_owned).collect())
            .collect()
    }
}

const TWO_PRESETS: &str = r#"
[global]
repo = "/srv/restic"

[home]
_arguments = ["/home/me"]

[work]
_arguments = ["/work"]
"#;

const ONE_PRESET: &str = r#"
[home]
repo = "/srv/restic"
_arguments = ["/home/me"]
"#;

fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).expect("utf-8 stdout")
}

// ---------------------------------------------------------------- options

#[test]
fn help_lists_options_environment_and_own_commands() {
    let world = World::new();
    world
        .keld()
        .arg("--help")
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
    assert!(world.restic_runs().is_empty());
}

#[test]
fn short_help_is_help() {
    World::new()
        .keld()
        .arg("-h")
        .assert()
        .code(0)
        .stdout(contains("--show-command"));
}

#[test]
fn version_prints_keld_version() {
    for flag in ["-V", "--version"] {
        World::new()
            .keld()
            .arg(flag)
            .assert()
            .code(0)
            .stdout(format!("keld {}\n", env!("CARGO_PKG_VERSION")));
    }
}

#[test]
fn unknown_option_before_command_is_a_usage_error() {
    World::new()
        .keld()
        .args(["--bogus", "snapshots"])
        .assert()
        .code(2)
        .stderr(contains("--bogus"));
}

#[test]
fn preset_without_value_is_a_usage_error() {
    World::new()
        .keld()
        .arg("--preset")
        .assert()
        .code(2)
        .stderr(contains("--preset <NAME>"));
}

#[test]
fn json_before_command_without_show_command_is_a_usage_error() {
    let world = World::new();
    world.user_config(ONE_PRESET);
    for flag in ["--json", "--verbose"] {
        world
            .keld()
            .args([flag, "snapshots"])
            .assert()
            .code(2)
            .stderr(contains("put them after COMMAND"));
    }
    assert!(world.restic_runs().is_empty());
}

#[test]
fn config_option_reads_only_that_file() {
    let world = World::new();
    world.user_config(TWO_PRESETS);
    let only = world.file("only.toml", "[solo]\nrepo = \"/srv/solo\"\n");
    for flag in ["-c", "--config"] {
        let assert = world
            .keld()
            .args([flag, only.to_str().unwrap(), "-n", "snapshots"])
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
    let world = World::new();
    world
        .keld()
        .args(["-c", "nowhere.toml", "snapshots"])
        .assert()
        .code(1)
        .stderr(contains("nowhere.toml"))
        .stderr(contains("does not exist"));
    assert!(world.restic_runs().is_empty());
}

#[test]
fn preset_option_selects_the_preset() {
    let world = World::new();
    world.user_config(TWO_PRESETS);
    for flag in ["-p", "--preset"] {
        world
            .keld()
            .args([flag, "work", "-n", "backup"])
            .assert()
            .code(0)
            .stdout(contains(
                "command: restic backup --repo /srv/restic /work\n",
            ));
    }
}

#[test]
fn unknown_preset_suggests_the_nearest() {
    let world = World::new();
    world.user_config(TWO_PRESETS);
    world
        .keld()
        .args(["-p", "hom", "snapshots"])
        .assert()
        .code(1)
        .stderr(contains("unknown preset"))
        .stderr(contains("home"));
    assert!(world.restic_runs().is_empty());
}

#[test]
fn show_command_runs_nothing_and_exits_zero() {
    let world = World::new();
    world.user_config(ONE_PRESET);
    for flag in ["-n", "--show-command"] {
        world
            .keld()
            .args([flag, "backup"])
            .assert()
            .code(0)
            .stdout(contains(
                "command: restic backup --repo /srv/restic /home/me",
            ));
    }
    assert!(world.restic_runs().is_empty());
}

// ---------------------------------------------------------------- environment

#[test]
fn keld_dryrun_behaves_as_show_command() {
    let world = World::new();
    world.user_config(ONE_PRESET);
    world
        .keld()
        .env("KELD_DRYRUN", "1")
        .arg("backup")
        .assert()
        .code(0)
        .stdout(contains("command: restic backup"));
    assert!(world.restic_runs().is_empty());
}

#[test]
fn empty_keld_dryrun_does_not_count() {
    let world = World::new();
    world.user_config(ONE_PRESET);
    world
        .keld()
        .env("KELD_DRYRUN", "")
        .arg("snapshots")
        .assert()
        .code(0)
        .stdout(contains("fake restic: <snapshots>"));
    assert_eq!(
        world.restic_runs(),
        [["snapshots", "--repo", "/srv/restic", "/home/me"]]
    );
}

#[test]
fn keld_config_file_is_the_only_file_read() {
    let world = World::new();
    world.user_config(TWO_PRESETS);
    let only = world.file("elsewhere/keld.toml", "[solo]\nrepo = \"/srv/env\"\n");
    let assert = world
        .keld()
        .env("KELD_CONFIG_FILE", &only)
        .args(["-n", "snapshots"])
        .assert()
        .code(0);
    let out = stdout_of(&assert);
    assert!(out.contains("--repo /srv/env"), "{out}");
    assert!(out.contains("elsewhere/keld.toml"), "{out}");
    assert!(!out.contains("xdg/keld"), "{out}");
}

#[test]
fn config_option_wins_over_keld_config_file() {
    let world = World::new();
    let from_env = world.file("env.toml", "[solo]\nrepo = \"/srv/env\"\n");
    let from_flag = world.file("flag.toml", "[solo]\nrepo = \"/srv/flag\"\n");
    world
        .keld()
        .env("KELD_CONFIG_FILE", &from_env)
        .args(["-c", from_flag.to_str().unwrap(), "-n", "snapshots"])
        .assert()
        .code(0)
        .stdout(contains("--repo /srv/flag"));
}

#[test]
fn keld_config_paths_adds_files_after_the_user_config() {
    let world = World::new();
    world.user_config(ONE_PRESET);
    world.file("extra/a.toml", "[home]\nrepo = \"/srv/extra\"\n");
    let assert = world
        .keld()
        .env("KELD_CONFIG_PATHS", world.path("extra/*.toml"))
        .args(["-n", "snapshots"])
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
    let world = World::new();
    world.file(".unused", "");
    world.file(
        "home/.config/keld/config.toml",
        "[h]\nrepo = \"/srv/home\"\n",
    );
    world
        .keld()
        .env_remove("XDG_CONFIG_HOME")
        .args(["-n", "snapshots"])
        .assert()
        .code(0)
        .stdout(contains("--repo /srv/home"));
}

#[test]
fn keld_executable_names_the_program_shown_and_run() {
    let world = World::new();
    world.user_config(ONE_PRESET);
    let other = world.path("bin/restic");
    world
        .keld()
        .env("KELD_EXECUTABLE", "/opt/my restic")
        .args(["-n", "snapshots"])
        .assert()
        .code(0)
        .stdout(contains(
            "command: '/opt/my restic' snapshots --repo /srv/restic /home/me\n",
        ));
    world
        .keld()
        .env("KELD_EXECUTABLE", &other)
        .env("PATH", "/usr/bin:/bin")
        .arg("snapshots")
        .assert()
        .code(0)
        .stdout(contains("fake restic: <snapshots>"));
}

#[test]
fn keld_noninteractive_gives_the_non_interactive_errors() {
    let world = World::new();
    world.user_config(TWO_PRESETS);
    world
        .keld()
        .env("KELD_NONINTERACTIVE", "1")
        .arg("snapshots")
        .assert()
        .code(1)
        .stderr(contains("--preset"));
}

// ---------------------------------------------------------------- COMMAND and restic's arguments

#[test]
fn everything_after_command_goes_to_restic() {
    let world = World::new();
    world.user_config(ONE_PRESET);
    world
        .keld()
        .args(["-p", "home", "backup", "--help"])
        .assert()
        .code(0)
        .stdout(contains("fake restic: <backup>"));
    let runs = world.restic_runs();
    assert_eq!(runs.len(), 1);
    assert!(runs[0].contains(&"--help".to_owned()), "{runs:?}");
}

#[test]
fn restic_help_passes_through_to_the_real_restic() {
    let world = World::new();
    world.user_config(ONE_PRESET);
    world
        .keld()
        .env("KELD_EXECUTABLE", "/usr/bin/restic")
        .args(["-p", "home", "backup", "--help"])
        .assert()
        .code(0)
        .stdout(contains("Usage:\n  restic backup [flags]"));
}

#[test]
fn keld_options_after_command_belong_to_restic() {
    let world = World::new();
    world.user_config(ONE_PRESET);
    let assert = world
        .keld()
        .args(["-n", "snapshots", "-p", "x"])
        .assert()
        .code(0);
    let out = stdout_of(&assert);
    assert!(
        out.contains("preset: home"),
        "-p after COMMAND is not keld's: {out}"
    );
    assert!(out.contains(" x"), "-p x reaches restic: {out}");
}

#[test]
fn any_word_is_a_command_including_aliases() {
    let world = World::new();
    world.user_config(
        "[home]\nrepo = \"/srv/restic\"\n\n[home.nightly]\n_command = \"backup\"\n_arguments = [\"/data\"]\n",
    );
    world
        .keld()
        .arg("nightly")
        .assert()
        .code(0)
        .stdout(contains(
            "fake restic: <backup> <--repo> </srv/restic> </data>",
        ));
    world
        .keld()
        .arg("version")
        .assert()
        .code(0)
        .stdout(contains("fake restic: <version>"));
}

#[test]
fn restic_help_command_is_not_shadowed() {
    let world = World::new();
    world.user_config(ONE_PRESET);
    world
        .keld()
        .arg("help")
        .assert()
        .code(0)
        .stdout(contains("fake restic: <help>"));
}

#[test]
fn double_dash_after_command_reaches_restic() {
    let world = World::new();
    world.user_config("[home]\nrepo = \"/srv/restic\"\n");
    world
        .keld()
        .args(["backup", "--", "-odd-name"])
        .assert()
        .code(0);
    let runs = world.restic_runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    let dash = run.iter().position(|a| a == "--").expect("-- is passed on");
    assert_eq!(run[dash + 1..], ["-odd-name"], "{run:?}");
}

#[test]
fn double_dash_before_command_ends_keld_options() {
    let world = World::new();
    world.user_config(ONE_PRESET);
    world
        .keld()
        .args(["-n", "--", "snapshots", "--json"])
        .assert()
        .code(0)
        .stdout(contains(
            "command: restic snapshots --repo /srv/restic --json /home/me\n",
        ));
}

#[test]
fn restic_exit_code_is_keld_exit_code() {
    let world = World::new();
    world.user_config(ONE_PRESET);
    for code in [0, 1, 3, 12] {
        world
            .keld()
            .env("FAKE_RESTIC_EXIT", code.to_string())
            .arg("snapshots")
            .assert()
            .code(code);
    }
}

#[test]
fn restic_not_found_exits_127() {
    let world = World::new();
    world.user_config(ONE_PRESET);
    world
        .keld()
        .env("KELD_EXECUTABLE", world.path("bin/nothing-here"))
        .arg("snapshots")
        .assert()
        .code(127)
        .stderr(contains("restic not found"));
}

#[test]
fn restic_not_executable_exits_126() {
    let world = World::new();
    world.user_config(ONE_PRESET);
    let plain = world.file("bin/plain-file", "not a program\n");
    world
        .keld()
        .env("KELD_EXECUTABLE", plain)
        .arg("snapshots")
        .assert()
        .code(126);
}

#[test]
fn restic_killed_by_signal_exits_128_plus_n() {
    let world = World::new();
    world.user_config(ONE_PRESET);
    let killer = world.file("bin/killer", "#!/bin/sh\nkill -TERM $$\n");
    fs::set_permissions(&killer, fs::Permissions::from_mode(0o755)).unwrap();
    world
        .keld()
        .env("KELD_EXECUTABLE", killer)
        .arg("snapshots")
        .assert()
        .code(143);
}

#[test]
fn pre_hook_exit_75_skips_the_backup_with_exit_0() {
    let world = World::new();
    world.user_config(
        "[home]\nrepo = \"/srv/restic\"\n_arguments = [\"/data\"]\n_pre_hooks = [\"exit 75\"]\n",
    );
    world.keld().arg("backup").assert().code(0);
    assert!(world.restic_runs().is_empty());
}

#[test]
fn failing_post_hook_makes_a_successful_run_exit_1_but_keeps_restic_failures() {
    let world = World::new();
    world.user_config(
        "[home]\nrepo = \"/srv/restic\"\n_arguments = [\"/data\"]\n_post_hooks = [\"exit 5\"]\n",
    );
    world
        .keld()
        .arg("backup")
        .assert()
        .code(1)
        .stderr(contains("post-hook \"exit 5\" failed"));
    world
        .keld()
        .env("FAKE_RESTIC_EXIT", "3")
        .arg("backup")
        .assert()
        .code(3);
    assert_eq!(world.restic_runs().len(), 2);
}

#[test]
fn failing_pre_hook_exits_1_and_runs_no_restic() {
    let world = World::new();
    world.user_config(
        "[home]\nrepo = \"/srv/restic\"\n_arguments = [\"/data\"]\n_pre_hooks = [\"exit 4\"]\n",
    );
    world
        .keld()
        .arg("backup")
        .assert()
        .code(1)
        .stderr(contains("pre-hook \"exit 4\" failed"));
    assert!(world.restic_runs().is_empty());
}

// ---------------------------------------------------------------- non-interactive rules

#[test]
fn bare_keld_without_a_terminal_asks_for_a_command() {
    let world = World::new();
    world.user_config(ONE_PRESET);
    world
        .keld()
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains("no command given"))
        .stderr(contains("usage: keld [OPTIONS] [COMMAND [RESTIC-ARGS...]]"));
    assert!(world.restic_runs().is_empty());
}

#[test]
fn bare_keld_with_only_options_asks_for_a_command() {
    World::new()
        .keld()
        .args(["-p", "home", "-n"])
        .assert()
        .code(1)
        .stderr(contains("no command given"));
}

#[test]
fn several_presets_without_preset_is_an_error_listing_them() {
    let world = World::new();
    world.user_config(TWO_PRESETS);
    for extra in [&[][..], &["-n"][..]] {
        world
            .keld()
            .args(extra)
            .arg("snapshots")
            .assert()
            .code(1)
            .stdout("")
            .stderr(contains("--preset"))
            .stderr(contains("home, work"));
    }
    assert!(world.restic_runs().is_empty());
}

#[test]
fn backup_without_paths_is_an_error_naming_arguments() {
    let world = World::new();
    world.user_config("[home]\nrepo = \"/srv/restic\"\n");
    world
        .keld()
        .arg("backup")
        .assert()
        .code(1)
        .stderr(contains("restic backup needs paths"))
        .stderr(contains("_arguments"));
    assert!(world.restic_runs().is_empty());
}

#[test]
fn backup_with_files_from_needs_no_paths() {
    let world = World::new();
    world.user_config("[home]\nrepo = \"/srv/restic\"\n");
    world
        .keld()
        .args(["backup", "--files-from", "list.txt"])
        .assert()
        .code(0);
    assert_eq!(world.restic_runs().len(), 1);
}

#[test]
fn backup_paths_from_the_command_line_are_enough() {
    let world = World::new();
    world.user_config("[home]\nrepo = \"/srv/restic\"\n");
    world.keld().args(["backup", "/etc"]).assert().code(0);
    assert_eq!(
        world.restic_runs(),
        [["backup", "--repo", "/srv/restic", "/etc"]]
    );
}

#[test]
fn show_command_of_backup_without_paths_warns_on_stderr_only() {
    let world = World::new();
    world.user_config("[home]\nrepo = \"/srv/restic\"\n");
    world
        .keld()
        .args(["-n", "backup"])
        .assert()
        .code(0)
        .stdout(contains("command: restic backup --repo /srv/restic\n"))
        .stderr(contains("without paths"));
}

// ---------------------------------------------------------------- errors

#[test]
fn config_syntax_error_names_file_line_and_column() {
    let world = World::new();
    let config = world.user_config("[home]\nrepo = \"/srv\n");
    world
        .keld()
        .args(["-n", "snapshots"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains(format!("{}:2:", config.display())))
        .stderr(contains("invalid TOML"));
}

#[test]
fn errors_are_uncoloured_without_a_terminal() {
    let world = World::new();
    world
        .keld()
        .assert()
        .code(1)
        .stderr(contains("\u{1b}[").not());
}

#[test]
fn unknown_flag_warning_goes_to_stderr_not_stdout() {
    let world = World::new();
    world.user_config("[home]\nrepo = \"/srv/restic\"\n\n[home.backup]\ntagg = \"x\"\n");
    let assert = world
        .keld()
        .args(["-n", "backup", "/data"])
        .assert()
        .code(0)
        .stderr(contains("tagg"));
    let out = stdout_of(&assert);
    assert!(out.contains("command: restic backup"), "{out}");
    assert!(!out.contains("did you mean"), "{out}");
}

// ---------------------------------------------------------------- presets

const PRESETS_CONFIG: &str = r#"
[global]
repo = "/srv/restic"

[home]
_arguments = ["/home/me"]

[home.backup]
tag = ["home"]

["laptop@"]
_arguments = ["/laptop"]

["@cloud"]
repo = "s3:example/bucket"
"#;

#[test]
fn presets_lists_kind_and_defining_sections() {
    let world = World::new();
    let config = world.user_config(PRESETS_CONFIG);
    let assert = world.keld().arg("presets").assert().code(0);
    let out = stdout_of(&assert);
    let file = config.display().to_string();
    assert!(out.contains("home (plain)"), "{out}");
    assert!(out.contains(&format!("[home]         {file}:5")), "{out}");
    assert!(
        out.contains(&format!("[home.backup]  {file}:8")),
        "command sections of a preset are listed too: {out}"
    );
    assert!(
        out.contains(&format!(
            "laptop@cloud (combination)\n  [@cloud]   {file}:14\n  [laptop@]  {file}:11\n"
        )),
        "a combination lists both halves: {out}"
    );
    assert!(out.contains("laptop@ (prefix"), "{out}");
    assert!(out.contains("@cloud (suffix"), "{out}");
    assert!(out.contains("laptop@cloud (combination)"), "{out}");
    assert!(world.restic_runs().is_empty());
}

#[test]
fn presets_names_and_json() {
    let world = World::new();
    world.user_config(PRESETS_CONFIG);
    let assert = world.keld().args(["presets", "--names"]).assert().code(0);
    let mut names: Vec<String> = stdout_of(&assert).lines().map(str::to_owned).collect();
    names.sort();
    assert_eq!(names, ["@cloud", "home", "laptop@", "laptop@cloud"]);

    for args in [&["presets", "--json"][..], &["--json", "presets"][..]] {
        let assert = world.keld().args(args).assert().code(0);
        let value: serde_json::Value = serde_json::from_str(&stdout_of(&assert)).expect("json");
        let home = value
            .as_array()
            .expect("array")
            .iter()
            .find(|p| p["name"] == "home")
            .expect("home listed");
        assert_eq!(home["kind"], "plain");
        assert_eq!(home["runnable"], true);
        assert_eq!(home["sections"][0]["section"], "home");
        assert_eq!(home["sections"][0]["line"], 5);
    }
}

#[test]
fn presets_with_no_config_says_so() {
    World::new()
        .keld()
        .arg("presets")
        .assert()
        .code(0)
        .stdout("")
        .stderr(contains("no presets are defined"));
}

// ---------------------------------------------------------------- closed pipes

/// Run `command` in bash with pipefail so keld's own exit status decides.
fn bash(world: &World, command: &str) -> std::process::Output {
    let keld = assert_cmd::cargo::cargo_bin("keld");
    std::process::Command::new("/bin/bash")
        .arg("-c")
        .arg(format!("set -o pipefail; {command}"))
        .env_clear()
        .env("KELD", keld)
        .env("HOME", world.path("home"))
        .env("XDG_CONFIG_HOME", world.path("xdg"))
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", world.path("bin").display()),
        )
        .stdin(Stdio::null())
        .output()
        .expect("bash runs")
}

fn many_presets(count: usize) -> String {
    (0..count)
        .map(|i| format!("[preset-number-{i:05}]\nrepo = \"/srv/restic/{i}\"\n"))
        .collect()
}

#[test]
fn closed_pipe_on_presets_is_not_an_error() {
    let world = World::new();
    world.user_config(&many_presets(4000));
    let output = bash(&world, "\"$KELD\" presets | head -1");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "",
        "nothing on stderr"
    );
    assert!(output.status.success(), "{:?}", output.status);
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 1);
}

#[test]
fn closed_pipe_on_show_command_is_not_an_error() {
    let world = World::new();
    let environ: String = (0..6000)
        .map(|i| format!("VARIABLE_NUMBER_{i:05} = \"value-{i}\"\n"))
        .collect();
    world.user_config(&format!(
        "[home]\nrepo = \"/srv\"\n\n[home.environ]\n{environ}"
    ));
    let output = bash(&world, "\"$KELD\" -n --verbose snapshots | head -1");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert!(output.status.success(), "{:?}", output.status);
}

// ---------------------------------------------------------------- completions and man page

#[test]
fn bash_completion_completes_options_commands_and_presets() {
    let world = World::new();
    world.user_config(PRESETS_CONFIG);
    let complete = |words: &str| {
        let script = format!(
            "source <(keld completions bash)\n\
             COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); COMP_LINE='{words}'\n\
             COMP_POINT=${{#COMP_LINE}}\n\
             $(complete -p keld | sed 's/.*-F \\([^ ]*\\).*/\\1/') keld \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let keld_dir = assert_cmd::cargo::cargo_bin("keld");
        let output = std::process::Command::new("/bin/bash")
            .arg("-c")
            .arg(script)
            .env_clear()
            .env("HOME", world.path("home"))
            .env("XDG_CONFIG_HOME", world.path("xdg"))
            .env(
                "PATH",
                format!(
                    "{}:/usr/bin:/bin",
                    keld_dir.parent().expect("target dir").display()
                ),
            )
            .output()
            .expect("bash runs");
        assert_eq!(String::from_utf8_lossy(&output.stderr), "");
        let mut words: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        words.sort();
        words
    };
    assert_eq!(
        complete("keld -p ''"),
        ["@cloud", "home", "laptop@", "laptop@cloud"]
    );
    assert_eq!(complete("keld --preset la"), ["laptop@", "laptop@cloud"]);
    assert!(complete("keld --sh").contains(&"--show-command".to_owned()));
    // After COMMAND, -p is restic's (--password-file): no preset names there.
    assert!(!complete("keld backup -p ''").contains(&"home".to_owned()));
    assert!(complete("keld -c x.toml -p h").contains(&"home".to_owned()));
    assert!(complete("keld pre").contains(&"presets".to_owned()));
}

#[test]
fn completion_scripts_for_every_shell_ask_keld_for_presets() {
    for shell in ["bash", "zsh", "fish"] {
        World::new()
            .keld()
            .args(["completions", shell])
            .assert()
            .code(0)
            .stdout(contains("keld presets --names"))
            .stdout(contains("--show-command"));
    }
    let output = World::new()
        .keld()
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let check = std::process::Command::new("/bin/bash")
        .args(["-n", "-c", &String::from_utf8_lossy(&output.stdout)])
        .output()
        .unwrap();
    assert!(check.status.success(), "bash accepts the script: {check:?}");
}

#[test]
fn completions_for_an_unknown_shell_is_a_usage_error() {
    World::new()
        .keld()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(contains("tcsh"));
}

#[test]
fn man_page_renders() {
    let world = World::new();
    let assert = world.keld().arg("man").assert().code(0);
    let roff = stdout_of(&assert);
    assert!(
        roff.starts_with(".ie \\n(.g .ds Aq") || roff.contains(".TH keld"),
        "{roff}"
    );
    assert!(roff.contains("show\\-command"), "{roff}");
    let page = world.file("keld.1", &roff);
    let Ok(output) = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-P-bcou"])
        .arg(&page)
        .output()
    else {
        // Without groff the roff text checks above are all that can be checked.
        return;
    };
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("NAME"), "{text}");
    assert!(text.contains("--show-command"), "{text}");
    assert!(text.contains("--preset"), "{text}");
    assert!(text.contains("EXIT STATUS"), "{text}");
    assert!(text.contains("KELD_NONINTERACTIVE"), "{text}");
}

// ---------------------------------------------------------------- on a terminal

/// Run keld on a pseudo-terminal (stdin, stdout and stderr all the terminal); returns
/// what it printed and its exit code.
fn on_terminal(world: &World, args: &[&str], extra_env: &[(&str, &str)]) -> (String, i32) {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("keld"));
    cmd.env_clear()
        .env("HOME", world.path("home"))
        .env("XDG_CONFIG_HOME", world.path("xdg"))
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", world.path("bin").display()),
        )
        .env("TERM", "xterm")
        .args(args);
    for (name, value) in extra_env {
        cmd.env(name, value);
    }
    let mut session = rexpect::session::spawn_command(cmd, Some(10_000)).expect("spawn on pty");
    let output = session.exp_eof().expect("keld ends");
    let status = session.process().wait().expect("wait");
    let code = match status {
        rexpect::process::WaitStatus::Exited(_, code) => code,
        other => panic!("keld did not exit normally: {other:?}"),
    };
    (output, code)
}

#[test]
fn on_a_terminal_errors_are_coloured_unless_no_color() {
    let world = World::new();
    world.user_config(TWO_PRESETS);
    // KELD_NONINTERACTIVE: on a terminal a bare `keld` would start the interactive mode.
    let quiet = ("KELD_NONINTERACTIVE", "1");
    let (coloured, code) = on_terminal(&world, &[], &[quiet]);
    assert_eq!(code, 1, "{coloured}");
    assert!(coloured.contains("no command given"), "{coloured}");
    assert!(
        coloured.contains('\u{1b}'),
        "colour on a terminal: {coloured:?}"
    );

    let (plain, code) = on_terminal(&world, &[], &[quiet, ("NO_COLOR", "1")]);
    assert_eq!(code, 1, "{plain}");
    assert!(plain.contains("no command given"), "{plain}");
    assert!(!plain.contains('\u{1b}'), "NO_COLOR: {plain:?}");
}

#[test]
fn on_a_terminal_with_keld_noninteractive_a_missing_preset_is_the_same_error() {
    // Without KELD_NONINTERACTIVE the interactive mode asks for the preset instead
    // (features/navigation.feature).
    let world = World::new();
    world.user_config(TWO_PRESETS);
    let (output, code) = on_terminal(&world, &["snapshots"], &[("KELD_NONINTERACTIVE", "1")]);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("--preset"), "{output}");
    assert!(output.contains("home, work"), "{output}");
    assert!(world.restic_runs().is_empty());
}

// ---------------------------------------------------------------- _COMMAND variables and hooks

#[test]
fn show_command_runs_no_command_variable_and_no_hook() {
    let world = World::new();
    let marker = world.path("marker");
    world.user_config(&format!(
        "[home]\nrepo = \"/srv/restic\"\n_arguments = [\"/data\"]\n\
         _pre_hooks = [\"touch '{m}.pre'\"]\n_post_hooks = [\"touch '{m}.post'\"]\n\n\
         [home.environ]\nTOKEN_COMMAND = \"touch '{m}.env'; echo x\"\n",
        m = marker.display()
    ));
    world
        .keld()
        .args(["-n", "backup"])
        .assert()
        .code(0)
        .stdout(contains("TOKEN=$(touch"));
    for suffix in ["pre", "post", "env"] {
        assert!(
            !world.path(&format!("marker.{suffix}")).exists(),
            "--show-command ran the {suffix} command"
        );
    }
    assert!(world.restic_runs().is_empty());
}

#[test]
fn failing_command_variable_stops_before_hooks_and_restic() {
    let world = World::new();
    let marker = world.path("marker");
    world.user_config(&format!(
        "[home]\nrepo = \"/srv/restic\"\n_arguments = [\"/data\"]\n\
         _pre_hooks = [\"touch '{m}'\"]\n\n\
         [home.environ]\nB2_ACCOUNT_KEY_COMMAND = \"echo vault is sealed >&2; exit 3\"\n",
        m = marker.display()
    ));
    world
        .keld()
        .arg("backup")
        .assert()
        .code(1)
        .stderr(contains("B2_ACCOUNT_KEY"))
        .stderr(contains("vault is sealed"));
    assert!(!marker.exists(), "no hook ran");
    assert!(world.restic_runs().is_empty());
}

#[test]
fn unknown_keld_key_is_an_error_with_a_suggestion() {
    let world = World::new();
    let config = world.user_config("[home]\nrepo = \"/srv/restic\"\n_pre_hook = [\"true\"]\n");
    world
        .keld()
        .args(["-n", "snapshots"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains(format!("{}:3:1", config.display())))
        .stderr(contains("_pre_hooks"));
}

#[test]
fn non_utf8_argument_is_a_clear_error() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let world = World::new();
    world.user_config(ONE_PRESET);
    world
        .keld()
        .arg("backup")
        .arg(OsStr::from_bytes(b"/data/caf\xe9"))
        .assert()
        .code(1)
        .stderr(contains("not valid UTF-8"))
        .stderr(contains("caf\u{fffd}"));
    assert!(world.restic_runs().is_empty());
}

// ---------------------------------------------------------------- no HOME

/// A systemd system service runs keld without `HOME`: `~` is the account's home
/// directory from the password database, not left as a literal `~`.
#[test]
fn without_home_tilde_is_the_accounts_home_directory() {
    let world = World::new();
    let config = world.file(
        "etc/config.toml",
        "[home]\npassword-file = \"~/restic.pw\"\n_arguments = [\"~/data\"]\n",
    );
    let account = nix::unistd::User::from_uid(nix::unistd::geteuid())
        .expect("password database")
        .expect("this user has an entry");
    let assert = world
        .keld()
        .env_remove("HOME")
        .arg("-c")
        .arg(&config)
        .args(["-n", "backup"])
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
