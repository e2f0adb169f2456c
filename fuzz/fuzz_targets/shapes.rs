//! Config files of shapes too large to come out of a short byte string: brackets
//! nested tens of thousands deep, lines hundreds of kilobytes long with a mistake at
//! their end, and large arrays referred to whole many times. Each shape is described
//! by a few bytes and built at full size, up to keld's 4 MiB file limit; the files
//! are parsed, resolved and every error rendered.
//!
//! Besides "never panic" (a stack overflow or an allocation failure aborts, which
//! libFuzzer reports too), a secret value must never appear in a rendered diagnostic.
#![no_main]

use std::fmt::Write as _;

use arbitrary::Arbitrary;
use keld_config::{MAX_FILE_LEN, Source};
use keld_fuzz::{exercise, requests_for};
use libfuzzer_sys::fuzz_target;

/// A secret that must never be shown.
const MARKER: &str = "hunter2-s3cr3t-marker";

/// What opens one level of nesting.
const OPENERS: [&str; 6] = ["[", "{a=", "[{a=", "{a=[", "[1,", "{password="];
/// What closes it, in the same order.
const CLOSERS: [&str; 6] = ["]", "}", "}]", "]}", "]", "}"];
/// Fillers for long lines: ASCII, two-, three- and four-byte characters, a tab,
/// a backslash escape, and a reference.
const FILLERS: [&str; 8] = ["a", "é", "€", "😀", "\t", "\\\\", "${p.s}", " "];
/// What ends a long line.
const TAILS: [&str; 8] = [
    "\"",
    "\" junk",
    "",
    "\"\n[p]",
    "${p.nope}\"",
    "\" = 1",
    "\"\nx = [1, \"a\"]",
    "\"\nbad line",
];
/// Keys for shapes to stand at.
const KEYS: [&str; 8] = [
    "tag",
    "password",
    "repo",
    "_arguments",
    "x",
    "verbose",
    "one-file-system",
    "exclude",
];

#[derive(Debug, Arbitrary)]
enum Shape {
    /// `key = ` and `depth` openers, closed again or not.
    Nested {
        key: u8,
        opener: u8,
        depth: u32,
        closed: bool,
    },
    /// `key = "` and `len` fillers, then a tail.
    LongLine {
        key: u8,
        filler: u8,
        len: u32,
        tail: u8,
    },
    /// `big = [...]` of `items` items, and `refs` keys referring to it, whole or
    /// inside a longer string.
    Array {
        items: u32,
        strings: bool,
        refs: u16,
        inside: bool,
    },
    /// A string `len` bytes long and `refs` keys referring to it twice each.
    Doubled { len: u32, refs: u16 },
    /// A little text of its own.
    Text(String),
}

fn pick<const N: usize>(items: [&'static str; N], n: u8) -> &'static str {
    items[usize::from(n) % N]
}

/// The text of `shape`, the `n`th in its file.
fn shape_text(shape: &Shape, n: usize, out: &mut String) {
    match shape {
        Shape::Nested {
            key,
            opener,
            depth,
            closed,
        } => {
            let depth = (*depth % 300_000) as usize;
            let at = usize::from(*opener) % OPENERS.len();
            let _ = write!(out, "{}{n} = ", pick(KEYS, *key));
            out.push_str(&OPENERS[at].repeat(depth));
            // A secret at the bottom, which must stay masked however deep it is.
            let _ = write!(out, "{{password = \"{MARKER}\"}}");
            if *closed {
                out.push_str(&CLOSERS[at].repeat(depth));
            }
            out.push('\n');
        }
        Shape::LongLine {
            key,
            filler,
            len,
            tail,
        } => {
            let len = (*len % 400_000) as usize;
            let _ = write!(out, "{}{n} = \"", pick(KEYS, *key));
            out.push_str(&pick(FILLERS, *filler).repeat(len));
            out.push_str(pick(TAILS, *tail));
            out.push('\n');
        }
        Shape::Array {
            items,
            strings,
            refs,
            inside,
        } => {
            let items = (*items % 300_000) as usize;
            let _ = write!(out, "big{n} = [");
            for item in 0..items {
                if item > 0 {
                    out.push(',');
                }
                out.push_str(if *strings { "\"ab\"" } else { "1" });
            }
            out.push_str("]\n");
            for reference in 0..usize::from(*refs % 5_000) {
                if *inside {
                    let _ = writeln!(out, "r{n}x{reference} = \"a${{p.big{n}}}\"");
                } else {
                    let _ = writeln!(out, "r{n}x{reference} = \"${{p.big{n}}}\"");
                }
            }
        }
        Shape::Doubled { len, refs } => {
            let len = (*len % 2_000_000) as usize;
            let _ = writeln!(out, "s{n} = \"{}\"", "x".repeat(len));
            for reference in 0..usize::from(*refs % 200) {
                let _ = writeln!(out, "d{n}x{reference} = \"${{p.s{n}}}${{p.s{n}}}\"");
            }
        }
        Shape::Text(text) => {
            // Only `password` holds the secret: text that spells it elsewhere would
            // be shown rightly.
            let mut text: String = text.chars().take(256).collect();
            while text.contains(MARKER) {
                text = text.replace(MARKER, "");
            }
            out.push_str(&text);
            out.push('\n');
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    /// Up to two files of up to four shapes each.
    files: Vec<Vec<Shape>>,
    command: u8,
}

fuzz_target!(|input: Input| {
    let mut sources = Vec::new();
    for (number, shapes) in input.files.iter().take(2).enumerate() {
        let mut text = format!("[p]\npassword = \"{MARKER}\"\ns = \"plain\"\n");
        for (n, shape) in shapes.iter().take(4).enumerate() {
            shape_text(shape, n, &mut text);
            if text.len() as u64 > MAX_FILE_LEN {
                // Files on disk are refused beyond this size before they are parsed.
                text.truncate(MAX_FILE_LEN as usize);
                while !text.is_char_boundary(text.len()) {
                    text.pop();
                }
                break;
            }
        }
        sources.push(Source {
            path: format!("/etc/keld/conf.d/{number}.toml").into(),
            text,
        });
    }
    let mut requests = requests_for(&["p"], &[]);
    let keep = usize::from(input.command) % requests.len();
    requests.swap(0, keep);
    requests.truncate(2);
    for diagnostic in exercise(sources, &requests) {
        assert!(
            !diagnostic.contains(MARKER),
            "a secret value appears in a diagnostic:\n{}",
            &diagnostic[..diagnostic.len().min(4000)]
        );
    }
});
