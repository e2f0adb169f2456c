//! The ways of running the same restic command, and the interleaved timing loop.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::fixture::{ARGV_LOG_VAR, COMMAND, CONFIG_ENV, Fixture, PRESET};

/// How to start one contender.
pub(crate) struct Runners {
    /// The program and arguments keld reported with `--show-command --json`.
    pub(crate) argv: Vec<String>,
    /// The binary to install (`cargo xtask dist`).
    pub(crate) keld: PathBuf,
    /// The plain `cargo build --release` binary, for comparison.
    pub(crate) keld_dynamic: Option<PathBuf>,
    /// Another keld binary to time beside these (`--baseline`).
    pub(crate) baseline: Option<PathBuf>,
    pub(crate) crestic: Option<PathBuf>,
    base_env: Vec<(OsString, OsString)>,
    keld_config: PathBuf,
    crestic_config: PathBuf,
    restic: PathBuf,
}

/// Which contender a command is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Contender {
    Direct,
    Keld,
    /// The same run with the plain (dynamically linked) release build.
    KeldDynamic,
    /// The same run with the binary given with `--baseline`.
    Baseline,
    /// `keld --show-command`: keld's own start-up and resolution, running nothing.
    KeldShow,
    Crestic,
}

impl Contender {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Contender::Direct => "restic directly",
            Contender::Keld => "keld",
            Contender::KeldDynamic => "keld, plain `cargo build --release`",
            Contender::Baseline => "baseline keld (--baseline)",
            Contender::KeldShow => "keld --show-command (runs nothing)",
            Contender::Crestic => "crestic",
        }
    }
}

