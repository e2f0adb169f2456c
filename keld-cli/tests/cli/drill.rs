//! `keld drill` with the stand-in restic: the restic commands a drill runs and with
//! what, `_COMMAND`s once per drill, pings and records, failures, signals and the
//! command line. (The real restic: `real_restic::drill`.)

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

use crate::support::process::{wait_for_file, wait_timeout};
use crate::support::{Sandbox, text, toml_list, toml_str};

/// The snapshot the stand-in describes.
const SNAPSHOT_ID: &str = "1a2b3c4d5e6f7a8b";

/// The stand-in's answers: a snapshot of `source/` holding `file.txt` ("data\n",
/// as the sandbox has it), and a restore that writes "data\n" where it is asked to.
const DRILLING_RESTIC: &str = r#"
case "$1" in
snapshots)
    printf '[{"id":"1a2b3c4d5e6f7a8b","short_id":"1a2b3c4d","time":"2026-12-05T02:00:00Z","hostname":"h","paths":["%s/source"]}]\n' "$root"
    ;;
ls)
    printf '{"struct_type":"snapshot","id":"1a2b3c4d5e6f7a8b","short_id":"1a2b3c4d","time":"2026-12-05T02:00:00Z","hostname":"h","paths":["%s/source"]}\n' "$root"
    printf '{"struct_type":"node","type":"dir","path":"%s/source"}\n' "$root"
    printf '{"struct_type":"node","type":"file","path":"%s/source/file.txt","size":5}\n' "$root"
    ;;
restore)
    previous=
    for arg in "$@"; do
        if [ "$previous" = --target ]; then target=$arg; fi
        previous=$arg
    done
    mkdir -p "$target$root/source"
    printf 'data\n' > "$target$root/source/file.txt"
    ;;
esac
"#;

/// A sandbox whose stand-in restic answers a drill, and a preset `home` backing up
/// `source/` with a tag, a `_COMMAND`, and restore flags a drill must not use.
fn drill_sandbox(extra: &str) -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.extend_restic(DRILLING_RESTIC);
    fs::create_dir(sandbox.path("tmp")).unwrap();
    sandbox.write_config(&format!(
        r#"[home]
repo = "/srv/restic"
_arguments = {args}

[home.backup]
tag = ["nightly"]

[home.restore]
target = "/somewhere/else"
include = "*.txt"

[home.environ]
TOKEN_COMMAND = {command}
{extra}"#,
        args = toml_list(&[sandbox.path("source").display().to_string()]),
        command = toml_str(r#"echo token-command >> "$KELD_TEST_LOG"; echo secret"#),
    ));
    sandbox
}

fn drill(sandbox: &Sandbox, args: &[&str]) -> Command {
    let mut all = vec!["-p", "home", "drill"];
    all.extend_from_slice(args);
    let mut command = sandbox.keld(&all);
    command.env("TMPDIR", sandbox.path("tmp"));
    command
}

