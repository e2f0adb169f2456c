//! What a value may become: a flag's value checked against what the flag takes, key
//! names and `_command` checked in every file, `~/` always the home directory, and
//! environment values that are not UTF-8 used as they are or refused by name.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use insta::assert_snapshot;
use keld_config::{Config, Environment, Error, FlagData, LoadOptions, ResolvedConfig};

use crate::render::{config, env, report, request, try_config};

fn resolve_with(text: &str, env: &Environment) -> Result<ResolvedConfig, Error> {
    config(&[("config.toml", text)]).resolve_with_flags(
        &request(Some("p"), "backup", &[]),
        env,
        &crate::catalog::flags(),
    )
}

fn resolve(text: &str) -> Result<ResolvedConfig, Error> {
    resolve_with(text, &env(&[]))
}

fn argv(text: &str) -> Vec<String> {
    resolve(text)
        .unwrap_or_else(|error| panic!("{text}: {}", report(&error)))
        .args()
}

fn refused(text: &str) -> String {
    match resolve(text) {
        Ok(resolved) => panic!("{text}: resolved to {:?}", resolved.args()),
        Err(error) => report(&error),
    }
}

/// `one-file-system = 1` used to become `--one-file-system 1`, which backed up a
/// directory named `1`. A switch takes true or false, a counter a count (or true or
/// false), and a flag that takes a value anything but true.
#[test]
fn values_are_checked_against_what_their_flag_takes() {
    for (value, what) in [
        ("one-file-system = 1", "an integer for a switch"),
        ("x = 1", "an integer for a switch"),
        ("one-file-system = 0", "an integer for a switch"),
        ("quiet = \"yes\"", "a string for a switch"),
        ("quiet = \"true\"", "a string for a switch"),
        ("quiet = 1.0", "a float for a switch"),
        ("quiet = [\"a\"]", "an array for a switch"),
        ("quiet = []", "an array for a switch"),
        ("verbose = 2.5", "a float for a counting flag"),
        ("verbose = \"2\"", "a string for a counting flag"),
        ("v = [1]", "an array for a counting flag"),
        ("verbose = -1", "a count below zero"),
        ("verbose = 101", "a count below zero or above 100"),
        ("repo = true", "true for a flag that takes a value"),
        ("r = true", "true for a flag that takes a value"),
    ] {
        let out = refused(&format!("[p]\n{value}\n"));
        assert!(out.contains(what), "{value}: {out}");
        assert!(out.contains("/cfg/config.toml:2:"), "{value}: {out}");
    }
    assert_snapshot!(
        "switch_with_an_integer",
        refused("[p.backup]\none-file-system = 1\n")
    );
    assert_snapshot!("counter_with_a_float", refused("[p]\nverbose = 2.5\n"));
}

#[test]
fn values_that_fit_their_flag_pass() {
    assert_eq!(
        argv("[p]\none-file-system = true\nquiet = false\nverbose = 3\nrepo = \"/r\"\n"),
        [
            "backup",
            "--one-file-system",
            "--repo",
            "/r",
            "--verbose",
            "--verbose",
            "--verbose"
        ]
    );
    assert_eq!(
        argv("[p]\nverbose = true\nrepo = false\n"),
        ["backup", "--verbose"]
    );
    assert_eq!(argv("[p]\nverbose = 0\n"), ["backup"]);
    // A flag keld does not know takes any value, as before.
    assert_eq!(
        argv("[p]\nfrob = 1\nzap = true\nzip = \"yes\"\n"),
        ["backup", "--frob", "1", "--zap", "--zip", "yes"]
    );
    // A value flag takes numbers and lists.
    assert_eq!(
        argv("[p]\nlimit-upload = 5\ntag = [\"a\", \"b\"]\n"),
        ["backup", "--limit-upload", "5", "--tag", "a", "--tag", "b"]
    );
}

