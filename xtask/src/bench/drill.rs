//! The drill figure: `keld drill` of 20 files from a snapshot of 10,000 files, against
//! the restic commands it needs (`ls` and `restore --include` of the same 20 files),
//! run side by side with the real restic on a real repository.
//!
//! Each round runs the four contenders one after another, in an order that rotates
//! from round to round, so a change in the machine's load touches all of them. Each
//! run is measured twice: its wall time, and the CPU time it and every process it
//! started used (the children's user and system time from `/proc/self/stat`), which
//! other work on a shared machine disturbs much less.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::stats::{Millis, Summary};

/// Files in the snapshot.
pub(crate) const FILES: usize = 10_000;
/// Files in the sample.
pub(crate) const SAMPLE: usize = 20;
/// The goal: a drill costs at most this many times the restic commands it needs.
const GOAL: f64 = 1.2;
/// The sample's seed: every round drills the same files.
const SEED: &str = "1";
const PASSWORD: &str = "keld bench";

/// The repository, its snapshot and the config, reused between runs of the bench
/// (the backup of 10,000 files takes a while).
struct Fixture {
    dir: PathBuf,
    restic: PathBuf,
    config: PathBuf,
    snapshot: String,
    hostname: String,
}

/// One series: wall time and CPU time per run.
#[derive(Default)]
pub(crate) struct Series {
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
}

impl Series {
    fn push(&mut self, (wall, cpu): (Duration, Duration)) {
        self.wall.push(wall);
        self.cpu.push(cpu);
    }
}

/// The four series.
pub(crate) struct Figures {
    restic_version: String,
    keld_by_id: Series,
    restic_by_id: Series,
    keld_newest: Series,
    restic_newest: Series,
}

/// The CPU time (user and system) of this process's children that were waited for,
/// in the kernel's clock ticks of 10 ms.
fn children_cpu() -> Duration {
    let stat = fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<u64> = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .map(|field| field.parse().unwrap_or(0))
                .collect()
        })
        .unwrap_or_default();
    // After the command: state is field 3, cutime field 16 and cstime field 17.
    let ticks = fields.get(13).copied().unwrap_or(0) + fields.get(14).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// Run `work` and say how long it took, in wall time and in its children's CPU time.
fn timed(work: impl FnOnce() -> Result<(), String>) -> Result<(Duration, Duration), String> {
    let cpu = children_cpu();
    let started = Instant::now();
    work()?;
    Ok((started.elapsed(), children_cpu().saturating_sub(cpu)))
}

/// Build (or reuse) the fixture under `dir` and time `runs` rounds.
pub(crate) fn measure(
    keld: &Path,
    restic: &Path,
    dir: &Path,
    runs: usize,
) -> Result<Figures, String> {
    let fixture = Fixture::prepare(dir, restic).map_err(|err| format!("drill fixture: {err}"))?;
    let includes = fixture.sample(keld)?;
    // Warm restic's cache and the page cache alike for every contender.
    fixture.keld_drill(keld, true)?;
    fixture.restic_commands(&includes, true, 0)?;
    let mut figures = Figures {
        restic_version: fixture.version()?,
        keld_by_id: Series::default(),
        restic_by_id: Series::default(),
        keld_newest: Series::default(),
        restic_newest: Series::default(),
    };
    for round in 0..runs {
        eprint!("\r  drill round {}/{runs}", round + 1);
        for turn in 0..4 {
            match (round + turn) % 4 {
                0 => figures.keld_by_id.push(fixture.keld_drill(keld, true)?),
                1 => figures
                    .restic_by_id
                    .push(fixture.restic_commands(&includes, true, round)?),
                2 => figures.keld_newest.push(fixture.keld_drill(keld, false)?),
                _ => figures
                    .restic_newest
                    .push(fixture.restic_commands(&includes, false, round)?),
            }
        }
    }
    eprintln!();
    Ok(figures)
}