fn records(sandbox: &Sandbox) -> Vec<Value> {
    fs::read_to_string(sandbox.home().join(".local/state/keld/runs.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn hostname() -> String {
    nix::unistd::gethostname()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn drill_runs_snapshots_ls_and_restore_with_commands_run_once() {
    let sandbox = drill_sandbox("");
    let output = drill(&sandbox, &[]).output().unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let file = sandbox.path("source/file.txt");
    assert!(
        stdout.starts_with(&format!(
            "ok      {}\ndrill home: 1 files from snapshot 1a2b3c4d (2026-12-0",
            file.display()
        )),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("): 1 ok, 0 changed, 0 missing, 0 errors\n"),
        "{stdout}"
    );

    let runs = sandbox.restic_runs();
    assert_eq!(runs.len(), 3, "{runs:?}");
    let source = sandbox.path("source").display().to_string();
    assert_eq!(runs[0][0], "snapshots");
    assert!(
        runs[0].ends_with(&[
            "--json".to_owned(),
            "--latest".to_owned(),
            "1".to_owned(),
            "--host".to_owned(),
            hostname(),
            "--tag".to_owned(),
            "nightly".to_owned(),
            "--path".to_owned(),
            source.clone(),
        ]),
        "{:?}",
        runs[0]
    );
    assert_eq!(runs[1][0], "ls");
    assert!(runs[1].ends_with(&["--json".to_owned(), SNAPSHOT_ID.to_owned()]));
    // The restore: into the private directory, this file only, the snapshot by its
    // full id; the configured target and include are not passed on.
    let restore = &runs[2];
    assert_eq!(restore[0], "restore");
    assert!(
        !restore
            .iter()
            .any(|arg| arg == "/somewhere/else" || arg == "*.txt"),
        "{restore:?}"
    );
    let at = restore.iter().position(|arg| arg == "--target").unwrap();
    let target = &restore[at + 1];
    assert!(
        target.starts_with(&format!("{}/keld-drill-", sandbox.path("tmp").display())),
        "{target}"
    );
    assert_eq!(
        restore[at + 2..],
        [
            "--include".to_owned(),
            file.display().to_string(),
            SNAPSHOT_ID.to_owned()
        ]
    );
    assert!(fs::read_dir(sandbox.path("tmp")).unwrap().next().is_none());

    // One `_COMMAND` for three restic commands.
    let commands = sandbox
        .log_lines()
        .iter()
        .filter(|line| *line == "token-command")
        .count();
    assert_eq!(commands, 1, "{:#?}", sandbox.log_lines());
    assert!(sandbox.restic_env().contains(&"TOKEN=secret".to_owned()));

    let record = records(&sandbox).pop().unwrap();
    assert_eq!(record["command"], "drill");
    assert_eq!(record["alias"], "drill");
    assert_eq!(record["preset"], "home");
    assert_eq!(record["result"], "success");
}

#[test]
fn drill_snapshot_given_skips_the_search() {
    let sandbox = drill_sandbox("");
    let output = drill(&sandbox, &["1a2b3c4d", "--sample", "3", "--seed", "9"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let runs = sandbox.restic_runs();
    let commands: Vec<&str> = runs.iter().map(|run| run[0].as_str()).collect();
    assert_eq!(commands, ["ls", "restore"]);
    assert!(runs[0].ends_with(&["--json".to_owned(), "1a2b3c4d".to_owned()]));
}

#[test]
fn drill_json_is_one_document_with_every_verdict() {
    let sandbox = drill_sandbox("");
    fs::write(sandbox.path("source/file.txt"), "DATA\n").unwrap();
    let touched = Command::new("touch")
        .args(["-d", "2001-01-01"])
        .arg(sandbox.path("source/file.txt"))
        .status()
        .unwrap();
    assert!(touched.success());
    let output = drill(&sandbox, &["--json", "--seed", "5"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    let keys: Vec<&str> = document
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "version",
        "preset",
        "snapshot",
        "seed",
        "sample",
        "max_size",
        "listed",
        "eligible",
        "files",
        "counts",
        "exit_code",
        "result",
        "restic_exit_code",
        "error",
    ];
    expected.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(document["version"], 1);
    assert_eq!(document["seed"], 5);
    assert_eq!(document["sample"], 20);
    assert_eq!(document["max_size"], 64 * 1024 * 1024);
    assert_eq!(document["snapshot"]["id"], SNAPSHOT_ID);
    assert_eq!(document["snapshot"]["short_id"], "1a2b3c4d");
    let file = &document["files"][0];
    assert_eq!(file["verdict"], "mismatch");
    assert_eq!(file["live_hex"], Value::Null);
    assert_eq!(file["size"], 5);
    assert!(
        file["detail"]
            .as_str()
            .unwrap()
            .contains("the bytes differ")
    );
    assert_eq!(document["counts"]["mismatch"], 1);
    assert_eq!(document["result"], "failed");
    assert_eq!(document["error"], Value::Null);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("1 of 1 files failed the drill"), "{stderr}");
}

#[test]
fn drill_without_a_snapshot_or_with_a_failing_restic() {
    let mut sandbox = drill_sandbox("");
    sandbox.extend_restic(r#"if [ "$1" = snapshots ]; then echo '[]'; fi"#);
    let output = drill(&sandbox, &[]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("no snapshot of this preset's backups"),
        "{stderr}"
    );
    assert!(stderr.contains("keld -p home backup"), "{stderr}");

    sandbox.extend_restic(r#"echo "Fatal: unable to open repository" >&2"#);
    sandbox.set_env("FAKE_RESTIC_EXIT", "12");
    let output = drill(&sandbox, &["--json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(12));
    let stderr = text(&output.stderr);
    assert!(
        stderr
            .contains("restic snapshots failed (exit status 12): Fatal: unable to open repository"),
        "{stderr}"
    );
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["restic_exit_code"], 12);
    assert_eq!(document["files"], serde_json::json!([]));
    assert!(
        document["error"]
            .as_str()
            .unwrap()
            .contains("restic snapshots failed")
    );
    let record = records(&sandbox).pop().unwrap();
    assert_eq!(record["restic_exit_code"], 12);
    assert!(
        record["error"]
            .as_str()
            .unwrap()
            .contains("restic snapshots failed")
    );
}

#[test]
fn drill_removes_its_directory_when_a_signal_stops_the_restore() {
    let mut sandbox = drill_sandbox("");
    sandbox.set_env("FAKE_RESTIC_WAIT", "restore");
    let mut child = drill(&sandbox, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        wait_for_file(&sandbox.path("restic.ready"), Duration::from_secs(10)),
        "restic never started"
    );
    assert_eq!(fs::read_dir(sandbox.path("tmp")).unwrap().count(), 1);
    kill(
        Pid::from_raw(i32::try_from(child.id()).unwrap()),
        Signal::SIGTERM,
    )
    .unwrap();
    let status = wait_timeout(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(143));
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        stderr.contains("stopped by signal 15 (SIGTERM)"),
        "{stderr}"
    );
    let got: Vec<String> = sandbox
        .log_lines()
        .into_iter()
        .filter(|line| line.starts_with("restic restore got"))
        .collect();
    assert_eq!(got, ["restic restore got TERM"]);
    assert!(fs::read_dir(sandbox.path("tmp")).unwrap().next().is_none());
    assert_eq!(records(&sandbox).pop().unwrap()["result"], "interrupted");
}

#[test]
fn drill_command_line_mistakes() {
    let sandbox = drill_sandbox("");
    let output = sandbox.keld(&["drill"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("keld drill drills one preset; 0 were given"));
    let output = sandbox
        .keld(&["-p", "home,work", "drill"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("2 were given"));
    let output = sandbox
        .keld(&["-n", "-p", "home", "drill"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("--show-command does not apply"));
    for args in [["--sample", "0"], ["--max-size", "10MB"], ["--seed", "-1"]] {
        let output = drill(&sandbox, &args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    let output = drill(&sandbox, &["--", "--latest"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("\"--latest\" is not a snapshot"));
    assert!(sandbox.restic_runs().is_empty());
    let help = sandbox.keld(&["--help"]).output().unwrap();
    assert!(text(&help.stdout).contains("drill"));
}

/// The requests a [`ping_server`] received: `METHOD PATH` and the body.
type Requests = Arc<Mutex<Vec<(String, String)>>>;

/// A local HTTP server that answers 200 and notes each request.
fn ping_server() -> (u16, Requests) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).unwrap_or(0) == 0 {
                continue;
            }
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let words: Vec<&str> = request.split_whitespace().take(2).collect();
            log.lock()
                .unwrap()
                .push((words.join(" "), String::from_utf8_lossy(&body).into_owned()));
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (port, seen)
}

#[test]
fn a_scheduled_drill_pings_its_healthcheck() {
    let (port, seen) = ping_server();
    let sandbox = drill_sandbox(&format!(
        "\n[home.drill]\n_schedule = \"daily\"\n_healthchecks = {}\n",
        toml_str(&format!("http://127.0.0.1:{port}/check"))
    ));
    let output = drill(&sandbox, &[]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    {
        let seen = seen.lock().unwrap();
        let requests: Vec<&str> = seen.iter().map(|(request, _)| request.as_str()).collect();
        assert_eq!(requests, ["GET /check/start", "POST /check/0"]);
        assert!(
            seen[1].1.starts_with("keld home drill: success (exit 0"),
            "{}",
            seen[1].1
        );
    }

    fs::write(sandbox.path("source/file.txt"), "DATA\n").unwrap();
    let touched = Command::new("touch")
        .args(["-d", "2001-01-01"])
        .arg(sandbox.path("source/file.txt"))
        .status()
        .unwrap();
    assert!(touched.success());
    let output = drill(&sandbox, &[]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[3].0, "POST /check/1");
    assert!(
        seen[3]
            .1
            .contains("1 of 1 files failed the drill: 1 mismatch"),
        "{}",
        seen[3].1
    );
}

/// A drill started on the dashboard (`d`) while restic restores: Ctrl-C on the screen
/// stops it as SIGINT would, SIGTERM from another process as it would `keld drill`;
/// either way restic gets the one signal, the private directory is removed, the
/// drill is recorded as interrupted and the terminal is given back.
#[test]
fn an_interactive_drill_stopped_while_restoring_removes_its_directory() {
    use crate::support::pty::Terminal;

    for (stop, code, signal, got) in [
        ("Ctrl-C", 130, 2, "restic restore got INT"),
        ("SIGTERM", 143, 15, "restic restore got TERM"),
    ] {
        let mut sandbox = drill_sandbox("");
        sandbox.set_env("FAKE_RESTIC_WAIT", "restore");
        let mut command = sandbox.keld(&[]);
        command
            .env("TMPDIR", sandbox.path("tmp"))
            .env("TERM", "xterm-256color");
        let mut terminal = Terminal::spawn(&command, 30, 100);
        terminal.wait_for("no backup recorded");
        terminal.send("d");
        assert!(
            wait_for_file(&sandbox.path("restic.ready"), Duration::from_secs(60)),
            "{stop}: restic never restored: {}",
            terminal.screen()
        );
        terminal.wait_for("Restoring 1 file into");
        assert_eq!(fs::read_dir(sandbox.path("tmp")).unwrap().count(), 1);
        if stop == "Ctrl-C" {
            terminal.send("\x03");
        } else {
            terminal.signal(rexpect::process::Signal::SIGTERM);
        }
        assert_eq!(
            terminal.wait_exit(),
            code,
            "{stop}: {}",
            terminal.transcript()
        );
        assert!(!terminal.on_alternate_screen(), "{stop}");
        let signals: Vec<String> = sandbox
            .log_lines()
            .into_iter()
            .filter(|line| line.starts_with("restic restore got"))
            .collect();
        assert_eq!(signals, [got], "{stop}");
        assert!(
            fs::read_dir(sandbox.path("tmp")).unwrap().next().is_none(),
            "{stop}: the directory is gone"
        );
        let record = records(&sandbox).pop().expect("the drill was recorded");
        assert_eq!(record["command"], "drill", "{stop}");
        assert_eq!(record["result"], "interrupted", "{stop}");
        assert_eq!(record["signal"], signal, "{stop}");
    }
}
