//! Files that others could have written may set only what shapes a backup; the rest
//! (commands, the repository, where keld writes or reports, ...) is refused, when the
//! file is read and when a value from it reaches such a setting. Real files in
//! temporary directories, real modes and owners, paths judged from `/` down.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use insta::assert_snapshot;
use keld_config::{ALLOW_UNSAFE_VAR, Config, Environment, Error, LoadOptions};

use crate::render::redact;

/// The rendered diagnostic, unwrapped (temporary paths vary in length).
fn report(error: &Error) -> String {
    let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::none())
        .with_width(1000)
        .with_links(false);
    let mut out = String::new();
    handler
        .render_report(&mut out, error)
        .expect("rendering into a String cannot fail");
    out
}

const HOOKS: &str = "[home.backup]\n_pre_hooks = [\"echo hi\"]\n";
const COMMAND: &str = "[home.environ]\nB2_ACCOUNT_KEY_COMMAND = \"pass show b2\"\n";
const RESTIC_COMMAND: &str = "[global.environ]\nRESTIC_PASSWORD_COMMAND = \"pass show r\"\n";
const PLAIN: &str = "[home]\nrepo = \"/srv/restic\"\n[home.environ]\nRESTIC_PASSWORD = \"x\"\n";
const EMPTY_HOOKS: &str = "[home.backup]\n_pre_hooks = []\n_post_hooks = []\n";

struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).expect("chmod dir");
        Self { dir }
    }

    fn file(&self, text: &str, mode: u32) -> PathBuf {
        let path = self.dir.path().join("config.toml");
        fs::write(&path, text).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }

    fn chmod_dir(&self, mode: u32) {
        fs::set_permissions(self.dir.path(), fs::Permissions::from_mode(mode)).expect("chmod dir");
    }
}

fn load(path: &Path, trusted_uid: Option<u32>, allow: bool) -> Result<Config, Error> {
    let options = LoadOptions {
        config_file: Some(path.to_owned()),
        system_dirs: Vec::new(),
        trusted_uid,
        allow_unsafe_permissions: allow,
        cache_dir: None,
    };
    Config::load(&Environment::default(), &options)
}

fn refused(path: &Path, trusted_uid: Option<u32>) -> String {
    match load(path, trusted_uid, false) {
        Ok(_) => panic!("{} should be refused", path.display()),
        Err(error @ Error::UnsafePermissions { .. }) => report(&error),
        Err(other) => panic!("expected UnsafePermissions, got {}", report(&other)),
    }
}

/// The effective uid, read from the owner of a file this process just created (the
/// tests avoid a dependency for one system call).
fn me() -> u32 {
    use std::os::unix::fs::MetadataExt;
    let file = tempfile::NamedTempFile::new().expect("temp file");
    file.as_file().metadata().expect("metadata").uid()
}

