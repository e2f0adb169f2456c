//! The interactive mode's figures: keld-tui's own benchmark (`cargo bench -p
//! keld-tui`, divan, through its public API) and the real `keld`'s first screen on a
//! pseudo-terminal.
//!
//! The first screens start the release `keld` as the leader of a new session whose
//! controlling terminal is a fresh pseudo-terminal of 100×30 (`setsid --ctty
//! --wait`, the terminal's slave side as standard input, output and error), with a
//! restic that only sleeps, and time from spawning to the screen (read through a
//! terminal emulator) showing its first words. Each run ends by closing the
//! terminal, as closing a terminal window does: keld must then leave by itself.

use std::fs;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::pty::{Winsize, openpty};

use super::stats::Millis;

/// One figure: a median with the fastest and slowest run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Figure {
    pub(crate) name: String,
    pub(crate) runs: usize,
    pub(crate) median: Duration,
    pub(crate) min: Duration,
    pub(crate) max: Duration,
}

/// What each figure of keld-tui's benchmark measures (its function names).
const WHAT: [(&str, &str); 7] = [
    (
        "snapshots_10k_first_frame",
        "10,000 snapshots arrive → the list's first frame drawn",
    ),
    (
        "snapshots_10k_filter_keystroke",
        "10,000 snapshots: a filter keystroke → frame redrawn",
    ),
    (
        "tree_100k_first_frame",
        "100,000-entry tree arrives → its first frame drawn",
    ),
    (
        "tree_100k_search_first_keystroke",
        "100,000 entries: the search's first letter (all names scored) → frame",
    ),
    (
        "tree_100k_search_next_keystroke",
        "100,000 entries: a search keystroke (matches narrowed) → frame",
    ),
    (
        "parse_10k_snapshots",
        "10,000 snapshots: parse `snapshots --json` and sort (worker thread)",
    ),
    (
        "parse_100k_listing",
        "100,000 entries: parse `ls --json` into the tree (worker thread)",
    ),
];

/// Goal for every frame after a key or an answer: one frame at 60 Hz.
const FRAME_GOAL: Duration = Duration::from_millis(16);
/// Goal: the first screen is on the terminal within 50 ms of starting keld.
const FIRST_SCREEN_GOAL: Duration = Duration::from_millis(50);
const WIDTH: u16 = 100;
const HEIGHT: u16 = 30;
/// How long the real `keld` may take to show its first screen, or to leave once
/// its terminal is gone.
const PATIENCE: Duration = Duration::from_secs(30);

/// keld-tui's benchmark, then the first screens of `keld` (left out, with a note,
/// when it cannot be run).
pub(crate) fn measure(
    root: &Path,
    keld: &Path,
    runs: usize,
) -> Result<(Vec<Figure>, Vec<String>), String> {
    let mut figures = bench(root)?;
    let mut notes = Vec::new();
    match first_screens(root, keld, runs) {
        Ok(screens) => figures.extend(screens),
        Err(error) => notes.push(format!("first screens left out: {error}")),
    }
    Ok((figures, notes))
}

/// `cargo bench -p keld-tui --bench screens`, its medians read from divan's table.
fn bench(root: &Path) -> Result<Vec<Figure>, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["bench", "-p", "keld-tui", "--bench", "screens"])
        .current_dir(root)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| format!("cargo bench -p keld-tui: {err}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "cargo bench -p keld-tui failed ({}):\n{stdout}",
            output.status
        ));
    }
    let figures = parse_divan(&stdout)?;
    if figures.is_empty() {
        return Err(format!(
            "cargo bench -p keld-tui printed no figures:\n{stdout}"
        ));
    }
    Ok(figures)
}

