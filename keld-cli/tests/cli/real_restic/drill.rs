//! `keld drill` against the real restic and a real repository: verdicts after a
//! fresh backup and after the live files or the repository changed, the sample, names
//! restic and the shell treat specially, the private directory, and signals.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

use super::{PASSWORD, restic};
use crate::support::process::wait_timeout;
use crate::support::{Sandbox, restic as real, text, toml_list, toml_path};

/// Names restic's filter, the shell or JSON treat specially.
const AWKWARD: [&[u8]; 6] = [
    b"with space.txt",
    b"glob*?[x]{a,b}.txt",
    b"new\nline.txt",
    b"bad\xff\xfe.txt",
    b"back\\slash.txt",
    b"$HOME ~ !bang 'quote\".txt",
];

/// A sandbox with a repository, `data/` holding `files`, and a preset `home` backing
/// `data/` up (the password in the config's environment).
fn drill_sandbox(files: &[(&[u8], &[u8])]) -> Sandbox {
    let sandbox = Sandbox::new();
    restic(&sandbox, &["init"]);
    fs::create_dir_all(sandbox.path("tmp")).unwrap();
    for (name, content) in files {
        let path = data_path(&sandbox, name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
    sandbox.write_config(&format!(
        "[home]\nrepo = {repo}\n_arguments = {args}\n\n[home.environ]\nRESTIC_PASSWORD = {password}\n",
        repo = toml_path(&sandbox.path("repo")),
        args = toml_list(&[sandbox.path("data").display().to_string()]),
        password = crate::support::toml_str(PASSWORD),
    ));
    backup(&sandbox);
    sandbox
}

fn backup(sandbox: &Sandbox) {
    let output = keld(sandbox, &["-p", "home", "backup"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

fn data_path(sandbox: &Sandbox, name: &[u8]) -> PathBuf {
    sandbox.path("data").join(OsStr::from_bytes(name))
}

/// keld with the real restic and `TMPDIR` in the sandbox.
fn keld(sandbox: &Sandbox, args: &[&str]) -> Command {
    let mut command = sandbox.keld(args);
    command
        .env("KELD_EXECUTABLE", real::program())
        .env("TMPDIR", sandbox.path("tmp"));
    command
}

/// `keld -p home drill --json ARGS`: exit code, the document, stderr.
fn drill_json(sandbox: &Sandbox, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["-p", "home", "drill", "--json"];
    all.extend_from_slice(args);
    let output = keld(sandbox, &all).output().unwrap();
    let document = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|err| panic!("{err}: {}{}", text(&output.stdout), text(&output.stderr)));
    (
        output.status.code().unwrap_or(-1),
        document,
        text(&output.stderr),
    )
}

/// Each file's verdict by its live path's bytes (hex for names that are not UTF-8).
fn verdicts(document: &Value) -> BTreeMap<String, String> {
    document["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| {
            let live = file["live_hex"]
                .as_str()
                .or(file["live"].as_str())
                .unwrap()
                .to_owned();
            (live, file["verdict"].as_str().unwrap().to_owned())
        })
        .collect()
}

fn live_key(sandbox: &Sandbox, name: &[u8]) -> String {
    let path = data_path(sandbox, name);
    match path.to_str() {
        Some(text) => text.to_owned(),
        None => path
            .as_os_str()
            .as_bytes()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect(),
    }
}

/// The keld-drill directories left in the sandbox's `TMPDIR`.
fn leftovers(sandbox: &Sandbox) -> Vec<String> {
    fs::read_dir(sandbox.path("tmp"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn records(sandbox: &Sandbox) -> Vec<Value> {
    let path = sandbox.home().join(".local/state/keld/runs.jsonl");
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn drill_after_a_fresh_backup_is_all_ok_with_awkward_names() {
    let mut files: Vec<(&[u8], &[u8])> = AWKWARD.iter().map(|name| (*name, &b"x"[..])).collect();
    files.push((b"sub dir/[a]/deep*.txt", b"deep"));
    files.push((b"plain.txt", b"plain\n"));
    let sandbox = drill_sandbox(&files);

    let output = keld(&sandbox, &["-p", "home", "drill", "--sample", "100"])
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), files.len() + 1, "{stdout}");
    for line in &lines[..files.len()] {
        assert!(line.starts_with("ok      "), "{line}");
    }
    // One line per file, also for a name with a newline or bytes that are not UTF-8.
    assert!(
        stdout.contains(&format!(
            "ok      $'{}/new\\nline.txt'",
            sandbox.path("data").display()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("bad\\xff\\xfe.txt'"), "{stdout}");
    let summary = lines.last().unwrap();
    assert!(
        summary.starts_with("drill home: 8 files from snapshot "),
        "{summary}"
    );
    assert!(
        summary.ends_with(": 8 ok, 0 changed, 0 missing, 0 errors"),
        "{summary}"
    );

    let (code, document, _) = drill_json(&sandbox, &["--sample", "100"]);
    assert_eq!(code, 0);
    let verdicts = verdicts(&document);
    assert_eq!(verdicts.len(), files.len());
    for (name, _) in &files {
        assert_eq!(verdicts[&live_key(&sandbox, name)], "ok", "{name:?}");
    }
    // restic's JSON shows each byte that is not UTF-8 as U+FFFD.
    let paths: Vec<&str> = document["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| file["path"].as_str().unwrap())
        .collect();
    assert!(
        paths
            .iter()
            .any(|path| path.ends_with("/bad\u{fffd}\u{fffd}.txt"))
    );
    assert_eq!(document["counts"]["ok"], 8);
    assert_eq!(document["listed"], 8);
    assert!(leftovers(&sandbox).is_empty());

    let records = records(&sandbox);
    let drill = records.last().unwrap();
    assert_eq!(drill["command"], "drill");
    assert_eq!(drill["result"], "success");
    assert_eq!(drill["restic_exit_code"], 0);
}

#[test]
fn drill_tells_changed_missing_and_mismatch_apart() {
    let names: [&[u8]; 4] = [b"keep.txt", b"edited.txt", b"deleted.txt", b"rotted.txt"];
    let files: Vec<(&[u8], &[u8])> = names.iter().map(|name| (*name, &b"original"[..])).collect();
    let sandbox = drill_sandbox(&files);

    fs::write(data_path(&sandbox, b"edited.txt"), b"edited since").unwrap();
    fs::remove_file(data_path(&sandbox, b"deleted.txt")).unwrap();
    // Other bytes, same size, and a time before the backup: what a bad backup or a
    // failing disk looks like.
    let rotted = data_path(&sandbox, b"rotted.txt");
    fs::write(&rotted, b"ORIGINAL").unwrap();
    let touched = Command::new("touch")
        .args(["-d", "2001-02-03 04:05:06"])
        .arg(&rotted)
        .status()
        .unwrap();
    assert!(touched.success());

    let (code, document, stderr) = drill_json(&sandbox, &[]);
    assert_eq!(code, 1, "{stderr}");
    let verdicts = verdicts(&document);
    let verdict = |name: &[u8]| verdicts[&live_key(&sandbox, name)].clone();
    assert_eq!(verdict(b"keep.txt"), "ok");
    assert_eq!(verdict(b"edited.txt"), "changed");
    assert_eq!(verdict(b"deleted.txt"), "missing");
    assert_eq!(verdict(b"rotted.txt"), "mismatch");
    assert!(stderr.contains("1 of 4 files failed the drill"), "{stderr}");
    assert_eq!(document["exit_code"], 1);

    let output = keld(&sandbox, &["-p", "home", "drill"]).output().unwrap();
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(&format!("mismatch {}\n", rotted.display())),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(": 1 ok, 1 changed, 1 missing, 1 errors\n"),
        "{stdout}"
    );
    let record = records(&sandbox).pop().unwrap();
    assert_eq!(record["result"], "failed");
    assert_eq!(record["error"], "1 of 4 files failed the drill: 1 mismatch");
}

/// `len` bytes that do not compress (xorshift64), different for each seed.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

#[test]
fn drill_of_a_damaged_repository_reports_not_restored_and_restics_exit_code() {
    // Large, random files: their data is in packs of its own, apart from the trees.
    let contents: Vec<Vec<u8>> = (1..=4).map(|seed| noise(seed, 200_000)).collect();
    let names = [b"a.bin", b"b.bin", b"c.bin", b"d.bin"];
    let files: Vec<(&[u8], &[u8])> = names
        .iter()
        .zip(&contents)
        .map(|(name, content)| (&name[..], content.as_slice()))
        .collect();
    let sandbox = drill_sandbox(&files);
    let pack = largest_pack(&sandbox);
    fs::set_permissions(&pack, fs::Permissions::from_mode(0o600)).unwrap();
    let mut bytes = fs::read(&pack).unwrap();
    let len = bytes.len();
    for at in (len / 8..len * 7 / 8).step_by(len / 16) {
        bytes[at] ^= 0xff;
    }
    fs::write(&pack, bytes).unwrap();

    let (code, document, stderr) = drill_json(&sandbox, &[]);
    let restic_code = document["restic_exit_code"].as_i64().unwrap();
    assert_ne!(restic_code, 0, "{stderr}");
    assert_eq!(
        i64::from(code),
        restic_code,
        "keld exits with restic's code"
    );
    assert!(stderr.contains("restic restore failed"), "{stderr}");
    let verdicts = verdicts(&document);
    assert_eq!(verdicts.len(), 4);
    assert!(
        verdicts.values().any(|verdict| verdict == "not_restored"),
        "{verdicts:?}"
    );
    assert!(
        verdicts
            .values()
            .all(|verdict| verdict == "not_restored" || verdict == "ok"),
        "{verdicts:?}"
    );
    assert!(leftovers(&sandbox).is_empty());
}

/// The largest file under `repo/data/`: a pack of file contents.
fn largest_pack(sandbox: &Sandbox) -> PathBuf {
    let mut packs = Vec::new();
    for dir in fs::read_dir(sandbox.path("repo/data")).unwrap() {
        for pack in fs::read_dir(dir.unwrap().path()).unwrap() {
            let path = pack.unwrap().path();
            packs.push((fs::metadata(&path).unwrap().len(), path));
        }
    }
    packs.sort();
    packs.pop().expect("a pack").1
}

#[test]
fn drill_samples_at_random_reproducibly_within_the_size_limit() {
    let names: Vec<String> = (0..40).map(|i| format!("f{i:02}.txt")).collect();
    let small = b"small".to_vec();
    let large = vec![b'L'; 4096];
    let files: Vec<(&[u8], &[u8])> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let content = if i % 4 == 0 { &large } else { &small };
            (name.as_bytes(), content.as_slice())
        })
        .collect();
    let sandbox = drill_sandbox(&files);
    let chosen = |args: &[&str]| {
        let (code, document, stderr) = drill_json(&sandbox, args);
        assert_eq!(code, 0, "{stderr}");
        (
            verdicts(&document).into_keys().collect::<Vec<_>>(),
            document,
        )
    };

    let (first, document) = chosen(&["--seed", "7", "--sample", "5"]);
    assert_eq!(first.len(), 5);
    assert_eq!(document["seed"], 7);
    assert_eq!(chosen(&["--seed", "7", "--sample", "5"]).0, first);
    assert_ne!(chosen(&["--seed", "8", "--sample", "5"]).0, first);

    // Without --seed, a random seed is chosen and reported; it repeats the sample.
    let (random, document) = chosen(&["--sample", "5"]);
    let seed = document["seed"].as_u64().unwrap().to_string();
    assert!(document["seed"].as_u64().unwrap() < 1 << 53);
    assert_eq!(chosen(&["--sample", "5", "--seed", &seed]).0, random);

    let (limited, document) = chosen(&["--max-size", "1KiB", "--sample", "100"]);
    assert_eq!(limited.len(), 30);
    assert_eq!(document["eligible"], 30);
    assert_eq!(document["listed"], 40);
    assert_eq!(document["max_size"], 1024);
    let (default, _) = chosen(&[]);
    assert_eq!(default.len(), 20);
}

/// One entry of a [`fingerprint`]: mode, size, mtime (s, ns), atime (s, ns), bytes.
type Entry = (u32, u64, i64, i64, i64, i64, Vec<u8>);

/// Everything below `dir` that a drill must leave alone: each entry's kind, mode,
/// size, times and bytes, and a file's access time (read here with `O_NOATIME`, so
/// that looking does not change it; keld reads live files the same way).
fn fingerprint(dir: &Path) -> BTreeMap<Vec<u8>, Entry> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(path) = stack.pop() {
        let meta = fs::symlink_metadata(&path).unwrap();
        let mut content = Vec::new();
        let (atime, atime_nsec) = if meta.is_file() {
            fs::File::options()
                .read(true)
                .custom_flags(nix::fcntl::OFlag::O_NOATIME.bits())
                .open(&path)
                .and_then(|mut file| std::io::Read::read_to_end(&mut file, &mut content))
                .unwrap();
            (meta.atime(), meta.atime_nsec())
        } else {
            // Listing a directory here would change its access time.
            (0, 0)
        };
        if meta.is_dir() {
            for entry in fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
        }
        found.insert(
            path.as_os_str().as_bytes().to_vec(),
            (
                meta.mode(),
                meta.size(),
                meta.mtime(),
                meta.mtime_nsec(),
                atime,
                atime_nsec,
                content,
            ),
        );
    }
    found
}

#[test]
fn drill_writes_only_its_private_directory_and_never_touches_live_files() {
    let mut files: Vec<(&[u8], &[u8])> = AWKWARD.iter().map(|name| (*name, &b"x"[..])).collect();
    files.push((b"nested/deeper/file.txt", b"nested"));
    let sandbox = drill_sandbox(&files);
    // restic behind a script that notes where it was asked to restore, and that
    // directory's mode, before it runs.
    let wrapper = sandbox.script(
        "restic-noting",
        &format!(
            r#"if [ "$1" = restore ]; then
    previous=
    for arg in "$@"; do
        if [ "$previous" = --target ]; then
            printf '%s\n' "$arg" > "$KELD_TEST_DIR/target"
            stat -c %a "$arg" > "$KELD_TEST_DIR/target.mode"
        fi
        previous=$arg
    done
fi
exec {} "$@"
"#,
            real::program().display()
        ),
    );
    let live_before = fingerprint(&sandbox.path("data"));
    // (Not `bin/`: running the script above reads it.)
    let watched = ["source", "xdg", "config.toml"];
    let others_before: Vec<_> = watched
        .iter()
        .map(|name| fingerprint(&sandbox.path(name)))
        .collect();
    let root_before = names_in(sandbox.root());

    let output = keld(&sandbox, &["-p", "home", "drill", "--sample", "100"])
        .env("KELD_EXECUTABLE", &wrapper)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    assert!(
        fingerprint(&sandbox.path("data")) == live_before,
        "a live file changed"
    );
    let others_after: Vec<_> = watched
        .iter()
        .map(|name| fingerprint(&sandbox.path(name)))
        .collect();
    assert!(
        others_after == others_before,
        "a file outside TMPDIR changed"
    );
    let mut root_after = names_in(sandbox.root());
    root_after.retain(|name| !["target", "target.mode"].contains(&name.as_str()));
    assert_eq!(root_after, root_before);

    let target = fs::read_to_string(sandbox.path("target")).unwrap();
    let target = Path::new(target.trim_end());
    assert_eq!(target.parent().unwrap(), sandbox.path("tmp"));
    assert!(
        target
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("keld-drill-")
    );
    assert_eq!(
        fs::read_to_string(sandbox.path("target.mode")).unwrap(),
        "700\n"
    );
    assert!(!target.exists());
    assert!(leftovers(&sandbox).is_empty());
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn drill_compares_relative_backups_in_the_backup_working_directory() {
    let sandbox = Sandbox::new();
    restic(&sandbox, &["init"]);
    fs::create_dir_all(sandbox.path("tmp")).unwrap();
    fs::create_dir_all(sandbox.path("data/sub")).unwrap();
    fs::write(sandbox.path("data/sub/one.txt"), "one").unwrap();
    fs::write(sandbox.path("data/sub/two.txt"), "two").unwrap();
    sandbox.write_config(&format!(
        "[home]\nrepo = {repo}\n_workdir = {workdir}\n_arguments = [\"sub\"]\n\n[home.environ]\nRESTIC_PASSWORD = {password}\n",
        repo = toml_path(&sandbox.path("repo")),
        workdir = toml_path(&sandbox.path("data")),
        password = crate::support::toml_str(PASSWORD),
    ));
    backup(&sandbox);
    fs::write(sandbox.path("data/sub/two.txt"), "TWO, later").unwrap();

    let (code, document, stderr) = drill_json(&sandbox, &[]);
    assert_eq!(code, 0, "{stderr}");
    let verdicts = verdicts(&document);
    let live = |name: &str| sandbox.path("data/sub").join(name).display().to_string();
    assert_eq!(verdicts[&live("one.txt")], "ok", "{verdicts:?}");
    assert_eq!(verdicts[&live("two.txt")], "changed", "{verdicts:?}");
    // restic lists a relative backup below the snapshot's root.
    assert_eq!(document["files"][0]["path"], "/sub/one.txt");
}

#[test]
fn drill_without_a_snapshot_exits_1_and_says_so() {
    let sandbox = Sandbox::new();
    restic(&sandbox, &["init"]);
    fs::create_dir_all(sandbox.path("tmp")).unwrap();
    sandbox.write_config(&format!(
        "[home]\nrepo = {repo}\n_arguments = [\"/nowhere\"]\n\n[home.environ]\nRESTIC_PASSWORD = {password}\n",
        repo = toml_path(&sandbox.path("repo")),
        password = crate::support::toml_str(PASSWORD),
    ));
    let output = keld(&sandbox, &["-p", "home", "drill"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("no snapshot of this preset's backups"),
        "{stderr}"
    );
    assert!(stderr.contains("nowhere"), "{stderr}");
    assert!(text(&output.stdout).is_empty());
}

/// Start a drill whose restore blocks: the pack holding the files' contents is a FIFO
/// nobody writes, so restic waits opening it, mid-restore. Returns keld and the FIFO.
fn blocked_drill(sandbox: &Sandbox) -> (std::process::Child, PathBuf) {
    let pack = largest_pack(sandbox);
    fs::remove_file(&pack).unwrap();
    nix::unistd::mkfifo(
        &pack,
        nix::sys::stat::Mode::S_IRUSR | nix::sys::stat::Mode::S_IWUSR,
    )
    .unwrap();
    let child = keld(sandbox, &["-p", "home", "drill"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            Instant::now() < deadline,
            "restic never blocked on the pack"
        );
        if restic_waits_for_a_writer(child.id()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, pack)
}

/// Whether a child of `keld` has a thread waiting to open a FIFO.
fn restic_waits_for_a_writer(keld: u32) -> bool {
    let Ok(processes) = fs::read_dir("/proc") else {
        return false;
    };
    for process in processes.filter_map(Result::ok) {
        let stat = fs::read_to_string(process.path().join("stat")).unwrap_or_default();
        let parent = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|ppid| ppid.parse::<u32>().ok());
        if parent != Some(keld) {
            continue;
        }
        let Ok(tasks) = fs::read_dir(process.path().join("task")) else {
            continue;
        };
        for task in tasks.filter_map(Result::ok) {
            let wchan = fs::read_to_string(task.path().join("wchan")).unwrap_or_default();
            if wchan == "wait_for_partner" {
                return true;
            }
        }
    }
    false
}

/// Signal keld mid-restore; then let the pack answer (restic 0.18 waits for its
/// blocked read before it leaves). keld's exit status.
fn signal_mid_restore(sandbox: &Sandbox, signal: Signal) -> (Option<i32>, String) {
    let (mut child, pack) = blocked_drill(sandbox);
    kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), signal).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "keld did not end after {signal}");
        // A writer that opens and closes at once: restic's open returns, its read ends.
        if let Ok(fd) = nix::fcntl::open(
            &pack,
            nix::fcntl::OFlag::O_WRONLY | nix::fcntl::OFlag::O_NONBLOCK,
            nix::sys::stat::Mode::empty(),
        ) {
            drop(fd);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = wait_timeout(&mut child, Duration::from_secs(5));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.code(), stderr)
}

fn signal_sandbox() -> Sandbox {
    let content = noise(9, 100_000);
    let files: Vec<(&[u8], &[u8])> = vec![(b"a.bin", &content), (b"b.bin", &content[..50_000])];
    drill_sandbox(&files)
}

#[test]
fn drill_removes_its_directory_after_sigterm_mid_restore() {
    let sandbox = signal_sandbox();
    let (code, stderr) = signal_mid_restore(&sandbox, Signal::SIGTERM);
    assert_eq!(code, Some(143), "{stderr}");
    assert!(
        stderr.contains("stopped by signal 15 (SIGTERM)"),
        "{stderr}"
    );
    assert!(leftovers(&sandbox).is_empty(), "{:?}", leftovers(&sandbox));
    let record = records(&sandbox).pop().unwrap();
    assert_eq!(record["command"], "drill");
    assert_eq!(record["result"], "interrupted");
    assert_eq!(record["signal"], 15);
}

#[test]
fn drill_removes_its_directory_after_sigint_mid_restore() {
    let sandbox = signal_sandbox();
    let (code, stderr) = signal_mid_restore(&sandbox, Signal::SIGINT);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(leftovers(&sandbox).is_empty(), "{:?}", leftovers(&sandbox));
    assert_eq!(records(&sandbox).pop().unwrap()["result"], "interrupted");
}
