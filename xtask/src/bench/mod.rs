//! `cargo xtask bench`: keld's cost around a restic run, measured against the
//! alternatives in one interleaved run, and the interactive mode's speed.
//!
//! The machine this runs on is usually shared, so absolute times move between runs;
//! the comparisons (differences of paired runs, ratios) are what each run is for.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// keld-config's 50-file benchmark config: one generator for its benchmark and this.
#[path = "../../../crates/keld-config/benches/fixture.rs"]
mod config_fixture;
mod drill;
mod fixture;
mod history;
mod interactive;
mod large;
mod records;
mod rounds;
mod rss;
mod runners;
mod stats;

use fixture::Fixture;
use runners::{Contender, Runners, Samples};
use stats::{Millis, Summary, median_paired_difference, micros};

/// Goal: keld adds at most 0.75 ms to a restic run of the typical preset (median).
const OVERHEAD_GOAL: Duration = Duration::from_micros(750);
/// Goal: keld's peak RSS while supervising stays under 6 MiB.
const RSS_GOAL_KIB: u64 = 6 * 1024;
const WARMUP_ROUNDS: usize = 10;
/// Rounds of the 50-file config step, whose runs take several milliseconds each.
const LARGE_ROUNDS: usize = 100;
const RSS_SAMPLES: usize = 5;

/// Command-line options of `cargo xtask bench`.
#[derive(Debug)]
pub(crate) struct Options {
    runs: usize,
    crestic: Option<PathBuf>,
    no_crestic: bool,
    baseline: Option<PathBuf>,
    divan: bool,
    large: bool,
    records: bool,
    status: bool,
    build: bool,
    dynamic: bool,
    interactive: bool,
    interactive_runs: usize,
    drill: bool,
    drill_only: bool,
    drill_runs: usize,
    restic: Option<PathBuf>,
}

impl Options {
    pub(crate) fn parse(args: &[String]) -> Result<Self, String> {
        let mut options = Options {
            runs: 300,
            crestic: None,
            no_crestic: false,
            baseline: None,
            divan: true,
            large: true,
            records: true,
            status: true,
            build: true,
            dynamic: true,
            interactive: true,
            interactive_runs: 20,
            drill: true,
            drill_only: false,
            drill_runs: 20,
            restic: None,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--runs" => options.runs = positive(arg, args.next())?,
                "--interactive-runs" => options.interactive_runs = positive(arg, args.next())?,
                "--no-interactive" => options.interactive = false,
                "--drill-runs" => options.drill_runs = positive(arg, args.next())?,
                "--no-drill" => options.drill = false,
                "--drill-only" => options.drill_only = true,
                "--restic" => {
                    let value = args.next().ok_or("--restic needs a path")?;
                    options.restic = Some(PathBuf::from(value));
                }
                "--crestic" => {
                    let value = args.next().ok_or("--crestic needs a path")?;
                    options.crestic = Some(PathBuf::from(value));
                }
                "--no-crestic" => options.no_crestic = true,
                "--baseline" => {
                    let value = args.next().ok_or("--baseline needs a path")?;
                    options.baseline = Some(PathBuf::from(value));
                }
                "--no-divan" | "--no-config-bench" => options.divan = false,
                "--no-large" => options.large = false,
                "--no-records" => options.records = false,
                "--no-status" => options.status = false,
                "--no-build" => options.build = false,
                "--no-dynamic" => options.dynamic = false,
                other => return Err(format!("unknown option {other:?}")),
            }
        }
        Ok(options)
    }
}

/// The positive number after `option`.
fn positive(option: &str, value: Option<&String>) -> Result<usize, String> {
    let value = value.ok_or_else(|| format!("{option} needs a number"))?;
    value
        .parse()
        .ok()
        .filter(|runs| *runs > 0)
        .ok_or_else(|| format!("{option} {value}: not a positive number"))
}

