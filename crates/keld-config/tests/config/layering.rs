//! File discovery and merging (docs/configuration.md), with real files in temporary directories.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use insta::assert_snapshot;
use keld_config::{Config, Environment, Error, LoadOptions, Presets};

use crate::render::{config, env, redact, render, report, request};

/// A temporary root with `usr/`, `etc/` (system dirs) and `home/` (HOME).
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Writes a file that sets `repo` to its own relative name and a list `who`.
    fn file(&self, relative: &str) -> &Self {
        self.write(
            relative,
            &format!(
                "[global]\nrepo = \"{relative}\"\n[global.environ]\nFROM_{} = \"1\"\n",
                marker(relative)
            ),
        )
    }

    /// Writes a file (mode 0600, in a directory only its owner can write, whatever the
    /// umask: keld refuses config files others could change when they run commands).
    fn write(&self, relative: &str, text: &str) -> &Self {
        use std::os::unix::fs::PermissionsExt;
        let path = self.path(relative);
        let parent = path.parent().expect("has parent");
        fs::create_dir_all(parent).expect("mkdir");
        fs::set_permissions(parent, fs::Permissions::from_mode(0o700)).expect("chmod dir");
        fs::write(&path, text).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        self
    }

    fn options(&self) -> LoadOptions {
        LoadOptions {
            config_file: None,
            system_dirs: vec![self.path("usr"), self.path("etc")],
            ..LoadOptions::default()
        }
    }

    fn env(&self, vars: &[(&str, &str)]) -> Environment {
        let mut env = env(vars);
        env.home = Some(self.path("home"));
        env
    }

    fn redact(&self, text: &str) -> String {
        redact(text, self.dir.path())
    }

    /// The files read and the resolution of `snapshots` with no preset.
    fn load(&self, options: &LoadOptions, env: &Environment) -> String {
        match Config::load(env, options) {
            Ok(config) => {
                let mut out = String::new();
                for file in config.files() {
                    let _ = writeln!(out, "read {}", file.display());
                }
                for warning in config.warnings() {
                    let _ = writeln!(out, "warning: {} ({:?})", warning.message, warning.help);
                }
                let resolved = config
                    .resolve_with_flags(
                        &request(None, "snapshots", &[]),
                        env,
                        &crate::catalog::flags(),
                    )
                    .expect("resolves");
                out.push_str(&render(&resolved));
                self.redact(&out)
            }
            Err(error) => self.redact(&format!("error: {}", report(&error))),
        }
    }
}

