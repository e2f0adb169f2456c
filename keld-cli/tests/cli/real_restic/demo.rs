//! `scripts/demo` end to end, with the real restic and the `keld` built for this test.
//!
//! The demo runs in a temporary directory (`KELD_DEMO_DIR`) with a temporary HOME, and
//! uses this build of keld (`KELD_DEMO_BIN`) instead of building its own. The
//! repository it makes is then read with restic directly, not through keld, so the test
//! does not take keld's word for what happened.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

use crate::support::restic;
use crate::support::sandbox::KELD;

/// The dump the demo's pre-hook writes, relative to the demo's source directory.
const DUMP: &str = "dumps/demo-db.sql";

fn demo_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/demo")
}

struct Demo {
    tmp: TempDir,
}

impl Demo {
    /// A temp dir with an empty HOME, and `bin/restic`: a link to the restic under
    /// test, first on the demo's PATH.
    fn new() -> Self {
        let demo = Self::bare();
        let bin = demo.tmp.path().join("bin");
        fs::create_dir_all(&bin).expect("bin");
        std::os::unix::fs::symlink(restic::program(), bin.join("restic")).expect("link restic");
        demo
    }

    /// A temp dir with an empty HOME and nothing else.
    fn bare() -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        fs::create_dir_all(tmp.path().join("home")).expect("home");
        Self { tmp }
    }

    /// The caller's PATH after the restic under test, so sqlite3 is found wherever it
    /// is installed.
    fn search_path(&self) -> OsString {
        let caller = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
        let mut path = self.tmp.path().join("bin").into_os_string();
        path.push(":");
        path.push(caller);
        path
    }

    fn dir(&self) -> PathBuf {
        self.tmp.path().join("demo")
    }

    /// Run the demo with a clean environment plus the given variables, under umask
    /// 002 (Ubuntu's default for normal users, which makes new files group-writable),
    /// so the demo is shown to keep its config private whatever umask CI runs with.
    fn run(&self, extra_env: &[(&str, &str)]) -> Output {
        let mut command = Command::new("sh");
        command
            .args(["-c", "umask 002 && exec bash \"$0\""])
            .arg(demo_script())
            .env_clear()
            .env("PATH", self.search_path())
            .env("HOME", self.tmp.path().join("home"))
            .env("KELD_DEMO_DIR", self.dir())
            .env("KELD_DEMO_BIN", KELD)
            .current_dir(self.tmp.path());
        for (name, value) in extra_env {
            command.env(name, value);
        }
        command.output().expect("run scripts/demo")
    }

    /// restic on the demo repository, without keld.
    fn restic(&self, args: &[&str]) -> String {
        let output = Command::new(restic::program())
            .args(["--repo".as_ref(), self.dir().join("repo").as_os_str()])
            .args([
                "--password-file".as_ref(),
                self.dir().join("password").as_os_str(),
            ])
            .arg("--no-cache")
            .args(args)
            .env_clear()
            .env("PATH", self.search_path())
            .env("HOME", self.tmp.path().join("home"))
            .output()
            .expect("run restic");
        assert!(
            output.status.success(),
            "restic {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn snapshots(&self) -> Vec<Value> {
        let text = self.restic(&["snapshots", "--json"]);
        let json: Value = serde_json::from_str(&text).expect("snapshots JSON");
        json.as_array().expect("a snapshot list").clone()
    }

    /// Paths in the newest snapshot (`restic ls --json` prints one object per line).
    fn latest_paths(&self) -> Vec<String> {
        self.restic(&["ls", "--json", "latest"])
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter_map(|node| node["path"].as_str().map(str::to_owned))
            .collect()
    }
}

