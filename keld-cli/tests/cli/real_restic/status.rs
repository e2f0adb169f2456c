//! `keld status` with the real restic: `--repository` finds the newest snapshot the
//! preset's own backups made, with the preset's filters, judged by `--max-age` (an
//! empty repository has none; restic's failure is keld's), and `--max-age` from the
//! records agrees once keld has made the backup. The preset's `snapshots` section
//! groups and compacts what it prints (for a person typing it); keld's own listing
//! goes without that.

use serde_json::Value;

use super::PASSWORD;
use crate::support::{Sandbox, restic, text, toml_list, toml_path, toml_str};

fn sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    super::restic(&sandbox, &["init"]);
    std::fs::create_dir_all(sandbox.path("data")).expect("mkdir");
    std::fs::write(sandbox.path("data/notes.txt"), "notes\n").expect("write");
    sandbox.write_config(&format!(
        "[home]\nrepo = {repo}\n_arguments = {args}\n\n[home.backup]\ntag = [\"home\"]\n\n\
         [home.snapshots]\ngroup-by = \"host\"\ncompact = true\n\n\
         [home.environ]\nRESTIC_PASSWORD = {password}\nRESTIC_CACHE_DIR = {cache}\n\n\
         [wrong]\nrepo = {repo}\n\n[wrong.environ]\nRESTIC_PASSWORD = \"not the password\"\n",
        repo = toml_path(&sandbox.path("repo")),
        args = toml_list(&[sandbox.path("data").display().to_string()]),
        password = toml_str(PASSWORD),
        cache = toml_path(&sandbox.path("cache")),
    ));
    sandbox
}

fn keld(sandbox: &Sandbox, args: &[&str]) -> (Option<i32>, String, String) {
    let output = sandbox
        .keld(args)
        .env("KELD_EXECUTABLE", restic::program())
        .env("NO_COLOR", "1")
        .output()
        .expect("keld runs");
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

#[test]
fn real_restic_status_from_the_repository_and_from_the_records() {
    let sandbox = sandbox();

    // An empty repository: no snapshot, stale under --max-age.
    let (code, stdout, stderr) = keld(&sandbox, &["status", "--repository", "-p", "home"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("no snapshot"), "{stdout}");
    let (code, _, stderr) = keld(
        &sandbox,
        &["status", "--repository", "--max-age", "26h", "-p", "home"],
    );
    assert_eq!(code, Some(1), "empty is stale: {stderr}");

    // No run recorded yet: --max-age from the records says so.
    let (code, _, stderr) = keld(&sandbox, &["status", "--max-age", "26h", "-p", "home"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("no successful backup recorded"), "{stderr}");

    // A snapshot of another host and tag, made by restic itself: not the preset's.
    let data = sandbox.path("data").display().to_string();
    super::restic(
        &sandbox,
        &["backup", "--host", "elsewhere", "--tag", "x", &data],
    );
    let (code, _, stderr) = keld(
        &sandbox,
        &["status", "--repository", "--max-age", "26h", "-p", "home"],
    );
    assert_eq!(
        code,
        Some(1),
        "another host's snapshot does not count: {stderr}"
    );

    // The preset's own backup: found, fresh.
    let (code, _, stderr) = keld(&sandbox, &["-p", "home", "backup"]);
    assert_eq!(code, Some(0), "{stderr}");
    let listed: Value = serde_json::from_str(&super::restic(
        &sandbox,
        &["snapshots", "--json", "--tag", "home"],
    ))
    .expect("restic's JSON");
    let short_id = listed[0]["short_id"]
        .as_str()
        .expect("a short id")
        .to_owned();
    let (code, stdout, stderr) = keld(
        &sandbox,
        &["status", "--repository", "--max-age", "26h", "-p", "home"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains(&format!("home: newest snapshot {short_id}")),
        "{stdout}"
    );

    // The records say so too.
    let (code, stdout, stderr) = keld(&sandbox, &["status", "--max-age", "26h", "-p", "home"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("home"), "{stdout}");

    // restic fails (a wrong password): its exit code and message are keld's.
    let (code, _, stderr) = keld(&sandbox, &["status", "--repository", "-p", "wrong"]);
    assert!(matches!(code, Some(1 | 12)), "{code:?}: {stderr}");
    assert!(stderr.to_lowercase().contains("password"), "{stderr}");
}