#[test]
fn world_writable_file_with_hooks_is_refused_with_the_fix() {
    let dir = Dir::new();
    let path = dir.file(HOOKS, 0o666);
    let text = refused(&path, Some(me()));
    let shown = redact(&text, dir.dir.path());
    assert_snapshot!(shown, @r"
    keld::config::unsafe_permissions

      x refusing config file [TMP]/config.toml: it is writable by its group and other users (mode 0666), and it runs commands (`_pre_hooks` in [home.backup] at [TMP]/config.toml:2:1)
      help: another user could make keld run any command; fix it with `chmod go-w [TMP]/config.toml`, or set KELD_ALLOW_UNSAFE_CONFIG=1 to use it anyway
    ");
    assert_eq!(ALLOW_UNSAFE_VAR, "KELD_ALLOW_UNSAFE_CONFIG");
}

#[test]
fn every_way_of_running_commands_counts() {
    for (text, what) in [
        (HOOKS, "`_pre_hooks` in [home.backup]"),
        (COMMAND, "`B2_ACCOUNT_KEY_COMMAND` in [home.environ]"),
        (
            RESTIC_COMMAND,
            "`RESTIC_PASSWORD_COMMAND` in [global.environ]",
        ),
        (
            "[global]\n_post_hooks = [\"true\"]\n",
            "`_post_hooks` in [global]",
        ),
        (
            "[\"a@\".check.environ]\nX_COMMAND = \"true\"\n",
            "`X_COMMAND` in [a@.check.environ]",
        ),
        // Settings that choose which program runs, without naming a command.
        (
            "[home]\nrepo = \"/x\"\n[home.environ]\nPATH = \"/tmp/evil\"\n",
            "`PATH` in [home.environ]",
        ),
        (
            "[global.environ]\nLD_PRELOAD = \"/tmp/evil.so\"\n",
            "`LD_PRELOAD` in [global.environ]",
        ),
        (
            "[home.backup.environ]\nLD_LIBRARY_PATH = \"/tmp/evil\"\n",
            "`LD_LIBRARY_PATH` in [home.backup.environ]",
        ),
        (
            "[home.environ]\nBASH_ENV = \"/tmp/evil.sh\"\n",
            "`BASH_ENV` in [home.environ]",
        ),
        (
            "[home.environ]\nPYTHONPATH = \"/tmp/evil\"\n",
            "`PYTHONPATH` in [home.environ]",
        ),
        (
            "[global.environ]\nNODE_OPTIONS = \"--require /tmp/evil.js\"\n",
            "`NODE_OPTIONS` in [global.environ]",
        ),
        (
            "[home.backup.environ]\nperl5opt = \"-M/tmp/evil\"\n",
            "`perl5opt` in [home.backup.environ]",
        ),
        (
            "[home]\npassword-command = \"sh /tmp/evil\"\n",
            "`password-command` in [home]",
        ),
        (
            "[home.copy]\nfrom-password-command = \"sh /tmp/evil\"\n",
            "`from-password-command` in [home.copy]",
        ),
        (
            "[home]\noption = \"sftp.command=sh /tmp/evil\"\n",
            "`option` in [home]",
        ),
        (
            "[home]\no = [\"s3.storage-class=STANDARD\", \"rclone.program=/tmp/evil\"]\n",
            "`o` in [home]",
        ),
        ("[home]\noption = \"foo.x=Command\"\n", "`option` in [home]"),
        (
            "[global]\n_workdir = \"/tmp/evil\"\n",
            "`_workdir` in [global]",
        ),
    ] {
        for mode in [0o660, 0o606, 0o620] {
            let dir = Dir::new();
            let path = dir.file(text, mode);
            let report = refused(&path, None);
            assert!(report.contains(what), "{what} in {report}");
            assert!(report.contains(&format!("(mode 0{mode:o})")), "{report}");
            assert!(report.contains("chmod go-w"), "{report}");
        }
    }
}

/// What a file others can write may still set: what is backed up and how, never what
/// runs, where the backup goes or where keld writes and reports (docs/security.md).
#[test]
fn files_that_only_shape_a_backup_are_not_refused() {
    for text in [
        EMPTY_HOOKS,
        "[home]\ntag = [\"a\"]\nexclude = \"*.tmp\"\nhost = \"h\"\none-file-system = true\n",
        "[home.forget]\nkeep-daily = 7\nprune = true\n[home.backup]\n_arguments = [\"/srv\"]\n",
        "[home]\noption = [\"s3.storage-class=STANDARD\", \" S3.Region=eu\"]\nverbose = 2\n",
        "[home.environ]\nAWS_ACCESS_KEY_ID = \"id\"\nB2_ACCOUNT_KEY = \"k\"\nLC_ALL = \"C\"\n",
        "[home]\npassword-file = \"/x\"\n[home.environ]\nRESTIC_PASSWORD = \"x\"\n",
        "[home]\n_lock = false\n_lock_wait = \"5m\"\n_hook_timeout = \"1h\"\n",
        // Turning a setting off emits nothing.
        "[home]\npassword-command = false\nrepo = false\nstdin-from-command = false\n",
        // Outside `environ`, PATH is a restic flag value like any other.
        "[home]\ntag = \"PATH\"\nexclude = \"*.tmp\"\n",
    ] {
        let dir = Dir::new();
        dir.chmod_dir(0o777);
        let path = dir.file(text, 0o666);
        let config = load(&path, Some(me() + 1), false)
            .unwrap_or_else(|error| panic!("{text}: {}", report(&error)));
        config
            .resolve(
                &keld_config::Request {
                    preset: Some("home".into()),
                    command: "backup".into(),
                    args: Vec::new(),
                },
                &Environment::default(),
            )
            .unwrap_or_else(|error| panic!("{text}: {}", report(&error)));
    }
}

/// Besides running commands: the repository and its password, where keld or restic
/// write, where keld reports, which command runs, what counts as success, timers, and
/// whatever keld cannot classify.
#[test]
fn what_else_a_file_others_can_write_may_not_set() {
    for (text, what, effect) in [
        (
            PLAIN,
            "`repo` in [home]",
            "chooses the repository, how restic reaches it or its keys",
        ),
        (
            "[home]\nr = \"/x\"\n",
            "`r` in [home]",
            "chooses the repository",
        ),
        (
            "[home.init]\ninsecure-no-password = true\n",
            "`insecure-no-password`",
            "chooses the repository",
        ),
        (
            "[home.key]\nnew-password-file = \"/x\"\n",
            "`new-password-file`",
            "chooses the repository",
        ),
        (
            "[home]\nrepository-file = \"/x\"\n",
            "`repository-file`",
            "chooses the repository",
        ),
        (
            "[home.environ]\nRESTIC_REPOSITORY = \"rclone:x\"\n",
            "`RESTIC_REPOSITORY`",
            "chooses the repository",
        ),
        (
            "[home.environ]\nRESTIC_REPOSITORY_FILE = \"/x\"\n",
            "`RESTIC_REPOSITORY_FILE`",
            "chooses the repository",
        ),
        (
            "[home.restore]\ntarget = \"/\"\n",
            "`target` in [home.restore]",
            "chooses where keld or restic write files",
        ),
        (
            "[home.restore]\nt = \"/\"\n",
            "`t` in [home.restore]",
            "chooses where keld or restic write files",
        ),
        (
            "[global]\ncache-dir = \"/etc\"\n",
            "`cache-dir`",
            "chooses where keld or restic write files",
        ),
        (
            "[home.backup]\n_metrics_dir = \"/etc/cron.d\"\n",
            "`_metrics_dir`",
            "chooses where keld or restic write files",
        ),
        (
            "[home.backup]\n_webhook = \"https://evil.example/\"\n",
            "`_webhook`",
            "chooses where keld sends the record of a run",
        ),
        (
            "[home.backup]\n_healthchecks = \"https://evil.example/\"\n",
            "`_healthchecks`",
            "chooses where keld sends",
        ),
        (
            "[home.backup]\n_ntfy = \"https://evil.example/\"\n",
            "`_ntfy`",
            "chooses where keld sends",
        ),
        (
            "[home.backup]\n_command = \"restore\"\n",
            "`_command`",
            "chooses which restic command runs",
        ),
        (
            "[home]\n_success_exit_codes = [1, 3]\n",
            "`_success_exit_codes`",
            "decides which restic exit codes count as success",
        ),
        (
            "[home.backup]\n_schedule = \"hourly\"\n",
            "`_schedule`",
            "decides when keld runs from a timer",
        ),
        (
            "[home.mount]\nallow-other = true\n",
            "`allow-other`",
            "lets other users read",
        ),
        (
            "[home.backup]\nstdin-from-command = true\n",
            "`stdin-from-command`",
            "runs commands",
        ),
        (
            "[home]\nfrobnicate = 1\n",
            "`frobnicate`",
            "keld cannot classify",
        ),
        (
            "[home]\no = \"s3.endpoint=x\"\n",
            "`o` in [home]",
            "keld cannot classify",
        ),
        (
            "[home]\no = \"s3.region=eu,sftp.command=x\"\n",
            "`o` in [home]",
            "runs commands",
        ),
        (
            "[home]\no = \"${global.opt}\"\n",
            "`o` in [home]",
            "keld cannot classify",
        ),
        (
            "[home.environ]\nRCLONE_CONFIG = \"/tmp/rclone.conf\"\n",
            "`RCLONE_CONFIG`",
            "environment variable keld cannot vouch for",
        ),
        (
            "[home.environ]\nHOME = \"/tmp\"\n",
            "`HOME`",
            "environment variable keld cannot vouch for",
        ),
    ] {
        let dir = Dir::new();
        let path = dir.file(text, 0o606);
        let report = refused(&path, None);
        assert!(report.contains(what), "{what} in {report}");
        assert!(report.contains(effect), "{effect} in {report}");
        assert!(report.contains("(mode 0606)"), "{report}");
    }
}

#[test]
fn private_files_load_and_the_opt_out_allows_the_rest() {
    let dir = Dir::new();
    for mode in [0o600, 0o644, 0o400] {
        let path = dir.file(HOOKS, mode);
        load(&path, Some(me()), false).expect("a private file loads");
    }
    let path = dir.file(HOOKS, 0o666);
    load(&path, Some(me()), true).expect("the opt-out allows a writable file");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
}

#[test]
fn the_directory_is_checked_too() {
    let dir = Dir::new();
    let path = dir.file(COMMAND, 0o600);
    dir.chmod_dir(0o777);
    let report = refused(&path, Some(me()));
    let shown = redact(&report, dir.dir.path());
    assert!(
        shown.contains("its directory [TMP] is writable by its group and other users (mode 0777)"),
        "{shown}"
    );
    assert!(shown.contains("`chmod go-w [TMP]`"), "{shown}");

    // A sticky directory (like /tmp) keeps others from replacing the file.
    dir.chmod_dir(0o1777);
    load(&path, Some(me()), false).expect("sticky directory is fine");
    dir.chmod_dir(0o700);
}

/// Changing a file's owner needs root; `.ci/run` runs this as root with
/// `cargo test as_root -- --ignored`.
#[test]
#[ignore = "needs root: run as root with `cargo test as_root -- --ignored`"]
fn files_owned_by_another_user_are_refused_as_root() {
    assert_eq!(me(), 0, "changing a file's owner needs root");
    let dir = Dir::new();
    let path = dir.file(HOOKS, 0o644);
    std::os::unix::fs::chown(&path, Some(65534), None).expect("chown");
    let report = refused(&path, Some(0));
    assert!(
        report.contains("is owned by uid 65534, which is neither root nor you (uid 0)"),
        "{report}"
    );
    assert!(report.contains("`chown 0 "), "{report}");
    // Owned by the user keld runs as: fine.
    load(&path, Some(65534), false).expect("own file loads");
    // Without a trusted uid only the mode counts.
    load(&path, None, false).expect("no owner check");
    load(&path, Some(0), true).expect("opt-out");

    // The directory, owned by someone else, is refused even for a root-owned file.
    std::os::unix::fs::chown(&path, Some(0), None).expect("chown back");
    std::os::unix::fs::chown(dir.dir.path(), Some(65534), None).expect("chown dir");
    let report = refused(&path, Some(0));
    assert!(report.contains("its directory"), "{report}");
    assert!(report.contains("owned by uid 65534"), "{report}");
    // Root-owned files in a root-owned directory are trusted by every user.
    std::os::unix::fs::chown(dir.dir.path(), Some(0), None).expect("chown dir back");
    load(&path, Some(1000), false).expect("root-owned loads for anyone");
}

#[test]
fn layered_discovery_checks_every_file_it_reads() {
    let dir = Dir::new();
    let etc = dir.dir.path().join("etc");
    fs::create_dir_all(etc.join("conf.d")).expect("mkdir");
    fs::set_permissions(&etc, fs::Permissions::from_mode(0o755)).expect("chmod");
    // Whatever the umask: only the drop-in's own mode is wrong here.
    fs::set_permissions(etc.join("conf.d"), fs::Permissions::from_mode(0o755)).expect("chmod");
    fs::write(etc.join("config.toml"), PLAIN).expect("write");
    let dropin = etc.join("conf.d/hooks.toml");
    fs::write(&dropin, HOOKS).expect("write");
    fs::set_permissions(&dropin, fs::Permissions::from_mode(0o646)).expect("chmod");
    let options = LoadOptions {
        config_file: None,
        system_dirs: vec![etc.clone()],
        trusted_uid: Some(me()),
        allow_unsafe_permissions: false,
        cache_dir: None,
    };
    let env = Environment::default();
    let error = Config::load(&env, &options).expect_err("drop-in is writable by others");
    let text = report(&error);
    assert!(text.contains("conf.d/hooks.toml"), "{text}");
    assert!(text.contains("by other users (mode 0646)"), "{text}");
    fs::set_permissions(&dropin, fs::Permissions::from_mode(0o644)).expect("chmod");
    let config = Config::load(&env, &options).expect("loads once fixed");
    assert_eq!(config.files().len(), 2);
}

/// A private link in a private directory, pointing at a file others can change, is
/// refused for the file it points to; so is a private target in a directory others
/// can write, and a link in such a directory (the link can be swapped).
#[test]
fn symbolic_links_are_checked_at_their_target() {
    let links = Dir::new();
    let targets = Dir::new();
    let target = targets.file(HOOKS, 0o666);
    let link = links.dir.path().join("link.toml");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let report = refused(&link, Some(me()));
    let shown = redact(&redact(&report, targets.dir.path()), links.dir.path());
    assert!(
        shown.contains(
            "its target [TMP]/config.toml is writable by its group and other users (mode 0666)"
        ),
        "{shown}"
    );
    assert!(shown.contains("`chmod go-w [TMP]/config.toml`"), "{shown}");

    // The target file is private, but the directory holding it is not.
    fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).expect("chmod");
    load(&link, Some(me()), false).expect("private target in private directories loads");
    targets.chmod_dir(0o777);
    let report = refused(&link, Some(me()));
    let shown = redact(&report, targets.dir.path());
    assert!(
        shown.contains("its directory [TMP] is writable by its group and other users (mode 0777)"),
        "{shown}"
    );
    targets.chmod_dir(0o700);

    // The directory holding the link is checked too.
    links.chmod_dir(0o777);
    let report = refused(&link, Some(me()));
    let shown = redact(&report, links.dir.path());
    assert!(
        shown.contains("the directory [TMP] on the way to it is writable"),
        "{shown}"
    );
    links.chmod_dir(0o700);
    load(&link, Some(me()), false).expect("loads once fixed");
}

