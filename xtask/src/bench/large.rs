//! The 50-file benchmark config end to end: what a user waits for, from starting
//! `keld` to restic having run, against starting the no-op restic directly with the
//! same arguments, environment and working directory.
//!
//! The config is keld-config's benchmark config (`crates/keld-config/benches/fixture.rs`),
//! written to `<dir>/config/keld/conf.d/NN.toml` (mode 0600, directories 0700) and
//! found through `XDG_CONFIG_HOME`, as keld finds a user's `conf.d`. The measured
//! preset, [`PRESET`], is a combination of the two halves the generator makes quiet:
//! its sections run no hook and no `_COMMAND` (those would start processes that are
//! not keld's overhead); every file still holds hooks and `_COMMAND`s of other
//! presets, so every file is checked for permissions as it is read.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::config_fixture;
use super::fixture::ARGV_LOG_VAR;
use super::rounds::{self, Difference, Run};

/// The preset every run resolves: a prefix × suffix combination.
pub(crate) const PRESET: &str = "what99@where3";
/// Its halves, which run nothing.
const QUIET: [&str; 2] = ["what99@", "@where3"];

/// Goal: `keld -p PRESET backup` takes at most this much longer than restic directly.
const RUN_GOAL_MS: f64 = 5.0;
/// Goal: `keld presets` takes at most this long.
const PRESETS_GOAL_MS: f64 = 10.0;

/// The config written to disk, and how the runs find it.
struct Large {
    /// The variables every run gets (the direct run adds the config's); keld keeps
    /// the config's tree in `XDG_CACHE_HOME`, made on the first (warm-up) run.
    env: Vec<(OsString, OsString)>,
    /// The same, with an `XDG_CACHE_HOME` where no cache can be made: every run
    /// parses the files, as the first run after an edit does.
    uncached_env: Vec<(OsString, OsString)>,
    files: Vec<PathBuf>,
}

fn write_config(dir: &Path, restic: &Path) -> Result<Large, String> {
    rounds::private_dir(dir)?;
    let home = dir.join("home");
    let config_home = dir.join("config");
    let conf_d = config_home.join("keld/conf.d");
    for made in [&home, &config_home, &config_home.join("keld"), &conf_d] {
        rounds::private_dir(made)?;
    }
    let mut files = Vec::new();
    for (n, text) in config_fixture::texts(&QUIET).into_iter().enumerate() {
        let path = conf_d.join(config_fixture::file_name(n));
        rounds::private_file(&path, text.as_bytes())?;
        files.push(path);
    }
    // Below a regular file: no cache directory can be made there.
    let no_cache = dir.join("no-cache");
    rounds::private_file(&no_cache, b"")?;
    let env = vec![
        ("PATH".into(), std::env::var_os("PATH").unwrap_or_default()),
        ("HOME".into(), home.into()),
        ("XDG_CONFIG_HOME".into(), config_home.into()),
        ("XDG_CACHE_HOME".into(), dir.join("cache").into()),
        ("KELD_STATE_DIR".into(), dir.join("state").into()),
        ("KELD_EXECUTABLE".into(), restic.into()),
        ("KELD_NONINTERACTIVE".into(), "1".into()),
    ];
    let mut uncached_env = env.clone();
    uncached_env.push(("XDG_CACHE_HOME".into(), no_cache.join("keld").into()));
    Ok(Large {
        env,
        uncached_env,
        files,
    })
}

/// What `keld --show-command --json` says it would run.
struct Shown {
    argv: Vec<String>,
    environment: Vec<(String, String)>,
    workdir: Option<PathBuf>,
}

fn show(keld: &Path, large: &Large) -> Result<Shown, String> {
    let run = Run::new(
        "keld --show-command --json",
        keld,
        &["-p", PRESET, "--show-command", "--json", "backup"],
        &large.env,
    );
    let json: serde_json::Value = serde_json::from_slice(&run.output()?)
        .map_err(|err| format!("keld --show-command --json: {err}"))?;
    let strings = |value: &serde_json::Value| -> Option<Vec<String>> {
        value
            .as_array()?
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect()
    };
    let argv = strings(&json["argv"]).ok_or("keld --show-command --json: no `argv`")?;
    let files = strings(&json["config_files"]).unwrap_or_default();
    let expected: Vec<String> = large
        .files
        .iter()
        .map(|path| path.display().to_string())
        .collect();
    if files != expected {
        return Err(format!(
            "keld read {} config files, not the {} of the benchmark config (is there an \
             /etc/keld?): {files:?}",
            files.len(),
            expected.len()
        ));
    }
    let mut environment = Vec::new();
    for var in json["environment"].as_array().into_iter().flatten() {
        let (Some(name), Some(value)) = (var["name"].as_str(), var["value"].as_str()) else {
            return Err(format!("keld --show-command --json: odd variable {var}"));
        };
        if var["redacted"].as_bool() == Some(true) || var.get("command").is_some() {
            return Err(format!(
                "the measured preset has a variable the direct run cannot copy: {name}"
            ));
        }
        environment.push((name.to_owned(), value.to_owned()));
    }
    if !json["pre_hooks"].as_array().is_some_and(Vec::is_empty)
        || !json["post_hooks"].as_array().is_some_and(Vec::is_empty)
    {
        return Err(format!("the measured preset {PRESET} runs hooks"));
    }
    Ok(Shown {
        argv,
        environment,
        workdir: json["workdir"].as_str().map(PathBuf::from),
    })
}

