//! Hostile config files through the real `keld` binary: files others could write that
//! try to make restic run a command, paths to a config that pass through directories
//! or links others control, nesting, long lines and references that try to exhaust
//! keld, values that do not fit their flag, `~//`, and environment variables that are
//! not UTF-8. The tests where a command would run use the real restic
//! ([`real_restic`]), so an attack that got through would leave its mark.

use std::ffi::OsString;
use std::fs;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::{Sandbox, text, toml_list, toml_path, toml_str, write_private};

fn run(command: &mut Command) -> Output {
    command.output().expect("keld runs")
}

/// A rendered diagnostic as one line: wrapping and the frame removed.
fn flat(text: &str) -> String {
    text.replace(['│', '·'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// keld stopped on a config error: exit code 1 (not a signal, not a panic's 101),
/// nothing run, and the message names `place`.
fn assert_config_error(sandbox: &Sandbox, output: &Output, place: &str) -> String {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("internal error"), "{stderr}");
    assert!(stderr.contains(place), "{place} in {stderr}");
    assert!(sandbox.restic_runs().is_empty(), "restic ran");
    stderr
}

/// `path` made writable by everyone.
fn open_up(path: &Path) {
    let mode = if path.is_dir() { 0o777 } else { 0o666 };
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A path with a byte that is not UTF-8, below `dir`.
fn not_utf8(dir: &Path, name: &str) -> PathBuf {
    let mut bytes = name.as_bytes().to_vec();
    bytes.extend_from_slice(b"-\xff\xfe");
    dir.join(OsString::from_vec(bytes))
}

// ------------------------------------------------------ paths others control (3)

const HOOK_MARK: &str = "[home]\n_arguments = [\"/data\"]\n[home.backup]\n_pre_hooks = [\"touch \\\"$KELD_TEST_DIR/hooked\\\"\"]\n";

/// Every way of reaching a private file through a directory others can write is
/// refused: a writable grandparent, a chain of links through such a directory, a
/// linked directory inside one. The hook that would mark the sandbox never runs.
#[test]
fn a_config_reached_through_a_directory_others_can_write_is_refused() {
    let sandbox = Sandbox::new();
    let private = sandbox.path("private");
    write_private(&private.join("keld.toml"), HOOK_MARK);
    let open = sandbox.path("open");
    fs::create_dir(&open).expect("mkdir");
    open_up(&open);
    // A private file two levels below a directory others can write.
    let deep = open.join("sub/keld.toml");
    write_private(&deep, HOOK_MARK);
    // A link in a private directory to a link (others can swap) to the private file.
    symlink(private.join("keld.toml"), open.join("middle.toml")).expect("symlink");
    let chain = sandbox.path("private/chain.toml");
    symlink(open.join("middle.toml"), &chain).expect("symlink");
    // A link to the private directory, inside the open one.
    symlink(&private, open.join("linked")).expect("symlink");
    let linked = open.join("linked/keld.toml");
    for path in [&deep, &chain, &linked] {
        for args in [&["backup"][..], &["-n", "backup"], &["presets"]] {
            let mut command = sandbox.keld(&[]);
            command.arg("--config").arg(path).args(args);
            let output = run(&mut command);
            let stderr = flat(&text(&output.stderr));
            let shown = sandbox.redact(&stderr);
            assert_config_error(&sandbox, &output, "refusing config file");
            assert!(
                shown.contains("the directory [TMP]/open on the way to it is writable by its group and other users (mode 0777)"),
                "{}: {shown}",
                path.display()
            );
            assert!(
                shown.replace(' ', "").contains("`chmodgo-w[TMP]/open`"),
                "{shown}"
            );
        }
    }
    assert!(!sandbox.path("hooked").exists(), "a hook ran");
    // The private file itself runs.
    let output = run(sandbox
        .keld(&[])
        .arg("--config")
        .arg(private.join("keld.toml"))
        .arg("backup"));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        sandbox.path("hooked").exists(),
        "the private file's hook ran"
    );
}

// ------------------------------------------------------- exhausting keld (5, 6, 7)

/// 70,000 nested `[` (or 100,000 nested inline tables) used to overflow the stack:
/// `-n`, a run and `keld presets` now stop with the file and place.
#[test]
fn deeply_nested_values_are_a_config_error() {
    for text in [
        format!("[home]\nx = {}\n", "[".repeat(70_000)),
        format!("[home]\nx = {}\n", "{a=".repeat(100_000)),
        format!(
            "[home]\npassword = {}1{}\n",
            "[".repeat(70_000),
            "]".repeat(70_000)
        ),
    ] {
        let sandbox = Sandbox::new();
        sandbox.write_config(&text);
        for args in [&["-n", "backup"][..], &["backup"], &["presets"]] {
            let output = run(&mut sandbox.keld(args));
            let stderr = assert_config_error(&sandbox, &output, "config.toml:2:");
            assert!(
                stderr.len() < 10_000,
                "{} bytes of diagnostic",
                stderr.len()
            );
        }
    }
}

/// A syntax error past column 65,535 used to panic in the renderer; long lines are
/// quoted around the place, with the right line and column.
#[test]
fn a_mistake_far_along_a_line_renders_with_its_place() {
    for filler in ["a", "é", "\t"] {
        let sandbox = Sandbox::new();
        sandbox.write_config(&format!(
            "[home]\nrepo = \"{}\" oops\n",
            filler.repeat(70_000)
        ));
        for args in [&["-n", "backup"][..], &["backup"], &["presets"]] {
            let output = run(&mut sandbox.keld(args));
            let stderr =
                assert_config_error(&sandbox, &output, &format!("config.toml:2:{}", 70_000 + 11));
            assert!(stderr.contains("oops"), "{stderr}");
            assert!(
                stderr.len() < 10_000,
                "{} bytes of diagnostic",
                stderr.len()
            );
        }
    }
}

/// 1,000 references to a 100,000-item array in a 418 KB file used to reach 2.6 GB
/// and abort; one resolution copies at most 16 MiB through references.
#[test]
fn references_to_a_huge_array_stop_with_a_clear_error() {
    let sandbox = Sandbox::new();
    let mut config = String::from("[home]\n_arguments = [\"/data\"]\n[big]\nitems = [");
    for n in 0..100_000 {
        config.push_str(if n == 0 { "1" } else { ",1" });
    }
    config.push_str("]\n[home.backup]\n");
    for n in 0..1_000 {
        config.push_str(&format!("tag{n} = \"${{big.items}}\"\n"));
    }
    sandbox.write_config(&config);
    let started = Instant::now();
    let output = run(&mut sandbox.keld(&["-p", "home", "-n", "backup"]));
    let stderr = flat(&assert_config_error(
        &sandbox,
        &output,
        "references expand to more than 16 MiB in all",
    ));
    assert!(stderr.contains("${big.items}"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

// -------------------------------------------------- values that fit the flag (13)

/// `one-file-system = 1` used to reach restic as `--one-file-system 1`, which backed
/// up a directory named `1`. Values are checked against what the flag takes.
#[test]
fn a_value_that_does_not_fit_its_flag_is_a_config_error() {
    for (value, what) in [
        ("one-file-system = 1", "an integer for a switch"),
        ("x = 0", "an integer for a switch"),
        ("quiet = \"yes\"", "a string for a switch"),
        ("verbose = 2.5", "a float for a counting flag"),
        ("verbose = \"3\"", "a string for a counting flag"),
        ("repo = true", "true for a flag that takes a value"),
    ] {
        let sandbox = Sandbox::new();
        fs::create_dir(sandbox.path("1")).expect("a directory named 1");
        sandbox.write_config(&format!(
            "[home]\n_arguments = [\"source\"]\n[home.backup]\n{value}\n"
        ));
        for args in [&["backup"][..], &["-n", "backup"]] {
            let output = run(&mut sandbox.keld(args));
            let stderr = flat(&assert_config_error(&sandbox, &output, "config.toml:4:"));
            assert!(stderr.contains(what), "{value}: {stderr}");
        }
    }
    // What fits runs as before.
    let sandbox = Sandbox::new();
    sandbox.write_config(
        "[home]\n_arguments = [\"source\"]\n[home.backup]\none-file-system = true\nverbose = 2\n",
    );
    let output = run(&mut sandbox.keld(&["backup"]));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        sandbox.restic_runs(),
        [[
            "backup",
            "--one-file-system",
            "--verbose",
            "--verbose",
            "source"
        ]]
    );
}

// ---------------------------------------------------------------------- ~// (16)

/// `~//cache` used to become `/cache`, and `_arguments = ["~//"]` backed up `/`.
#[test]
fn tilde_slash_slash_is_the_home_directory() {
    let sandbox = Sandbox::new();
    sandbox.write_config(
        "[home]\ncache-dir = \"~//cache\"\n[home.backup]\n_arguments = [\"~//\", \"~///source\"]\n",
    );
    let output = run(&mut sandbox.keld(&["backup"]));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let home = sandbox.home().display().to_string();
    assert_eq!(
        sandbox.restic_runs(),
        [[
            "backup".to_owned(),
            "--cache-dir".to_owned(),
            format!("{home}/cache"),
            format!("{home}/"),
            format!("{home}/source"),
        ]]
    );
}

// ------------------------------------------------------ not UTF-8 (11)

/// A `KELD_CONFIG_FILE` that is not UTF-8 used to be dropped, and the user's default
/// config used instead: a backup ran against another repository. Paths are used as
/// they are.
#[test]
fn a_config_file_named_in_bytes_is_the_one_read() {
    let mut sandbox = Sandbox::new();
    sandbox.write_user_config("[home]\nrepo = \"/srv/default\"\n_arguments = [\"source\"]\n");
    let odd = not_utf8(sandbox.root(), "odd");
    write_private(
        &odd.join("keld.toml"),
        "[home]\nrepo = \"/srv/odd\"\n_arguments = [\"source\"]\n",
    );
    sandbox.set_env("KELD_CONFIG_FILE", odd.join("keld.toml"));
    let output = run(&mut sandbox.keld(&["backup"]));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        sandbox.restic_runs(),
        [["backup", "--repo", "/srv/odd", "source"]]
    );

    // Missing: an error naming it, never the default config.
    sandbox.set_env("KELD_CONFIG_FILE", odd.join("missing.toml"));
    let output = run(&mut sandbox.keld(&["backup"]));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("missing.toml"), "{stderr}");
    assert_eq!(sandbox.restic_runs().len(), 1, "restic ran again");
}

/// `KELD_CONFIG_PATHS` and `XDG_CONFIG_HOME` that are not UTF-8 name their own files;
/// a pattern that is not UTF-8 is refused by the variable's name.
#[test]
fn config_directories_and_lists_in_bytes_are_used_as_given() {
    let mut sandbox = Sandbox::new();
    sandbox.write_user_config("[fromdefault]\nrepo = \"/srv/default\"\n");
    let odd = not_utf8(sandbox.root(), "odd");
    write_private(
        &odd.join("keld/config.toml"),
        "[fromodd]\nrepo = \"/srv/odd\"\n",
    );
    write_private(
        &odd.join("extra.toml"),
        "[fromextra]\nrepo = \"/srv/extra\"\n",
    );
    sandbox.set_env("XDG_CONFIG_HOME", odd.clone());
    let presets = |sandbox: &Sandbox| {
        let output = run(&mut sandbox.keld(&["presets"]));
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        text(&output.stdout)
    };
    let listed = presets(&sandbox);
    assert!(
        listed.contains("fromodd") && !listed.contains("fromdefault"),
        "{listed}"
    );
    let mut paths = odd.join("extra.toml").into_os_string();
    paths.push(":");
    paths.push(sandbox.path("missing.toml"));
    sandbox.set_env("KELD_CONFIG_PATHS", paths);
    let listed = presets(&sandbox);
    assert!(
        listed.contains("fromodd") && listed.contains("fromextra"),
        "{listed}"
    );
    sandbox.set_env("KELD_CONFIG_PATHS", odd.join("*.toml"));
    let output = run(&mut sandbox.keld(&["presets"]));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("environment variable KELD_CONFIG_PATHS is not UTF-8"),
        "{stderr}"
    );
}

/// `${NAME}` of a variable that is not UTF-8, and `~` with a home directory that is
/// not, stop with the variable's name instead of a mangled value.
#[test]
fn values_that_would_take_bytes_stop_with_the_variable_s_name() {
    let mut sandbox = Sandbox::new();
    sandbox.write_config("[home]\nrepo = \"/srv/${ODD}\"\n_arguments = [\"source\"]\n");
    sandbox.set_env("ODD", OsString::from_vec(b"r\xff".to_vec()));
    let output = run(&mut sandbox.keld(&["backup"]));
    let stderr = assert_config_error(&sandbox, &output, "config.toml:2:");
    assert!(
        stderr.contains("environment variable ODD is not UTF-8"),
        "{stderr}"
    );

    let mut sandbox = Sandbox::new();
    sandbox.write_config("[home]\nrepo = \"/srv/r\"\n_arguments = [\"~/source\"]\n");
    let home = not_utf8(sandbox.root(), "home");
    fs::create_dir(&home).expect("mkdir");
    sandbox.set_env("HOME", home);
    let output = run(&mut sandbox.keld(&["backup"]));
    let stderr = assert_config_error(&sandbox, &output, "config.toml:3:");
    assert!(
        stderr.contains("the home directory is not UTF-8"),
        "{stderr}"
    );
}

// -------------------------------------------- key names and `_command` (1, every file)

/// A key holding `=` reaches restic as a flag with a value of its own, and a
/// `_command` that is no restic command reaches it as a flag: both are errors in
/// every file, private or not.
#[test]
fn key_names_and_commands_that_are_flags_are_errors_everywhere() {
    for (config, what) in [
        (
            "[home]\n\"password-command=touch hooked\" = true\n",
            "invalid key name \"password-command=touch hooked\": a name holds no `=`",
        ),
        ("[home.check]\n'repo=/srv' = true\n", "a name holds no `=`"),
        ("[home]\n\"tag \" = \"x\"\n", "a name holds no whitespace"),
        ("[home]\n\"\" = 1\n", "the name is empty"),
        (
            "[home]\n_command = \"--password-command=touch hooked\"\n",
            "\"--password-command=touch hooked\" is no restic command",
        ),
        (
            "[other.check]\n_command = \"-o\"\n",
            "\"-o\" is no restic command",
        ),
    ] {
        let sandbox = Sandbox::new();
        sandbox.write_config(&format!(
            "{config}[home.backup]\n_arguments = [\"source\"]\n"
        ));
        for args in [&["backup"][..], &["-n", "backup"], &["presets"]] {
            let output = run(&mut sandbox.keld(args));
            let stderr = flat(&assert_config_error(&sandbox, &output, "config.toml:2:"));
            assert!(stderr.contains(what), "{what} in {stderr}");
        }
    }
}

// ------------------------------------------- what a file others can write may set (2)

/// The keys for unattended operation that a file others can write may not set: where
/// keld writes metrics (as root, from a timer), where it sends the run record, the
/// timers it installs, which command runs and which exit codes count as success.
#[test]
fn a_world_writable_file_may_not_choose_where_keld_writes_or_reports() {
    for (setting, effect) in [
        (
            "_metrics_dir = \"/etc/cron.d\"",
            "chooses where keld or restic write files",
        ),
        (
            "_webhook = \"https://evil.example/\"",
            "chooses where keld sends the record of a run",
        ),
        (
            "_healthchecks = \"https://evil.example/\"",
            "chooses where keld sends",
        ),
        (
            "_ntfy = \"https://evil.example/t\"",
            "chooses where keld sends",
        ),
        (
            "_schedule = \"minutely\"",
            "decides when keld runs from a timer",
        ),
        (
            "_success_exit_codes = [1, 3]",
            "decides which restic exit codes count as success",
        ),
        ("_command = \"forget\"", "chooses which restic command runs"),
        ("repo = \"/srv/theirs\"", "chooses the repository"),
    ] {
        let sandbox = Sandbox::new();
        sandbox.write_config(&format!(
            "[home]\n_arguments = [\"source\"]\n[home.backup]\n{setting}\n"
        ));
        open_up(&sandbox.config_path());
        let output = run(&mut sandbox.keld(&["backup"]));
        let stderr = flat(&assert_config_error(
            &sandbox,
            &output,
            "refusing config file",
        ));
        assert!(stderr.contains(effect), "{effect} in {stderr}");
        assert!(stderr.contains("(mode 0666)"), "{stderr}");
    }
    // What only shapes the backup is fine.
    let sandbox = Sandbox::new();
    sandbox.write_config(
        "[home]\n_arguments = [\"source\"]\n[home.backup]\ntag = [\"t\"]\n_lock = false\n_hook_timeout = \"1m\"\n[home.environ]\nRESTIC_PASSWORD = \"x\"\n",
    );
    open_up(&sandbox.config_path());
    let output = run(&mut sandbox.keld(&["backup"]));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(sandbox.restic_runs(), [["backup", "--tag", "t", "source"]]);
}

/// `--stdin-from-command` makes restic run its positional arguments: arguments from a
/// file others can write are refused then (the restic here would not know the flag,
/// so this is the stand-in).
#[test]
fn arguments_from_a_world_writable_file_never_become_a_command() {
    let mut sandbox = Sandbox::new();
    let shared = sandbox.path("shared.toml");
    fs::write(
        &shared,
        "[home.backup]\n_arguments = [\"sh\", \"-c\", \"touch hooked\"]\n",
    )
    .expect("write");
    open_up(&shared);
    sandbox.write_user_config("[home.backup]\nstdin-from-command = true\nrepo = \"/srv/r\"\n");
    sandbox.set_env("KELD_CONFIG_PATHS", shared.clone());
    let output = run(&mut sandbox.keld(&["-p", "home", "backup"]));
    let stderr = flat(&assert_config_error(
        &sandbox,
        &output,
        "refusing config file",
    ));
    let shown = sandbox.redact(&stderr);
    assert!(shown.contains("[TMP]/shared.toml"), "{shown}");
    assert!(shown.contains("`_arguments` in [home.backup]"), "{shown}");
    assert!(shown.contains("runs commands"), "{shown}");
}

mod real_restic {
    //! Files others can write that try to make the real restic run a command. Each
    //! command would create `owned` in the sandbox; the real restic, a repository and
    //! (for the controls) `KELD_ALLOW_UNSAFE_CONFIG` show the payloads do run a command
    //! when nothing stops them.

    use std::ffi::OsStr;

    use super::*;
    use crate::support::restic;

    const PASSWORD: &str = "correct horse battery staple";

    /// A sandbox with an initialised repository in `repo/`.
    fn sandbox_with_repository() -> Sandbox {
        let sandbox = Sandbox::new();
        let repo = sandbox.path("repo");
        let home = sandbox.home();
        restic::run(
            &[
                ("HOME", home.as_os_str()),
                ("RESTIC_REPOSITORY", repo.as_os_str()),
                ("RESTIC_PASSWORD", OsStr::new(PASSWORD)),
            ],
            &["init"],
        );
        sandbox
    }

    /// keld with the real restic.
    fn keld_real(sandbox: &Sandbox, args: &[&str]) -> Command {
        let mut command = sandbox.keld(args);
        command.env("KELD_EXECUTABLE", restic::program());
        command
    }

    /// The command every payload runs: it creates `owned` in the sandbox (whose path
    /// has no spaces or quotes).
    fn touch(sandbox: &Sandbox) -> String {
        format!("touch {}", sandbox.path("owned").display())
    }

    /// Each payload: what it is, the private user config's part and the part in a
    /// file others can write (`shared.toml`, read through `KELD_CONFIG_PATHS`).
    /// `REPO` is the sandbox's repository, `TOUCH` the command as a TOML string and
    /// `TOUCH_RAW` the command as text.
    const PAYLOADS: &[(&str, &str, &str)] = &[
        (
            "the flag itself",
            "[home]\nrepo = REPO\n",
            "[home]\npassword-command = TOUCH\n",
        ),
        (
            "a sftp.command option",
            "[home]\nrepo = \"sftp:keld-test-host:/r\"\n",
            "[home]\no = \"sftp.command=TOUCH_RAW\"\n",
        ),
        (
            "a sftp.command option after a harmless one in the same list",
            "[home]\nrepo = \"sftp:keld-test-host:/r\"\n",
            "[home]\no = \"s3.region=eu,sftp.command=TOUCH_RAW\"\n",
        ),
        (
            "an option built by interpolation from a key keld cannot classify",
            "[home]\nrepo = \"sftp:keld-test-host:/r\"\no = \"${stash.x}\"\n",
            "[stash]\nx = \"sftp.command=TOUCH_RAW\"\n",
        ),
        (
            "an option built by interpolation from a key a shared file may set",
            "[home]\nrepo = \"sftp:keld-test-host:/r\"\noption = [\"s3.region=x\", \"${stash.tag}\"]\n",
            "[stash]\ntag = \"sftp.command=TOUCH_RAW\"\n",
        ),
        (
            "an option in the shared file built from a private value",
            "[home]\nrepo = \"sftp:keld-test-host:/r\"\n[stash]\nhost = \"sftp.command=TOUCH_RAW\"\n",
            "[home]\no = \"${stash.host}\"\n",
        ),
        (
            "an rclone.program option in upper case",
            "[home]\nrepo = \"rclone:remote:r\"\n",
            "[home]\no = \" RCLONE.PROGRAM = /bin/sh\"\n",
        ),
        (
            "the password command in the environment",
            "[home]\nrepo = REPO\n",
            "[home.environ]\nRESTIC_PASSWORD_COMMAND = TOUCH\n",
        ),
        (
            "the repository, as an sftp host that is an ssh option",
            "",
            "[home]\nrepo = \"sftp:-oProxyCommand=TOUCH_RAW:/r\"\n",
        ),
    ];

    fn fill(sandbox: &Sandbox, text: &str) -> String {
        let touch = touch(sandbox);
        text.replace("REPO", &toml_path(&sandbox.path("repo")))
            .replace("TOUCH_RAW", &touch)
            .replace("TOUCH", &toml_str(&touch))
    }

    /// A sandbox holding `private` as the user config (with the preset's paths) and
    /// `shared`, writable by everyone, as a `KELD_CONFIG_PATHS` file.
    fn sandbox_with(private: &str, shared: &str) -> Sandbox {
        let mut sandbox = sandbox_with_repository();
        let paths = toml_list(&[sandbox.path("source").display().to_string()]);
        sandbox.write_user_config(&format!(
            "{}[home.backup]\n_arguments = {paths}\n",
            fill(&sandbox, private)
        ));
        let shared_path = sandbox.path("shared.toml");
        fs::write(&shared_path, fill(&sandbox, shared)).expect("write");
        open_up(&shared_path);
        sandbox.set_env("KELD_CONFIG_PATHS", shared_path);
        sandbox
    }

    /// A config file writable by others that tries to have restic run a command, in
    /// any of the ways that got through before (a flag key with its own value, an
    /// option built by interpolation, a `_command` that is a flag) and the plain ones,
    /// is refused: for a run, `-n` and `keld presets`, and nothing runs.
    #[test]
    fn a_world_writable_file_cannot_make_restic_run_a_command() {
        for (what, private, shared) in PAYLOADS {
            let sandbox = sandbox_with(private, shared);
            for args in [
                &["-p", "home", "backup"][..],
                &["-p", "home", "-n", "backup"],
            ] {
                let output = run(keld_real(&sandbox, args).env("RESTIC_PASSWORD", PASSWORD));
                let stderr = flat(&text(&output.stderr));
                assert_eq!(output.status.code(), Some(1), "{what}: {stderr}");
                assert!(stderr.contains("refusing config file"), "{what}: {stderr}");
                assert!(
                    sandbox.redact(&stderr).contains("[TMP]/shared.toml"),
                    "{what}: {stderr}"
                );
                assert!(stderr.contains("(mode 0666)"), "{what}: {stderr}");
            }
            assert!(!sandbox.path("owned").exists(), "{what}: a command ran");
        }
    }

    /// The controls: with the check turned off, the payloads do run a command through
    /// the real restic (so the test above shows the check, not a harmless payload).
    #[test]
    fn the_payloads_run_a_command_when_nothing_stops_them() {
        for (what, private, shared) in [
            PAYLOADS[0],
            PAYLOADS[1],
            PAYLOADS[2],
            PAYLOADS[4],
            PAYLOADS[5],
        ] {
            let sandbox = sandbox_with(private, shared);
            let output = run(keld_real(&sandbox, &["-p", "home", "backup"])
                .env("RESTIC_PASSWORD", PASSWORD)
                .env("KELD_ALLOW_UNSAFE_CONFIG", "1"));
            assert!(
                sandbox.path("owned").exists(),
                "{what}: the payload ran nothing: {}",
                text(&output.stderr)
            );
        }
    }

    /// `one-file-system = 1` used to reach restic as `--one-file-system 1`, and restic
    /// backed up a directory named `1` besides the paths asked for. Now keld stops
    /// before restic runs, and the repository stays empty.
    #[test]
    fn a_value_that_does_not_fit_its_flag_never_reaches_restic() {
        for value in ["one-file-system = 1", "quiet = \"yes\"", "verbose = 2.5"] {
            let sandbox = sandbox_with_repository();
            fs::create_dir(sandbox.path("1")).expect("a directory named 1");
            let paths = toml_list(&[sandbox.path("source").display().to_string()]);
            sandbox.write_config(&format!(
                "[home]\nrepo = {}\n[home.backup]\n_arguments = {paths}\n{value}\n",
                toml_path(&sandbox.path("repo"))
            ));
            let mut command = keld_real(&sandbox, &["backup"]);
            let output = run(command
                .env("RESTIC_PASSWORD", PASSWORD)
                .current_dir(sandbox.root()));
            let stderr = text(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{value}: {stderr}");
            assert!(stderr.contains("config.toml:5:"), "{value}: {stderr}");
            let repo = sandbox.path("repo");
            let snapshots = restic::run(
                &[
                    ("RESTIC_REPOSITORY", repo.as_os_str()),
                    ("RESTIC_PASSWORD", OsStr::new(PASSWORD)),
                ],
                &["snapshots", "--json"],
            );
            assert_eq!(snapshots.trim(), "[]", "{value}: restic ran");
        }
    }

    /// The routes that are errors in every file: a flag key that carries its own value,
    /// and a `_command` that is no restic command. Private or not, nothing runs.
    #[test]
    fn flags_hidden_in_key_names_or_commands_never_reach_restic() {
        for payload in [
            "[home]\nrepo = REPO\n\"password-command=TOUCH_RAW\" = true\n",
            "[home]\nrepo = REPO\n'from-password-command=TOUCH_RAW' = true\n",
            "[home]\nrepo = REPO\n_command = \"--password-command=TOUCH_RAW\"\n",
            "[home]\nrepo = REPO\n_command = \"backup --password-command=TOUCH_RAW\"\n",
            "[stash]\nc = \"--password-command=TOUCH_RAW\"\n[home]\nrepo = REPO\n_command = \"${stash.c}\"\n",
        ] {
            let sandbox = sandbox_with_repository();
            let paths = toml_list(&[sandbox.path("source").display().to_string()]);
            sandbox.write_config(&format!(
                "{}[home.backup]\n_arguments = {paths}\n",
                fill(&sandbox, payload)
            ));
            let output = run(
                keld_real(&sandbox, &["-p", "home", "backup"]).env("RESTIC_PASSWORD", PASSWORD)
            );
            let stderr = text(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{payload}: {stderr}");
            assert!(!sandbox.path("owned").exists(), "{payload}: a command ran");
        }
    }
}