/// `etc/config.toml`, private, and `etc/conf.d/shared.toml`, writable by others:
/// layered, the second may set only what shapes a backup.
struct Layered {
    dir: Dir,
}

impl Layered {
    fn new(private: &str, shared: &str) -> Self {
        let dir = Dir::new();
        let etc = dir.dir.path().join("etc");
        fs::create_dir_all(etc.join("conf.d")).expect("mkdir");
        for sub in [&etc, &etc.join("conf.d")] {
            fs::set_permissions(sub, fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        fs::write(etc.join("config.toml"), private).expect("write");
        fs::set_permissions(etc.join("config.toml"), fs::Permissions::from_mode(0o600))
            .expect("chmod");
        let shared_path = etc.join("conf.d/shared.toml");
        fs::write(&shared_path, shared).expect("write");
        fs::set_permissions(&shared_path, fs::Permissions::from_mode(0o666)).expect("chmod");
        Self { dir }
    }

    fn load(&self) -> Result<Config, Error> {
        let options = LoadOptions {
            config_file: None,
            system_dirs: vec![self.dir.dir.path().join("etc")],
            trusted_uid: Some(me()),
            allow_unsafe_permissions: false,
            cache_dir: None,
        };
        Config::load(&Environment::default(), &options)
    }

    /// Resolves `home` for `command` with `args`; the rendered refusal, if any.
    fn resolve(&self, command: &str, args: &[&str]) -> Result<Vec<String>, String> {
        let config = self
            .load()
            .unwrap_or_else(|error| panic!("loads: {}", report(&error)));
        let request = keld_config::Request {
            preset: Some("home".into()),
            command: command.into(),
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
        };
        config
            .resolve(&request, &Environment::default())
            .map(|resolved| resolved.args())
            .map_err(|error| redact(&report(&error), self.dir.dir.path()))
    }
}

/// A value that reaches a setting a shared file may not make, through a reference
/// from a private file, is refused when the preset is resolved: the final arguments
/// and environment are judged, not only the keys written in the shared file.
#[test]
fn values_from_a_shared_file_are_judged_where_they_end_up() {
    let shared = "[stash]\ntag = \"sftp.command=touch /tmp/owned\"\nhost = \"backup\"\n";
    for (private, setting, effect) in [
        (
            "[home]\no = \"${stash.tag}\"\n",
            "`o` in [home]",
            "runs commands",
        ),
        (
            "[home]\noption = [\"s3.region=x\", \"${stash.tag}\"]\n",
            "`option` in [home]",
            "runs commands",
        ),
        (
            "[home.backup]\nrepo = \"/srv/${stash.host}\"\n",
            "`repo` in [home.backup]",
            "chooses the repository",
        ),
        (
            "[home.environ]\nRESTIC_REPOSITORY = \"${stash.host}\"\n",
            "`RESTIC_REPOSITORY`",
            "chooses the repository",
        ),
        (
            "[home]\n_command = \"${stash.host}\"\n",
            "`_command` in [home]",
            "chooses which restic command runs",
        ),
        (
            "[home]\n_workdir = \"/srv/${stash.host}\"\n",
            "`_workdir` in [home]",
            "runs commands",
        ),
        (
            "[home.backup]\n_metrics_dir = \"/var/${stash.host}\"\n",
            "`_metrics_dir`",
            "chooses where keld or restic write files",
        ),
        // Through a chain of references in the private file.
        (
            "[home]\no = \"${home.a}\"\na = \"${stash.tag}\"\n",
            "`o` in [home]",
            "runs commands",
        ),
    ] {
        let layered = Layered::new(private, shared);
        let out = layered.resolve("backup", &[]).expect_err(private);
        assert!(
            out.contains("refusing config file [TMP]/etc/conf.d/shared.toml"),
            "{out}"
        );
        assert!(
            out.contains("[stash] at [TMP]/etc/conf.d/shared.toml:"),
            "{out}"
        );
        assert!(
            out.contains(&format!("which {setting}")),
            "{setting}: {out}"
        );
        assert!(out.contains(effect), "{effect}: {out}");
        assert!(
            out.contains("it is writable by its group and other users (mode 0666)"),
            "{out}"
        );
    }
    let layered = Layered::new("[home]\no = \"${stash.tag}\"\n", shared);
    assert_snapshot!(
        "shared_value_into_option",
        layered.resolve("backup", &[]).expect_err("sftp.command")
    );
    // The same values are fine where they only shape the backup.
    let layered = Layered::new(
        "[home]\ntag = \"${stash.tag}\"\nhost = \"${stash.host}\"\n",
        shared,
    );
    let args = layered.resolve("backup", &[]).expect("shapes the backup");
    assert!(
        args.contains(&"sftp.command=touch /tmp/owned".to_owned()),
        "{args:?}"
    );
    // And a setting replaced on the command line takes nothing from the file.
    let layered = Layered::new("[home]\no = \"${stash.tag}\"\n", shared);
    layered
        .resolve("backup", &["-o", "s3.region=eu"])
        .expect("the command line replaces `o`");
}

/// `--stdin-from-command` makes restic run its arguments: `_arguments` from a shared
/// file are a command then, wherever the flag comes from.
#[test]
fn arguments_from_a_shared_file_do_not_become_a_command() {
    let shared = "[home.backup]\n_arguments = [\"sh\", \"-c\", \"touch /tmp/owned\"]\n";
    let layered = Layered::new("[home.backup]\nstdin-from-command = true\n", shared);
    let out = layered
        .resolve("backup", &[])
        .expect_err("arguments as a command");
    assert!(
        out.contains("`_arguments` in [home.backup] at [TMP]/etc/conf.d/shared.toml"),
        "{out}"
    );
    assert!(out.contains("runs commands"), "{out}");
    let layered = Layered::new("[home]\nrepo = \"/r\"\n", shared);
    layered.resolve("backup", &[]).expect("paths to back up");
    let out = layered
        .resolve("backup", &["--stdin-from-command"])
        .expect_err("typed, it makes them a command too");
    assert!(out.contains("`_arguments`"), "{out}");
    // Arguments typed on the command line are the user's own.
    layered
        .resolve("backup", &["--stdin-from-command", "--", "pg_dump", "db"])
        .expect("typed arguments");
}

/// A directory `mode` with a private subdirectory `sub` in it.
fn nested_dirs(mode: u32) -> (Dir, PathBuf) {
    let dir = Dir::new();
    let open = dir.dir.path().join("open");
    let sub = open.join("sub");
    fs::create_dir_all(&sub).expect("mkdir");
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o700)).expect("chmod");
    fs::set_permissions(&open, fs::Permissions::from_mode(mode)).expect("chmod");
    (dir, sub)
}