/// The no-op restic's arguments when `run` runs it.
fn observed_argv(run: &Run, log: &Path) -> Result<Vec<String>, String> {
    let _ = std::fs::remove_file(log);
    let mut logged = run.clone();
    logged.env.push((ARGV_LOG_VAR.into(), log.into()));
    logged.output()?;
    let text = std::fs::read_to_string(log)
        .map_err(|err| format!("{} did not run the no-op restic: {err}", run.name))?;
    Ok(text.split('\0').map(str::to_owned).collect())
}

/// Times the step and prints its report; `baseline` is another keld binary timed
/// beside `keld` (`--baseline`).
pub(crate) fn measure(
    keld: &Path,
    baseline: Option<&Path>,
    restic: &Path,
    dir: &Path,
    warmup: usize,
    runs: usize,
) -> Result<(), String> {
    let large = write_config(dir, restic)?;
    let shown = show(keld, &large)?;
    if let Some(workdir) = &shown.workdir {
        std::fs::create_dir_all(workdir)
            .map_err(|err| format!("creating {}: {err}", workdir.display()))?;
    }
    let mut direct_env = large.env.clone();
    direct_env.extend(
        shown
            .environment
            .iter()
            .map(|(name, value)| (name.into(), value.into())),
    );
    let args: Vec<&str> = shown.argv[1..].iter().map(String::as_str).collect();
    let mut direct = Run::new(
        "restic (the no-op) directly",
        Path::new(&shown.argv[0]),
        &args,
        &direct_env,
    );
    direct.cwd.clone_from(&shown.workdir);
    let backup = ["-p", PRESET, "backup"];
    let mut timed = vec![
        direct,
        Run::new(
            format!("`keld -p {PRESET} backup`"),
            keld,
            &backup,
            &large.env,
        ),
        Run::new(
            format!("`keld -p {PRESET} --show-command backup` (runs nothing)"),
            keld,
            &["-p", PRESET, "--show-command", "backup"],
            &large.env,
        ),
        Run::new("`keld presets`", keld, &["presets"], &large.env),
        Run::new(
            format!("`keld -p {PRESET} backup`, no cache (as after an edit)"),
            keld,
            &backup,
            &large.uncached_env,
        ),
        Run::new(
            "`keld presets`, no cache (as after an edit)",
            keld,
            &["presets"],
            &large.uncached_env,
        ),
    ];
    if let Some(baseline) = baseline {
        timed.push(Run::new(
            format!("baseline: `keld -p {PRESET} backup`"),
            baseline,
            &backup,
            &large.env,
        ));
        timed.push(Run::new(
            "baseline: `keld presets`",
            baseline,
            &["presets"],
            &large.env,
        ));
    }
    // The no-op restic gets the same arguments from each (the `keld` runs that run it).
    let log = dir.join("argv.log");
    let mut checked = vec![0, 1, 4];
    if baseline.is_some() {
        checked.push(6);
    }
    for index in checked {
        let seen = observed_argv(&timed[index], &log)?;
        if seen[..] != shown.argv[1..] {
            return Err(format!(
                "{} ran restic with {seen:?}, but keld --show-command said {:?}",
                timed[index].name,
                &shown.argv[1..]
            ));
        }
    }

    println!(
        "## The 50-file benchmark config end to end ({runs} interleaved rounds)\n\n\
         config: {} files in {} (crates/keld-config/benches/fixture.rs; preset {PRESET}, \
         whose sections run no hook and no _COMMAND)\nrestic command: {}\n",
        large.files.len(),
        large
            .files
            .first()
            .and_then(|file| file.parent())
            .map_or_else(String::new, |dir| dir.display().to_string()),
        shown.argv.join(" ")
    );
    eprintln!("timing the 50-file config: {runs} interleaved rounds (+{warmup} warm-up) ...");
    let samples = rounds::interleave(&timed, warmup, runs)?;
    rounds::table(&timed, &samples);

    let run = Difference::of(&samples[1], &samples[0]);
    println!(
        "keld's overhead on the 50-file config: {run}; goal ≤ {RUN_GOAL_MS:.0} ms: {}",
        super::verdict(run.within(RUN_GOAL_MS))
    );
    let show = Difference::of(&samples[2], &samples[0]);
    println!("  keld --show-command (start-up, reading, merging, resolving): {show}");
    println!(
        "  without the cache (every file parsed, as on the first run after an edit): {}",
        Difference::of(&samples[4], &samples[0])
    );
    let presets = rounds::median_ms(&samples[3]);
    println!(
        "keld presets: {presets:.3} ms (median wall time); goal ≤ {PRESETS_GOAL_MS:.0} ms: {}; \
         {} more than a bare start of the no-op",
        super::verdict(presets <= PRESETS_GOAL_MS),
        Difference::of(&samples[3], &samples[0])
    );
    println!(
        "  without the cache: {:.3} ms (median wall time)",
        rounds::median_ms(&samples[5])
    );
    if baseline.is_some() {
        println!(
            "baseline: overhead {}; keld presets {:.3} ms",
            Difference::of(&samples[6], &samples[0]),
            rounds::median_ms(&samples[7])
        );
        println!(
            "keld against the baseline: the run {} (without the cache {}); keld presets {} \
             (without the cache {})",
            Difference::of(&samples[1], &samples[6]),
            Difference::of(&samples[4], &samples[6]),
            Difference::of(&samples[3], &samples[7]),
            Difference::of(&samples[5], &samples[7])
        );
    }
    println!();
    Ok(())
}
