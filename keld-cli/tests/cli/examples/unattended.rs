//! `examples/unattended/`: its config resolves cleanly, and `units/` holds exactly the
//! systemd units `keld schedule --dry-run` writes for it, which systemd accepts.

use std::collections::BTreeMap;
use std::fs;

use super::{Resolve, example, sandbox};
use crate::support::sandbox::KELD;
use crate::support::{Sandbox, write_private};

/// Where the example units say keld is (the README installs it there).
const INSTALLED: &str = "/home/me/.local/bin/keld";

/// The example config as the sandbox's user config (so no `--config` is carried into
/// `ExecStart=`).
fn installed(sandbox: &Sandbox) {
    let text = fs::read(example("unattended/config.toml")).expect("read the example");
    write_private(&sandbox.user_config_path(), text);
}

/// The unit files `keld schedule --dry-run --user` prints: name → text.
fn generated(sandbox: &Sandbox) -> BTreeMap<String, String> {
    let output = sandbox
        .keld(&["schedule", "--dry-run", "--user"])
        .output()
        .expect("run keld schedule");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let mut units = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(path) = line.strip_prefix("# /") {
            units.extend(current.take());
            let name = path.rsplit('/').next().expect("a file name").to_owned();
            current = Some((name, String::new()));
        } else if line.starts_with("systemctl ") {
            units.extend(current.take());
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    units.extend(current);
    units
        .into_iter()
        .map(|(name, body)| (name, format!("{}\n", body.trim_end())))
        .collect()
}

#[test]
fn the_example_resolves_without_warnings() {
    let sandbox = sandbox();
    let config = example("unattended/config.toml");
    for command in ["backup", "check"] {
        let shown = sandbox.show(&config, "home@nas", command, &[]);
        assert_eq!(shown.command(), command);
    }
}

#[test]
fn the_example_units_are_what_keld_schedule_writes() {
    let sandbox = sandbox();
    installed(&sandbox);
    let generated: BTreeMap<String, String> = generated(&sandbox)
        .into_iter()
        .map(|(name, text)| (name, text.replace(KELD, INSTALLED)))
        .collect();
    let dir = example("unattended/units");
    let mut on_disk = BTreeMap::new();
    for entry in fs::read_dir(&dir).expect("examples/unattended/units") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        on_disk.insert(name, fs::read_to_string(&path).expect("read unit"));
    }
    assert_eq!(
        on_disk, generated,
        "examples/unattended/units/ must hold what `keld schedule --dry-run --user` writes \
         (with keld at {INSTALLED}); regenerate them"
    );
    assert_eq!(generated.len(), 4, "two timers with their services");
}

#[test]
fn the_generated_units_pass_systemd_analyze_verify() {
    let sandbox = sandbox();
    installed(&sandbox);
    let units = sandbox.path("units");
    fs::create_dir_all(&units).expect("units dir");
    let mut paths = Vec::new();
    for (name, text) in generated(&sandbox) {
        let path = units.join(&name);
        fs::write(&path, text).expect("write unit");
        paths.push(path);
    }
    crate::support::verify_user_units(&sandbox, &paths);
}
