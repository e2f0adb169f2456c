//! The background work the session asks for, done by running restic.
//!
//! Each request runs one short restic command with its output captured and stdin
//! closed (so restic never waits for a password prompt), and parses the answer on
//! the worker thread so a 100,000-line listing never stalls the screen.

use std::process::{Command, Stdio};
use std::sync::Arc;

use super::protocol::{Msg, Request};
use super::snapshots::parse_snapshots;
use super::terminal::Worker;
use super::tree::FileTree;

/// Builds the restic command for a preset (program, repository flags and
/// environment), to which the request's own arguments are appended.
pub(crate) type ResticFor = Arc<dyn Fn(Option<&str>) -> Command + Send + Sync>;

/// A [`Worker`] that answers requests by running restic.
pub(crate) fn restic_worker(restic_for: ResticFor) -> Worker {
    Arc::new(move |request| match request {
        Request::Snapshots { ticket, preset } => {
            let result = capture(restic_for(preset.as_deref()).args(["snapshots", "--json"]))
                .and_then(|out| parse_snapshots(&out).map_err(|err| err.to_string()));
            Msg::Snapshots { ticket, result }
        }
        Request::Listing {
            ticket,
            preset,
            snapshot,
        } => {
            let result = capture(restic_for(preset.as_deref()).args(["ls", "--json", &snapshot]))
                .and_then(|out| FileTree::parse(&out).map_err(|err| err.to_string()));
            Msg::Listing { ticket, result }
        }
        Request::ResticVersion { ticket } => Msg::ResticVersion {
            ticket,
            result: capture(restic_for(None).arg("version")),
        },
    })
}

/// Run `command`, returning its stdout, or its last stderr lines when it fails.
fn capture(command: &mut Command) -> Result<String, String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|err| format!("could not start {program}: {err}"))?;
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// restic 0.14 (installed at /usr/bin/restic) against a fresh repository.
    fn restic_in(repo: &Path) -> ResticFor {
        let repo = repo.to_owned();
        Arc::new(move |_preset| {
            let mut command = Command::new("restic");
            command
                .env_clear()
                .env("RESTIC_REPOSITORY", &repo)
                .env("RESTIC_PASSWORD", "correct horse")
                .env("RESTIC_CACHE_DIR", repo.join("cache"))
                .env("HOME", &repo);
            command
        })
    }

    fn run(restic: &ResticFor, args: &[&str]) -> String {
        let output = restic(None).args(args).output().expect("restic runs");
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
        let worker = restic_worker(Arc::clone(&restic));

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
    }

    #[test]
    fn a_missing_program_is_a_message_not_a_panic() {
        let worker = restic_worker(Arc::new(|_| Command::new("/nonexistent/restic")));
        let Msg::ResticVersion { result, .. } = worker(Request::ResticVersion { ticket: 1 }) else {
            panic!("wrong answer");
        };
        let error = result.expect_err("cannot start");
        assert!(
            error.starts_with("could not start /nonexistent/restic"),
            "{error}"
        );
    }
}
