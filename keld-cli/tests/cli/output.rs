//! What keld and restic write.
//!
//! restic's output reaches keld's caller as restic writes it: keld neither buffers nor
//! waits for restic to finish, on stdout or stderr, for whole lines or partial ones
//! (restic's progress lines end in `\r`, not `\n`). The stand-in restic writes, then
//! blocks until the test creates a release file; the test must see the bytes on keld's
//! pipes while restic is still blocked.
//!
//! keld's own output into a pipe closed early (`keld presets | head -1`) is not an
//! error.

use std::fs;
use std::io::Read;
use std::process::{Child, ChildStderr, ChildStdout, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::process::wait_timeout;
use crate::support::{Sandbox, text, toml_list};

const TIMEOUT: Duration = Duration::from_secs(5);

/// The stand-in restic's extra part: writes a full line and a partial progress line on
/// stdout, a partial line on stderr, then waits for `$KELD_TEST_DIR/release` before
/// writing its last line and exiting 3.
const WRITE_THEN_WAIT: &str = r#"
printf 'restic line 1\n'
printf '[0:01] 10%%  progress\r'
printf 'restic warning, no newline' >&2
while [ ! -e "$KELD_TEST_DIR/release" ]; do sleep 0.02; done
printf 'restic done\n'
exit 3
"#;

/// Sends everything read from `pipe` over a channel, chunk by chunk, as it arrives.
fn forward(mut pipe: impl Read + Send + 'static) -> Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        loop {
            match pipe.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(buffer[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// Collects chunks into `seen` until it ends with `expected`; `false` on timeout or EOF.
fn read_until(rx: &Receiver<Vec<u8>>, seen: &mut Vec<u8>, expected: &[u8]) -> bool {
    let deadline = Instant::now() + TIMEOUT;
    while !seen.ends_with(expected) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(chunk) => seen.extend(chunk),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return false,
        }
    }
    true
}

/// Everything left on the channel until the writer closes it.
fn read_rest(rx: &Receiver<Vec<u8>>, seen: &mut Vec<u8>) {
    while let Ok(chunk) = rx.recv_timeout(TIMEOUT) {
        seen.extend(chunk);
    }
}

/// keld's exit status once restic was released.
fn wait_with_timeout(child: &mut Child) -> ExitStatus {
    wait_timeout(child, TIMEOUT)
}

fn spawn_keld(sandbox: &Sandbox, args: &[&str]) -> (Child, ChildStdout, ChildStderr) {
    let mut keld = sandbox
        .keld(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start keld");
    let stdout = keld.stdout.take().expect("stdout pipe");
    let stderr = keld.stderr.take().expect("stderr pipe");
    (keld, stdout, stderr)
}

/// Runs `keld <args>` with the waiting fake restic and checks what arrives while restic
/// still runs, then after it is released.
fn check_passthrough(sandbox: &Sandbox, args: &[&str]) {
    sandbox.extend_restic(WRITE_THEN_WAIT);
    let release = sandbox.path("release");
    let (mut keld, stdout, stderr) = spawn_keld(sandbox, args);
    let (out_rx, err_rx) = (forward(stdout), forward(stderr));

    let mut out = Vec::new();
    let mut err = Vec::new();
    let out_arrived = read_until(&out_rx, &mut out, b"[0:01] 10%  progress\r");
    let err_arrived = read_until(&err_rx, &mut err, b"restic warning, no newline");
    // Checked before releasing restic: the bytes came while it was still running.
    let still_running = keld.try_wait().expect("poll keld").is_none() && !release.exists();
    fs::write(&release, b"").expect("release restic");
    read_rest(&out_rx, &mut out);
    read_rest(&err_rx, &mut err);
    let status = wait_with_timeout(&mut keld);

    let out = String::from_utf8_lossy(&out);
    let err = String::from_utf8_lossy(&err);
    assert!(
        out_arrived,
        "restic's stdout did not reach keld's stdout within {TIMEOUT:?}: {out:?}"
    );
    assert!(
        err_arrived,
        "restic's stderr did not reach keld's stderr within {TIMEOUT:?}: {err:?}"
    );
    assert!(still_running, "keld exited before restic was released");
    assert_eq!(out, "restic line 1\n[0:01] 10%  progress\rrestic done\n");
    assert!(err.starts_with("restic warning, no newline"), "{err:?}");
    assert_eq!(status.code(), Some(3), "keld keeps restic's exit code");
}

#[test]
fn restic_output_reaches_keld_stdout_and_stderr_while_restic_runs() {
    let sandbox = Sandbox::new();
    sandbox.write_config("[home]\nrepo = \"/srv/restic\"\n");
    check_passthrough(&sandbox, &["-p", "home", "snapshots"]);
}

#[test]
fn backup_output_passes_through_between_hooks() {
    // A backup with hooks goes through the whole lifecycle; restic's output must still
    // not wait for it, and the pre-hook's output comes first.
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "[home.backup]\n_arguments = {}\n_pre_hooks = [\"echo pre-hook\"]\n\
         _post_hooks = [\"echo post-hook\"]\n",
        toml_list(&[sandbox.path("source").display().to_string()]),
    ));
    sandbox.extend_restic(WRITE_THEN_WAIT);
    let release = sandbox.path("release");
    let (mut keld, stdout, stderr) = spawn_keld(&sandbox, &["-p", "home", "backup"]);
    let (out_rx, err_rx) = (forward(stdout), forward(stderr));

    let mut out = Vec::new();
    let arrived = read_until(&out_rx, &mut out, b"[0:01] 10%  progress\r");
    let still_running = keld.try_wait().expect("poll keld").is_none();
    fs::write(&release, b"").expect("release restic");
    read_rest(&out_rx, &mut out);
    let mut err = Vec::new();
    read_rest(&err_rx, &mut err);
    let status = wait_with_timeout(&mut keld);

    let out = String::from_utf8_lossy(&out);
    assert!(
        arrived,
        "restic's output did not arrive while it ran: {out:?}"
    );
    assert!(still_running, "keld exited before restic was released");
    assert_eq!(
        out,
        "pre-hook\nrestic line 1\n[0:01] 10%  progress\rrestic done\npost-hook\n"
    );
    assert_eq!(status.code(), Some(3), "{}", String::from_utf8_lossy(&err));
}

// ---------------------------------------------------------------- closed pipes

fn many_presets(count: usize) -> String {
    (0..count)
        .map(|i| format!("[preset-number-{i:05}]\nrepo = \"/srv/restic/{i}\"\n"))
        .collect()
}

#[test]
fn closed_pipe_on_presets_is_not_an_error() {
    let sandbox = Sandbox::new();
    sandbox.write_user_config(&many_presets(4000));
    let output = sandbox
        .bash("\"$KELD\" presets | head -1")
        .stdin(Stdio::null())
        .output()
        .expect("bash runs");
    assert_eq!(text(&output.stderr), "", "nothing on stderr");
    assert!(output.status.success(), "{:?}", output.status);
    assert_eq!(text(&output.stdout).lines().count(), 1);
}

#[test]
fn closed_pipe_on_show_command_is_not_an_error() {
    let sandbox = Sandbox::new();
    let environ: String = (0..6000)
        .map(|i| format!("VARIABLE_NUMBER_{i:05} = \"value-{i}\"\n"))
        .collect();
    sandbox.write_user_config(&format!(
        "[home]\nrepo = \"/srv\"\n\n[home.environ]\n{environ}"
    ));
    let output = sandbox
        .bash("\"$KELD\" -n --verbose snapshots | head -1")
        .stdin(Stdio::null())
        .output()
        .expect("bash runs");
    assert_eq!(text(&output.stderr), "");
    assert!(output.status.success(), "{:?}", output.status);
}
