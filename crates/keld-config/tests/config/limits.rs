//! Limits that keep hostile or mistaken configs from hanging or exhausting keld:
//! reference depth, expanded size, and what counts as a config file.

use std::time::{Duration, Instant};

use insta::assert_snapshot;
use keld_config::Error;

use crate::render::{config, env, report, request, try_config};

/// `[p]` with `k0 = "x"` and `kN = "${p.kN-1}"` up to `links`.
fn chain(links: usize) -> String {
    let mut text = String::from("[p]\nk0 = \"x\"\n");
    for n in 1..=links {
        text.push_str(&format!("k{n} = \"${{p.k{}}}\"\n", n - 1));
    }
    text
}

/// `[p]` with `k0` 80 bytes long and `kN = "${p.kN-1}${p.kN-1}"` up to `levels`.
fn doubling(levels: usize) -> String {
    let mut text = format!("[p]\nk0 = \"{}\"\n", "x".repeat(80));
    for n in 1..=levels {
        text.push_str(&format!("k{n} = \"${{p.k{0}}}${{p.k{0}}}\"\n", n - 1));
    }
    text
}

fn resolve(text: &str) -> Result<keld_config::ResolvedConfig, Error> {
    config(&[("config.toml", text)]).resolve_with_flags(
        &request(Some("p"), "backup", &[]),
        &env(&[]),
        &crate::catalog::flags(),
    )
}

fn flag_value(resolved: &keld_config::ResolvedConfig, key: &str) -> String {
    let flag = resolved
        .flags
        .iter()
        .find(|flag| flag.key == key)
        .unwrap_or_else(|| panic!("flag {key} missing"));
    format!("{:?}", flag.value)
}

#[test]
fn a_chain_of_64_references_resolves() {
    let resolved = resolve(&chain(64)).unwrap_or_else(|error| panic!("{}", report(&error)));
    for n in [0, 1, 63, 64] {
        assert_eq!(
            flag_value(&resolved, &format!("k{n}")),
            flag_value(&resolved, "k0")
        );
    }
    assert!(flag_value(&resolved, "k64").contains("\"x\""));
}

#[test]
fn a_chain_of_65_references_is_refused_at_the_reference() {
    let error = resolve(&chain(65)).expect_err("65 references deep must be refused");
    let out = report(&error);
    assert!(matches!(error, Error::InvalidReference { .. }), "{out}");
    assert_snapshot!("limit_reference_depth", out);
}

