//! The benchmark's inputs: one preset written for keld (TOML) and for crestic (INI),
//! and a no-op program standing in for restic.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The preset every run resolves.
pub(crate) const PRESET: &str = "bench";

/// The restic command every run asks for.
pub(crate) const COMMAND: &str = "backup";

/// A preset with a repository, a password file, flags, tags, excludes, paths and an
/// environment: what a typical daily backup preset holds. No `_COMMAND` variables and
/// no hooks, because crestic has neither and both tools must do the same work.
pub(crate) const KELD_CONFIG: &str = r#"[global]
repo = "/srv/restic/bench"
password-file = "/etc/keld/bench.password"

[global.backup]
exclude-caches = true
one-file-system = true

[bench]
_arguments = ["/home/bench/Documents", "/home/bench/Pictures"]
tag = ["bench", "daily"]

[bench.environ]
B2_ACCOUNT_ID = "0012345"
RESTIC_CACHE_DIR = "/var/cache/restic"

[bench.backup]
exclude = """
*.tmp
/home/bench/.cache
"""
exclude-file = "/etc/keld/excludes.txt"
host = "benchhost"
"#;

/// The same preset in crestic's INI dialect: a bare key is a flag without a value and
/// continuation lines are repeated flags (crestic's `splitlines`).
pub(crate) const CRESTIC_CONFIG: &str = "[global]
repo: /srv/restic/bench
password-file: /etc/keld/bench.password

[global.backup]
exclude-caches
one-file-system

[bench]
_arguments: /home/bench/Documents
    /home/bench/Pictures
tag: bench
    daily

[bench.environ]
B2_ACCOUNT_ID: 0012345
RESTIC_CACHE_DIR: /var/cache/restic

[bench.backup]
exclude: *.tmp
    /home/bench/.cache
exclude-file: /etc/keld/excludes.txt
host: benchhost
";

/// The environment both configs give restic; the direct run sets it too.
pub(crate) const CONFIG_ENV: [(&str, &str); 2] = [
    ("B2_ACCOUNT_ID", "0012345"),
    ("RESTIC_CACHE_DIR", "/var/cache/restic"),
];

/// Set to a file name, the no-op restic writes its arguments there (NUL-separated).
pub(crate) const ARGV_LOG_VAR: &str = "KELD_BENCH_ARGV_LOG";

/// Set to a file name, the no-op restic creates `<name>.started` and then waits until
/// the file exists, so keld can be observed while it supervises.
pub(crate) const HOLD_VAR: &str = "KELD_BENCH_HOLD";

/// The no-op restic. It does nothing unless one of the two variables above is set, so
/// its cost is the process start and exit that every run pays alike.
const NOOP_SOURCE: &str = r#"use std::{env, fs, path::Path, thread, time::Duration};

fn main() {
    if let Some(log) = env::var_os("KELD_BENCH_ARGV_LOG") {
        let args: Vec<String> = env::args().skip(1).collect();
        fs::write(log, args.join("\0")).expect("write argv log");
    }
    if let Some(hold) = env::var_os("KELD_BENCH_HOLD") {
        let hold = Path::new(&hold);
        fs::write(hold.with_extension("started"), b"").expect("write start marker");
        while !hold.exists() {
            thread::sleep(Duration::from_millis(2));
        }
    }
}
"#;

/// A scratch directory holding the configs, a home directory and the no-op restic.
pub(crate) struct Fixture {
    pub(crate) dir: PathBuf,
    pub(crate) keld_config: PathBuf,
    pub(crate) crestic_config: PathBuf,
    pub(crate) home: PathBuf,
    pub(crate) restic: PathBuf,
}

impl Fixture {
    /// Writes the fixture under `dir` (replacing an earlier one) and compiles the no-op
    /// restic with `rustc -O`.
    pub(crate) fn create(dir: &Path) -> io::Result<Self> {
        if dir.exists() {
            fs::remove_dir_all(dir)?;
        }
        let home = dir.join("home");
        fs::create_dir_all(&home)?;
        let keld_config = dir.join("keld.toml");
        fs::write(&keld_config, KELD_CONFIG)?;
        let crestic_config = dir.join("crestic.cfg");
        fs::write(&crestic_config, CRESTIC_CONFIG)?;
        let source = dir.join("noop_restic.rs");
        fs::write(&source, NOOP_SOURCE)?;
        let restic = dir.join("restic");
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let status = Command::new(rustc)
            .args(["--edition", "2021", "-O", "-C", "panic=abort", "-o"])
            .arg(&restic)
            .arg(&source)
            .status()?;
        if !status.success() {
            return Err(io::Error::other(format!(
                "compiling the no-op restic failed: {status}"
            )));
        }
        Ok(Self {
            dir: dir.to_owned(),
            keld_config,
            crestic_config,
            home,
            restic,
        })
    }
}