/// A value made by a reference is checked once it is known.
#[test]
fn interpolated_values_are_checked_too() {
    let out = refused("[p]\nquiet = \"${q.on}\"\n[q]\non = \"yes\"\n");
    assert!(out.contains("a string for a switch"), "{out}");
    assert_eq!(
        argv("[p]\nquiet = \"${q.on}\"\n[q.backup]\non = true\n[q]\non = true\n")[1],
        "--quiet"
    );
}

/// The built-in catalogue judges the same way, per command (`-H` is a value for
/// `backup`, and `verbose` counts everywhere).
#[test]
fn the_built_in_catalogue_checks_values_too() {
    let cfg = config(&[("config.toml", "[p]\nverbose = 2.5\n")]);
    let error = cfg
        .resolve_with_flags(
            &request(Some("p"), "snapshots", &[]),
            &env(&[]),
            &FlagData::restic(),
        )
        .expect_err("a float for verbose");
    assert!(report(&error).contains("a float for a counting flag"));
    let cfg = config(&[("config.toml", "[p.backup]\nexclude-caches = \"yes\"\n")]);
    let error = cfg
        .resolve(&request(Some("p"), "backup", &[]), &env(&[]))
        .expect_err("a string");
    assert!(report(&error).contains("a string for a switch"));
}

/// A key holding `=` would reach restic as a flag with a value of its own
/// (`"password-command=touch /tmp/x" = true` was `--password-command=touch /tmp/x`).
/// Such names, and empty ones and ones with whitespace or control characters, are an
/// error in every file, used or not.
#[test]
fn key_names_that_cannot_be_a_flag_are_an_error_everywhere() {
    for (text, reason) in [
        (
            "[unused]\n\"password-command=touch /tmp/x\" = true\n",
            "a name holds no `=`",
        ),
        (
            "[p.backup]\n'o=sftp.command=sh' = true\n",
            "a name holds no `=`",
        ),
        ("[p]\n\"\" = 1\n", "the name is empty"),
        ("[p]\n\"tag \" = \"a\"\n", "whitespace"),
        ("[p]\n\"a\\tb\" = 1\n", "whitespace"),
        ("[p]\n\"a\\u00a0b\" = 1\n", "whitespace"),
        ("[p]\n\"a\\u0001b\" = 1\n", "control characters"),
        ("[p.environ]\n\"A=B\" = \"x\"\n", "a name holds no `=`"),
        ("[p]\nbackup.\"a=b\" = true\n", "a name holds no `=`"),
    ] {
        let error = try_config(&[("config.toml", text)]).expect_err(text);
        let out = report(&error);
        assert!(
            matches!(error, Error::InvalidKeyName { .. }),
            "{text}: {out}"
        );
        assert!(out.contains(reason), "{text}: {out}");
    }
    let error = try_config(&[(
        "config.toml",
        "[p]\n\"password-command=touch /tmp/x\" = true\n",
    )])
    .expect_err("a key with `=`");
    assert_snapshot!("key_name_with_equals", report(&error));
    // Names of other characters are fine (restic decides whether it knows them).
    config(&[(
        "config.toml",
        "[p]\n\"été\" = 1\n\"-x-\" = 2\n[\"p q\".\"back up\"]\ny = 1\n",
    )]);
}

/// `_command` names a restic command, in every file and once interpolated.
#[test]
fn command_names_a_restic_command() {
    for text in [
        "[p]\n_command = \"--password-command=touch /tmp/x\"\n",
        "[unused.backup]\n_command = \"backup --password-command=x\"\n",
        "[p]\n_command = \"-o\"\n",
        "[p]\n_command = \"nightly\"\n",
    ] {
        let error = try_config(&[("config.toml", text)]).expect_err(text);
        let out = report(&error);
        assert!(out.contains("is no restic command"), "{text}: {out}");
        assert!(out.contains("/cfg/config.toml:2:12"), "{text}: {out}");
    }
    let out = refused(
        "[p]\n_command = \"${q.c}\"\n[q.backup]\nc = \"x\"\n[q]\nc = \"--password-command=x\"\n",
    );
    assert!(out.contains("is no restic command"), "{out}");
    assert_snapshot!("command_not_restic", out);
    // Known commands, and empty (the command as typed), pass.
    assert_eq!(argv("[p]\n_command = \"forget\"\n")[0], "forget");
    assert_eq!(argv("[p]\n_command = \"\"\n")[0], "backup");
}

