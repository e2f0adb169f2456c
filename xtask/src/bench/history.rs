//! `keld status` over a full history: a `runs.jsonl` of just under 1 MiB and a
//! rotated `runs.jsonl.1` of just over (keld rotates once the file is over 1 MiB),
//! the most records keld ever keeps, read from the state directory.
//!
//! The records look like keld's: eight presets, backups every few hours, `forget`,
//! `check` and `drill` now and then; mostly successes, with warnings (restic's exit
//! 3), failures, skipped and interrupted runs among them, each with the fields a
//! real record of that kind has.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::rounds::{self, Difference, Run};

/// Goal: `keld status` takes at most this long.
const GOAL_MS: f64 = 10.0;

/// keld's rotation size (`keld_hooks::ROTATE_AT`).
const ROTATE_AT: usize = 1024 * 1024;

/// Preset, command and how often it runs (one of this many of the schedule's slots).
const SCHEDULE: [(&str, &str, u64); 12] = [
    ("home@nas", "backup", 2),
    ("home@b2", "backup", 6),
    ("db@nas", "backup", 3),
    ("db@b2", "backup", 12),
    ("work", "backup", 2),
    ("laptop@nas", "backup", 4),
    ("media@usb", "backup", 24),
    ("photos@b2", "backup", 24),
    ("home@nas", "forget", 24),
    ("db@nas", "forget", 24),
    ("home@b2", "check", 96),
    ("home@nas", "drill", 168),
];

/// A small deterministic generator: the same history every time.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// RFC 3339 with milliseconds in UTC, as records write times.
fn rfc3339(millis: u64) -> String {
    let days = millis / 86_400_000;
    let rest = millis % 86_400_000;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000
    )
}

/// One record line, with the fields in keld's order.
fn record(
    preset: &str,
    command: &str,
    finished_ms: u64,
    pid: u64,
    random: &mut Xorshift,
    newest: bool,
) -> String {
    let duration_ms = match command {
        "backup" => 20_000 + random.next() % 900_000,
        "drill" => 60_000 + random.next() % 600_000,
        _ => 2_000 + random.next() % 120_000,
    };
    let roll = if newest { 0 } else { random.next() % 100 };
    let json = |text: &str| serde_json::Value::String(text.to_owned()).to_string();
    // result, exit code, restic's exit code, restic's status, signal, error
    let (result, exit, restic_exit, restic_status, signal, error) = match roll {
        0..=87 => (
            "success",
            "0",
            "0",
            json("success"),
            "null",
            "null".to_owned(),
        ),
        88..=93 => (
            "warning",
            "3",
            "3",
            json("partial"),
            "null",
            "null".to_owned(),
        ),
        94..=96 => ("failed", "1", "1", json("fatal"), "null", "null".to_owned()),
        97 => ("failed", "1", "null", "null".to_owned(), "null", {
            json(
                "pre-hook \"pg_dump --format=custom -f /var/backups/db.dump db\" exited with code 2",
            )
        }),
        98 => (
            "skipped",
            "0",
            "null",
            "null".to_owned(),
            "null",
            "null".to_owned(),
        ),
        _ => (
            "interrupted",
            "143",
            "143",
            json("terminated"),
            "15",
            "null".to_owned(),
        ),
    };
    let alias = if command == "backup" && preset.starts_with("home") {
        "nightly"
    } else {
        command
    };
    let mut line = String::with_capacity(400);
    let _ = writeln!(
        line,
        "{{\"version\":1,\"preset\":{},\"command\":{},\"alias\":{},\"host\":\"nas.example.org\",\
         \"user\":\"root\",\"pid\":{pid},\"started\":{},\"finished\":{},\"duration_ms\":{duration_ms},\
         \"result\":\"{result}\",\"exit_code\":{exit},\"restic_exit_code\":{restic_exit},\
         \"restic_status\":{restic_status},\"signal\":{signal},\"error\":{error},\
         \"keld_version\":\"0.1.0\"}}",
        json(preset),
        json(command),
        json(alias),
        json(&rfc3339(finished_ms - duration_ms)),
        json(&rfc3339(finished_ms)),
    );
    line
}

/// The two files' texts (`runs.jsonl.1`, `runs.jsonl`), and the newest finishing time
/// of each preset and command.
fn history(now_ms: u64) -> (String, String, BTreeMap<(String, String), String>) {
    let mut random = Xorshift(0x2545_f491_4f6c_dd1d);
    // Newest first, each.
    let (mut current, mut old) = (Vec::new(), Vec::new());
    let (mut current_len, mut old_len) = (0, 0);
    let mut newest = BTreeMap::new();
    // Slots of 30 minutes, newest first, from ten minutes ago backwards.
    let mut slot = 0_u64;
    while old_len <= ROTATE_AT {
        for (preset, command, every) in SCHEDULE {
            if !slot.is_multiple_of(every) || old_len > ROTATE_AT {
                continue;
            }
            let finished = now_ms - 600_000 - slot * 1_800_000 - random.next() % 600_000;
            let key = (preset.to_owned(), command.to_owned());
            let first = !newest.contains_key(&key);
            let line = record(preset, command, finished, 10_000 + slot, &mut random, first);
            if first {
                newest.insert(key, rfc3339(finished));
            }
            // runs.jsonl stays at most 1 MiB; runs.jsonl.1 is just over (it was
            // rotated once a line took it past 1 MiB).
            if old.is_empty() && current_len + line.len() <= ROTATE_AT {
                current_len += line.len();
                current.push(line);
            } else {
                old_len += line.len();
                old.push(line);
            }
        }
        slot += 1;
    }
    let text = |lines: Vec<String>| lines.into_iter().rev().collect::<String>();
    (text(old), text(current), newest)
}

