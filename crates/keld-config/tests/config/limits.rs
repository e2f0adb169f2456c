//! Limits that keep hostile or mistaken configs from hanging or exhausting keld:
//! reference depth, expanded size, and what counts as a config file.

use std::time::{Duration, Instant};

use insta::assert_snapshot;
use keld_config::Error;

use crate::render::{config, env, report, request};

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