/// Runs the whole benchmark and prints its report on stdout.
pub(crate) fn run(options: &Options) -> Result<(), String> {
    let root = crate::root();
    let target = crate::target_dir(&root);
    let keld = if options.build {
        crate::dist::build(&root, &target)?.binary
    } else {
        target.join("dist/keld")
    };
    if options.drill_only {
        if !keld.exists() {
            return Err(format!(
                "{} does not exist; run without --no-build",
                keld.display()
            ));
        }
        println!(
            "# cargo xtask bench --drill-only
"
        );
        println!("machine: {}", machine());
        println!("load average before: {}", load_average());
        println!(
            "keld: {}
",
            keld.display()
        );
        drill_step(options, &keld, &target)?;
        println!("load average after: {}", load_average());
        return Ok(());
    }
    let dynamic = if options.dynamic {
        if options.build {
            eprintln!("building keld (plain release build, for comparison) ...");
            cargo(&root, &["build", "--release", "-p", "keld-cli"])?;
        }
        Some(target.join("release/keld"))
    } else {
        None
    };
    let baseline = options.baseline.clone();
    for binary in std::iter::once(&keld).chain(&dynamic).chain(&baseline) {
        if !binary.exists() {
            return Err(format!(
                "{} does not exist; run without --no-build",
                binary.display()
            ));
        }
    }
    let fixture = Fixture::create(&target.join("xtask-bench"))
        .map_err(|err| format!("preparing the fixture: {err}"))?;

    let (crestic, crestic_note) = if options.no_crestic {
        (None, "left out (--no-crestic)".to_owned())
    } else {
        find_crestic(options.crestic.clone())
    };
    let mut runners = Runners::new(keld.clone(), dynamic, baseline.clone(), crestic, &fixture)?;
    let mut crestic_note = crestic_note;
    check_arguments(&mut runners, &fixture, &mut crestic_note)?;

    println!("# cargo xtask bench\n");
    println!("machine: {}", machine());
    println!("load average before: {}", load_average());
    println!("keld: {} (cargo xtask dist)", runners.keld.display());
    if let Some(dynamic) = &runners.keld_dynamic {
        println!("keld, plain build: {}", dynamic.display());
    }
    if let Some(baseline) = &runners.baseline {
        println!("baseline keld (--baseline): {}", baseline.display());
    }
    println!("no-op restic: {}", fixture.restic.display());
    println!("crestic: {crestic_note}");
    println!("restic command (from keld --show-command --json):");
    println!("  {}", runners.argv.join(" "));

    eprintln!(
        "timing {} interleaved rounds (+{WARMUP_ROUNDS} warm-up) ...",
        options.runs
    );
    let samples = runners::interleave(&runners, WARMUP_ROUNDS, options.runs)
        .map_err(|err| format!("timed run: {err}"))?;
    println!("load average after: {}\n", load_average());
    report_timings(&samples, options.runs);

    eprintln!("measuring peak RSS ...");
    report_rss(&rss::measure(&runners, &fixture, RSS_SAMPLES));

    let scratch = target.join("xtask-bench");
    let baseline = baseline.as_deref();
    if options.large {
        large::measure(
            &keld,
            baseline,
            &fixture.restic,
            &scratch.join("large"),
            WARMUP_ROUNDS,
            LARGE_ROUNDS.min(options.runs),
        )?;
    }
    if options.records {
        records::measure(
            &keld,
            baseline,
            &runners.argv,
            &scratch.join("records"),
            WARMUP_ROUNDS,
            options.runs,
        )?;
    }
    if options.status {
        history::measure(
            &keld,
            baseline,
            &fixture.restic,
            &scratch.join("status"),
            WARMUP_ROUNDS,
            LARGE_ROUNDS.min(options.runs),
        )?;
    }

    if options.interactive {
        eprintln!(
            "measuring the interactive mode (cargo bench -p keld-tui, which builds the \
             benchmark first; then {} first screens of keld on a pseudo-terminal) ...",
            options.interactive_runs
        );
        println!("## Interactive mode (cargo bench -p keld-tui; keld on a pseudo-terminal)\n");
        let (figures, notes) = interactive::measure(&root, &keld, options.interactive_runs)?;
        interactive::report(&figures, &notes);
    }

    if options.drill {
        drill_step(options, &keld, &target)?;
    }

    if options.divan {
        for (package, bench, title, goal) in DIVAN_BENCHES {
            eprintln!("running cargo bench -p {package} --bench {bench} (builds it first) ...");
            report_divan(&root, package, bench, title, goal);
        }
    }
    Ok(())
}

/// The drill figure with the real restic (`--restic`, else `restic` on PATH), or a
/// line saying why it is left out.
fn drill_step(options: &Options, keld: &Path, target: &Path) -> Result<(), String> {
    let restic = options.restic.clone().or_else(|| {
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|dir| dir.join("restic"))
            .find(|path| path.is_file())
    });
    let Some(restic) = restic else {
        println!(
            "## Drill

left out: no restic on PATH (give one with --restic PATH)
"
        );
        return Ok(());
    };
    eprintln!(
        "timing drills of {} of {} files against restic ls + restore ({} rounds) ...",
        drill::SAMPLE,
        drill::FILES,
        options.drill_runs
    );
    let figures = drill::measure(
        keld,
        &restic,
        &target.join("xtask-bench-drill"),
        options.drill_runs,
    )?;
    drill::report(&figures, options.drill_runs);
    Ok(())
}

