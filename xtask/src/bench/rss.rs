//! Peak resident memory of keld while it supervises restic.
//!
//! Two views of the same thing: keld's own high-water mark (`VmHWM` in
//! `/proc/<pid>/status`) read while restic is still running, and what
//! `/usr/bin/time -v` reports for the whole run (the largest of keld and the no-op
//! restic it waited for).

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::fixture::{Fixture, HOLD_VAR};
use super::runners::{Contender, Runners};

const TIMEOUT: Duration = Duration::from_secs(10);

/// Memory figures in KiB.
#[derive(Debug, Default)]
pub(crate) struct Rss {
    /// Highest `VmHWM` of keld over the samples, read while restic ran.
    pub(crate) keld_hwm_kib: Option<u64>,
    /// `/usr/bin/time -v` "Maximum resident set size" for a keld run.
    pub(crate) time_keld_kib: Option<u64>,
    /// The same for the no-op restic run directly, to tell its share apart.
    pub(crate) time_direct_kib: Option<u64>,
    /// Why a figure is missing.
    pub(crate) notes: Vec<String>,
}

/// Measures keld's peak RSS `samples` times while restic is held running.
pub(crate) fn measure(runners: &Runners, fixture: &Fixture, samples: usize) -> Rss {
    let mut rss = Rss::default();
    for n in 0..samples {
        match hwm_while_supervising(runners, fixture, n) {
            Ok(kib) => rss.keld_hwm_kib = rss.keld_hwm_kib.max(Some(kib)),
            Err(err) => {
                rss.notes.push(format!("VmHWM: {err}"));
                break;
            }
        }
    }
    let time = Path::new("/usr/bin/time");
    if time.exists() {
        match time_v(runners, Contender::Keld) {
            Ok(kib) => rss.time_keld_kib = Some(kib),
            Err(err) => rss.notes.push(format!("/usr/bin/time -v keld: {err}")),
        }
        match time_v(runners, Contender::Direct) {
            Ok(kib) => rss.time_direct_kib = Some(kib),
            Err(err) => rss.notes.push(format!("/usr/bin/time -v restic: {err}")),
        }
    } else {
        rss.notes
            .push("/usr/bin/time is not installed (apt-get install time)".to_owned());
    }
    rss
}

/// Starts keld with a restic that waits, reads keld's `VmHWM` once restic is running,
/// then lets restic finish.
fn hwm_while_supervising(runners: &Runners, fixture: &Fixture, n: usize) -> Result<u64, String> {
    let hold = fixture.dir.join(format!("hold-{n}"));
    let started = hold.with_extension("started");
    let mut keld = runners
        .command(Contender::Keld)
        .env(HOLD_VAR, &hold)
        .spawn()
        .map_err(|err| format!("starting keld: {err}"))?;
    let result = (|| {
        wait_for(&started)?;
        let status = fs::read_to_string(format!("/proc/{}/status", keld.id()))
            .map_err(|err| format!("reading keld's /proc status: {err}"))?;
        status_kib(&status, "VmHWM").ok_or_else(|| "no VmHWM line".to_owned())
    })();
    let _ = fs::write(&hold, b"");
    let exit = keld
        .wait()
        .map_err(|err| format!("waiting for keld: {err}"))?;
    if !exit.success() {
        return Err(format!("keld exited with {exit}"));
    }
    result
}

fn wait_for(path: &Path) -> Result<(), String> {
    let deadline = Instant::now() + TIMEOUT;
    while !path.exists() {
        if Instant::now() > deadline {
            return Err(format!("restic did not start within {TIMEOUT:?}"));
        }
        thread::sleep(Duration::from_millis(2));
    }
    Ok(())
}

/// `/usr/bin/time -v` around one run; its report goes to a file so the contender's
/// own output stays discarded.
fn time_v(runners: &Runners, contender: Contender) -> Result<u64, String> {
    let inner = runners.command(contender);
    let report = std::env::temp_dir().join(format!("keld-bench-time-{}.txt", std::process::id()));
    let mut command = Command::new("/usr/bin/time");
    command
        .arg("-v")
        .arg("-o")
        .arg(&report)
        .arg(inner.get_program())
        .args(inner.get_args())
        .env_clear()
        .envs(
            inner
                .get_envs()
                .filter_map(|(name, value)| value.map(|value| (name, value))),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let status = command
        .status()
        .map_err(|err| format!("starting /usr/bin/time: {err}"))?;
    let text = fs::read_to_string(&report).map_err(|err| format!("reading its report: {err}"));
    let _ = fs::remove_file(&report);
    if !status.success() {
        return Err(format!("exited with {status}"));
    }
    let text = text?;
    text.lines()
        .find_map(|line| {
            line.trim()
                .strip_prefix("Maximum resident set size (kbytes):")
                .and_then(|value| value.trim().parse().ok())
        })
        .ok_or_else(|| "no \"Maximum resident set size\" line".to_owned())
}

/// The value in KiB of a `/proc/<pid>/status` field such as `VmHWM:    3380 kB`.
fn status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::status_kib;

    #[test]
    fn reads_a_proc_status_field() {
        let status =
            "Name:\tkeld\nVmPeak:\t   10000 kB\nVmHWM:\t    3380 kB\nVmRSS:\t    3300 kB\n";
        assert_eq!(status_kib(status, "VmHWM"), Some(3380));
        assert_eq!(status_kib(status, "VmRSS"), Some(3300));
        assert_eq!(status_kib(status, "VmSwap"), None);
        assert_eq!(status_kib(status, "Vm"), None);
    }
}
