//! The files under `examples/` run through the real `keld`, so they cannot rot.
//!
//! Every preset of every example config is resolved with `keld --show-command --json
//! --verbose`: it must exit 0, print nothing on stderr (no warning about a flag restic
//! does not have), and produce the command line the example's comments promise. The
//! healthchecks and database-dump hooks run for real through `keld` with the stand-in
//! restic and a stand-in `curl`, and the systemd units in `examples/unattended/units/`
//! are exactly what `keld schedule --dry-run` writes for its config, and pass
//! `systemd-analyze verify`.

mod configs;
mod hooks;
mod links;
mod unattended;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::support::Sandbox;

/// What `${USER}` is in the sandbox; the long example interpolates it into a repository.
pub(crate) const USER: &str = "keld-example";

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("keld-cli sits inside the workspace")
        .to_path_buf()
}

pub(crate) fn example(relative: &str) -> PathBuf {
    repo_root().join("examples").join(relative)
}

/// A sandbox with `USER` set, as the examples expect.
pub(crate) fn sandbox() -> Sandbox {
    let mut sandbox = Sandbox::new();
    sandbox.set_env("USER", USER);
    sandbox
}

/// Resolving an example config with keld.
pub(crate) trait Resolve {
    /// `keld --config FILE --preset PRESET --show-command --json --verbose COMMAND ARGS...`
    fn show(&self, config: &Path, preset: &str, command: &str, args: &[&str]) -> Shown;

    /// `keld --config FILE presets --json`, as (name, runnable) pairs.
    fn presets(&self, config: &Path) -> Vec<(String, bool)>;
}

impl Resolve for Sandbox {
    fn show(&self, config: &Path, preset: &str, command: &str, args: &[&str]) -> Shown {
        let mut keld_args: Vec<String> = vec![
            "--config".into(),
            config.display().to_string(),
            "--preset".into(),
            preset.into(),
            "--show-command".into(),
            "--json".into(),
            "--verbose".into(),
            command.into(),
        ];
        keld_args.extend(args.iter().map(|&arg| arg.to_owned()));
        let what = format!("keld {}", keld_args.join(" "));
        let output = self.keld(&[]).args(&keld_args).output().expect("run keld");
        let stdout = clean_success(&what, &output);
        let json = serde_json::from_str(&stdout)
            .unwrap_or_else(|err| panic!("{what}: stdout is not JSON ({err}):\n{stdout}"));
        Shown { what, json }
    }

    fn presets(&self, config: &Path) -> Vec<(String, bool)> {
        let what = format!("keld --config {} presets --json", config.display());
        let output = self
            .keld(&[])
            .arg("--config")
            .arg(config)
            .args(["presets", "--json"])
            .output()
            .expect("run keld presets");
        let stdout = clean_success(&what, &output);
        let list: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|err| panic!("{what}: not JSON ({err}):\n{stdout}"));
        list.as_array()
            .unwrap_or_else(|| panic!("{what}: expected a JSON array:\n{stdout}"))
            .iter()
            .map(|preset| {
                let name = preset["name"].as_str().expect("preset name").to_owned();
                let runnable = preset["runnable"].as_bool().expect("preset runnable flag");
                (name, runnable)
            })
            .collect()
    }
}

/// Assert exit 0 and an empty stderr (so no warning either); return stdout.
pub(crate) fn clean_success(what: &str, output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stderr.trim().is_empty(),
        "{what}: expected exit 0 and no stderr, got {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status,
    );
    stdout
}

/// The JSON of one `--show-command --json --verbose`.
pub(crate) struct Shown {
    pub(crate) what: String,
    pub(crate) json: Value,
}

impl Shown {
    fn strings(&self, value: &Value, field: &str) -> Vec<String> {
        match value {
            Value::Null => Vec::new(),
            Value::Array(items) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .unwrap_or_else(|| panic!("{}: {field} holds a non-string", self.what))
                        .to_owned()
                })
                .collect(),
            other => panic!("{}: {field} is not an array: {other}", self.what),
        }
    }

    /// Program, command, flags and arguments, unquoted.
    pub(crate) fn argv(&self) -> Vec<String> {
        self.strings(&self.json["argv"], "argv")
    }

    /// Every value given to `flag` (`--tag a --tag b` gives `["a", "b"]`).
    pub(crate) fn values(&self, flag: &str) -> Vec<String> {
        let argv = self.argv();
        argv.windows(2)
            .filter(|pair| pair[0] == flag)
            .map(|pair| pair[1].clone())
            .collect()
    }

    /// The single value of `flag`; fails when it is missing or repeated.
    pub(crate) fn value(&self, flag: &str) -> String {
        let values = self.values(flag);
        assert_eq!(
            values.len(),
            1,
            "{}: expected one {flag}, argv {:?}",
            self.what,
            self.argv()
        );
        values[0].clone()
    }

    pub(crate) fn has(&self, flag: &str) -> bool {
        self.argv().iter().any(|arg| arg == flag)
    }

    pub(crate) fn command(&self) -> String {
        self.json["command"].as_str().unwrap_or_default().to_owned()
    }

    /// Positional arguments after the flags.
    pub(crate) fn arguments(&self) -> Vec<String> {
        self.strings(&self.json["provenance"]["arguments"]["value"], "arguments")
    }

    pub(crate) fn sections(&self) -> Vec<String> {
        self.strings(&self.json["sections"], "sections")
    }

    pub(crate) fn pre_hooks(&self) -> Vec<String> {
        self.strings(&self.json["pre_hooks"], "pre_hooks")
    }

    pub(crate) fn post_hooks(&self) -> Vec<String> {
        self.strings(&self.json["post_hooks"], "post_hooks")
    }

    pub(crate) fn workdir(&self) -> Option<String> {
        self.json["workdir"].as_str().map(str::to_owned)
    }

    /// The shown entry of environment variable `name`, if the config sets it.
    pub(crate) fn env(&self, name: &str) -> Option<Value> {
        self.json["environment"]
            .as_array()
            .and_then(|vars| vars.iter().find(|var| var["name"] == name))
            .cloned()
    }
}