fn assert_ok(what: &str, output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what} failed with {}\n--- stdout\n{stdout}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn demo_backs_up_with_hooks_and_lists_the_snapshot() {
    let demo = Demo::new();
    // Settings a user might have exported must not leak into the demo.
    let stdout = assert_ok(
        "scripts/demo",
        &demo.run(&[
            ("KELD_DRYRUN", "1"),
            ("KELD_CONFIG_FILE", "/nonexistent/keld.toml"),
            ("RESTIC_REPOSITORY", "/nonexistent/repo"),
            ("RESTIC_PASSWORD", "not-the-demo-password"),
        ]),
    );

    // The post-hook saw restic's outcome.
    assert!(
        stdout.contains("KELD_RESTIC_STATUS=success KELD_RESTIC_EXIT_CODE=0"),
        "post-hook output missing:\n{stdout}"
    );

    let snapshots = demo.snapshots();
    assert_eq!(snapshots.len(), 1, "{snapshots:#?}");
    assert_eq!(snapshots[0]["tags"], serde_json::json!(["keld-demo"]));
    // `keld ... snapshots` printed the same snapshot.
    let short_id = snapshots[0]["short_id"].as_str().expect("short_id");
    assert!(
        stdout.contains(short_id),
        "snapshot {short_id} not listed:\n{stdout}"
    );

    let paths = demo.latest_paths();
    let has = |suffix: &str| paths.iter().any(|path| path.ends_with(suffix));
    let dump = paths
        .iter()
        .find(|path| path.ends_with(&format!("/source/{DUMP}")))
        .unwrap_or_else(|| panic!("the dump is not in the snapshot: {paths:#?}"));
    // It is a real dump of the demo's SQLite database.
    let dumped = demo.restic(&["dump", "latest", dump]);
    assert!(
        dumped.contains("CREATE TABLE runs"),
        "not a database dump:\n{dumped}"
    );
    assert!(
        dumped.contains("INSERT INTO runs"),
        "the dump has no rows:\n{dumped}"
    );
    assert!(has("/source/notes/readme.txt"), "{paths:#?}");
    assert!(
        !has("scratch.tmp"),
        "the excluded file was backed up: {paths:#?}"
    );

    // Nothing was written to the home directory (restic's cache stays in the demo).
    let home_entries: Vec<_> = fs::read_dir(demo.tmp.path().join("home"))
        .expect("home")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert!(
        home_entries.is_empty(),
        "demo wrote to HOME: {home_entries:?}"
    );
    assert!(demo.dir().join("restic-cache").is_dir());

    // The post-hook removed the dump from the source tree again.
    assert!(!demo.dir().join("source").join(DUMP).exists());
    assert!(demo.dir().join("source/notes/readme.txt").exists());
}

#[test]
fn demo_runs_again_on_the_same_repository() {
    let demo = Demo::new();
    assert_ok("first run", &demo.run(&[]));
    let password = fs::read(demo.dir().join("password")).expect("password file");
    let stdout = assert_ok("second run", &demo.run(&[]));
    assert!(stdout.contains("repository exists"), "{stdout}");
    assert_eq!(
        fs::read(demo.dir().join("password")).expect("password"),
        password
    );
    assert_eq!(demo.snapshots().len(), 2);
}

#[test]
fn demo_refuses_a_directory_it_did_not_make() {
    let demo = Demo::new();
    fs::create_dir_all(demo.dir()).expect("dir");
    fs::write(demo.dir().join("precious.txt"), "mine").expect("file");
    let output = demo.run(&[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("KELD_DEMO_DIR"), "{stderr}");
    assert_eq!(
        fs::read_to_string(demo.dir().join("precious.txt")).expect("file"),
        "mine"
    );
    assert_eq!(fs::read_dir(demo.dir()).expect("dir").count(), 1);
}

#[test]
fn demo_without_restic_or_root_says_how_to_install_it() {
    let demo = Demo::bare();
    // A PATH with apt-get but without restic, sqlite3 or sudo, where `id -u` is not 0.
    let bin = demo.tmp.path().join("bin");
    fs::create_dir_all(&bin).expect("bin");
    for tool in ["dirname", "grep"] {
        let real = ["/usr/bin", "/bin"]
            .iter()
            .map(|dir| Path::new(dir).join(tool))
            .find(|path| path.exists())
            .unwrap_or_else(|| panic!("{tool} not found"));
        std::os::unix::fs::symlink(real, bin.join(tool)).expect("symlink");
    }
    let scripts = [
        ("id", "echo 1000"),
        (
            "apt-get",
            "echo 'apt-get must not run without root' >&2; exit 99",
        ),
    ];
    for (name, body) in scripts {
        let path = bin.join(name);
        fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write stand-in");
        let mode = std::os::unix::fs::PermissionsExt::from_mode(0o755);
        fs::set_permissions(&path, mode).expect("chmod");
    }
    let bash = ["/usr/bin/bash", "/bin/bash"]
        .into_iter()
        .find(|path| Path::new(path).exists())
        .expect("bash");
    let output = Command::new(bash)
        .arg(demo_script())
        .env_clear()
        .env("PATH", &bin)
        .env("HOME", demo.tmp.path().join("home"))
        .env("KELD_DEMO_DIR", demo.dir())
        .env("KELD_DEMO_BIN", KELD)
        .output()
        .expect("run scripts/demo");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("missing: restic sqlite3"), "{stderr}");
    assert!(
        stderr.contains("apt-get install -y restic sqlite3"),
        "{stderr}"
    );
    assert!(!stderr.contains("must not run"), "{stderr}");
    assert!(!demo.dir().exists(), "the demo directory was created");
}
