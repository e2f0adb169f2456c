//! What the run record and the preset lock cost a run, end to end.
//!
//! keld records every real run when it knows a state directory, so a run "without"
//! is a run that keld does not record: a dry run (`backup --dry-run`), which takes no
//! lock and writes no record and otherwise goes the same way (the preset has no hooks
//! and no pings, which a dry run would also skip). Three runs of the typical preset,
//! interleaved: the dry run (neither), the run as configured (a record), and the run
//! with `_lock = true` (a record and the lock). The records file starts empty and
//! grows by one line per run.

use std::ffi::OsString;
use std::path::Path;

use super::fixture::{COMMAND, CONFIG_ENV, KELD_CONFIG, PRESET};
use super::rounds::{self, Difference, Run};

/// Goal: records and the lock cost a run at most this much.
const GOAL_MS: f64 = 0.3;

/// Times the step and prints its report. `argv` is the typical run's restic command
/// (from `keld --show-command --json`); `baseline` is another keld binary timed
/// beside `keld`.
pub(crate) fn measure(
    keld: &Path,
    baseline: Option<&Path>,
    argv: &[String],
    dir: &Path,
    warmup: usize,
    runs: usize,
) -> Result<(), String> {
    rounds::private_dir(dir)?;
    let plain = dir.join("keld.toml");
    rounds::private_file(&plain, KELD_CONFIG.as_bytes())?;
    let locked = dir.join("keld-lock.toml");
    let with_lock = KELD_CONFIG.replacen("[bench]\n", "[bench]\n_lock = true\n", 1);
    if with_lock == KELD_CONFIG {
        return Err("the typical config has no [bench] table".to_owned());
    }
    rounds::private_file(&locked, with_lock.as_bytes())?;
    let state = dir.join("state");
    let home = dir.join("home");
    rounds::private_dir(&home)?;
    let env: Vec<(OsString, OsString)> = vec![
        ("PATH".into(), std::env::var_os("PATH").unwrap_or_default()),
        ("HOME".into(), home.clone().into()),
        ("XDG_CONFIG_HOME".into(), home.join(".config").into()),
        ("KELD_STATE_DIR".into(), state.clone().into()),
        ("KELD_EXECUTABLE".into(), argv[0].clone().into()),
        ("KELD_NONINTERACTIVE".into(), "1".into()),
    ];
    let keld_run = |name: &str, binary: &Path, config: &Path, extra: &[&str]| {
        let mut args = vec![
            "--config",
            config.to_str().unwrap_or_default(),
            "-p",
            PRESET,
        ];
        args.push(COMMAND);
        args.extend(extra);
        Run::new(name, binary, &args, &env)
    };
    let mut direct_env = env.clone();
    direct_env.extend(CONFIG_ENV.iter().map(|(k, v)| (k.into(), v.into())));
    let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    let mut timed = vec![
        Run::new(
            "restic (the no-op) directly",
            Path::new(&argv[0]),
            &args,
            &direct_env,
        ),
        keld_run(
            "`keld ... backup --dry-run`: no record, no lock",
            keld,
            &locked,
            &["--dry-run"],
        ),
        keld_run("`keld ... backup`: a record", keld, &plain, &[]),
        keld_run(
            "`keld ... backup` with `_lock = true`: a record and the lock",
            keld,
            &locked,
            &[],
        ),
    ];
    if let Some(baseline) = baseline {
        timed.push(keld_run(
            "baseline: `keld ... backup --dry-run`",
            baseline,
            &locked,
            &["--dry-run"],
        ));
        timed.push(keld_run(
            "baseline: `keld ... backup` with `_lock = true`",
            baseline,
            &locked,
            &[],
        ));
    }

    // Each contender does what it is said to: a record for the real runs only, and
    // the lock file for the locked one.
    let records = state.join("runs.jsonl");
    let lines = || std::fs::read_to_string(&records).map_or(0, |text| text.lines().count());
    for (run, recorded) in timed.iter().zip([false, false, true, true, false, true]) {
        let before = lines();
        run.output()?;
        let after = lines();
        if (after > before) != recorded {
            return Err(format!(
                "{}: records went from {before} to {after} lines",
                run.name
            ));
        }
    }
    if !state.join("locks").join(format!("{PRESET}.lock")).exists() {
        return Err("the locked run left no lock file".to_owned());
    }

    println!(
        "## Records and the preset lock ({runs} interleaved rounds)\n\n\
         the typical preset; state directory {} (runs.jsonl starts empty, one line per \
         recorded run)\n",
        state.display()
    );
    eprintln!("timing records and the lock: {runs} interleaved rounds (+{warmup} warm-up) ...");
    let samples = rounds::interleave(&timed, warmup, runs)?;
    rounds::table(&timed, &samples);
    let both = Difference::of(&samples[3], &samples[1]);
    println!(
        "a record and the lock: {both} more than the dry run; goal ≤ {GOAL_MS} ms: {}",
        super::verdict(both.within(GOAL_MS))
    );
    println!(
        "  the record alone: {}; the lock on top of the record: {}",
        Difference::of(&samples[2], &samples[1]),
        Difference::of(&samples[3], &samples[2])
    );
    if baseline.is_some() {
        println!(
            "baseline: a record and the lock {}",
            Difference::of(&samples[5], &samples[4])
        );
    }
    println!(
        "records written: {} lines in {}\n",
        lines(),
        records.display()
    );
    Ok(())
}