/// The rows of divan's table: `├─ name  fastest │ slowest │ median │ mean │
/// samples │ iters`, times with their unit (`ns`, `µs`, `ms`, `s`).
pub(crate) fn parse_divan(output: &str) -> Result<Vec<Figure>, String> {
    let mut figures = Vec::new();
    for line in output.lines() {
        let Some(row) = line
            .trim_start()
            .strip_prefix("├─")
            .or_else(|| line.trim_start().strip_prefix("╰─"))
        else {
            continue;
        };
        let cells: Vec<&str> = row.split('│').map(str::trim).collect();
        let [first, slowest, median, _mean, samples, ..] = cells[..] else {
            return Err(format!("a divan row with too few columns: {line:?}"));
        };
        let words: Vec<&str> = first.split_whitespace().collect();
        let [name, fastest @ ..] = &words[..] else {
            return Err(format!("a divan row without a name: {line:?}"));
        };
        let time = |text: &str| {
            parse_time(text).ok_or_else(|| format!("not a time ({text:?}) in {line:?}"))
        };
        figures.push(Figure {
            name: (*name).to_owned(),
            runs: samples
                .parse()
                .map_err(|_| format!("not a sample count ({samples:?}) in {line:?}"))?,
            median: time(median)?,
            min: time(&fastest.join(" "))?,
            max: time(slowest)?,
        });
    }
    Ok(figures)
}

/// `1.234 ms` → 1.234 milliseconds.
fn parse_time(text: &str) -> Option<Duration> {
    let (number, unit) = text.trim().split_once(' ')?;
    let value: f64 = number.parse().ok()?;
    let nanos = match unit.trim() {
        "ns" => value,
        "µs" | "us" => value * 1e3,
        "ms" => value * 1e6,
        "s" => value * 1e9,
        _ => return None,
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(Duration::from_nanos(nanos.round() as u64))
}

/// A restic that answers nothing: every command sleeps until it is stopped.
const SLEEPING_RESTIC: &str = "#!/bin/sh\nexec sleep 60\n";

/// A directory with a config (presets `home` and `work`) and the sleeping restic
/// first in `PATH`.
fn place(root: &Path) -> Result<PathBuf, String> {
    let dir = crate::target_dir(root).join("xtask-bench/interactive");
    let io = |err: std::io::Error| format!("preparing {}: {err}", dir.display());
    for sub in ["bin", "home", "xdg"] {
        fs::create_dir_all(dir.join(sub)).map_err(io)?;
    }
    let restic = dir.join("bin/restic");
    fs::write(&restic, SLEEPING_RESTIC).map_err(io)?;
    fs::set_permissions(&restic, fs::Permissions::from_mode(0o755)).map_err(io)?;
    let config = dir.join("config.toml");
    fs::write(
        &config,
        "[home]\nrepo = \"/nowhere/repository\"\n\n\
         [home.environ]\nRESTIC_PASSWORD = \"not-a-secret\"\n\n\
         [work]\nrepo = \"/nowhere/else\"\n",
    )
    .map_err(io)?;
    fs::set_permissions(&config, fs::Permissions::from_mode(0o600)).map_err(io)?;
    Ok(dir)
}

/// The real `keld` started on a terminal: the dashboard (its first frame, while the
/// run records are read), and a restore's snapshot screen while restic has not
/// answered. Runs alternate, after two untimed rounds.
fn first_screens(root: &Path, keld: &Path, runs: usize) -> Result<Vec<Figure>, String> {
    if !keld.exists() {
        return Err(format!("{} does not exist", keld.display()));
    }
    let dir = place(root)?;
    let mut menu = Vec::with_capacity(runs);
    let mut restore = Vec::with_capacity(runs);
    for round in 0..runs + 2 {
        let to_menu = time_to_screen(&dir, keld, &[], "Backups")?;
        let to_restore = time_to_screen(
            &dir,
            keld,
            &["-p", "home", "restore"],
            "Reading the snapshots",
        )?;
        if round >= 2 {
            menu.push(to_menu);
            restore.push(to_restore);
        }
    }
    Ok(vec![
        summarize("first_screen_dashboard", &menu),
        summarize("first_screen_restore", &restore),
    ])
}

fn summarize(name: &str, samples: &[Duration]) -> Figure {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    let median = if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2
    };
    Figure {
        name: name.to_owned(),
        runs: sorted.len(),
        median,
        min: sorted[0],
        max: sorted[sorted.len() - 1],
    }
}

