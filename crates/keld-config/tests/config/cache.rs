//! The tree of a large config kept between runs (`LoadOptions::cache_dir`): a run that
//! reads the same files again gets the very same config, an edit is seen at once, and
//! files others could have written are never cached.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use keld_config::{Config, Environment, LoadOptions, Request};

#[path = "../../benches/fixture.rs"]
#[allow(dead_code)]
mod fixture;

/// `etc/conf.d/00.toml` .. in `dir`, private, and the directory to load them from.
fn write_config(dir: &Path, texts: &[String]) -> PathBuf {
    let etc = dir.join("etc");
    let conf_d = etc.join("conf.d");
    fs::create_dir_all(&conf_d).expect("mkdir");
    for path in [dir, &etc, &conf_d] {
        fs::set_permissions(path, fs::Permissions::from_mode(0o700)).expect("chmod");
    }
    for (n, text) in texts.iter().enumerate() {
        let path = conf_d.join(fixture::file_name(n));
        fs::write(&path, text).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    etc
}

fn options(etc: &Path, cache: Option<&Path>) -> LoadOptions {
    LoadOptions {
        config_file: None,
        system_dirs: vec![etc.to_owned()],
        trusted_uid: Some(nix::unistd::geteuid().as_raw()),
        allow_unsafe_permissions: false,
        cache_dir: cache.map(Path::to_owned),
    }
}

/// What a config says, as far as a run and a listing can tell: resolutions of a few
/// presets with their provenance, and the presets with their sections.
fn said(config: &Config) -> String {
    let env = Environment {
        home: Some("/home/ann".into()),
        ..Environment::default()
    };
    let mut said = String::new();
    for (preset, command, args) in [
        ("what99@where3", "backup", vec![]),
        ("p7", "check", vec![]),
        ("what42@where7", "backup", vec!["--tag", "cli", "/extra"]),
        ("p799", "forget", vec![]),
    ] {
        let request = Request {
            preset: Some(preset.to_owned()),
            command: command.to_owned(),
            args: args.into_iter().map(str::to_owned).collect(),
        };
        said.push_str(&format!("{:?}\n", config.resolve(&request, &env)));
    }
    said.push_str(&format!("{:?}", config.presets().defined()));
    said
}

fn load(etc: &Path, cache: Option<&Path>) -> Config {
    Config::load(&Environment::default(), &options(etc, cache)).expect("loads")
}

fn entries(dir: &Path) -> usize {
    fs::read_dir(dir).map_or(0, Iterator::count)
}

#[test]
fn a_large_config_reads_the_same_from_its_cache() {
    let temp = tempfile::tempdir().expect("temp dir");
    let etc = write_config(temp.path(), &fixture::texts(&[]));
    let cache = temp.path().join("cache/keld");
    let parsed = said(&load(&etc, None));
    assert!(!cache.exists(), "no cache unless asked for");
    let first = said(&load(&etc, Some(&cache)));
    assert_eq!(entries(&cache), 1, "the tree was kept");
    let second = said(&load(&etc, Some(&cache)));
    assert_eq!(parsed, first);
    assert_eq!(parsed, second);

    // An edit is seen on the next run, and the new tree replaces the old one.
    let mut texts = fixture::texts(&[]);
    let file = (899 + 1) % fixture::FILES;
    texts[file] = texts[file].replace("host = \"h899\"", "host = \"h-new\"");
    write_config(temp.path(), &texts);
    let edited = said(&load(&etc, Some(&cache)));
    assert!(edited.contains("h-new"), "{edited}");
    assert_eq!(edited, said(&load(&etc, None)));
    assert_eq!(edited, said(&load(&etc, Some(&cache))));
    assert_eq!(entries(&cache), 1);
}

#[test]
fn small_configs_and_files_others_could_write_are_not_cached() {
    let temp = tempfile::tempdir().expect("temp dir");
    let cache = temp.path().join("cache");
    let etc = write_config(
        temp.path(),
        &["[home]\nrepo = \"/srv/restic\"\n".to_owned()],
    );
    load(&etc, Some(&cache));
    assert_eq!(entries(&cache), 0, "a small config is parsed every time");

    // A large config one file of which others can write (it sets nothing a shared
    // file may not): loaded, never cached.
    let temp = tempfile::tempdir().expect("temp dir");
    let mut texts = fixture::texts(&["what99@", "@where3"]);
    texts.push("[p5]\ntag = [\"shared\"]\n".to_owned());
    let etc = write_config(temp.path(), &texts);
    let shared = etc.join("conf.d").join(fixture::file_name(texts.len() - 1));
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o666)).expect("chmod");
    let cache = temp.path().join("cache");
    let config = load(&etc, Some(&cache));
    assert_eq!(config.files().len(), texts.len());
    assert_eq!(
        entries(&cache),
        0,
        "a file others could write is judged every time"
    );
}
