//! The background work the session asks for, done by running restic.
//!
//! Each request runs one short restic command with its output captured and stdin
//! closed (so restic never waits for a password prompt), and parses the answer on
//! the worker thread so a 100,000-line listing never stalls the screen.
//!
//! Every restic started here is listed in [`Running`] until it is reaped, so the
//! session can stop the ones still running when it ends: a slow listing left behind
//! would otherwise keep the repository locked after keld has exited.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{Id, WaitPidFlag, waitid};
use nix::unistd::Pid;

use super::protocol::{Msg, Request};
use super::snapshots::parse_snapshots;
use super::terminal::Worker;
use super::tree::FileTree;

/// Builds the restic command for a preset and a restic command (`snapshots`, `ls`,
/// `version`): the program, the command word with the flags the config gives it
/// (repository, password file, ...), the environment and the working directory. The
/// request's own arguments (`--json`, the snapshot) are appended to it. An error is
/// the reason it cannot be built (the preset does not resolve, a `_COMMAND` fails).
pub(crate) type ResticFor =
    Arc<dyn Fn(Option<&str>, &str) -> Result<Command, String> + Send + Sync>;

/// The background restic processes started and not yet reaped.
#[derive(Debug, Clone, Default)]
pub(crate) struct Running(Arc<Mutex<Listed>>);

/// What [`Running`] guards: the pids, and whether the session is stopping them.
#[derive(Debug, Default)]
struct Listed {
    pids: Vec<Pid>,
    /// Set by [`Running::stop_all`]: a worker that has not started its restic yet
    /// must not start it now, or it would outlive keld.
    closed: bool,
}

impl Running {
    fn lock(&self) -> MutexGuard<'_, Listed> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many are running now.
    pub(crate) fn count(&self) -> usize {
        self.lock().pids.len()
    }

    /// Start no more, send SIGTERM to each one still running (restic then removes
    /// its lock and exits) and wait up to `patience` for them to end; false if some
    /// did not.
    pub(crate) fn stop_all(&self, patience: Duration) -> bool {
        let mut listed = self.lock();
        listed.closed = true;
        for &pid in &listed.pids {
            // Gone already is fine: it is reaped and forgotten by its worker.
            let _ = kill(pid, Signal::SIGTERM);
        }
        drop(listed);
        let deadline = Instant::now() + patience;
        while self.count() > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }
}

/// A [`Worker`] that answers requests by running restic, listing each process in
/// `running` while it runs.
pub(crate) fn restic_worker(restic_for: ResticFor, running: Running) -> Worker {
    let capture = move |command: &mut Command| capture(command, &running);
    Arc::new(move |request| match request {
        Request::Snapshots { ticket, preset } => {
            let result = restic_for(preset.as_deref(), "snapshots")
                .and_then(|mut command| capture(command.arg("--json")))
                .and_then(|out| parse_snapshots(&out).map_err(|err| err.to_string()));
            Msg::Snapshots { ticket, result }
        }
        Request::Listing {
            ticket,
            preset,
            snapshot,
        } => {
            let result = restic_for(preset.as_deref(), "ls")
                .and_then(|mut command| capture(command.args(["--json", &snapshot])))
                .and_then(|out| FileTree::parse(&out).map_err(|err| err.to_string()));
            Msg::Listing { ticket, result }
        }
        Request::ResticVersion { ticket } => Msg::ResticVersion {
            ticket,
            result: restic_for(None, "version").and_then(|mut command| capture(&mut command)),
        },
    })
}

/// Run `command`, returning its stdout, or its last stderr lines when it fails.
fn capture(command: &mut Command, running: &Running) -> Result<String, String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output =
        run_listed(command, running).map_err(|err| format!("could not run {program}: {err}"))?;
    if output.status.success() {
        return String::from_utf8(output.stdout)
            .map_err(|_| format!("{program} wrote output that is not UTF-8"));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    let tail = tail[tail.len().saturating_sub(5)..].join("\n");
    let status = match output.status.code() {
        Some(code) => format!("exit code {code}"),
        None => "killed by a signal".to_owned(),
    };
    Err(if tail.is_empty() {
        format!("{program} failed ({status})")
    } else {
        format!("{tail}\n({program}: {status})")
    })
}