/// Times the step and prints its report; `restic` is the no-op, timed bare as the
/// cost of any process start; `baseline` is another keld binary timed beside `keld`.
pub(crate) fn measure(
    keld: &Path,
    baseline: Option<&Path>,
    restic: &Path,
    dir: &Path,
    warmup: usize,
    runs: usize,
) -> Result<(), String> {
    rounds::private_dir(dir)?;
    let state = dir.join("state");
    rounds::private_dir(&state)?;
    let home = dir.join("home");
    rounds::private_dir(&home)?;
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis() as u64;
    let (old, current, newest) = history(now_ms);
    rounds::private_file(&state.join("runs.jsonl.1"), old.as_bytes())?;
    rounds::private_file(&state.join("runs.jsonl"), current.as_bytes())?;
    let env: Vec<(OsString, OsString)> = vec![
        ("PATH".into(), std::env::var_os("PATH").unwrap_or_default()),
        ("HOME".into(), home.clone().into()),
        ("XDG_CONFIG_HOME".into(), home.join(".config").into()),
        ("KELD_STATE_DIR".into(), state.clone().into()),
        ("KELD_NONINTERACTIVE".into(), "1".into()),
    ];

    // keld reads every line: each preset and command's newest run is the one written.
    let json: serde_json::Value = serde_json::from_slice(
        &Run::new("keld status --json", keld, &["status", "--json"], &env).output()?,
    )
    .map_err(|err| format!("keld status --json: {err}"))?;
    let rows = json.as_array().cloned().unwrap_or_default();
    let shown: BTreeMap<(String, String), String> = rows
        .iter()
        .filter_map(|row| {
            Some((
                (
                    row["preset"].as_str()?.to_owned(),
                    row["command"].as_str()?.to_owned(),
                ),
                row["last"]["finished"].as_str()?.to_owned(),
            ))
        })
        .collect();
    if shown != newest {
        return Err(format!(
            "keld status --json shows {} rows that do not match the {} written",
            shown.len(),
            newest.len()
        ));
    }

    let mut timed = vec![
        Run::new("the no-op restic, started bare", restic, &[], &env),
        Run::new("`keld status`", keld, &["status"], &env),
        Run::new("`keld status --json`", keld, &["status", "--json"], &env),
        Run::new(
            "`keld status --max-age 26h`",
            keld,
            &["status", "--max-age", "26h"],
            &env,
        ),
    ];
    if let Some(baseline) = baseline {
        timed.push(Run::new(
            "baseline: `keld status`",
            baseline,
            &["status"],
            &env,
        ));
    }
    println!(
        "## keld status over a full history ({runs} interleaved rounds)\n\n\
         runs.jsonl.1: {} bytes, runs.jsonl: {} bytes, {} records of {} presets and \
         commands\n",
        old.len(),
        current.len(),
        old.lines().count() + current.lines().count(),
        newest.len()
    );
    eprintln!("timing keld status: {runs} interleaved rounds (+{warmup} warm-up) ...");
    let samples = rounds::interleave(&timed, warmup, runs)?;
    rounds::table(&timed, &samples);
    let status = rounds::median_ms(&samples[1]);
    println!(
        "keld status: {status:.3} ms (median wall time); goal ≤ {GOAL_MS:.0} ms: {}; {} more \
         than a bare process start",
        super::verdict(status <= GOAL_MS),
        Difference::of(&samples[1], &samples[0])
    );
    if baseline.is_some() {
        println!(
            "keld status against the baseline: {}",
            Difference::of(&samples[1], &samples[4])
        );
    }
    println!();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc_with_milliseconds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        // 2026-12-06T02:14:03.456Z
        assert_eq!(rfc3339(1_796_523_243_456), "2026-12-06T02:14:03.456Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn the_history_fills_both_files_as_rotation_leaves_them() {
        let (old, current, newest) = history(1_796_523_243_456);
        assert!(current.len() <= ROTATE_AT && current.len() > ROTATE_AT - 1024);
        assert!(old.len() > ROTATE_AT && old.len() < ROTATE_AT + 1024);
        assert_eq!(newest.len(), SCHEDULE.len());
        for line in old.lines().chain(current.lines()) {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(record["version"], 1);
        }
    }
}
