//! Files that run commands are refused when others could have written them
//! (real files in temporary directories, real modes and owners).

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

#[test]
fn files_that_run_nothing_are_never_refused() {
    for text in [
        PLAIN,
        EMPTY_HOOKS,
        "[home.environ]\nCOMMAND = \"x\"\n",
        "[home.environ]\nMYPATH = \"/x\"\nXLD_PRELOAD = \"y\"\n",
        "[home]\noption = [\"s3.storage-class=STANDARD\"]\npassword-file = \"/x\"\n",
        // Outside `environ`, PATH is a restic flag name like any other, not the search path.
        "[home]\ntag = \"PATH\"\nexclude = \"*.tmp\"\n",
    ] {
        let dir = Dir::new();
        dir.chmod_dir(0o777);
        let path = dir.file(text, 0o666);
        load(&path, Some(me() + 1), false).expect("a file without commands loads");
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
    assert!(shown.contains("its directory [TMP] is writable"), "{shown}");
    links.chmod_dir(0o700);
    load(&link, Some(me()), false).expect("loads once fixed");
}