/// `Command::output`, with the child listed in `running` from its start until it
/// has ended. It is forgotten before it is reaped, so [`Running::stop_all`] can
/// never signal a process that reused its pid.
fn run_listed(command: &mut Command, running: &Running) -> std::io::Result<std::process::Output> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = {
        // Listed under the lock, so a stop at this moment waits for the pid, and a
        // stop that came first prevents the start.
        let mut listed = running.lock();
        if listed.closed {
            return Err(std::io::Error::other(
                "keld is leaving; restic was not started",
            ));
        }
        let child = command.spawn()?;
        listed
            .pids
            .push(Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX)));
        child
    };
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    let mut stderr_pipe = child.stderr.take();
    let stderr = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(pipe) = stderr_pipe.as_mut() {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    });
    let mut stdout = Vec::new();
    let read = child
        .stdout
        .take()
        .map_or(Ok(0), |mut pipe| pipe.read_to_end(&mut stdout));
    let stderr = stderr.join().unwrap_or_default();
    // Ended but not reaped: still this child's pid while it is forgotten.
    while let Err(nix::errno::Errno::EINTR) =
        waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT)
    {}
    running.lock().pids.retain(|&listed| listed != pid);
    let status = child.wait()?;
    read?;
    Ok(std::process::Output {
        status,
        stdout,
        stderr,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// restic 0.14 (installed at /usr/bin/restic) against a fresh repository.
    fn restic_in(repo: &Path) -> ResticFor {
        let repo = repo.to_owned();
        Arc::new(move |_preset, restic_command| {
            let mut command = Command::new("restic");
            command
                .arg(restic_command)
                .env_clear()
                .env("RESTIC_REPOSITORY", &repo)
                .env("RESTIC_PASSWORD", "correct horse")
                .env("RESTIC_CACHE_DIR", repo.join("cache"))
                .env("HOME", &repo);
            Ok(command)
        })
    }

    fn run(restic: &ResticFor, args: &[&str]) -> String {
        let output = restic(None, args[0])
            .expect("a command")
            .args(&args[1..])
            .output()
            .expect("restic runs");
        assert!(output.status.success(), "{args:?}: {output:?}");
        String::from_utf8(output.stdout).expect("UTF-8")
    }

    #[test]
    fn real_restic_answers_every_request() {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = dir.path().join("repo");
        let source = dir.path().join("src");
        std::fs::create_dir_all(source.join("docs")).expect("mkdir");
        std::fs::write(source.join("docs/a.txt"), "alpha").expect("write");
        std::fs::write(source.join("b.txt"), "beta").expect("write");
        let restic = restic_in(&repo);
        let running = Running::default();
        let worker = restic_worker(Arc::clone(&restic), running.clone());

        // Before `init`: restic fails, and the message says why.
        let Msg::Snapshots { ticket: 1, result } = worker(Request::Snapshots {
            ticket: 1,
            preset: None,
        }) else {
            panic!("wrong answer");
        };
        let error = result.expect_err("no repository yet");
        assert!(error.contains("exit code"), "{error}");
        assert!(!error.contains("correct horse"), "no secret in errors");

        run(&restic, &["init"]);
        let Msg::Snapshots { result, .. } = worker(Request::Snapshots {
            ticket: 2,
            preset: None,
        }) else {
            panic!("wrong answer");
        };
        assert_eq!(result, Ok(Vec::new()), "an empty repository");

        run(
            &restic,
            &["backup", "--tag", "t1", &source.to_string_lossy()],
        );
        let Msg::Snapshots { result, .. } = worker(Request::Snapshots {
            ticket: 3,
            preset: None,
        }) else {
            panic!("wrong answer");
        };
        let snapshots = result.expect("one snapshot");
        assert_eq!(snapshots.len(), 1);
        assert_eq!(snapshots[0].tags, ["t1"]);

        let Msg::Listing { result, .. } = worker(Request::Listing {
            ticket: 4,
            preset: None,
            snapshot: snapshots[0].id.clone(),
        }) else {
            panic!("wrong answer");
        };
        let mut tree = result.expect("a listing");
        // The temp dir's parents, src, docs, docs/a.txt, b.txt.
        let depth = source.components().count() - 1;
        assert_eq!(tree.len(), depth + 3);
        tree.toggle_all();
        assert_eq!(tree.selection(), super::super::tree::Selection::Everything);

        let Msg::ResticVersion { result, .. } = worker(Request::ResticVersion { ticket: 5 }) else {
            panic!("wrong answer");
        };
        assert!(result.expect("restic version").starts_with("restic "));
        assert_eq!(running.count(), 0, "every restic was reaped and forgotten");
    }

    #[test]
    fn a_listing_still_running_is_stopped_when_asked() {
        // `exec`, so the signal reaches the sleeping process itself.
        let slow: ResticFor = Arc::new(|_, _| {
            let mut command = Command::new("/bin/sh");
            command.args(["-c", "exec sleep 30", "restic"]);
            Ok(command)
        });
        let running = Running::default();
        let worker = restic_worker(slow, running.clone());
        let started = std::time::Instant::now();
        let answer = std::thread::spawn(move || {
            worker(Request::Snapshots {
                ticket: 1,
                preset: None,
            })
        });
        while running.count() == 0 {
            assert!(started.elapsed() < Duration::from_secs(20), "never started");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(running.stop_all(Duration::from_secs(20)), "stopped in time");
        let Msg::Snapshots { result, .. } = answer.join().expect("worker") else {
            panic!("wrong answer");
        };
        let error = result.expect_err("killed");
        assert!(error.contains("killed by a signal"), "{error}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "did not wait for sleep"
        );
        assert!(running.stop_all(Duration::ZERO), "nothing left to stop");
    }

    #[test]
    fn nothing_starts_once_the_session_stops_its_listings() {
        let dir = tempfile::tempdir().expect("tempdir");
        let marker = dir.path().join("started");
        let marker_for_command = marker.clone();
        let touch: ResticFor = Arc::new(move |_, _| {
            let mut command = Command::new("/bin/sh");
            command
                .args(["-c", "touch \"$0\""])
                .arg(&marker_for_command);
            Ok(command)
        });
        let running = Running::default();
        assert!(running.stop_all(Duration::ZERO));
        let answer = restic_worker(touch, running.clone())(Request::Snapshots {
            ticket: 1,
            preset: None,
        });
        let Msg::Snapshots { result, .. } = answer else {
            panic!("wrong answer");
        };
        let error = result.expect_err("not started");
        assert!(error.contains("not started"), "{error}");
        assert!(!marker.exists(), "restic ran after the stop");
        assert_eq!(running.count(), 0);
    }

    #[test]
    fn a_missing_program_is_a_message_not_a_panic() {
        let worker = restic_worker(
            Arc::new(|_, _| Ok(Command::new("/nonexistent/restic"))),
            Running::default(),
        );
        let Msg::ResticVersion { result, .. } = worker(Request::ResticVersion { ticket: 1 }) else {
            panic!("wrong answer");
        };
        let error = result.expect_err("cannot start");
        assert!(
            error.starts_with("could not run /nonexistent/restic"),
            "{error}"
        );
    }
}