impl Runners {
    /// Asks keld for the command it would run, so the direct run execs exactly that.
    pub(crate) fn new(
        keld: PathBuf,
        keld_dynamic: Option<PathBuf>,
        baseline: Option<PathBuf>,
        crestic: Option<PathBuf>,
        fixture: &Fixture,
    ) -> Result<Self, String> {
        // A small, fixed environment: the same for all, and no user config.
        let base_env = vec![
            ("PATH".into(), std::env::var_os("PATH").unwrap_or_default()),
            ("HOME".into(), fixture.home.clone().into()),
            (
                "XDG_CONFIG_HOME".into(),
                fixture.home.join(".config").into(),
            ),
        ];
        let mut runners = Self {
            argv: Vec::new(),
            keld,
            keld_dynamic,
            baseline,
            crestic,
            base_env,
            keld_config: fixture.keld_config.clone(),
            crestic_config: fixture.crestic_config.clone(),
            restic: fixture.restic.clone(),
        };
        let output = runners
            .command_with(Contender::Keld, &["--show-command", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .map_err(|err| format!("running {}: {err}", runners.keld.display()))?;
        if !output.status.success() {
            return Err(format!(
                "keld --show-command --json failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let json: serde_json::Value = serde_json::from_slice(&output.stdout)
            .map_err(|err| format!("keld --show-command --json: {err}"))?;
        runners.argv = json["argv"]
            .as_array()
            .ok_or("keld --show-command --json has no `argv` array")?
            .iter()
            .map(|arg| arg.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or("keld --show-command --json: `argv` holds a non-string")?;
        if runners.argv.first().map(PathBuf::from) != Some(fixture.restic.clone()) {
            return Err(format!(
                "keld would run {:?}, not the no-op restic {}",
                runners.argv.first(),
                fixture.restic.display()
            ));
        }
        Ok(runners)
    }

    /// A fresh command for one run of `contender`, with output discarded.
    pub(crate) fn command(&self, contender: Contender) -> Command {
        match contender {
            Contender::KeldShow => self.command_with(Contender::Keld, &["--show-command"]),
            other => self.command_with(other, &[]),
        }
    }

    /// [`Runners::command`] with extra keld options before COMMAND (ignored for the
    /// others).
    fn command_with(&self, contender: Contender, keld_options: &[&str]) -> Command {
        let program = match contender {
            Contender::Direct => Path::new(&self.argv[0]),
            Contender::Keld | Contender::KeldShow => &self.keld,
            Contender::KeldDynamic => self.keld_dynamic.as_deref().unwrap_or(&self.keld),
            Contender::Baseline => self.baseline.as_deref().unwrap_or(&self.keld),
            Contender::Crestic => self.crestic.as_deref().unwrap_or(Path::new("crestic")),
        };
        let mut command = Command::new(program);
        command
            .env_clear()
            .envs(self.base_env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        match contender {
            Contender::Direct => {
                command.args(&self.argv[1..]).envs(CONFIG_ENV);
            }
            Contender::Keld
            | Contender::KeldDynamic
            | Contender::Baseline
            | Contender::KeldShow => {
                command
                    .env("KELD_EXECUTABLE", &self.restic)
                    .env("KELD_NONINTERACTIVE", "1")
                    .arg("--config")
                    .arg(&self.keld_config)
                    .args(["-p", PRESET])
                    .args(keld_options)
                    .arg(COMMAND);
            }
            Contender::Crestic => {
                command
                    .env("CRESTIC_EXECUTABLE", &self.restic)
                    .env("CRESTIC_CONFIG_FILE", &self.crestic_config)
                    .args([PRESET, COMMAND]);
            }
        }
        command
    }

    /// Runs `contender` once with the no-op restic logging its arguments; returns them.
    pub(crate) fn observed_argv(
        &self,
        contender: Contender,
        scratch: &Path,
    ) -> Result<Vec<String>, String> {
        let log = scratch.join(format!("argv-{contender:?}.log"));
        let _ = fs::remove_file(&log);
        let status = self
            .command(contender)
            .env(ARGV_LOG_VAR, &log)
            .stderr(Stdio::inherit())
            .status()
            .map_err(|err| format!("starting {}: {err}", contender.name()))?;
        if !status.success() {
            return Err(format!("{} failed: {status}", contender.name()));
        }
        let text = fs::read_to_string(&log)
            .map_err(|err| format!("{} did not run the no-op restic: {err}", contender.name()))?;
        Ok(text.split('\0').map(str::to_owned).collect())
    }

    /// One timed run: spawn, wait, check the exit status.
    pub(crate) fn time_once(&self, contender: Contender) -> io::Result<Duration> {
        let mut command = self.command(contender);
        let start = Instant::now();
        let status = command.status()?;
        let elapsed = start.elapsed();
        if status.success() {
            Ok(elapsed)
        } else {
            Err(io::Error::other(format!(
                "{} exited with {status}",
                contender.name()
            )))
        }
    }
}

/// Timings of the interleaved rounds, one series per contender.
#[derive(Debug, Default)]
pub(crate) struct Samples {
    pub(crate) direct: Vec<Duration>,
    pub(crate) keld: Vec<Duration>,
    pub(crate) keld_dynamic: Vec<Duration>,
    pub(crate) baseline: Vec<Duration>,
    pub(crate) keld_show: Vec<Duration>,
    pub(crate) crestic: Vec<Duration>,
}

/// `warmup` untimed rounds, then `rounds` timed rounds of direct, keld, crestic and
/// `keld --show-command` in turn, so that all of them see the same machine load.
pub(crate) fn interleave(runners: &Runners, warmup: usize, rounds: usize) -> io::Result<Samples> {
    let mut contenders = vec![Contender::Direct, Contender::Keld];
    if runners.keld_dynamic.is_some() {
        contenders.push(Contender::KeldDynamic);
    }
    if runners.baseline.is_some() {
        contenders.push(Contender::Baseline);
    }
    if runners.crestic.is_some() {
        contenders.push(Contender::Crestic);
    }
    contenders.push(Contender::KeldShow);
    let mut samples = Samples::default();
    for round in 0..warmup + rounds {
        for &contender in &contenders {
            let elapsed = runners.time_once(contender)?;
            if round < warmup {
                continue;
            }
            match contender {
                Contender::Direct => samples.direct.push(elapsed),
                Contender::Keld => samples.keld.push(elapsed),
                Contender::KeldDynamic => samples.keld_dynamic.push(elapsed),
                Contender::Baseline => samples.baseline.push(elapsed),
                Contender::KeldShow => samples.keld_show.push(elapsed),
                Contender::Crestic => samples.crestic.push(elapsed),
            }
        }
    }
    Ok(samples)
}