/// The divan benchmarks whose tables the report repeats: package, benchmark, what it
/// measures, and the goal it is judged by (if any).
const DIVAN_BENCHES: [(&str, &str, &str, &str); 3] = [
    (
        "keld-config",
        "resolve",
        "Config resolution",
        "goal: resolution of one preset < 5 ms (the resolve_* rows)",
    ),
    (
        "keld-hooks",
        "records",
        "Appending a run record, taking the preset lock",
        "",
    ),
    (
        "keld-supervise",
        "spawn",
        "Starting and reaping a child: keld's clone against fork and posix_spawn",
        "",
    ),
];

fn cargo(root: &Path, args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|err| format!("cargo {}: {err}", args.join(" ")))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo {} failed: {status}", args.join(" ")))
    }
}

/// The crestic script to time, and a line describing it (or why it is left out).
///
/// A pyenv shim is resolved to the script it would run: the shim is a bash script that
/// starts pyenv first, which would measure pyenv rather than crestic.
fn find_crestic(given: Option<PathBuf>) -> (Option<PathBuf>, String) {
    let found = given.or_else(|| {
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|dir| dir.join("crestic"))
            .find(|path| path.is_file())
    });
    let Some(path) = found else {
        return (
            None,
            "not found in PATH: `pip install crestic` to include it (left out)".to_owned(),
        );
    };
    if path.components().any(|part| part.as_os_str() == "shims") {
        let real = Command::new("pyenv")
            .args(["which", "crestic"])
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()));
        if let Some(real) = real.filter(|real| real.is_file()) {
            let note = format!("{} (resolved from the pyenv shim)", real.display());
            return (Some(real), note);
        }
    }
    let note = path.display().to_string();
    (Some(path), note)
}

/// Checks that every contender runs the no-op restic with the same arguments, so the
/// timings compare equal work. A crestic that fails is left out with the reason.
fn check_arguments(
    runners: &mut Runners,
    fixture: &Fixture,
    crestic_note: &mut String,
) -> Result<(), String> {
    let shown = runners.argv[1..].to_vec();
    let mut checked = vec![Contender::Direct, Contender::Keld];
    if runners.keld_dynamic.is_some() {
        checked.push(Contender::KeldDynamic);
    }
    if runners.baseline.is_some() {
        checked.push(Contender::Baseline);
    }
    for contender in checked {
        let seen = runners.observed_argv(contender, &fixture.dir)?;
        if seen != shown {
            return Err(format!(
                "{} ran restic with {seen:?}, but keld --show-command said {shown:?}",
                contender.name()
            ));
        }
    }
    if runners.crestic.is_some() {
        match runners.observed_argv(Contender::Crestic, &fixture.dir) {
            Ok(seen) => {
                let mut seen_sorted = seen.clone();
                seen_sorted.sort();
                let mut shown_sorted = shown.clone();
                shown_sorted.sort();
                if seen_sorted == shown_sorted {
                    crestic_note
                        .push_str("; runs restic with the same arguments (in another order)");
                    if seen == shown {
                        crestic_note.push_str(", in the same order");
                    }
                } else {
                    crestic_note.push_str(&format!(
                        "; WARNING: runs restic with other arguments: {}",
                        seen.join(" ")
                    ));
                }
            }
            Err(err) => {
                crestic_note.push_str(&format!(": cannot be run ({err}); left out"));
                runners.crestic = None;
            }
        }
    }
    Ok(())
}