/// `~//cache` used to be joined as the absolute `/cache`, and `["~//"]` backed up `/`.
#[test]
fn tilde_slash_is_the_home_directory_whatever_follows() {
    let resolved = resolve(
        "[p]\ncache-dir = \"~//cache\"\n_arguments = [\"~//\", \"~///etc\", \"~/\", \"~\", \"a~/b\"]\n\
         _workdir = \"~//w\"\n[p.environ]\nX = \"~//x\"\n",
    )
    .unwrap_or_else(|error| panic!("{}", report(&error)));
    assert_eq!(
        resolved.args(),
        [
            "backup",
            "--cache-dir",
            "/home/ann/cache",
            "/home/ann/",
            "/home/ann/etc",
            "/home/ann/",
            "/home/ann",
            "a~/b"
        ]
    );
    assert_eq!(
        resolved.workdir.as_ref().map(|w| w.value.clone()),
        Some(PathBuf::from("/home/ann/w"))
    );
    assert!(format!("{:?}", resolved.environ).contains("/home/ann/x"));
    // A home of `/` is the root, as it should be.
    let root = Environment {
        home: Some("/".into()),
        ..Environment::default()
    };
    let resolved = resolve_with("[p]\n_arguments = [\"~//x\", \"~/\"]\n", &root).expect("resolves");
    assert_eq!(resolved.args(), ["backup", "/x", "/"]);
}

fn non_utf8(bytes: &[u8]) -> OsString {
    OsString::from_vec(bytes.to_vec())
}

/// `${NAME}` of a variable that is not UTF-8 names the variable; `~` with a home that
/// is not UTF-8 names the home directory. Neither is mangled nor dropped.
#[test]
fn values_that_are_not_utf8_are_refused_by_name() {
    let env = Environment {
        non_utf8_vars: BTreeMap::from([("BAD".to_owned(), non_utf8(b"/srv/\xff"))]),
        home: Some(PathBuf::from(non_utf8(b"/home/\xe9"))),
        ..Environment::default()
    };
    let error = resolve_with("[p]\nrepo = \"${BAD}/r\"\n", &env).expect_err("not UTF-8");
    let out = report(&error);
    assert!(matches!(error, Error::NotUtf8Value { .. }), "{out}");
    assert!(
        out.contains("environment variable BAD is not UTF-8"),
        "{out}"
    );
    assert_snapshot!("variable_not_utf8", out);
    for text in [
        "[p]\nrepo = \"~/r\"\n",
        "[p]\n_arguments = [\"~\"]\n",
        "[p]\n_workdir = \"~/w\"\n",
        "[p.environ]\nX = \"~/x\"\n",
    ] {
        let error = resolve_with(text, &env).expect_err(text);
        let out = report(&error);
        assert!(
            out.contains("the home directory is not UTF-8"),
            "{text}: {out}"
        );
        assert!(out.contains("/cfg/config.toml:2:"), "{text}: {out}");
    }
    // Values without `~` do not need the home directory.
    let resolved =
        resolve_with("[p]\nrepo = \"/r\"\n_arguments = [\"a~\"]\n", &env).expect("resolves");
    assert_eq!(resolved.args(), ["backup", "--repo", "/r", "a~"]);
}

