//! What keld-cli's two test binaries share: the test harness (`tests/cli/main.rs`) and
//! the runner of the `features/*.feature` scenarios (`tests/features.rs`).
//!
//! * [`Sandbox`]: a temp dir with HOME, XDG_CONFIG_HOME and the one stand-in restic,
//!   and the `keld` command to run in it, with a cleared environment;
//! * [`pty::Terminal`]: `keld` on a pseudo-terminal, read through a terminal emulator;
//! * [`restic`]: the real restic, for the tests that need one;
//! * [`process`]: waiting for files and processes;
//! * [`http`]: a local HTTP(S) server that records the pings it receives.
//!
//! Each binary uses a different part of this module.
#![allow(dead_code)]

/// The HTTP(S) server the ping tests of keld-hooks use too.
#[path = "../../../crates/keld-hooks/tests/support/http.rs"]
pub(crate) mod http;
pub(crate) mod process;
pub(crate) mod pty;
pub(crate) mod restic;
pub(crate) mod sandbox;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

pub(crate) use sandbox::Sandbox;

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

/// Checks user units with `systemd-analyze verify --user` (installed by CI), in a
/// private runtime directory of the sandbox: it must pass and say nothing about a
/// unit of keld's (only the missing user session may be mentioned).
pub(crate) fn verify_user_units(sandbox: &Sandbox, paths: &[std::path::PathBuf]) {
    let runtime = sandbox.path("runtime");
    fs::create_dir_all(&runtime).expect("runtime dir");
    fs::set_permissions(&runtime, fs::Permissions::from_mode(0o700)).expect("chmod");
    let output = std::process::Command::new("systemd-analyze")
        .args(["verify", "--user", "--man=no"])
        .args(paths)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", sandbox.home())
        .env("XDG_RUNTIME_DIR", &runtime)
        .output()
        .expect("systemd-analyze (CI installs systemd)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    for line in stderr.lines() {
        assert!(!line.contains("keld-"), "{stderr}");
    }
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

/// A path as a TOML basic string.
pub(crate) fn toml_path(path: &Path) -> String {
    toml_str(path.to_str().expect("a UTF-8 path"))
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

/// Bytes as text, lossily.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A path as a single-quoted shell word.
pub(crate) fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// What a finished `keld` printed on stdout.
pub(crate) fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).expect("utf-8 stdout")
}
