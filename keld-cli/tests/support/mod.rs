//! A hermetic place to run the real `keld` binary: temp HOME and XDG dirs, a cleared
//! environment, a config file passed with `--config`, and a fake restic that records
//! what it was given.
//!
//! Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A stand-in for restic. It appends `restic <command>`, `restic-argv <argv>` and
/// `restic-cwd <dir>` to
/// `$KELD_TEST_LOG`, writes its environment to `$KELD_TEST_DIR/restic.env`, then:
///
/// * `FAKE_RESTIC_MODE=wait`: writes its pid to `$KELD_TEST_DIR/restic.pid`, touches
///   `$KELD_TEST_DIR/restic.ready`, logs every
///   SIGINT/SIGTERM/SIGHUP/SIGQUIT it receives as `restic got SIG`, keeps listening a
///   little longer so a duplicate would be logged too, then dies by the first signal;
/// * otherwise exits with `$FAKE_RESTIC_EXIT` (default 0).
pub(crate) const FAKE_RESTIC: &str = r#"#!/bin/sh
printf 'restic %s\n' "$1" >> "$KELD_TEST_LOG"
printf 'restic-argv %s\n' "$*" >> "$KELD_TEST_LOG"
printf 'restic-cwd %s\n' "$(pwd)" >> "$KELD_TEST_LOG"
env | LC_ALL=C sort > "$KELD_TEST_DIR/restic.env"
if [ "$FAKE_RESTIC_MODE" = wait ]; then
    first=
    for sig in INT TERM HUP QUIT; do
        trap "echo 'restic got $sig' >> \"\$KELD_TEST_LOG\"; [ -n \"\$first\" ] || first=$sig" $sig
    done
    echo $$ > "$KELD_TEST_DIR/restic.pid"
    touch "$KELD_TEST_DIR/restic.ready"
    while [ -z "$first" ]; do sleep 0.02; done
    # Long enough for a second, duplicate delivery to show up in the log.
    sleep 0.3
    trap - "$first"
    kill -s "$first" $$
    exit 99
fi
exit "${FAKE_RESTIC_EXIT:-0}"
"#;

/// A temp directory with `home/`, `xdg/`, `source/`, `bin/restic` (the fake) and the
/// files keld and the fake write.
#[derive(Debug)]
pub(crate) struct Sandbox {
    pub(crate) dir: tempfile::TempDir,
    /// Extra variables for keld (and so for restic and hooks).
    pub(crate) env: Vec<(OsString, OsString)>,
}

impl Sandbox {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["home", "xdg", "source", "bin"] {
            fs::create_dir(dir.path().join(sub)).expect("create dir");
        }
        fs::write(dir.path().join("source/file.txt"), "data\n").expect("source file");
        let sandbox = Self {
            dir,
            env: Vec::new(),
        };
        sandbox.write_restic(FAKE_RESTIC);
        sandbox
    }

    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub(crate) fn restic_path(&self) -> PathBuf {
        self.path("bin/restic")
    }

    pub(crate) fn config_path(&self) -> PathBuf {
        self.path("config.toml")
    }

    pub(crate) fn log_path(&self) -> PathBuf {
        self.path("events.log")
    }

    /// Replace the fake restic's text (mode 0755).
    pub(crate) fn write_restic(&self, text: &str) {
        let path = self.restic_path();
        fs::write(&path, text).expect("write fake restic");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    /// Write the config file (mode 0600, see [`write_private`]).
    pub(crate) fn write_config(&self, toml: &str) {
        write_private(&self.config_path(), toml);
    }

    pub(crate) fn set_env(&mut self, name: &str, value: impl Into<OsString>) {
        self.env.retain(|(key, _)| key != name);
        self.env.push((name.into(), value.into()));
    }

    /// `keld --config <config> <args...>` with a cleared environment.
    pub(crate) fn keld(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_keld"));
        command
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("xdg"))
            .env("KELD_NONINTERACTIVE", "1")
            .env("KELD_EXECUTABLE", self.restic_path())
            .env("KELD_TEST_LOG", self.log_path())
            .env("KELD_TEST_DIR", self.dir.path())
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .arg("--config")
            .arg(self.config_path())
            .args(args)
            .current_dir(self.dir.path());
        command
    }

    /// The lines of the event log (hooks and the fake restic append to it).
    pub(crate) fn log_lines(&self) -> Vec<String> {
        fs::read_to_string(self.log_path())
            .map(|text| text.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The environment the fake restic saw, as `NAME=value` lines.
    pub(crate) fn restic_env(&self) -> Vec<String> {
        fs::read_to_string(self.path("restic.env"))
            .map(|text| text.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

/// Writes a file keld checks (a config file) the way a careful user would: mode 0600,
/// in a directory only its owner can write (0700), whatever the umask. keld refuses a
/// config file that runs commands when others could have written it, and a umask of
/// `002` (the default for normal users on Ubuntu) makes new files and directories
/// group-writable. Missing parent directories are created.
pub(crate) fn write_private(path: &Path, text: impl AsRef<[u8]>) {
    let parent = path.parent().expect("a file has a parent directory");
    fs::create_dir_all(parent).expect("create the parent directory");
    fs::set_permissions(parent, fs::Permissions::from_mode(0o700)).expect("chmod directory");
    fs::write(path, text).expect("write file");
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).expect("chmod file");
}

/// A hook command that appends `message` to the event log.
pub(crate) fn log_hook(message: &str) -> String {
    format!(r#"printf '%s\n' '{message}' >> "$KELD_TEST_LOG""#)
}

/// A post-hook command that logs what keld told it about restic.
pub(crate) fn status_hook(prefix: &str) -> String {
    format!(
        r#"printf '%s code=%s status=%s command=%s\n' '{prefix}' "${{KELD_RESTIC_EXIT_CODE-unset}}" "${{KELD_RESTIC_STATUS-unset}}" "${{KELD_COMMAND-unset}}" >> "$KELD_TEST_LOG""#
    )
}

/// `value` as a TOML basic string.
pub(crate) fn toml_str(value: &str) -> String {
    let mut out = String::from("\"");
    for ch in value.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `values` as a TOML array of strings.
pub(crate) fn toml_list(values: &[String]) -> String {
    let items: Vec<String> = values.iter().map(|value| toml_str(value)).collect();
    format!("[{}]", items.join(", "))
}

/// Poll until `path` exists; false after `timeout`.
pub(crate) fn wait_for(path: &Path, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    path.exists()
}
