//! What counts as a config file: real files, FIFOs, devices, directories and links
//! in temporary directories, loaded the way the program loads them.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use insta::assert_snapshot;
use keld_config::{Config, Environment, Error, LoadOptions, MAX_FILE_LEN};

use crate::render::redact;

const PLAIN: &str = "[home]\nrepo = \"/srv/restic\"\n";

/// The rendered diagnostic, unwrapped (temporary paths vary in length).
fn report(error: &Error) -> String {
    let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::none())
        .with_width(1000)
        .with_links(false);
    let mut out = String::new();
    handler
        .render_report(&mut out, error)
        .expect("rendering into a String cannot fail");
    out
}

/// Loads on another thread so a load that blocks fails the test instead of hanging it.
fn load_with(env: Environment, options: LoadOptions) -> Result<Config, Error> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(Config::load(&env, &options));
    });
    receive
        .recv_timeout(Duration::from_secs(20))
        .expect("loading must not block")
}

/// `--config PATH`.
fn load_explicit(path: &Path) -> Result<Config, Error> {
    load_with(
        Environment::default(),
        LoadOptions {
            config_file: Some(path.to_owned()),
            system_dirs: Vec::new(),
            trusted_uid: None,
            allow_unsafe_permissions: false,
            cache_dir: None,
        },
    )
}

/// Default discovery with `dir` as the only system directory.
fn load_dir(dir: &Path, vars: &[(&str, &str)]) -> Result<Config, Error> {
    load_with(
        Environment {
            vars: vars
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
            home: None,
            ..Environment::default()
        },
        LoadOptions {
            config_file: None,
            system_dirs: vec![dir.to_owned()],
            trusted_uid: None,
            allow_unsafe_permissions: false,
            cache_dir: None,
        },
    )
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn explicit_error(path: &Path) -> Error {
    match load_explicit(path) {
        Ok(config) => panic!("{} must be refused, loaded {:?}", path.display(), config),
        Err(error) => error,
    }
}

#[test]
fn explicit_paths_must_be_regular_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("fifo.toml");
    mkfifo(&fifo);
    let directory = dir.path().join("dir.toml");
    fs::create_dir(&directory).expect("mkdir");
    let dangling = dir.path().join("dangling.toml");
    symlink(dir.path().join("gone.toml"), &dangling).expect("symlink");
    let link_to_fifo = dir.path().join("link.toml");
    symlink(&fifo, &link_to_fifo).expect("symlink");

    let mut out = Vec::new();
    for path in [&fifo, &directory, &dangling, &link_to_fifo] {
        let error = explicit_error(path);
        assert!(
            matches!(
                error,
                Error::NotRegularFile { .. } | Error::DanglingLink { .. }
            ),
            "{error:?}"
        );
        out.push(redact(&report(&error), dir.path()));
    }
    let zero = explicit_error(Path::new("/dev/zero"));
    assert!(matches!(zero, Error::NotRegularFile { .. }), "{zero:?}");
    out.push(report(&zero));
    assert_snapshot!("files_not_regular", out.join("---\n"));
}

#[test]
fn a_link_to_a_regular_file_is_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let real = dir.path().join("real.toml");
    fs::write(&real, PLAIN).expect("write");
    let link = dir.path().join("link.toml");
    symlink(&real, &link).expect("symlink");
    let config = load_explicit(&link).unwrap_or_else(|error| panic!("{}", report(&error)));
    assert_eq!(config.files(), [link]);
}