#[test]
fn a_chain_of_5000_references_fails_fast_without_overflowing_the_stack() {
    let text = chain(5000);
    let started = Instant::now();
    let error = resolve(&text).expect_err("5000 references deep must be refused");
    assert!(
        error.to_string().contains("reference chain deeper than 64"),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn the_depth_limit_does_not_depend_on_resolution_order() {
    // `a0` sorts (and resolves) before the chain it leads into, `z0` after it:
    // either way the chain below is 65 deep and counts as such when reused.
    for key in ["a0", "z0"] {
        let text = format!("{}{key} = \"${{p.k64}}\"\n", chain(64));
        let error = resolve(&text).expect_err("65 references deep must be refused");
        let out = report(&error);
        assert!(
            out.contains("reference chain deeper than 64"),
            "{key}: {out}"
        );
    }
}

#[test]
fn repeated_references_expand_exactly_up_to_the_size_limit() {
    // 80 * 2^13 = 640 KiB: under the limit, built in full.
    let resolved = resolve(&doubling(13)).unwrap_or_else(|error| panic!("{}", report(&error)));
    let value = flag_value(&resolved, "k13");
    assert_eq!(value.matches('x').count(), 80 << 13);
}

#[test]
fn doubling_references_stop_at_one_mebibyte() {
    let started = Instant::now();
    let error = resolve(&doubling(40)).expect_err("a 80 TiB value must be refused");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let out = report(&error);
    assert!(matches!(error, Error::InvalidReference { .. }), "{out}");
    assert_snapshot!("limit_expanded_size", out);
}

/// Brackets nested far deeper than any parse should follow, each with what it is.
fn deeply_nested() -> Vec<(&'static str, String)> {
    vec![
        ("arrays", format!("[p]\nx = {}\n", "[".repeat(70_000))),
        (
            "closed arrays",
            format!("[p]\nx = {}{}\n", "[".repeat(70_000), "]".repeat(70_000)),
        ),
        (
            "inline tables",
            format!("[p]\nx = {}\n", "{a=".repeat(100_000)),
        ),
        (
            "closed inline tables",
            format!("[p]\nx = {}1{}\n", "{a=".repeat(50_000), "}".repeat(50_000)),
        ),
        ("both", format!("[p]\nx = {}\n", "[{a=".repeat(40_000))),
        (
            "in a secret",
            format!("[p]\npassword = {}\"hunter2\"\n", "[".repeat(70_000)),
        ),
        (
            "a secret inside",
            format!(
                "[p]\nx = {}{{password = \"hunter2\"}}\n",
                "[".repeat(70_000)
            ),
        ),
        ("headers", format!("{}\n", "[".repeat(70_000))),
        ("array headers", format!("[[{}\n", "[".repeat(70_000))),
        (
            "after a valid file",
            format!("[p]\nrepo = \"/r\"\n\n[q]\nx = {}\n", "[".repeat(70_000)),
        ),
    ]
}

/// 70,000 nested `[` used to overflow the stack of the parse: every depth is an
/// error with the file and place, and the error renders (the masked text it quotes is
/// scanned without recursion too) without quoting a secret.
#[test]
fn values_nested_deeply_are_an_error_not_a_crash() {
    for (what, text) in deeply_nested() {
        let error = try_config(&[("config.toml", &text)])
            .err()
            .unwrap_or_else(|| panic!("{what}: must be refused"));
        let out = report(&error);
        assert!(out.contains("/cfg/config.toml:"), "{what}: {out}");
        assert!(!out.contains("hunter2"), "{what}: {out}");
        assert!(out.len() < 4_000, "{what}: {} bytes", out.len());
    }
}

/// A syntax error 70,000 characters into a line used to make the renderer panic (it
/// cannot indent a mark that far). The line is quoted around the place, with the
/// right line and column, whatever the characters before it.
#[test]
fn a_mistake_far_along_a_long_line_renders_around_its_place() {
    for filler in ["a", "é", "\t", "😀"] {
        let text = format!("[p]\nrepo = \"{}\" junk\n", filler.repeat(70_000));
        let error = try_config(&[("config.toml", &text)]).expect_err("junk after a value");
        let out = report(&error);
        // `repo = "` is 8 characters, then the filler, `"` and a space.
        let at = format!("/cfg/config.toml:2:{}", 8 + 70_000 + 3);
        assert_eq!(out.matches(&at).count(), 2, "{filler:?}: {out}");
        assert!(out.contains("junk"), "{filler:?}: {out}");
        assert!(out.len() < 4_000, "{filler:?}: {} bytes", out.len());
    }
    // A short line with a mistake, next to a long one, is quoted alone.
    let text = format!("[p]\nrepo = \"{}\"\nbad line\n", "a".repeat(70_000));
    let out = report(&try_config(&[("config.toml", &text)]).expect_err("bad line"));
    assert!(out.contains("/cfg/config.toml:3:5"), "{out}");
    assert!(out.len() < 4_000, "{} bytes", out.len());
    // A value that is wrong as a whole is marked by its start, not underlined whole.
    let text = format!("[p]\nx = [{}1]\n", "\"a\", ".repeat(30_000));
    let out = report(&try_config(&[("config.toml", &text)]).expect_err("mixed array"));
    assert!(out.contains("an array of mixed types"), "{out}");
    assert!(out.len() < 8_000, "{} bytes", out.len());
}

/// The same through resolution: a reference to nothing, far along a line.
#[test]
fn a_reference_far_along_a_long_line_renders_around_its_place() {
    let text = format!("[p]\nhost = \"{}${{p.nope}}\"\n", "x".repeat(80_000));
    let error = resolve(&text).expect_err("missing reference");
    let out = report(&error);
    assert!(matches!(error, Error::MissingReference { .. }), "{out}");
    assert!(
        out.contains(&format!("/cfg/config.toml:2:{}", 8 + 80_000 + 1)),
        "{out}"
    );
    assert!(out.len() < 4_000, "{} bytes", out.len());
    assert_snapshot!("limit_long_line", out);
}

/// `[p]` with an array of `items` numbers and `references` keys each referring to it
/// whole.
fn array_references(items: usize, references: usize) -> String {
    let mut text = String::from("[p]\nbig = [");
    for n in 0..items {
        text.push_str(if n == 0 { "1" } else { ",1" });
    }
    text.push_str("]\n");
    for n in 0..references {
        text.push_str(&format!("tag{n} = \"${{p.big}}\"\n"));
    }
    text
}

/// 1,000 references to a 100,000-item array used to reach gigabytes: a resolution
/// copies at most 16 MiB through references, arrays included.
#[test]
fn whole_array_references_stop_at_the_resolution_limit() {
    let started = Instant::now();
    let error = resolve(&array_references(100_000, 1_000)).expect_err("gigabytes of arrays");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let out = report(&error);
    assert!(matches!(error, Error::InvalidReference { .. }), "{out}");
    assert!(
        out.contains("references expand to more than 16 MiB in all"),
        "{out}"
    );
    assert!(out.contains("${p.big}"), "{out}");
    assert_snapshot!("limit_resolution_expansion", out);
    // Below the limit, every reference gets the whole array.
    let resolved =
        resolve(&array_references(1_000, 100)).unwrap_or_else(|error| panic!("{}", report(&error)));
    let tag = resolved
        .flags
        .iter()
        .find(|flag| flag.key == "tag99")
        .expect("tag99");
    assert_eq!(tag.argv().len(), 2_000);
}

/// Strings count too: many references to one large string, each under the limit for
/// one value.
#[test]
fn many_references_to_a_large_string_stop_at_the_resolution_limit() {
    let mut text = format!("[p]\nbig = \"{}\"\n", "x".repeat(512 * 1024));
    for n in 0..64 {
        text.push_str(&format!("k{n} = \"${{p.big}}\"\n"));
    }
    let error = resolve(&text).expect_err("32 MiB of copies");
    assert!(
        report(&error).contains("references expand to more than 16 MiB in all"),
        "{}",
        report(&error)
    );
}