fn write_file(path: &Path, text: &str, mode: u32) {
    fs::write(path, text).expect("write");
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Every directory from `/` down is judged, not only the one holding the file:
/// whoever can write a grandparent can rename the parent and put another in its place.
#[test]
fn a_directory_anywhere_above_the_file_counts() {
    let (dir, sub) = nested_dirs(0o777);
    let path = sub.join("config.toml");
    write_file(&path, HOOKS, 0o600);
    let report = refused(&path, Some(me()));
    let shown = redact(&report, dir.dir.path());
    assert!(
        shown.contains("the directory [TMP]/open on the way to it is writable by its group and other users (mode 0777)"),
        "{shown}"
    );
    assert!(shown.contains("`chmod go-w [TMP]/open`"), "{shown}");
    fs::set_permissions(
        dir.dir.path().join("open"),
        fs::Permissions::from_mode(0o755),
    )
    .expect("chmod");
    load(&path, Some(me()), false).expect("loads once fixed");
    // A sticky directory others can write (like /tmp) is fine for what its owner owns.
    fs::set_permissions(
        dir.dir.path().join("open"),
        fs::Permissions::from_mode(0o1777),
    )
    .expect("chmod");
    load(&path, Some(me()), false).expect("sticky");
}

/// A chain of links is judged link by link: a private link pointing through a
/// directory others can write, where a second link (which they could swap) points
/// back to a private file, is refused.
#[test]
fn every_link_of_a_chain_counts() {
    let private = Dir::new();
    let target = private.dir.path().join("target.toml");
    write_file(&target, HOOKS, 0o600);
    let (open_dir, _) = nested_dirs(0o777);
    let open = open_dir.dir.path().join("open");
    let middle = open.join("middle.toml");
    std::os::unix::fs::symlink(&target, &middle).expect("symlink");
    let first = private.dir.path().join("first.toml");
    std::os::unix::fs::symlink(&middle, &first).expect("symlink");
    let report = refused(&first, Some(me()));
    let shown = redact(&report, open_dir.dir.path());
    assert!(
        shown.contains("the directory [TMP]/open on the way to it is writable"),
        "{shown}"
    );
    // A link to a directory inside a directory others can write: the same.
    let dir_link = open.join("d");
    std::os::unix::fs::symlink(private.dir.path(), &dir_link).expect("symlink");
    let report = refused(&dir_link.join("target.toml"), Some(me()));
    assert!(
        redact(&report, open_dir.dir.path()).contains("[TMP]/open on the way"),
        "{report}"
    );
    // Links through private directories only are fine.
    let direct = private.dir.path().join("direct.toml");
    std::os::unix::fs::symlink("target.toml", &direct).expect("symlink");
    load(&direct, Some(me()), false).expect("private links load");
    let up = private.dir.path().join("up.toml");
    let name = private.dir.path().file_name().unwrap().to_str().unwrap();
    std::os::unix::fs::symlink(format!("../{name}/./target.toml"), &up).expect("symlink");
    load(&up, Some(me()), false).expect("`..` in a link");
    // A loop of links is an error, not a hang.
    let a = private.dir.path().join("a.toml");
    let b = private.dir.path().join("b.toml");
    std::os::unix::fs::symlink(&b, &a).expect("symlink");
    std::os::unix::fs::symlink(&a, &b).expect("symlink");
    assert!(matches!(
        load(&a, Some(me()), false),
        Err(Error::Unreadable { .. })
    ));
}

/// The file judged is the file read: a link swapped between a private file and one
/// others can write, as fast as possible while keld loads, never gets the second
/// file's hooks past the check (before, the path was looked up again to judge it,
/// and a swap between the two won some races).
#[test]
fn a_swapped_link_never_wins_a_race() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let dir = Dir::new();
    let safe = dir.dir.path().join("safe.toml");
    write_file(
        &safe,
        "[home.backup]\n_pre_hooks = [\"echo safe\"]\n",
        0o600,
    );
    let evil = dir.dir.path().join("evil.toml");
    write_file(
        &evil,
        "[home.backup]\n_pre_hooks = [\"echo evil\"]\n",
        0o666,
    );
    let link = dir.dir.path().join("config.toml");
    std::os::unix::fs::symlink(&safe, &link).expect("symlink");
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let stop = Arc::clone(&stop);
        let (link, safe, evil) = (link.clone(), safe.clone(), evil.clone());
        let spare = dir.dir.path().join("spare.toml");
        std::thread::spawn(move || {
            let mut to_evil = true;
            while !stop.load(Ordering::Relaxed) {
                let _ = fs::remove_file(&spare);
                let target = if to_evil { &evil } else { &safe };
                if std::os::unix::fs::symlink(target, &spare).is_ok() {
                    let _ = fs::rename(&spare, &link);
                }
                to_evil = !to_evil;
            }
        })
    };
    let request = keld_config::Request {
        preset: Some("home".into()),
        command: "backup".into(),
        args: Vec::new(),
    };
    let (mut loaded, mut refusals) = (0, 0);
    for _ in 0..400 {
        match load(&link, Some(me()), false) {
            Ok(config) => {
                let resolved = config
                    .resolve(&request, &Environment::default())
                    .expect("resolves");
                let hooks = resolved.pre_hooks.expect("hooks").value;
                assert_eq!(hooks, ["echo safe"], "a file others can write was used");
                loaded += 1;
            }
            Err(Error::UnsafePermissions { .. }) => refusals += 1,
            Err(Error::Unreadable { .. } | Error::ConfigFileMissing { .. }) => {}
            Err(other) => panic!("{}", report(&other)),
        }
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().expect("swapper");
    assert!(loaded + refusals > 0);
}

