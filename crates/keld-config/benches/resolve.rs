//! Resolving one preset out of a large config: 50 files, 4,000 sections, 1,000 presets.
//!
//! Run with `cargo bench -p keld-config`. The goal is under 5 ms per resolution.
//!
//! `parse_and_merge_50_files` times [`Config::from_sources`] alone (divan drops the
//! result untimed); `load_resolve_drop_50_files` adds resolving a preset and dropping
//! the config, all of which a user waits for. A config this large is read on several
//! threads, so both also depend on how many cores are free.

use std::hint::black_box;

use keld_config::{Config, Environment, Request, Source};

mod fixture;

fn main() {
    divan::main();
}

/// The 50-file benchmark config (`fixture.rs`), as keld would read it from
/// `/etc/keld/conf.d`.
fn sources() -> Vec<Source> {
    fixture::texts(&[])
        .into_iter()
        .enumerate()
        .map(|(n, text)| Source {
            path: format!("/etc/keld/conf.d/{}", fixture::file_name(n)).into(),
            text,
        })
        .collect()
}

fn env() -> Environment {
    Environment {
        vars: Default::default(),
        home: Some("/home/ann".into()),
        ..Environment::default()
    }
}

#[divan::bench(sample_count = 200)]
fn resolve_split_preset(bencher: divan::Bencher<'_, '_>) {
    let config = Config::from_sources(sources()).expect("valid config");
    let request = Request {
        preset: Some("what42@where7".into()),
        command: "backup".into(),
        args: vec!["--tag".into(), "cli".into(), "/extra".into()],
    };
    let env = env();
    bencher.bench(|| config.resolve(black_box(&request), &env).expect("resolves"));
}

#[divan::bench(sample_count = 200)]
fn resolve_plain_preset(bencher: divan::Bencher<'_, '_>) {
    let config = Config::from_sources(sources()).expect("valid config");
    let request = Request {
        preset: Some("p777".into()),
        command: "backup".into(),
        args: Vec::new(),
    };
    let env = env();
    bencher.bench(|| config.resolve(black_box(&request), &env).expect("resolves"));
}

#[divan::bench(sample_count = 20)]
fn parse_and_merge_50_files(bencher: divan::Bencher<'_, '_>) {
    bencher
        .with_inputs(sources)
        .bench_values(|sources| Config::from_sources(sources).expect("valid config"));
}

/// What a user waits for: the files parsed, checked and merged, one preset resolved,
/// and everything dropped again (only making the texts is left out).
#[divan::bench(sample_count = 20)]
fn load_resolve_drop_50_files(bencher: divan::Bencher<'_, '_>) {
    let request = Request {
        preset: Some("what42@where7".into()),
        command: "backup".into(),
        args: Vec::new(),
    };
    let env = env();
    bencher.with_inputs(sources).bench_values(|sources| {
        let config = Config::from_sources(sources).expect("valid config");
        let resolved = config.resolve(&request, &env).expect("resolves");
        drop(config);
        resolved.args().len()
    });
}

/// The presets as `keld presets` lists them: every defined one with its sections, and
/// the number of combinations (10,000 here, counted, not spelled out).
#[divan::bench(sample_count = 20)]
fn list_presets(bencher: divan::Bencher<'_, '_>) {
    let config = Config::from_sources(sources()).expect("valid config");
    bencher.bench(|| {
        let presets = config.presets();
        presets.defined().len() + presets.combination_count()
    });
}

/// Every runnable name, made one at a time: what `keld presets --all --names` prints.
#[divan::bench(sample_count = 20)]
fn list_all_runnable_names(bencher: divan::Bencher<'_, '_>) {
    let config = Config::from_sources(sources()).expect("valid config");
    bencher.bench(|| config.presets().runnable_names().count());
}
