//! The background work the session asks for, done by running restic, reading the
//! run records and running drills.
//!
//! Each listing runs one short restic command with its output captured and stdin
//! closed (so restic never waits for a password prompt), and parses the answer on
//! the worker thread so a 100,000-line listing never stalls the screen. The run
//! records are read and summed up on a worker thread too; a drill waits on one for
//! the thread that runs it ([`crate::drills`]).

use std::path::PathBuf;
use std::sync::Arc;

use keld_config::{Config, Environment, Request as ConfigRequest};
use keld_hooks::{Host, Invocation, Lister};

use crate::dashboard::read_records;
use crate::diff::parse_diff;
use crate::drill_runner::Drills;
use crate::forget::parse_forget;
use crate::protocol::{Msg, Request};
use crate::snapshots::parse_snapshots;
use crate::tree::FileTree;

/// Does one piece of background work (runs on its own thread) and returns the answer;
/// answers on the way (a drill's progress) go to the function it is given.
pub type Worker = Arc<dyn Fn(Request, &dyn Fn(Msg)) -> Msg + Send + Sync>;

/// What the session needs from restic: the standard output of `restic COMMAND` with
/// the preset's configured flags, and `extra` arguments appended; the error is a
/// message for the screen.
pub trait Restic: Send + Sync {
    /// Run `command` (`snapshots`, `ls`, `version`) for `preset` and return its output.
    fn output(
        &self,
        preset: Option<&str>,
        command: &str,
        extra: &[&str],
    ) -> Result<Vec<u8>, String>;
}

/// restic as a run of the preset would start it: the preset's resolved `snapshots`,
/// `ls`, `diff` and `forget` (their flags and environment, not their `_arguments`,
/// except those `forget` is configured with), prepared and run by [`Lister`];
/// `version` with keld's own environment and no preset.
pub struct ConfigRestic {
    config: Arc<Config>,
    env: Environment,
    host: Host,
    lister: Lister,
}

impl ConfigRestic {
    /// restic for `config`; without `run_commands` (under `--show-command`) no
    /// `_COMMAND` runs and only literal variables are set.
    pub fn new(config: Arc<Config>, env: Environment, host: Host, run_commands: bool) -> Self {
        let lister = Lister::new(host.clone(), run_commands);
        Self {
            config,
            env,
            host,
            lister,
        }
    }

    /// The restic processes still running (to stop them when the session ends).
    pub fn lister(&self) -> &Lister {
        &self.lister
    }

    fn invocation(&self, preset: Option<&str>, command: &str) -> Result<Invocation, String> {
        if command == "version" {
            return Ok(Invocation::plain("version", &self.host));
        }
        let request = ConfigRequest {
            preset: preset.map(str::to_owned),
            command: command.to_owned(),
            args: Vec::new(),
        };
        let mut resolved = self
            .config
            .resolve(&request, &self.env)
            .map_err(|error| crate::resolution::describe(&error))?;
        // A listing takes its own arguments; a configured `_arguments` (backup paths
        // in a prefix section, say) is no snapshot id. Only `forget`'s dry run keeps
        // the IDs configured for `forget` itself, as the run will.
        if !(command == "forget" && crate::resolution::arguments_meant_for_command(&resolved)) {
            resolved.arguments = None;
        }
        Ok(Invocation::new(&resolved, &self.host))
    }
}

impl Restic for ConfigRestic {
    fn output(
        &self,
        preset: Option<&str>,
        command: &str,
        extra: &[&str],
    ) -> Result<Vec<u8>, String> {
        let invocation = self.invocation(preset, command)?;
        self.lister
            .capture(&invocation, extra)
            .map_err(|error| error.to_string())
    }
}

/// The session's [`Worker`]: the run records from `state_dir`, drills from `drills`,
/// everything else from `restic`.
pub(crate) fn session_worker(
    restic: Worker,
    state_dir: Option<PathBuf>,
    drills: Arc<Drills>,
) -> Worker {
    Arc::new(move |request, progress| match request {
        Request::Records { ticket } => Msg::Records {
            ticket,
            result: read_records(state_dir.as_deref(), jiff::Timestamp::now()),
        },
        Request::Drill { ticket, preset } => Msg::Drill {
            ticket,
            result: drills.run(preset.as_deref(), &|step| {
                progress(Msg::DrillProgress {
                    ticket,
                    progress: step,
                });
            }),
        },
        other => restic(other, progress),
    })
}

/// A [`Worker`] that answers requests with `restic` (it reads no run records and runs
/// no drill: those requests get an error).
pub fn restic_worker(restic: Arc<dyn Restic>) -> Worker {
    Arc::new(move |request, _| match request {
        Request::Snapshots { ticket, preset } => {
            let result = restic
                .output(preset.as_deref(), "snapshots", &["--json"])
                .and_then(utf8)
                .and_then(|out| parse_snapshots(&out).map_err(|err| err.to_string()));
            Msg::Snapshots { ticket, result }
        }
        Request::Listing {
            ticket,
            preset,
            snapshot,
        } => {
            let result = restic
                .output(preset.as_deref(), "ls", &["--json", &snapshot])
                .and_then(utf8)
                .and_then(|out| FileTree::parse(&out).map_err(|err| err.to_string()));
            Msg::Listing { ticket, result }
        }
        Request::ResticVersion { ticket } => Msg::ResticVersion {
            ticket,
            result: restic.output(None, "version", &[]).and_then(utf8),
        },
        Request::Diff {
            ticket,
            preset,
            from,
            to,
        } => {
            let result = restic
                .output(preset.as_deref(), "diff", &["--json", &from, &to])
                .and_then(utf8)
                .and_then(|out| parse_diff(&out).map_err(|err| err.to_string()));
            Msg::Diff { ticket, result }
        }
        Request::ForgetPlan { ticket, preset } => {
            let result = restic
                .output(preset.as_deref(), "forget", &["--dry-run", "--json"])
                .and_then(utf8)
                .and_then(|out| parse_forget(&out).map_err(|err| err.to_string()));
            Msg::ForgetPlan { ticket, result }
        }
        Request::Records { ticket } => Msg::Records {
            ticket,
            result: Err("no run records here".to_owned()),
        },
        Request::Drill { ticket, .. } => Msg::Drill {
            ticket,
            result: Err("no drill runs here".to_owned()),
        },
    })
}

fn utf8(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|_| "restic wrote output that is not UTF-8".to_owned())
}

#[cfg(test)]
mod tests {
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
        assert_eq!(snapshots[0].tags, ["t1"]);

        let Msg::Listing { result, .. } = ask(
            &worker,
            Request::Listing {
                ticket: 4,
                preset: None,
                snapshot: snapshots[0].id.clone(),
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
}
