//! The worker's answers, with a stand-in restic and the real one.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use keld_config::Source;

use super::*;

/// `worker`'s answer to `request`.
fn ask(worker: &Worker, request: Request) -> Msg {
    worker(request, &|_| {})
}

/// The config's one preset with a repository in `dir`, as TOML.
fn config(dir: &Path) -> Arc<Config> {
    let text = format!(
        "[home]\nrepo = \"{}\"\ncache-dir = \"{}\"\n[home.environ]\nRESTIC_PASSWORD = \"correct horse\"\n",
        dir.join("repo").display(),
        dir.join("cache").display()
    );
    Arc::new(
        Config::from_sources([Source {
            path: dir.join("keld.toml"),
            text,
        }])
        .expect("config"),
    )
}

fn host(dir: &Path, restic: Option<&Path>) -> Host {
    let mut env = vec![
        ("PATH".into(), "/usr/bin:/bin".into()),
        ("HOME".into(), dir.as_os_str().to_owned()),
    ];
    if let Some(restic) = restic {
        env.push(("KELD_EXECUTABLE".into(), restic.as_os_str().to_owned()));
    }
    Host {
        env,
        cwd: dir.to_owned(),
        home: None,
    }
}

/// The real restic: `KELD_TEST_RESTIC` (a path) when set, else `restic` on PATH.
/// Without one the test fails.
fn real_restic_program() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("KELD_TEST_RESTIC").filter(|path| !path.is_empty()) {
        return path.into();
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("restic"))
        .find(|path| path.is_file())
        .expect(
            "this test needs restic: install it (Debian: `apt-get install restic`) \
             or set KELD_TEST_RESTIC to its path",
        )
}

fn real_restic(dir: &Path, args: &[&str]) {
    let output = std::process::Command::new(real_restic_program())
        .args(["--repo", &dir.join("repo").display().to_string()])
        .args(args)
        .env("RESTIC_PASSWORD", "correct horse")
        .env("RESTIC_CACHE_DIR", dir.join("cache"))
        .output()
        .expect("restic runs (install restic, or set KELD_TEST_RESTIC)");
    assert!(output.status.success(), "{args:?}: {output:?}");
}

#[test]
fn real_restic_answers_every_request() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("src");
    fs::create_dir_all(source.join("docs")).expect("mkdir");
    fs::write(source.join("docs/a.txt"), "alpha").expect("write");
    fs::write(source.join("b.txt"), "beta").expect("write");
    let restic_path = real_restic_program();
    let restic = Arc::new(ConfigRestic::new(
        config(dir.path()),
        Environment::default(),
        host(dir.path(), Some(&restic_path)),
        true,
    ));
    let worker = restic_worker(Arc::clone(&restic) as Arc<dyn Restic>);

    // Before `init`: restic fails, and the message says why.
    let Msg::Snapshots { ticket: 1, result } = ask(
        &worker,
        Request::Snapshots {
            ticket: 1,
            preset: None,
        },
    ) else {
        panic!("wrong answer");
    };
    let error = result.expect_err("no repository yet");
    assert!(error.contains("exit code"), "{error}");
    assert!(!error.contains("correct horse"), "no secret in errors");

    real_restic(dir.path(), &["init"]);
    let Msg::Snapshots { result, .. } = ask(
        &worker,
        Request::Snapshots {
            ticket: 2,
            preset: None,
        },
    ) else {
        panic!("wrong answer");
    };
    assert_eq!(result, Ok(Vec::new()), "an empty repository");

    real_restic(
        dir.path(),
        &["backup", "--tag", "t1", &source.to_string_lossy()],
    );
    let Msg::Snapshots { result, .. } = ask(
        &worker,
        Request::Snapshots {
            ticket: 3,
            preset: Some("home".into()),
        },
    ) else {
        panic!("wrong answer");
    };
    let snapshots = result.expect("one snapshot");
    assert_eq!(snapshots.len(), 1);
    assert_eq!(snapshots[0].snapshot.tags, ["t1"]);

    let Msg::Listing { result, .. } = ask(
        &worker,
        Request::Listing {
            ticket: 4,
            preset: None,
            snapshot: snapshots[0].snapshot.id.clone(),
        },
    ) else {
        panic!("wrong answer");
    };
    let mut tree = result.expect("a listing");
    // The temp dir's parents, src, docs, docs/a.txt, b.txt.
    let depth = source.components().count() - 1;
    assert_eq!(tree.len(), depth + 3);
    tree.toggle_all();
    assert_eq!(tree.selection(), crate::tree::Selection::Everything);

    let Msg::ResticVersion { result, .. } = ask(&worker, Request::ResticVersion { ticket: 5 })
    else {
        panic!("wrong answer");
    };
    let version = result.expect("restic version");
    assert!(version.starts_with("restic "), "{version}");
    assert!(
        crate::restic_version::parse_version(&version).is_some(),
        "unparsed: {version:?}"
    );
    assert_eq!(
        restic.lister().children().count(),
        0,
        "every restic was reaped and forgotten"
    );
}

/// A restic that sleeps (with `exec`, so a signal reaches the sleeping process).
fn sleeping_restic(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("slow-restic");
    fs::write(&path, "#!/bin/sh\nexec sleep 30\n").expect("write");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[test]
fn a_listing_still_running_is_stopped_when_asked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let slow = sleeping_restic(dir.path());
    let restic = Arc::new(ConfigRestic::new(
        config(dir.path()),
        Environment::default(),
        host(dir.path(), Some(&slow)),
        true,
    ));
    let worker = restic_worker(Arc::clone(&restic) as Arc<dyn Restic>);
    let started = Instant::now();
    let answer = std::thread::spawn(move || {
        ask(
            &worker,
            Request::Snapshots {
                ticket: 1,
                preset: None,
            },
        )
    });
    while restic.lister().children().count() == 0 {
        assert!(started.elapsed() < Duration::from_secs(20), "never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        restic.lister().children().stop_all(Duration::from_secs(20)),
        "stopped in time"
    );
    let Msg::Snapshots { result, .. } = answer.join().expect("worker") else {
        panic!("wrong answer");
    };
    let error = result.expect_err("killed");
    assert!(error.contains("killed by a signal"), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "did not wait for sleep"
    );
    assert!(
        restic.lister().children().stop_all(Duration::ZERO),
        "nothing left"
    );
}

#[test]
fn nothing_starts_once_the_session_stops_its_listings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("started");
    let touch = dir.path().join("touch-restic");
    fs::write(&touch, format!("#!/bin/sh\ntouch '{}'\n", marker.display())).expect("write");
    fs::set_permissions(&touch, fs::Permissions::from_mode(0o755)).expect("chmod");
    let restic = ConfigRestic::new(
        config(dir.path()),
        Environment::default(),
        host(dir.path(), Some(&touch)),
        true,
    );
    assert!(restic.lister().children().stop_all(Duration::ZERO));
    let error = restic
        .output(None, "snapshots", &["--json"])
        .expect_err("not started");
    assert!(error.contains("not started"), "{error}");
    assert!(!marker.exists(), "restic ran after the stop");
}

#[test]
fn a_missing_program_is_a_message_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let restic = ConfigRestic::new(
        config(dir.path()),
        Environment::default(),
        host(dir.path(), Some(Path::new("/nonexistent/restic"))),
        true,
    );
    let error = restic
        .output(None, "version", &[])
        .expect_err("cannot start");
    assert!(
        error.starts_with("restic not found: /nonexistent/restic"),
        "{error}"
    );
}
