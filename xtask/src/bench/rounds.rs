//! Interleaved rounds of any set of commands, and the report of their timings: what
//! the steps after the first share (the 50-file config, records and the lock,
//! `keld status`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::stats::{Millis, Summary, median_paired_difference, micros};

/// One command to time: run with exactly this environment, in `cwd` when given, with
/// its output discarded.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub(crate) name: String,
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<OsString>,
    pub(crate) env: Vec<(OsString, OsString)>,
    pub(crate) cwd: Option<PathBuf>,
}

impl Run {
    pub(crate) fn new(
        name: impl Into<String>,
        program: &Path,
        args: &[&str],
        env: &[(OsString, OsString)],
    ) -> Self {
        Self {
            name: name.into(),
            program: program.to_owned(),
            args: args.iter().map(OsString::from).collect(),
            env: env.to_vec(),
            cwd: None,
        }
    }

    pub(crate) fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(cwd) = &self.cwd {
            command.current_dir(cwd);
        }
        command
    }

    /// One timed run: spawn, wait, check that it succeeded.
    fn time_once(&self) -> Result<Duration, String> {
        let mut command = self.command();
        let start = Instant::now();
        let status = command.status();
        let elapsed = start.elapsed();
        match status {
            Ok(status) if status.success() => Ok(elapsed),
            Ok(status) => Err(format!("{} exited with {status}", self.name)),
            Err(err) => Err(format!("starting {}: {err}", self.name)),
        }
    }

    /// Runs once with its output captured; `Err` with stderr when it fails.
    pub(crate) fn output(&self) -> Result<Vec<u8>, String> {
        let output = self
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .map_err(|err| format!("starting {}: {err}", self.name))?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(format!(
                "{} failed ({}): {}",
                self.name,
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }
}

/// `warmup` untimed rounds, then `rounds` timed rounds of every run in turn, so that
/// all of them see the same machine load. One series per run, in the order given.
pub(crate) fn interleave(
    runs: &[Run],
    warmup: usize,
    rounds: usize,
) -> Result<Vec<Vec<Duration>>, String> {
    let mut samples = vec![Vec::with_capacity(rounds); runs.len()];
    for round in 0..warmup + rounds {
        for (run, series) in runs.iter().zip(&mut samples) {
            let elapsed = run.time_once()?;
            if round >= warmup {
                series.push(elapsed);
            }
        }
    }
    Ok(samples)
}

/// The table of medians, p90, min and max, one row per run.
pub(crate) fn table(runs: &[Run], samples: &[Vec<Duration>]) {
    println!("| run | median | p90 | min | max |");
    println!("|---|---|---|---|---|");
    for (run, series) in runs.iter().zip(samples) {
        if let Some(summary) = Summary::of(series) {
            println!(
                "| {} | {} | {} | {} | {} |",
                run.name,
                Millis(summary.median),
                Millis(summary.p90),
                Millis(summary.min),
                Millis(summary.max)
            );
        }
    }
    println!();
}

/// How much longer `a` took than `b`, in milliseconds: the difference of their
/// medians and the median of the differences of runs of the same round.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Difference {
    pub(crate) of_medians: f64,
    pub(crate) paired: f64,
}

impl Difference {
    pub(crate) fn of(a: &[Duration], b: &[Duration]) -> Self {
        let median =
            |series: &[Duration]| Summary::of(series).map_or(f64::NAN, |s| micros(s.median));
        Self {
            of_medians: (median(a) - median(b)) / 1e3,
            paired: median_paired_difference(a, b).unwrap_or(f64::NAN) / 1e3,
        }
    }

    /// Both figures within `goal_ms`.
    pub(crate) fn within(self, goal_ms: f64) -> bool {
        self.of_medians <= goal_ms && self.paired <= goal_ms
    }
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.3} ms (difference of medians), {:.3} ms (median of paired differences)",
            self.of_medians, self.paired
        )
    }
}

/// The median of a series in milliseconds.
pub(crate) fn median_ms(series: &[Duration]) -> f64 {
    Summary::of(series).map_or(f64::NAN, |s| micros(s.median) / 1e3)
}

/// A directory only its owner can use, made afresh (keld refuses config files that
/// others could change, and state directories that others can write).
pub(crate) fn private_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let io = |err: std::io::Error| format!("preparing {}: {err}", dir.display());
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io)?;
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)
}

/// Writes `text` to `path` with mode 0600.
pub(crate) fn private_file(path: &Path, text: &[u8]) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let io = |err: std::io::Error| format!("writing {}: {err}", path.display());
    std::fs::write(path, text).map_err(io)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)
}
