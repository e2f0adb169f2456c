//! `keld drill`: the preset's drill ([`keld_hooks::Drill`]) run through keld's one
//! run pipeline, and its report rendered as text or JSON (docs/drill.md).

use std::fmt::Write as _;

use keld_config::Config;
use keld_hooks::{Drill, DrillError, DrillOptions, DrillReport, FileVerdict, Verdict};
use miette::Diagnostic;
use serde::Serialize;
use thiserror::Error;

use crate::cli::{Cli, DrillArgs};
use crate::context::Context;
use crate::error::{self, CliError, WarningReport};
use crate::run::Runs;

/// The version of `--json`'s document.
const JSON_VERSION: u32 = 1;

/// `keld -p PRESET drill ...`; returns keld's exit code.
pub(crate) fn drill(
    cli: &Cli,
    args: &DrillArgs,
    show_command: bool,
    config: impl FnOnce() -> Result<Config, CliError>,
    ctx: &Context,
) -> Result<u8, CliError> {
    let preset = match cli.preset.as_slice() {
        [preset] => preset.clone(),
        presets => {
            error::report(&Usage::Presets(presets.len()), ctx);
            return Ok(1);
        }
    };
    if show_command {
        error::report(&Usage::ShowCommand, ctx);
        return Ok(1);
    }
    if let Some(snapshot) = &args.snapshot
        && (snapshot.is_empty() || snapshot.starts_with('-'))
    {
        error::report(&Usage::Snapshot(snapshot.clone()), ctx);
        return Ok(1);
    }
    let config = config()?;
    let host = ctx.host();
    let hostname = nix::unistd::gethostname()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let drill = Drill::new(&config, &preset, &ctx.env, &host, &hostname)?;
    let options = DrillOptions {
        sample: args.sample,
        seed: args.seed,
        max_size: args.max_size,
        snapshot: args.snapshot.clone(),
    };
    let mut runs = match Runs::new(ctx) {
        Ok(runs) => runs,
        Err(code) => return Ok(code),
    };
    let report = runs.drill(&drill, &options);
    for warning in &report.warnings {
        error::report(&WarningReport::new(warning.clone(), None), ctx);
    }
    if let Some(error) = &report.error {
        error::report(&Failure::of(error, &preset), ctx);
    } else if let Some(message) = report.failed_files() {
        error::report(&Failure::files(message), ctx);
    }
    let text = if args.json || cli.json {
        json_report(&report)
    } else {
        report.text()
    };
    crate::write_stdout(text.as_bytes())?;
    Ok(report.run.exit_code)
}

/// A command line `keld drill` cannot run.
#[derive(Debug, Error)]
enum Usage {
    #[error("keld drill drills one preset; {0} were given")]
    Presets(usize),
    #[error("--show-command does not apply to keld drill")]
    ShowCommand,
    #[error("{0:?} is not a snapshot")]
    Snapshot(String),
}

impl Diagnostic for Usage {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new("keld::drill"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        let help = match self {
            Self::Presets(_) => "name the preset with -p: `keld -p home drill`",
            Self::ShowCommand => {
                "`keld -p PRESET --show-command restore` shows how the drill's restore is \
                 configured; the drill adds --target, --include and the snapshot"
            }
            Self::Snapshot(_) => "give a snapshot id as `restic snapshots` shows it, or none",
        };
        Some(Box::new(help))
    }
}

/// What ended a drill, or the files that failed it, on stderr.
#[derive(Debug, Error)]
#[error("{message}")]
struct Failure {
    message: String,
    help: String,
}

impl Diagnostic for Failure {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new("keld::drill"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.help))
    }
}

impl Failure {
    fn of(error: &DrillError, preset: &str) -> Self {
        Self {
            message: keld_config::mask_url_passwords(&error.to_string()),
            help: error.help(preset),
        }
    }

    fn files(message: String) -> Self {
        Self {
            message,
            help: keld_hooks::FAILED_FILES_HELP.to_owned(),
        }
    }
}

/// `--json`: the whole drill as one object, its fields in this order
/// (docs/drill.md describes each).
#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    preset: &'a str,
    snapshot: Option<JsonSnapshot<'a>>,
    seed: u64,
    sample: usize,
    max_size: u64,
    listed: usize,
    eligible: usize,
    files: Vec<JsonFile<'a>>,
    counts: JsonCounts,
    exit_code: u8,
    result: &'static str,
    restic_exit_code: Option<u8>,
    error: Option<String>,
}

#[derive(Serialize)]
struct JsonSnapshot<'a> {
    id: &'a str,
    short_id: &'a str,
    time: &'a str,
    hostname: &'a str,
    paths: &'a [String],
    tags: &'a [String],
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: &'a str,
    live: String,
    live_hex: Option<String>,
    size: u64,
    verdict: Verdict,
    detail: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonCounts {
    ok: usize,
    changed: usize,
    missing: usize,
    unreadable: usize,
    mismatch: usize,
    not_restored: usize,
}

/// The drill as one JSON document.
fn json_report(report: &DrillReport) -> String {
    let count = |verdict| report.count(verdict);
    let document = JsonReport {
        version: JSON_VERSION,
        preset: &report.preset,
        snapshot: report.snapshot.as_ref().map(|snapshot| JsonSnapshot {
            id: &snapshot.id,
            short_id: snapshot.short(),
            time: &snapshot.time,
            hostname: &snapshot.hostname,
            paths: &snapshot.paths,
            tags: &snapshot.tags,
        }),
        seed: report.seed,
        sample: report.sample,
        max_size: report.max_size,
        listed: report.listed,
        eligible: report.eligible,
        files: report.files.iter().map(file_json).collect(),
        counts: JsonCounts {
            ok: count(Verdict::Ok),
            changed: count(Verdict::Changed),
            missing: count(Verdict::Missing),
            unreadable: count(Verdict::Unreadable),
            mismatch: count(Verdict::Mismatch),
            not_restored: count(Verdict::NotRestored),
        },
        exit_code: report.run.exit_code,
        result: report.run.result.as_str(),
        restic_exit_code: report
            .run
            .restic
            .filter(|outcome| outcome.started())
            .map(keld_status::Outcome::exit_code),
        error: report
            .error
            .as_ref()
            .map(|error| keld_config::mask_url_passwords(&error.to_string())),
    };
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

fn file_json(file: &FileVerdict) -> JsonFile<'_> {
    let live = file.live.as_os_str().as_encoded_bytes();
    JsonFile {
        path: &file.path,
        live: keld_hooks::restic_lossy(live),
        live_hex: std::str::from_utf8(live).is_err().then(|| hex(live)),
        size: file.size,
        verdict: file.verdict,
        detail: file.detail.as_deref(),
    }
}

/// `bytes` as lower-case hexadecimal, two digits a byte.
fn hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
    text
}
