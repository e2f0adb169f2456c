//! `keld drill --json`: the whole drill as one document, its fields in a fixed order
//! (docs/drill.md describes each).

use std::fmt::Write as _;

use serde::Serialize;

use crate::drill::{DrillReport, FileVerdict, Verdict, restic_lossy};

/// The version of `--json`'s document.
const JSON_VERSION: u32 = 1;

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

impl DrillReport {
    /// The drill as one JSON document (`keld drill --json`), ending in a newline.
    pub fn to_json(&self) -> String {
        let report = self;
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
}

fn file_json(file: &FileVerdict) -> JsonFile<'_> {
    let live = file.live.as_os_str().as_encoded_bytes();
    JsonFile {
        path: &file.path,
        live: restic_lossy(live),
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
