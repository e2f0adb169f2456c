//! Structured configs full of `${section.key}`, `${NAME}`, `$$` and lone `$`, across
//! sections, files and environment variables, then resolved for several presets.
//! Values may be large: arrays of thousands of items, strings of thousands of
//! references.
//!
//! Besides "never panic", one property is checked: a secret value never appears in a
//! rendered diagnostic (every file holds `password = "<marker>"` in `[home]`).
#![no_main]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use arbitrary::Arbitrary;
use keld_config::Source;
use keld_fuzz::{exercise, requests_for};
use libfuzzer_sys::fuzz_target;

/// (TOML header, the name a reference uses)
const SECTIONS: [(&str, &str); 12] = [
    ("global", "global"),
    ("global.backup", "global.backup"),
    ("global.environ", "global.environ"),
    ("home", "home"),
    ("home.backup", "home.backup"),
    ("home.environ", "home.environ"),
    ("home.forget", "home.forget"),
    ("\"home@\"", "home@"),
    ("\"home@\".backup", "home@.backup"),
    ("\"@cloud\"", "@cloud"),
    ("\"@cloud\".environ", "@cloud.environ"),
    ("\"home@cloud\"", "home@cloud"),
];

const KEYS: [&str; 16] = [
    "repo",
    "tag",
    "exclude",
    "host",
    "base",
    "password",
    "password-file",
    "_arguments",
    "_workdir",
    "verbose",
    "keep-daily",
    "limit-upload",
    "B2_ACCOUNT_KEY",
    "X_COMMAND",
    "_pre_hooks",
    "dry-run",
];

const VARS: [&str; 6] = ["HOME", "USER", "EMPTY", "DOLLAR", "UNSET", "B2_ACCOUNT_ID"];

/// A secret that must never be shown.
const MARKER: &str = "hunter2-s3cr3t-marker";

#[derive(Debug, Arbitrary)]
enum Piece {
    Text(String),
    Dollar,
    DoubleDollar,
    Ref(u8, u8),
    VarRef(u8),
    RawRef(String),
    Open,
    Close,
}

#[derive(Debug, Arbitrary)]
enum Value {
    Str(Vec<Piece>),
    List(Vec<Vec<Piece>>),
    Int(i64),
    Bool(bool),
    /// An array of up to 4,000 copies of one string: whole-array references to it
    /// copy a lot.
    Many(u16, Vec<Piece>),
    /// One string repeated up to 1,000 times: many references in one value.
    Repeat(u16, Vec<Piece>),
}

/// A table: which of [`SECTIONS`], and its (which of [`KEYS`], value) pairs.
type Table = (u8, Vec<(u8, Value)>);

#[derive(Debug, Arbitrary)]
struct Input {
    /// Up to three files of tables.
    files: Vec<Vec<Table>>,
    preset: u8,
}

fn pick<T: Copy, const N: usize>(items: [T; N], n: u8) -> T {
    items[usize::from(n) % N]
}

fn string(pieces: &[Piece]) -> String {
    let mut text = String::new();
    for piece in pieces.iter().take(12) {
        match piece {
            Piece::Text(t) => text.extend(t.chars().take(16)),
            Piece::Dollar => text.push('$'),
            Piece::DoubleDollar => text.push_str("$$"),
            Piece::Ref(s, k) => {
                let _ = write!(text, "${{{}.{}}}", pick(SECTIONS, *s).1, pick(KEYS, *k));
            }
            Piece::VarRef(v) => {
                let _ = write!(text, "${{{}}}", pick(VARS, *v));
            }
            Piece::RawRef(r) => {
                let _ = write!(text, "${{{}}}", r.chars().take(16).collect::<String>());
            }
            Piece::Open => text.push_str("${"),
            Piece::Close => text.push('}'),
        }
    }
    text
}

/// `text` as a TOML basic string.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_value(value: &Value) -> String {
    match value {
        Value::Str(pieces) => quoted(&string(pieces)),
        Value::List(items) => {
            let items: Vec<String> = items.iter().take(4).map(|p| quoted(&string(p))).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Int(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Many(count, pieces) => {
            let item = quoted(&string(pieces));
            let items = vec![item.as_str(); usize::from(*count % 4_000)];
            format!("[{}]", items.join(","))
        }
        Value::Repeat(count, pieces) => quoted(&string(pieces).repeat(usize::from(*count % 1_000))),
    }
}

fn file_text(sections: &[Table], with_marker: bool) -> String {
    // TOML forbids a table header or key twice: the first of each wins here.
    let mut tables: BTreeMap<&str, BTreeMap<&str, String>> = BTreeMap::new();
    if with_marker {
        tables
            .entry("home")
            .or_default()
            .insert("password", quoted(MARKER));
    }
    for (section, keys) in sections.iter().take(8) {
        let table = tables.entry(pick(SECTIONS, *section).0).or_default();
        for (key, value) in keys.iter().take(8) {
            table
                .entry(pick(KEYS, *key))
                .or_insert_with(|| toml_value(value));
        }
    }
    let mut text = String::new();
    for (header, keys) in tables {
        let _ = writeln!(text, "[{header}]");
        for (key, value) in keys {
            let _ = writeln!(text, "{key} = {value}");
        }
    }
    text
}

fuzz_target!(|input: Input| {
    let sources: Vec<Source> = input
        .files
        .iter()
        .take(3)
        .enumerate()
        .map(|(n, sections)| Source {
            path: format!("/etc/keld/conf.d/{n}.toml").into(),
            text: file_text(sections, n == 0),
        })
        .collect();
    let presets = ["home", "home@cloud", "@cloud", "home@"];
    let first = usize::from(input.preset) % presets.len();
    let requests = requests_for(&presets[first..], &[]);
    for diagnostic in exercise(sources, &requests) {
        assert!(
            !diagnostic.contains(MARKER),
            "a secret value appears in a diagnostic:\n{diagnostic}"
        );
    }
});
