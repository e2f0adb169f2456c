//! The interactive mode's figures: the snapshot list with 10,000 snapshots, the tree
//! with 100,000 entries, and the real `keld`'s first screen on a pseudo-terminal.
//!
//! The code under measurement is private to the keld-cli package, so the measuring
//! lives there too, as an ignored test (`keld-cli/src/interactive/bench.rs`). This
//! step runs it in a release build and turns the lines it prints into a table.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::stats::Millis;

/// The test that measures, by its exact name inside keld-cli's library.
const TEST: &str = "interactive::bench::figures";
/// The mark at the start of each figure's line.
const PREFIX: &str = "keld-bench";

/// One figure as the test reports it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Figure {
    pub(crate) name: String,
    pub(crate) runs: usize,
    pub(crate) median: Duration,
    pub(crate) min: Duration,
    pub(crate) max: Duration,
    pub(crate) what: String,
}

/// Runs the measuring test in a release build with the release `keld` for the
/// first-screen figures; returns its figures and notes.
pub(crate) fn measure(
    root: &Path,
    keld: &Path,
    runs: usize,
) -> Result<(Vec<Figure>, Vec<String>), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "test",
            "--release",
            "-p",
            "keld-cli",
            "--lib",
            TEST,
            "--",
            "--ignored",
            "--nocapture",
            "--exact",
        ])
        .env("KELD_BENCH_KELD", keld)
        .env("KELD_BENCH_RUNS", runs.to_string())
        .current_dir(root)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| format!("cargo test {TEST}: {err}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "cargo test {TEST} failed ({}):\n{stdout}",
            output.status
        ));
    }
    let (figures, notes) = parse(&stdout)?;
    if figures.is_empty() {
        return Err(format!("cargo test {TEST} printed no figures:\n{stdout}"));
    }
    Ok((figures, notes))
}

/// Reads the figure lines (and `keld-bench-note` lines) out of the test's output;
/// everything else the test harness prints is skipped.
pub(crate) fn parse(output: &str) -> Result<(Vec<Figure>, Vec<String>), String> {
    let mut figures = Vec::new();
    let mut notes = Vec::new();
    for line in output.lines() {
        let mut fields = line.split('\t');
        match fields.next() {
            Some(PREFIX) => {}
            Some(mark) if mark == format!("{PREFIX}-note") => {
                notes.push(fields.collect::<Vec<_>>().join(" "));
                continue;
            }
            _ => continue,
        }
        let fields: Vec<&str> = fields.collect();
        let [name, runs, median, min, max, what] = fields[..] else {
            return Err(format!("a figure line with the wrong fields: {line:?}"));
        };
        let nanos = |text: &str| {
            text.parse::<u64>()
                .map(Duration::from_nanos)
                .map_err(|_| format!("not a number of nanoseconds ({text:?}) in {line:?}"))
        };
        figures.push(Figure {
            name: name.to_owned(),
            runs: runs
                .parse()
                .map_err(|_| format!("not a number of runs ({runs:?}) in {line:?}"))?,
            median: nanos(median)?,
            min: nanos(min)?,
            max: nanos(max)?,
            what: what.to_owned(),
        });
    }
    Ok((figures, notes))
}

/// Prints the figures as a Markdown table.
pub(crate) fn report(figures: &[Figure], notes: &[String]) {
    println!("| what | runs | median | min | max |");
    println!("|---|---|---|---|---|");
    for figure in figures {
        println!(
            "| {} | {} | {} | {} | {} |",
            figure.what,
            figure.runs,
            Millis(figure.median),
            Millis(figure.min),
            Millis(figure.max)
        );
    }
    for note in notes {
        println!("note: {note}");
    }
    if let Some(menu) = figures.iter().find(|f| f.name == "first_screen_menu") {
        let restore = figures.iter().find(|f| f.name == "first_screen_restore");
        let worst = restore.map_or(menu.max, |restore| restore.max.max(menu.max));
        println!(
            "\nfirst screen within 50 ms of start (slowest of all runs: {}): {}",
            Millis(worst),
            super::verdict(worst < FIRST_SCREEN_GOAL)
        );
    }
    println!();
}

/// Goal: the first screen is on the terminal within 50 ms of starting keld.
const FIRST_SCREEN_GOAL: Duration = Duration::from_millis(50);

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "\
running 1 test
keld-bench-note\tKELD_BENCH_KELD is not set: first screens left out
keld-bench\tsnapshots_filter\t20\t12500000\t11000000\t19000001\t10000 snapshots: filter by a word
keld-bench\tfirst_screen_menu\t20\t7600000\t6100000\t15000000\t`keld` started -> command menu
test interactive::bench::figures ... ok
";

    #[test]
    fn figure_lines_are_read_and_the_rest_skipped() {
        let (figures, notes) = parse(OUTPUT).expect("valid output");
        assert_eq!(
            notes,
            ["KELD_BENCH_KELD is not set: first screens left out"]
        );
        assert_eq!(figures.len(), 2);
        assert_eq!(
            figures[0],
            Figure {
                name: "snapshots_filter".into(),
                runs: 20,
                median: Duration::from_micros(12_500),
                min: Duration::from_millis(11),
                max: Duration::from_nanos(19_000_001),
                what: "10000 snapshots: filter by a word".into(),
            }
        );
        assert_eq!(figures[1].name, "first_screen_menu");
        assert_eq!(figures[1].max, Duration::from_millis(15));
    }

    #[test]
    fn a_broken_figure_line_is_an_error_naming_it() {
        let error = parse("keld-bench\tx\t20\t12\n").expect_err("too few fields");
        assert!(error.contains("wrong fields"), "{error}");
        let error = parse("keld-bench\tx\t20\tsoon\t1\t2\twhat\n").expect_err("not a number");
        assert!(error.contains("\"soon\""), "{error}");
    }

    #[test]
    fn output_without_figures_gives_none() {
        let (figures, notes) = parse("running 0 tests\n").expect("no figure lines");
        assert!(figures.is_empty() && notes.is_empty());
    }
}