fn report_timings(samples: &Samples, runs: usize) {
    println!("## Wall time per run ({runs} interleaved rounds)\n");
    println!("| run | median | p90 | min | max |");
    println!("|---|---|---|---|---|");
    let rows = [
        (Contender::Direct, &samples.direct),
        (Contender::Keld, &samples.keld),
        (Contender::KeldDynamic, &samples.keld_dynamic),
        (Contender::Baseline, &samples.baseline),
        (Contender::Crestic, &samples.crestic),
        (Contender::KeldShow, &samples.keld_show),
    ];
    for (contender, series) in rows {
        if let Some(summary) = Summary::of(series) {
            println!(
                "| {} | {} | {} | {} | {} |",
                contender.name(),
                Millis(summary.median),
                Millis(summary.p90),
                Millis(summary.min),
                Millis(summary.max)
            );
        }
    }
    println!();
    let (Some(direct), Some(keld)) = (Summary::of(&samples.direct), Summary::of(&samples.keld))
    else {
        return;
    };
    let ms = |micros: f64| micros / 1e3;
    let overhead = micros(keld.median) - micros(direct.median);
    let paired = median_paired_difference(&samples.keld, &samples.direct).unwrap_or(f64::NAN);
    let goal = micros(OVERHEAD_GOAL);
    println!(
        "keld overhead: {:.3} ms (difference of medians), {:.3} ms (median of paired \
         differences); goal ≤ {:.2} ms: {}",
        ms(overhead),
        ms(paired),
        ms(goal),
        verdict(overhead <= goal && paired <= goal)
    );
    if let Some(dynamic) = Summary::of(&samples.keld_dynamic) {
        let paired =
            median_paired_difference(&samples.keld_dynamic, &samples.direct).unwrap_or(f64::NAN);
        println!(
            "  the plain `cargo build --release` binary (dynamically linked): {:.3} ms \
             (difference of medians), {:.3} ms (median of paired differences)",
            ms(micros(dynamic.median) - micros(direct.median)),
            ms(paired)
        );
    }
    if let Some(baseline) = Summary::of(&samples.baseline) {
        println!(
            "  the baseline (--baseline): {:.3} ms (difference of medians), {:.3} ms (median \
             of paired differences); keld against the baseline: {:.3} ms (median of paired \
             differences)",
            ms(micros(baseline.median) - micros(direct.median)),
            ms(median_paired_difference(&samples.baseline, &samples.direct).unwrap_or(f64::NAN)),
            ms(median_paired_difference(&samples.keld, &samples.baseline).unwrap_or(f64::NAN))
        );
    }
    if let Some(show) = Summary::of(&samples.keld_show) {
        // keld = (keld's own start-up and resolution) + (starting and waiting for
        // restic from inside keld); `keld --show-command` measures the first part.
        let spawn = micros(keld.median) - micros(show.median);
        println!(
            "  of which keld's own start-up and resolution (keld --show-command): {:.3} ms; \
             restic started and awaited by keld: {:.3} ms against {:.3} ms directly",
            ms(micros(show.median)),
            ms(spawn),
            ms(micros(direct.median))
        );
    }
    if let Some(crestic) = Summary::of(&samples.crestic) {
        let crestic_paired =
            median_paired_difference(&samples.crestic, &samples.direct).unwrap_or(f64::NAN);
        println!(
            "crestic overhead: {:.3} ms (difference of medians), {:.3} ms (median of paired \
             differences)",
            ms(micros(crestic.median) - micros(direct.median)),
            ms(crestic_paired)
        );
        println!(
            "crestic / keld: {:.1}x the wall time (medians), {:.1}x the overhead (paired)",
            micros(crestic.median) / micros(keld.median),
            crestic_paired / paired
        );
    }
    println!();
}

fn report_rss(rss: &rss::Rss) {
    println!("## Peak RSS while supervising\n");
    let mib = |kib: u64| kib as f64 / 1024.0;
    if let Some(kib) = rss.keld_hwm_kib {
        println!(
            "keld VmHWM while restic runs (max of {RSS_SAMPLES}): {kib} KiB = {:.2} MiB; \
             goal < 6 MiB: {}",
            mib(kib),
            verdict(kib < RSS_GOAL_KIB)
        );
    }
    if let Some(kib) = rss.time_keld_kib {
        println!(
            "/usr/bin/time -v keld: maximum resident set size {kib} KiB = {:.2} MiB",
            mib(kib)
        );
    }
    if let Some(kib) = rss.time_direct_kib {
        println!(
            "/usr/bin/time -v no-op restic alone: maximum resident set size {kib} KiB = {:.2} MiB",
            mib(kib)
        );
    }
    for note in &rss.notes {
        println!("note: {note}");
    }
    println!();
}

/// Runs one divan benchmark and repeats its table.
fn report_divan(root: &Path, package: &str, bench: &str, title: &str, goal: &str) {
    println!("## {title} (cargo bench -p {package} --bench {bench})\n");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["bench", "-p", package, "--bench", bench])
        .current_dir(root)
        .stderr(Stdio::inherit())
        .output();
    match output {
        Ok(output) if output.status.success() => {
            println!("```");
            print!("{}", String::from_utf8_lossy(&output.stdout));
            println!("```");
            if !goal.is_empty() {
                println!("{goal}");
            }
            println!();
        }
        Ok(output) => println!("cargo bench -p {package} failed: {}\n", output.status),
        Err(err) => println!("cargo bench -p {package} could not start: {err}\n"),
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!("{cores} cores, {cpu}")
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        Options::parse(&args.iter().map(|arg| (*arg).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn interactive_figures_are_on_by_default_and_can_be_left_out() {
        let options = parse(&[]).expect("no options");
        assert!(options.interactive);
        assert_eq!(options.interactive_runs, 20);
        let options = parse(&["--no-interactive", "--interactive-runs", "5"]).expect("valid");
        assert!(!options.interactive);
        assert_eq!(options.interactive_runs, 5);
    }

    #[test]
    fn run_counts_must_be_positive_numbers() {
        let error = parse(&["--interactive-runs", "0"]).expect_err("zero");
        assert_eq!(error, "--interactive-runs 0: not a positive number");
        let error = parse(&["--runs"]).expect_err("missing");
        assert_eq!(error, "--runs needs a number");
        assert_eq!(parse(&["--runs", "7"]).expect("valid").runs, 7);
    }
}