/// A link in a sticky directory others can write must belong to root or you: its
/// owner can replace it. Changing an owner needs root (see the test above).
#[test]
#[ignore = "needs root: run as root with `cargo test as_root -- --ignored`"]
fn links_in_sticky_directories_owned_by_others_are_refused_as_root() {
    assert_eq!(me(), 0, "changing a link's owner needs root");
    let dir = Dir::new();
    let target = dir.dir.path().join("target.toml");
    write_file(&target, HOOKS, 0o600);
    let sticky = dir.dir.path().join("sticky");
    fs::create_dir(&sticky).expect("mkdir");
    fs::set_permissions(&sticky, fs::Permissions::from_mode(0o1777)).expect("chmod");
    let link = sticky.join("config.toml");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    load(&link, Some(0), false).expect("root's own link");
    std::os::unix::fs::lchown(&link, Some(65534), None).expect("chown -h");
    let report = redact(&refused(&link, Some(0)), dir.dir.path());
    assert!(
        report.contains("the symbolic link [TMP]/sticky/config.toml on the way to it, in the sticky directory [TMP]/sticky, is owned by uid 65534"),
        "{report}"
    );
    // A directory owned by someone else, two levels up.
    let (dirs, sub) = nested_dirs(0o755);
    let path = sub.join("config.toml");
    write_file(&path, HOOKS, 0o600);
    std::os::unix::fs::chown(dirs.dir.path().join("open"), Some(65534), None).expect("chown");
    let report = redact(&refused(&path, Some(0)), dirs.dir.path());
    assert!(
        report.contains("the directory [TMP]/open on the way to it is owned by uid 65534"),
        "{report}"
    );
}
