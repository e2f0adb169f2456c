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

fn main() {
    divan::main();
}

const FILES: usize = 50;
/// Plain presets; split halves are added on top so the total is 1,000.
const PLAIN: usize = 800;
const PREFIXES: usize = 100;
const SUFFIXES: usize = 100;
const COMMANDS: [&str; 3] = ["backup", "forget", "check"];

/// The names of all 1,000 presets.
fn preset_names() -> Vec<String> {
    (0..PLAIN)
        .map(|n| format!("p{n}"))
        .chain((0..PREFIXES).map(|n| format!("\"what{n}@\"")))
        .chain((0..SUFFIXES).map(|n| format!("\"@where{n}\"")))
        .collect()
}

/// One preset table and three command sections per preset (4,000 sections), spread
/// over 50 files so that merging and file precedence are exercised.
fn sources() -> Vec<Source> {
    let mut texts = vec![String::new(); FILES];
    texts[0].push_str("[global]\nrepo = \"/srv/restic\"\nbase = \"/data\"\n[global.environ]\nRESTIC_CACHE_DIR = \"~/.cache/restic\"\n");
    for (index, name) in preset_names().iter().enumerate() {
        let table = &mut texts[index % FILES];
        table.push_str(&format!(
            "[{name}]\ntag = [\"{index}\", \"t\"]\npassword-file = \"${{global.base}}/pass-{index}\"\n\
             _workdir = \"~/w{index}\"\n[{name}.environ]\nB2_ACCOUNT_ID = \"id{index}\"\n\
             B2_ACCOUNT_KEY_COMMAND = \"pass show b2/{index}\"\n"
        ));
        for (offset, command) in COMMANDS.iter().enumerate() {
            let file = &mut texts[(index + offset + 1) % FILES];
            file.push_str(&format!(
                "[{name}.{command}]\nexclude = \"\"\"\n*.tmp\n*.cache\n\"\"\"\nhost = \"h{index}\"\n\
                 one-file-system = true\nverbose = 2\n_arguments = [\"/home/{index}\", \"~/x\"]\n\
                 _pre_hooks = [\"echo pre {index}\"]\n"
            ));
        }
    }
    texts
        .into_iter()
        .enumerate()
        .map(|(n, text)| Source {
            path: format!("/etc/keld/conf.d/{n:02}.toml").into(),
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
