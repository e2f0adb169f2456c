//! The real restic, for the tests that need one (they live in `real_restic` modules, or
//! carry the `@real_restic` tag, so that `cargo test real_restic` selects them all).
//!
//! It is `KELD_TEST_RESTIC` (an absolute path) when set, else `restic` on PATH. A test
//! that needs restic fails when neither runs: a missing restic is never a pass.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The restic to run, checked once by running `restic version`.
pub(crate) fn program() -> &'static Path {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(find)
}

/// What `restic version` printed, e.g. `restic 0.14.0 compiled with go1.19.8 on
/// linux/amd64`.
pub(crate) fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| version_of(program()).unwrap_or_else(|err| panic!("{err}")))
}

/// Runs restic with `args` and a cleared environment (PATH /usr/bin:/bin) plus `env`;
/// asserts that it succeeded and returns its stdout.
pub(crate) fn run(env: &[(&str, &OsStr)], args: &[&str]) -> String {
    let output = Command::new(program())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("run restic");
    assert!(
        output.status.success(),
        "restic {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("restic prints UTF-8")
}

const HOW: &str = "the real-restic tests need restic: install it (Debian: \
                   `apt-get install restic`) or set KELD_TEST_RESTIC to its absolute path";

fn find() -> PathBuf {
    let path = match std::env::var_os("KELD_TEST_RESTIC").filter(|value| !value.is_empty()) {
        Some(value) => {
            let path = PathBuf::from(value);
            assert!(
                path.is_absolute(),
                "KELD_TEST_RESTIC={} is not an absolute path; {HOW}",
                path.display()
            );
            path
        }
        None => std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|dir| dir.join("restic"))
            .find(|candidate| candidate.is_file())
            .unwrap_or_else(|| panic!("restic is not on PATH; {HOW}")),
    };
    if let Err(err) = version_of(&path) {
        panic!("{err}; {HOW}");
    }
    path
}

fn version_of(path: &Path) -> Result<String, String> {
    let output = Command::new(path)
        .arg("version")
        .output()
        .map_err(|err| format!("cannot run {}: {err}", path.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if output.status.success() && stdout.starts_with("restic ") {
        Ok(stdout.trim().to_owned())
    } else {
        Err(format!(
            "`{} version` is not restic's answer: {}\n{stdout}{}",
            path.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