#[test]
fn conf_d_skips_what_is_not_a_regular_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let conf_d = dir.path().join("conf.d");
    fs::create_dir(&conf_d).expect("mkdir");
    fs::write(conf_d.join("10-real.toml"), PLAIN).expect("write");
    mkfifo(&conf_d.join("20-fifo.toml"));
    fs::create_dir(conf_d.join("30-dir.toml")).expect("mkdir");
    symlink(conf_d.join("gone"), conf_d.join("40-dangling.toml")).expect("symlink");
    symlink(conf_d.join("10-real.toml"), conf_d.join("50-link.toml")).expect("symlink");
    // A dangling default config.toml is skipped like a missing one.
    symlink(dir.path().join("gone"), dir.path().join("config.toml")).expect("symlink");

    let config = load_dir(dir.path(), &[]).unwrap_or_else(|error| panic!("{}", report(&error)));
    let files: Vec<PathBuf> = vec![conf_d.join("10-real.toml"), conf_d.join("50-link.toml")];
    assert_eq!(config.files(), files);
}

#[test]
fn a_default_config_toml_or_a_named_entry_that_is_no_file_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    mkfifo(&dir.path().join("config.toml"));
    let error = load_dir(dir.path(), &[]).expect_err("a FIFO config.toml must be refused");
    assert!(
        report(&error).contains("config.toml is a FIFO (named pipe), not a regular file"),
        "{}",
        report(&error)
    );

    let empty = tempfile::tempdir().expect("temp dir");
    let entry = dir.path().join("extra.toml");
    fs::create_dir(&entry).expect("mkdir");
    let paths = entry.display().to_string();
    let error = load_dir(empty.path(), &[("KELD_CONFIG_PATHS", &paths)])
        .expect_err("a directory in KELD_CONFIG_PATHS must be refused");
    assert!(matches!(error, Error::NotRegularFile { .. }), "{error:?}");
    assert!(
        report(&error).contains("is a directory"),
        "{}",
        report(&error)
    );

    let dangling = dir.path().join("dangling.toml");
    symlink(dir.path().join("gone.toml"), &dangling).expect("symlink");
    let paths = dangling.display().to_string();
    let config = load_dir(empty.path(), &[("KELD_CONFIG_PATHS", &paths)])
        .unwrap_or_else(|error| panic!("{}", report(&error)));
    let warning = &config.warnings()[0].message;
    assert!(
        warning.contains("is a symbolic link to") && warning.contains("gone.toml"),
        "{warning}"
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.toml");
    let mut text = String::from(PLAIN);
    text.push_str(&"#".repeat(usize::try_from(MAX_FILE_LEN).unwrap() - text.len()));
    fs::write(&path, &text).expect("write");
    load_explicit(&path).unwrap_or_else(|error| panic!("at the limit: {}", report(&error)));

    text.push('\n');
    fs::write(&path, &text).expect("write");
    let error = explicit_error(&path);
    assert!(matches!(error, Error::TooLarge { .. }), "{error:?}");
    assert_snapshot!("files_too_large", redact(&report(&error), dir.path()));
}

#[test]
fn invalid_utf8_is_reported_at_its_line_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("latin1.toml");
    // Latin-1 `é` (0xE9) on line 3, after `ü` written correctly as UTF-8.
    let mut bytes = b"[home]\nhost = \"M\xc3\xbcnchen\"\ntag = \"caf\xe9\"\n".to_vec();
    bytes.extend_from_slice(b"[home.environ]\nRESTIC_PASSWORD = \"pa\xffss\"\n");
    fs::write(&path, &bytes).expect("write");
    let error = explicit_error(&path);
    assert!(matches!(error, Error::InvalidUtf8 { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .ends_with("latin1.toml:3:11: config file is not valid UTF-8")
    );
    let mut out = redact(&report(&error), dir.path());

    // The first invalid byte inside a password: the line is shown masked.
    fs::write(&path, b"[home.environ]\nRESTIC_PASSWORD = \"s3cr\xffet\"\n").expect("write");
    let error = explicit_error(&path);
    assert!(
        error
            .to_string()
            .ends_with("latin1.toml:2:24: config file is not valid UTF-8")
    );
    let secret = redact(&report(&error), dir.path());
    assert!(!secret.contains("s3cr"), "the password leaked:\n{secret}");
    out.push_str("---\n");
    out.push_str(&secret);
    assert_snapshot!("files_invalid_utf8", out);
}