fn load(env: Environment) -> Result<Config, Error> {
    Config::load(
        &env,
        &LoadOptions {
            config_file: None,
            system_dirs: Vec::new(),
            trusted_uid: None,
            allow_unsafe_permissions: false,
            cache_dir: None,
        },
    )
}

fn env_with(vars: &[(&str, OsString)], home: &Path) -> Environment {
    let mut env = Environment {
        home: Some(home.to_owned()),
        ..Environment::default()
    };
    for (name, value) in vars {
        if let Some(text) = value.to_str() {
            env.vars.insert((*name).to_owned(), text.to_owned());
        } else {
            env.non_utf8_vars.insert((*name).to_owned(), value.clone());
        }
    }
    env
}

/// A `KELD_CONFIG_FILE`, `KELD_CONFIG_PATHS` or `XDG_CONFIG_HOME` that is not UTF-8
/// used to be dropped, and the user's default config read instead. Paths are bytes:
/// each names its own file, and a pattern that cannot be text is refused by name.
#[test]
fn paths_that_are_not_utf8_name_their_own_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let write = |path: &Path, text: &str| {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    // The default user config, which must never stand in for another file.
    let home = root.join("home");
    write(
        &home.join(".config/keld/config.toml"),
        "[default]\nrepo = \"/default\"\n",
    );
    let odd = root.join(OsString::from_vec(b"odd-\xff".to_vec()));
    write(&odd.join("keld.toml"), "[odd]\nrepo = \"/odd\"\n");
    write(&odd.join("keld/config.toml"), "[xdg]\nrepo = \"/xdg\"\n");
    let names = |config: &Config| {
        config
            .presets()
            .all()
            .map(|preset| preset.name)
            .collect::<Vec<_>>()
    };

    let file = odd.join("keld.toml").into_os_string();
    let config = load(env_with(&[("KELD_CONFIG_FILE", file.clone())], &home)).expect("loads");
    assert_eq!(config.files(), [PathBuf::from(&file)]);
    assert_eq!(names(&config), ["odd"]);

    // Missing: an error naming it, not the default config.
    let missing = odd.join("missing.toml").into_os_string();
    let error = load(env_with(&[("KELD_CONFIG_FILE", missing)], &home)).expect_err("missing");
    assert!(
        matches!(error, Error::ConfigFileMissing { .. }),
        "{}",
        report(&error)
    );

    // `~/` in front of bytes that are not UTF-8.
    let mut tilde = b"~/../".to_vec();
    tilde.extend_from_slice(odd.file_name().unwrap().as_bytes());
    tilde.extend_from_slice(b"/keld.toml");
    let config = load(env_with(&[("KELD_CONFIG_FILE", non_utf8(&tilde))], &home)).expect("loads");
    assert_eq!(names(&config), ["odd"]);

    let config = load(env_with(
        &[("XDG_CONFIG_HOME", odd.clone().into_os_string())],
        &home,
    ))
    .expect("loads");
    assert_eq!(names(&config), ["xdg"]);

    let mut paths = file.clone();
    paths.push(":");
    paths.push(home.join(".config/keld/config.toml"));
    let config = load(env_with(&[("KELD_CONFIG_PATHS", paths)], &home)).expect("loads");
    assert_eq!(names(&config), ["default", "odd"]);

    let pattern = odd.join("*.toml").into_os_string();
    let error = load(env_with(&[("KELD_CONFIG_PATHS", pattern)], &home)).expect_err("pattern");
    let out = report(&error);
    assert!(matches!(error, Error::NotUtf8Variable { .. }), "{out}");
    assert!(
        out.contains("environment variable KELD_CONFIG_PATHS is not UTF-8"),
        "{out}"
    );

    // A home directory that is not UTF-8 still finds its config.
    write(
        &odd.join(".config/keld/config.toml"),
        "[home]\nrepo = \"/home\"\n",
    );
    let config = load(env_with(&[], &odd)).expect("loads");
    assert_eq!(names(&config), ["home"]);
}
