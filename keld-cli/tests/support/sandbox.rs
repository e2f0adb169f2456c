//! A hermetic place to run the real `keld` binary: temp HOME and XDG dirs, a cleared
//! environment, private config files, and one stand-in restic that records what it was
//! given.

use std::cell::Cell;
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::write_private;

/// The `keld` binary under test.
pub(crate) const KELD: &str = env!("CARGO_BIN_EXE_keld");

/// The stand-in for restic, `bin/restic` in every sandbox (`@ROOT@` is the sandbox,
/// `@EXTRA@` the text of [`Sandbox::extend_restic`]). Every run:
///
/// * appends `restic COMMAND`, `restic-argv ARGS` and `restic-cwd DIR` to the event log
///   (`events.log`, `$KELD_TEST_LOG` for hooks), and its exact arguments, one a line
///   and then `--end--`, to `restic.runs`;
/// * writes its environment, sorted, to `restic.env`;
/// * with `FAKE_RESTIC_ECHO` set, prints `fake restic: <ARG> <ARG>...` on stdout;
/// * for `version`, prints what restic 0.14 prints;
/// * for the command named by `FAKE_RESTIC_WAIT`: writes its pid to `restic.pid`,
///   touches `restic.ready` once its traps are set, logs every SIGINT, SIGTERM, SIGHUP
///   and SIGQUIT it receives as `restic COMMAND got SIG`, keeps listening 0.3 s longer
///   so that a duplicate would be logged too, then dies by the first signal;
/// * runs the sandbox's extra shell text, if any;
/// * exits with `$FAKE_RESTIC_EXIT` (default 0).
const FAKE_RESTIC: &str = r#"#!/bin/sh
root='@ROOT@'
printf 'restic %s\n' "$1" >> "$root/events.log"
printf 'restic-argv %s\n' "$*" >> "$root/events.log"
printf 'restic-cwd %s\n' "$(pwd)" >> "$root/events.log"
{ for arg in "$@"; do printf '%s\n' "$arg"; done; echo '--end--'; } >> "$root/restic.runs"
env | LC_ALL=C sort > "$root/restic.env"
if [ -n "$FAKE_RESTIC_ECHO" ]; then
    printf 'fake restic:'; for arg in "$@"; do printf ' <%s>' "$arg"; done; printf '\n'
fi
if [ "$1" = version ]; then
    echo 'restic 0.14.0 compiled with go1.19.8 on linux/amd64'
fi
if [ -n "$FAKE_RESTIC_WAIT" ] && [ "$1" = "$FAKE_RESTIC_WAIT" ]; then
    first=
    for sig in INT TERM HUP QUIT; do
        trap "echo 'restic $1 got $sig' >> \"\$root/events.log\"; [ -n \"\$first\" ] || first=$sig" $sig
    done
    echo $$ > "$root/restic.pid"
    touch "$root/restic.ready"
    while [ -z "$first" ]; do sleep 0.02; done
    # Long enough for a second, duplicate delivery to show up in the log.
    sleep 0.3
    trap - "$first"
    kill -s "$first" $$
    exit 99
fi
@EXTRA@
exit "${FAKE_RESTIC_EXIT:-0}"
"#;

/// A temp directory holding `home/` (HOME), `xdg/` (XDG_CONFIG_HOME), `bin/restic`
/// (the stand-in, first on PATH), `source/file.txt` to back up, and the files keld,
/// hooks and the stand-in write. Paths are canonical, so they match what keld prints.
#[derive(Debug)]
pub(crate) struct Sandbox {
    _dir: tempfile::TempDir,
    root: PathBuf,
    /// Extra variables for keld (and so for restic and hooks).
    env: Vec<(OsString, OsString)>,
    /// Whether `keld` gets `--config config.toml` ([`Sandbox::write_config`]).
    config_flag: Cell<bool>,
}

impl Sandbox {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical temp dir");
        for sub in ["home", "xdg", "source", "bin"] {
            fs::create_dir(root.join(sub)).expect("create dir");
        }
        fs::write(root.join("source/file.txt"), "data\n").expect("source file");
        let sandbox = Self {
            _dir: dir,
            root,
            env: Vec::new(),
            config_flag: Cell::new(false),
        };
        sandbox.extend_restic("");
        sandbox
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    pub(crate) fn home(&self) -> PathBuf {
        self.path("home")
    }

    /// `~/rest` as keld expands it.
    pub(crate) fn tilde(&self, rest: &str) -> String {
        format!("{}/{rest}", self.home().display())
    }

    /// The directory first on keld's PATH: the stand-in restic and [`Sandbox::script`]s.
    pub(crate) fn bin(&self) -> PathBuf {
        self.path("bin")
    }

    pub(crate) fn restic_path(&self) -> PathBuf {
        self.path("bin/restic")
    }

    pub(crate) fn log_path(&self) -> PathBuf {
        self.path("events.log")
    }

    /// The file [`Sandbox::write_config`] writes and `keld` then gets with `--config`.
    pub(crate) fn config_path(&self) -> PathBuf {
        self.path("config.toml")
    }

    /// The user config keld finds by itself: `$XDG_CONFIG_HOME/keld/config.toml`.
    pub(crate) fn user_config_path(&self) -> PathBuf {
        self.path("xdg/keld/config.toml")
    }