impl Fixture {
    fn prepare(dir: &Path, restic: &Path) -> io::Result<Self> {
        let done = dir.join("ready");
        let hostname = fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|name| name.trim().to_owned())
            .unwrap_or_default();
        let mut fixture = Self {
            dir: dir.to_owned(),
            restic: restic.to_owned(),
            config: dir.join("keld.toml"),
            snapshot: String::new(),
            hostname,
        };
        let expected = format!("{FILES} {}", restic.display());
        if fs::read_to_string(dir.join("made-with")).ok().as_deref() == Some(&expected)
            && let Ok(snapshot) = fs::read_to_string(&done)
        {
            fixture.snapshot = snapshot.trim().to_owned();
            return Ok(fixture);
        }
        if dir.exists() {
            fixture.make_writable(dir);
            fs::remove_dir_all(dir)?;
        }
        eprintln!("drill fixture: {FILES} files, a repository and a backup (once) ...");
        let source = dir.join("source");
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for index in 0..FILES {
            let sub = source.join(format!("d{:03}", index / 100));
            if index % 100 == 0 {
                fs::create_dir_all(&sub)?;
            }
            let len = 256 + (next(&mut state) % 3840) as usize;
            let content: Vec<u8> = (0..len)
                .map(|_| next(&mut state).to_le_bytes()[0])
                .collect();
            fs::write(sub.join(format!("f{index:05}.dat")), content)?;
        }
        fs::create_dir_all(dir.join("home"))?;
        fs::create_dir_all(dir.join("tmp"))?;
        fs::write(
            &fixture.config,
            format!(
                "[bench]\nrepo = \"{}\"\n_arguments = [\"{}\"]\n\n[bench.environ]\nRESTIC_PASSWORD = \"{PASSWORD}\"\n",
                dir.join("repo").display(),
                source.display()
            ),
        )?;
        let mut permissions = fs::metadata(&fixture.config)?.permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o600);
        fs::set_permissions(&fixture.config, permissions)?;
        fixture.restic_ok(&["init"])?;
        fixture.restic_ok(&["backup", "--quiet", &source.display().to_string()])?;
        let listed = fixture.restic_ok(&["snapshots", "--json", "--latest", "1"])?;
        let snapshots: serde_json::Value = serde_json::from_slice(&listed)
            .map_err(|err| io::Error::other(format!("restic snapshots: {err}")))?;
        fixture.snapshot = snapshots[0]["id"]
            .as_str()
            .ok_or_else(|| io::Error::other("restic made no snapshot"))?
            .to_owned();
        fs::write(dir.join("made-with"), expected)?;
        fs::write(done, &fixture.snapshot)?;
        Ok(fixture)
    }

    /// restic with the fixture's repository, password and home.
    fn restic(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.restic);
        command
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.dir.join("home"))
            .env("RESTIC_PASSWORD", PASSWORD)
            .arg("--repo")
            .arg(self.dir.join("repo"))
            .args(args)
            .stdin(Stdio::null());
        command
    }

    fn restic_ok(&self, args: &[&str]) -> io::Result<Vec<u8>> {
        let output = self.restic(args).stderr(Stdio::inherit()).output()?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(io::Error::other(format!(
                "restic {}: {}",
                args.join(" "),
                output.status
            )))
        }
    }

    fn version(&self) -> Result<String, String> {
        let output = Command::new(&self.restic)
            .arg("version")
            .output()
            .map_err(|err| format!("restic version: {err}"))?;
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    fn keld(&self, keld: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(keld);
        command
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.dir.join("home"))
            .env("TMPDIR", self.dir.join("tmp"))
            .env("KELD_EXECUTABLE", &self.restic)
            .env("KELD_STATE_DIR", self.dir.join("state"))
            .arg("--config")
            .arg(&self.config)
            .args(["-p", "bench", "drill", "--seed", SEED])
            .args(args)
            .stdin(Stdio::null());
        command
    }

    /// The drill's sample, as `--include` patterns (the names need no escaping).
    fn sample(&self, keld: &Path) -> Result<Vec<String>, String> {
        let output = self
            .keld(keld, &["--json", &self.snapshot])
            .output()
            .map_err(|err| format!("keld drill: {err}"))?;
        let document: serde_json::Value = serde_json::from_slice(&output.stdout)
            .map_err(|err| format!("keld drill --json: {err}"))?;
        let files = document["files"].as_array().cloned().unwrap_or_default();
        let ok = files.iter().all(|file| file["verdict"] == "ok");
        if !output.status.success() || files.len() != SAMPLE || !ok {
            return Err(format!(
                "keld drill did not drill {SAMPLE} files cleanly: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(files
            .iter()
            .filter_map(|file| file["path"].as_str().map(str::to_owned))
            .collect())
    }

    /// One `keld drill`, of the snapshot by id or of the newest one.
    fn keld_drill(&self, keld: &Path, by_id: bool) -> Result<(Duration, Duration), String> {
        let snapshot = [self.snapshot.as_str()];
        let args: &[&str] = if by_id { &snapshot } else { &[] };
        timed(|| {
            let status = self
                .keld(keld, args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map_err(|err| format!("keld drill: {err}"))?;
            if status.success() {
                Ok(())
            } else {
                Err(format!("keld drill failed: {status}"))
            }
        })
    }

    /// The restic commands a drill needs, one after another: `snapshots` when the
    /// snapshot is to be found, `ls --json` (their output read from a pipe), and
    /// `restore --include` of the sample.
    fn restic_commands(
        &self,
        includes: &[String],
        by_id: bool,
        round: usize,
    ) -> Result<(Duration, Duration), String> {
        let target = self.dir.join("tmp").join(format!("direct-{round}"));
        let mut restore: Vec<String> = vec![
            "restore".into(),
            self.snapshot.clone(),
            "--target".into(),
            target.display().to_string(),
        ];
        for include in includes {
            restore.extend(["--include".into(), include.clone()]);
        }
        let source = self.dir.join("source").display().to_string();
        let find = [
            "snapshots",
            "--json",
            "--latest",
            "1",
            "--host",
            &self.hostname,
            "--path",
            &source,
        ];
        let list = ["ls", "--json", &self.snapshot];
        let restore: Vec<&str> = restore.iter().map(String::as_str).collect();
        let mut steps: Vec<&[&str]> = Vec::new();
        if !by_id {
            steps.push(&find);
        }
        steps.push(&list);
        steps.push(&restore);
        let took = timed(|| {
            for step in steps {
                // The listings are read, as anything that uses them must; what
                // restore prints is not.
                let listing = step[0] != "restore";
                let output = self
                    .restic(step)
                    .stdout(if listing {
                        Stdio::piped()
                    } else {
                        Stdio::null()
                    })
                    .stderr(Stdio::null())
                    .output()
                    .map_err(|err| format!("restic {}: {err}", step[0]))?;
                if !output.status.success() || (listing && output.stdout.is_empty()) {
                    return Err(format!("restic {} failed: {}", step[0], output.status));
                }
            }
            Ok(())
        })?;
        self.make_writable(&target);
        let _ = fs::remove_dir_all(&target);
        Ok(took)
    }

    /// restic restores the modes files had; the bench removes what it restored.
    fn make_writable(&self, dir: &Path) {
        let _ = Command::new("chmod")
            .args(["-R", "u+rwX"])
            .arg(dir)
            .status();
    }
}

/// xorshift64: the fixture's file sizes and contents, the same every time.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// The ratio of the two series' medians.
fn median_ratio(a: &[Duration], b: &[Duration]) -> f64 {
    match (Summary::of(a), Summary::of(b)) {
        (Some(a), Some(b)) => a.median.as_secs_f64() / b.median.as_secs_f64(),
        _ => f64::NAN,
    }
}

/// The median of the per-round ratios `a[i] / b[i]`.
fn median_paired_ratio(a: &[Duration], b: &[Duration]) -> Option<f64> {
    let mut ratios: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
        .collect();
    if ratios.is_empty() {
        return None;
    }
    ratios.sort_by(f64::total_cmp);
    let mid = ratios.len() / 2;
    Some(if ratios.len() % 2 == 1 {
        ratios[mid]
    } else {
        f64::midpoint(ratios[mid - 1], ratios[mid])
    })
}

/// Print the figure as a Markdown section.
pub(crate) fn report(figures: &Figures, runs: usize) {
    println!("## Drill ({SAMPLE} of {FILES} files, {runs} rounds)\n");
    println!("restic: {}\n", figures.restic_version);
    println!("| run | median | p90 | min | max | CPU time, median |");
    println!("|---|---|---|---|---|---|");
    let rows = [
        ("`keld drill SNAPSHOT`", &figures.keld_by_id),
        (
            "restic `ls --json` + `restore --include` (the same files)",
            &figures.restic_by_id,
        ),
        ("`keld drill` (the newest snapshot)", &figures.keld_newest),
        (
            "restic `snapshots --latest 1` + `ls --json` + `restore --include`",
            &figures.restic_newest,
        ),
    ];
    for (name, series) in rows {
        if let (Some(summary), Some(cpu)) = (Summary::of(&series.wall), Summary::of(&series.cpu)) {
            println!(
                "| {name} | {} | {} | {} | {} | {} |",
                Millis(summary.median),
                Millis(summary.p90),
                Millis(summary.min),
                Millis(summary.max),
                Millis(cpu.median)
            );
        }
    }
    println!();
    for (what, keld, restic) in [
        (
            "drill of a snapshot by id / ls + restore",
            &figures.keld_by_id,
            &figures.restic_by_id,
        ),
        (
            "drill of the newest snapshot / snapshots + ls + restore",
            &figures.keld_newest,
            &figures.restic_newest,
        ),
    ] {
        let wall = (
            median_ratio(&keld.wall, &restic.wall),
            median_paired_ratio(&keld.wall, &restic.wall).unwrap_or(f64::NAN),
        );
        let cpu = (
            median_ratio(&keld.cpu, &restic.cpu),
            median_paired_ratio(&keld.cpu, &restic.cpu).unwrap_or(f64::NAN),
        );
        println!(
            "{what}: wall time {:.3}x (medians), {:.3}x (median of paired ratios); \
             CPU time {:.3}x (medians), {:.3}x (paired); goal <= {GOAL}x: {}",
            wall.0,
            wall.1,
            cpu.0,
            cpu.1,
            if wall.0 <= GOAL && wall.1 <= GOAL {
                "met"
            } else {
                "NOT met"
            }
        );
    }
    println!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_ratios_take_the_middle() {
        let ms = |values: &[u64]| -> Vec<Duration> {
            values.iter().map(|v| Duration::from_millis(*v)).collect()
        };
        let ratio = median_paired_ratio(&ms(&[110, 300, 120]), &ms(&[100, 100, 100])).unwrap();
        assert!((ratio - 1.2).abs() < 1e-9);
        assert_eq!(median_paired_ratio(&[], &[]), None);
    }
}
