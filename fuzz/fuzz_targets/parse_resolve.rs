//! Arbitrary bytes as config files: parse, merge, resolve every preset with a few
//! commands, and render every error.
//!
//! A NUL byte splits the input into up to four files (ascending priority), so merging
//! and file precedence are fuzzed along with parsing.
#![no_main]

use keld_config::Source;
use keld_fuzz::{exercise, requests_for};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let sources: Vec<Source> = text
        .splitn(4, '\0')
        .enumerate()
        .map(|(n, part)| Source {
            path: format!("/etc/keld/conf.d/{n}.toml").into(),
            text: part.to_owned(),
        })
        .collect();
    let requests = requests_for(&["home", "home@cloud", "home@", "@cloud", "a.b"], &[]);
    exercise(sources, &requests);
});