    /// Writes the user config (see [`super::write_private`]); returns its path.
    pub(crate) fn write_user_config(&self, toml: &str) -> PathBuf {
        let path = self.user_config_path();
        write_private(&path, toml);
        path
    }

    /// Writes `config.toml` (see [`super::write_private`]); from now on `keld` gets it
    /// with `--config`. Returns its path.
    pub(crate) fn write_config(&self, toml: &str) -> PathBuf {
        let path = self.config_path();
        write_private(&path, toml);
        self.config_flag.set(true);
        path
    }

    /// Writes a private file (see [`super::write_private`]) below the sandbox.
    pub(crate) fn file(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.path(relative);
        write_private(&path, text);
        path
    }

    /// Writes an executable shell script `bin/NAME` (on keld's PATH) with `body`.
    pub(crate) fn script(&self, name: &str, body: &str) -> PathBuf {
        let path = self.bin().join(name);
        write_executable(&path, &format!("#!/bin/sh\n{body}"));
        path
    }

    /// The stand-in restic, running `extra` (shell text) after its usual work and
    /// before it exits with `$FAKE_RESTIC_EXIT`.
    pub(crate) fn extend_restic(&self, extra: &str) {
        let script = FAKE_RESTIC
            .replace("@ROOT@", &self.root.display().to_string())
            .replace("@EXTRA@", extra);
        write_executable(&self.restic_path(), &script);
    }

    /// Replaces the stand-in restic with `text` (a program that is no stand-in at all).
    pub(crate) fn write_restic(&self, text: &str) {
        write_executable(&self.restic_path(), text);
    }

    /// Sets a variable for every later `keld`.
    pub(crate) fn set_env(&mut self, name: &str, value: impl Into<OsString>) {
        self.env.retain(|(key, _)| key != name);
        self.env.push((name.into(), value.into()));
    }

    /// The variables every `keld` of this sandbox gets, and nothing else.
    fn environment(&self) -> Vec<(OsString, OsString)> {
        let mut env: Vec<(OsString, OsString)> = vec![
            (
                "PATH".into(),
                format!("{}:/usr/bin:/bin", self.bin().display()).into(),
            ),
            ("HOME".into(), self.home().into()),
            ("XDG_CONFIG_HOME".into(), self.path("xdg").into()),
            ("KELD_TEST_LOG".into(), self.log_path().into()),
            ("KELD_TEST_DIR".into(), self.root.clone().into()),
        ];
        env.extend(self.env.iter().cloned());
        env
    }

    /// `keld [--config config.toml] ARGS` in the sandbox, with a cleared environment:
    /// PATH (the sandbox's `bin/`, /usr/bin, /bin), HOME, XDG_CONFIG_HOME,
    /// `KELD_TEST_LOG` (the event log) and `KELD_TEST_DIR` (the sandbox), plus the
    /// variables of [`Sandbox::set_env`].
    pub(crate) fn keld(&self, args: &[&str]) -> Command {
        let mut command = Command::new(KELD);
        command.env_clear().envs(self.environment());
        if self.config_flag.get() {
            command.arg("--config").arg(self.config_path());
        }
        command.args(args).current_dir(&self.root);
        command
    }

    /// `bash -c 'set -o pipefail; SCRIPT'` with keld's environment, `keld` first on
    /// PATH and its path in `$KELD`.
    pub(crate) fn bash(&self, script: &str) -> Command {
        let mut command = self.shell("/bin/bash");
        command.arg("-c").arg(format!("set -o pipefail; {script}"));
        command
    }

    /// `program` (a shell) with keld's environment, `keld` first on PATH and its path
    /// in `$KELD`, in the sandbox; the caller adds the arguments.
    pub(crate) fn shell(&self, program: &str) -> Command {
        let keld_dir = Path::new(KELD).parent().expect("the target directory");
        let mut command = Command::new(program);
        command
            .env_clear()
            .envs(self.environment())
            .env(
                "PATH",
                format!(
                    "{}:{}:/usr/bin:/bin",
                    keld_dir.display(),
                    self.bin().display()
                ),
            )
            .env("KELD", KELD)
            .current_dir(&self.root);
        command
    }

    /// The lines of the event log (hooks and the stand-in append to it).
    pub(crate) fn log_lines(&self) -> Vec<String> {
        lines(&self.log_path())
    }

    /// The event log without the stand-in's `restic-argv` and `restic-cwd` lines.
    pub(crate) fn events(&self) -> Vec<String> {
        self.log_lines()
            .into_iter()
            .filter(|line| !line.starts_with("restic-argv ") && !line.starts_with("restic-cwd "))
            .collect()
    }

    /// The exact arguments of every run of the stand-in so far, one list per run.
    pub(crate) fn restic_runs(&self) -> Vec<Vec<String>> {
        let Ok(log) = fs::read_to_string(self.path("restic.runs")) else {
            return Vec::new();
        };
        log.split_terminator("--end--\n")
            .map(|run| run.lines().map(str::to_owned).collect())
            .collect()
    }

    /// The environment the stand-in last saw, as `NAME=value` lines.
    pub(crate) fn restic_env(&self) -> Vec<String> {
        lines(&self.path("restic.env"))
    }

    /// `text` with the sandbox's path shown as `[TMP]`.
    pub(crate) fn redact(&self, text: &str) -> String {
        text.replace(&self.root.display().to_string(), "[TMP]")
    }
}

fn write_executable(path: &Path, text: &str) {
    fs::write(path, text).expect("write a program");
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .map(|text| text.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}