fn marker(relative: &str) -> String {
    relative
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn populated() -> Tree {
    let tree = Tree::new();
    tree.file("usr/config.toml")
        .file("usr/conf.d/20-b.toml")
        .file("usr/conf.d/10-a.toml")
        .write("usr/conf.d/ignored.txt", "not toml [")
        .file("etc/conf.d/00-only-dropin.toml")
        .file("home/.config/keld/config.toml")
        .file("home/.config/keld/conf.d/50.toml")
        .file("extra/b.toml")
        .file("extra/a.toml")
        .file("extra/c.conf")
        .file("single.toml");
    tree
}

#[test]
fn default_locations_in_order_with_sorted_conf_d() {
    let tree = populated();
    assert_snapshot!(
        "layering_defaults",
        tree.load(&tree.options(), &tree.env(&[]))
    );
}

#[test]
fn xdg_config_home_replaces_the_default_user_dir() {
    let tree = populated();
    tree.file("xdg/keld/config.toml");
    let xdg = tree.path("xdg");
    let env = tree.env(&[("XDG_CONFIG_HOME", xdg.to_str().expect("utf-8"))]);
    assert_snapshot!("layering_xdg", tree.load(&tree.options(), &env));
}

#[test]
fn keld_config_paths_globs_are_expanded_sorted_and_read_last() {
    let tree = populated();
    let paths = format!(
        "{}/extra/*.toml::~/../single.toml:~/missing.toml",
        tree.dir.path().display()
    );
    let env = tree.env(&[("KELD_CONFIG_PATHS", &paths)]);
    assert_snapshot!("layering_config_paths", tree.load(&tree.options(), &env));
}

#[test]
fn explicit_file_replaces_every_other_source() {
    let tree = populated();
    let mut options = tree.options();
    options.config_file = Some(tree.path("single.toml"));
    let env = tree.env(&[("KELD_CONFIG_FILE", "/ignored/because/--config/wins.toml")]);
    let by_option = tree.load(&options, &env);
    let by_env = tree.load(
        &tree.options(),
        &tree.env(&[
            (
                "KELD_CONFIG_FILE",
                tree.path("single.toml").to_str().expect("utf-8"),
            ),
            (
                "KELD_CONFIG_PATHS",
                tree.path("extra/a.toml").to_str().expect("utf-8"),
            ),
        ]),
    );
    assert_eq!(by_option, by_env);
    assert_snapshot!("layering_explicit", by_option);
}

#[test]
fn explicit_file_that_does_not_exist_is_an_error() {
    let tree = populated();
    let mut options = tree.options();
    options.config_file = Some(tree.path("nope.toml"));
    let error = Config::load(&tree.env(&[]), &options).expect_err("missing file");
    assert!(matches!(&error, Error::ConfigFileMissing { path } if path == &tree.path("nope.toml")));
    assert_snapshot!(
        "layering_explicit_missing",
        tree.load(&options, &tree.env(&[]))
    );
}

#[test]
fn nothing_found_is_an_empty_config() {
    let tree = Tree::new();
    let config = Config::load(&tree.env(&[]), &tree.options()).expect("loads");
    assert!(config.files().is_empty());
    assert_eq!(
        config
            .resolve(&request(None, "snapshots", &[]), &tree.env(&[]))
            .expect("resolves")
            .args(),
        ["snapshots"]
    );
}

#[test]
fn unreadable_file_is_an_error_naming_it() {
    let tree = Tree::new();
    // A link to itself leads nowhere, and even root cannot read it.
    fs::create_dir_all(tree.path("etc/conf.d")).expect("mkdir");
    std::os::unix::fs::symlink("loop.toml", tree.path("etc/conf.d/loop.toml")).expect("symlink");
    let error = Config::load(&tree.env(&[]), &tree.options()).expect_err("unreadable");
    assert!(
        matches!(&error, Error::Unreadable { path, .. } if path == &tree.path("etc/conf.d/loop.toml")),
        "{error:?}"
    );
    assert_snapshot!("layering_unreadable", tree.redact(&report(&error)));
}

#[test]
fn files_merge_tables_recursively_and_replace_other_values_whole() {
    let first = r#"
[global]
repo = "/first"
tag = ["a", "b"]
[home.backup]
exclude = ["x"]
[home.environ]
ONE = "1"
"#;
    let second = r#"
[global]
tag = ["c"]
[home.backup]
host = "box"
[home.environ]
TWO = "2"
"#;
    let third = "[global]\ntag = []\nrepo = \"/third\"\n";
    let cfg = config(&[("10-first.toml", first), ("20-second.toml", second)]);
    let two = crate::render::resolve(&cfg, &request(Some("home"), "backup", &[]), &env(&[]));
    let cfg = config(&[
        ("10-first.toml", first),
        ("20-second.toml", second),
        ("30-third.toml", third),
    ]);
    let three = crate::render::resolve(&cfg, &request(Some("home"), "backup", &[]), &env(&[]));
    assert_snapshot!("merge_files", format!("{two}---\n{three}"));
}

fn render_presets(presets: &Presets) -> String {
    let mut out = String::new();
    for preset in presets.all() {
        let sections: Vec<String> = preset
            .sections
            .iter()
            .map(|s| format!("{}@{}:{}", s.section, s.file.display(), s.line))
            .collect();
        let _ = writeln!(
            out,
            "{} {:?} runnable={} [{}]",
            preset.name,
            preset.kind,
            preset.runnable,
            sections.join(", ")
        );
    }
    out
}

#[test]
fn presets_lists_plain_halves_splits_and_combinations() {
    let first = "[global]\n[home]\n[\"home@\"]\n[\"@cloud\"]\n";
    let second = "[\"work@\"]\n[\"@usb\"]\n[\"home@usb\"]\nrepo = \"/usb\"\n[\"@cloud\".backup]\n[\"home@\"]\ntag = [\"x\"]\n";
    let cfg = config(&[("a.toml", first), ("b.toml", second)]);
    assert_snapshot!("presets", render_presets(&cfg.presets()));
}

#[test]
fn tilde_in_config_file_variables_is_expanded() {
    let tree = populated();
    let env = tree.env(&[("KELD_CONFIG_FILE", "~/../single.toml")]);
    let config = Config::load(&env, &tree.options()).expect("loads");
    let expected: &[&Path] = &[&tree.path("home/../single.toml")];
    assert_eq!(config.files(), expected);
}

#[test]
fn invalid_pattern_in_config_paths_is_an_error() {
    let tree = Tree::new();
    let env = tree.env(&[("KELD_CONFIG_PATHS", "/etc/keld/[z-a.toml")]);
    let error = Config::load(&env, &tree.options()).expect_err("invalid pattern");
    assert!(
        matches!(&error, Error::InvalidGlob { pattern, .. } if pattern == "/etc/keld/[z-a.toml")
    );
    assert_snapshot!("layering_invalid_glob", report(&error));
}

#[test]
fn a_file_that_is_not_utf8_is_refused_at_the_byte() {
    let tree = Tree::new();
    fs::create_dir_all(tree.path("etc")).expect("mkdir");
    fs::write(tree.path("etc/config.toml"), b"[home]\nrepo = \"\xff\"\n").expect("write");
    let error = Config::load(&tree.env(&[]), &tree.options()).expect_err("not UTF-8");
    let Error::InvalidUtf8 { at, src, .. } = &error else {
        panic!("expected InvalidUtf8, got {error:?}");
    };
    assert_eq!(src.path(), tree.path("etc/config.toml"));
    assert!(at.ends_with("etc/config.toml:2:9"), "{at}");
}