/// Start `keld ARGS` on a new terminal and return the time from spawning until the
/// screen shows `text`; then close the terminal and wait for keld to leave.
fn time_to_screen(dir: &Path, keld: &Path, args: &[&str], text: &str) -> Result<Duration, String> {
    let size = Winsize {
        ws_row: HEIGHT,
        ws_col: WIDTH,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = openpty(Some(&size), None).map_err(|err| format!("openpty: {err}"))?;
    // openpty's descriptors are inherited by default: keld (and the restic it starts)
    // would hold the master open, and closing it here would hang nothing up.
    for fd in [&pty.master, &pty.slave] {
        fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))
            .map_err(|err| format!("close-on-exec: {err}"))?;
    }
    let stdio = |fd: &OwnedFd| {
        fd.try_clone()
            .map(Stdio::from)
            .map_err(|err| format!("dup the terminal: {err}"))
    };
    let mut command = Command::new("setsid");
    command
        .args(["--ctty", "--wait"])
        .arg(keld)
        .env_clear()
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", dir.join("bin").display()),
        )
        .env("HOME", dir.join("home"))
        .env("XDG_CONFIG_HOME", dir.join("xdg"))
        .env("TERM", "xterm-256color")
        .arg("--config")
        .arg(dir.join("config.toml"))
        .args(args)
        .current_dir(dir)
        .stdin(stdio(&pty.slave)?)
        .stdout(stdio(&pty.slave)?)
        .stderr(stdio(&pty.slave)?);
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|err| format!("setsid {}: {err}", keld.display()))?;
    drop(command);
    drop(pty.slave);
    let mut parser = vt100::Parser::new(
        std::num::NonZeroU16::new(HEIGHT).expect("rows"),
        std::num::NonZeroU16::new(WIDTH).expect("columns"),
        0,
    );
    let mut buffer = [0_u8; 16 * 1024];
    let shown = loop {
        if started.elapsed() > PATIENCE {
            let _ = child.kill();
            return Err(format!(
                "keld did not show {text:?} within {PATIENCE:?}; the screen shows:\n{}",
                parser.screen().contents()
            ));
        }
        let mut fds = [PollFd::new(pty.master.as_fd(), PollFlags::POLLIN)];
        // Read only what is there: a blocking read of an idle screen would wait past
        // the patience for ever.
        let ready = poll(&mut fds, PollTimeout::from(50_u16)).is_ok_and(|count| count > 0);
        if !ready {
            continue;
        }
        let Ok(read @ 1..) = nix::unistd::read(&pty.master, &mut buffer) else {
            continue;
        };
        let at = started.elapsed();
        parser.process(&buffer[..read]);
        if parser.screen().contents().contains(text) {
            break at;
        }
    };
    // The terminal goes away: keld must notice and leave, its restic with it.
    drop(pty.master);
    let deadline = Instant::now() + PATIENCE;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return Ok(shown),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                return Err(format!(
                    "keld was still running {PATIENCE:?} after its terminal was closed"
                ));
            }
        }
    }
}

/// Prints the figures as a Markdown table, with the goals.
pub(crate) fn report(figures: &[Figure], notes: &[String]) {
    println!("| what | runs | median | fastest | slowest |");
    println!("|---|---|---|---|---|");
    for figure in figures {
        let what = WHAT
            .iter()
            .find(|(name, _)| *name == figure.name)
            .map_or_else(
                || describe_screen(&figure.name),
                |(_, what)| (*what).to_owned(),
            );
        println!(
            "| {what} | {} | {} | {} | {} |",
            figure.runs,
            Millis(figure.median),
            Millis(figure.min),
            Millis(figure.max)
        );
    }
    for note in notes {
        println!("note: {note}");
    }
    let frames: Vec<&Figure> = figures
        .iter()
        .filter(|f| f.name.ends_with("_frame") || f.name.ends_with("_keystroke"))
        .collect();
    if let Some(worst) = frames.iter().map(|f| f.median).max() {
        println!(
            "\nevery frame after an answer or a key within {} (slowest median: {}): {}",
            Millis(FRAME_GOAL),
            Millis(worst),
            super::verdict(worst <= FRAME_GOAL)
        );
    }
    let screens: Vec<&Figure> = figures
        .iter()
        .filter(|f| f.name.starts_with("first_screen"))
        .collect();
    if let Some(worst) = screens.iter().map(|f| f.max).max() {
        println!(
            "first screen within {} of start (slowest of all runs: {}): {}",
            Millis(FIRST_SCREEN_GOAL),
            Millis(worst),
            super::verdict(worst < FIRST_SCREEN_GOAL)
        );
    }
    println!();
}

fn describe_screen(name: &str) -> String {
    match name {
        "first_screen_dashboard" => {
            format!("`keld` started → dashboard on a {WIDTH}x{HEIGHT} terminal")
        }
        "first_screen_restore" => {
            "`keld -p home restore` started → snapshot screen, restic not yet answered".to_owned()
        }
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// divan 0.1's table for two benchmarks.
    const OUTPUT: &str = "\
Timer precision: 20 ns
screens                              fastest       │ slowest       │ median        │ mean          │ samples │ iters
├─ parse_10k_snapshots               15.12 ms      │ 19.4 ms       │ 16.01 ms      │ 16.3 ms       │ 20      │ 20
╰─ snapshots_10k_filter_keystroke    812.3 µs      │ 2.001 ms      │ 1.1 ms        │ 1.2 ms        │ 50      │ 50
";

    #[test]
    fn divan_rows_are_read_and_the_rest_skipped() {
        let figures = parse_divan(OUTPUT).expect("valid output");
        assert_eq!(
            figures,
            [
                Figure {
                    name: "parse_10k_snapshots".into(),
                    runs: 20,
                    median: Duration::from_micros(16_010),
                    min: Duration::from_micros(15_120),
                    max: Duration::from_micros(19_400),
                },
                Figure {
                    name: "snapshots_10k_filter_keystroke".into(),
                    runs: 50,
                    median: Duration::from_micros(1_100),
                    min: Duration::from_nanos(812_300),
                    max: Duration::from_micros(2_001),
                },
            ]
        );
    }

    #[test]
    fn a_broken_row_is_an_error_naming_it() {
        let error = parse_divan("├─ x  1 ms │ 2 ms\n").expect_err("too few columns");
        assert!(error.contains("too few columns"), "{error}");
        let error = parse_divan("├─ x  1 ms │ 2 ms │ soon │ 1 ms │ 5 │ 5\n").expect_err("a time");
        assert!(error.contains("\"soon\""), "{error}");
    }

    #[test]
    fn times_in_every_unit() {
        assert_eq!(parse_time("12 ns"), Some(Duration::from_nanos(12)));
        assert_eq!(parse_time("1.5 µs"), Some(Duration::from_nanos(1_500)));
        assert_eq!(parse_time("2 s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_time("2 h"), None);
    }

    #[test]
    fn medians_of_even_and_odd_counts() {
        let ms = Duration::from_millis;
        assert_eq!(summarize("x", &[ms(3), ms(1), ms(2)]).median, ms(2));
        let even = summarize("x", &[ms(4), ms(1), ms(3), ms(2)]);
        assert_eq!(
            (even.median, even.min, even.max),
            (Duration::from_micros(2_500), ms(1), ms(4))
        );
    }
}
