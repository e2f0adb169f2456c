//! The systemd user units: syntax, the presets they run, and the healthchecks report.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::process::Command;

use super::configs::long;
use super::hooks::stand_ins;
use super::{Resolve, example, sandbox};
use crate::support::sandbox::KELD;

fn unit(name: &str) -> String {
    fs::read_to_string(example(&format!("systemd/user/{name}"))).expect("read unit")
}

/// The value of the first `Key=` line of a unit file.
fn unit_value(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= line"))
        .to_owned()
}

#[test]
fn systemd_units_run_presets_of_the_long_example() {
    let sandbox = sandbox();
    for (service, command) in [
        ("keld-backup.service", "backup"),
        ("keld-check.service", "check"),
    ] {
        let exec = unit_value(&unit(service), "ExecStart");
        let args: Vec<&str> = exec
            .strip_prefix("%h/.local/bin/keld ")
            .unwrap_or_else(|| panic!("{service}: ExecStart does not run ~/.local/bin/keld"))
            .split_whitespace()
            .collect();
        assert_eq!(args[0], "--preset", "{service}: {exec}");
        assert_eq!(args[2], command, "{service}: {exec}");
        let shown = sandbox.show(&long(), args[1], args[2], &args[3..]);
        assert_eq!(shown.command(), command);
        if command == "check" {
            // Promised in keld-check.service's comment.
            assert_eq!(shown.value("--read-data-subset"), "2%");
        }
    }
}

#[test]
fn systemd_check_unit_reports_its_result_to_healthchecks() {
    let sandbox = sandbox();
    stand_ins(&sandbox);
    let stop_post = unit_value(&unit("keld-check.service"), "ExecStopPost");
    let script = stop_post
        .strip_prefix("/bin/sh -c '")
        .and_then(|rest| rest.strip_suffix('\''))
        .expect("ExecStopPost=/bin/sh -c '...'")
        // systemd turns `$$` into `$`; the stand-in replaces the real curl.
        .replace("$$", "$")
        .replace(
            "/usr/bin/curl",
            &sandbox.bin().join("curl").display().to_string(),
        );
    let url = "https://hc.example/check-id";
    for (result, exit_status, expected_url) in [
        ("success", "0", url.to_owned()),
        ("exit-code", "3", format!("{url}/fail")),
    ] {
        let status = Command::new("/bin/sh")
            .args(["-c", &script])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HEALTHCHECKS_URL", url)
            .env("SERVICE_RESULT", result)
            .env("EXIT_CODE", "exited")
            .env("EXIT_STATUS", exit_status)
            .status()
            .expect("run ExecStopPost script");
        assert!(status.success());
        let events = sandbox.events();
        let last = events.last().expect("curl ran");
        assert!(
            last.ends_with(&format!(" {expected_url}")),
            "{result}: {last}"
        );
        assert!(
            last.contains(&format!("keld check: {result} exited {exit_status}")),
            "{last}"
        );
    }
}

#[test]
fn systemd_units_pass_systemd_analyze_verify() {
    let sandbox = sandbox();
    let units = sandbox.path("units");
    let runtime = sandbox.path("runtime");
    fs::create_dir_all(&units).expect("units dir");
    fs::create_dir_all(&runtime).expect("runtime dir");
    fs::set_permissions(&runtime, fs::Permissions::from_mode(0o700)).expect("chmod");
    let mut paths = Vec::new();
    for name in [
        "keld-backup.service",
        "keld-backup.timer",
        "keld-check.service",
        "keld-check.timer",
    ] {
        // verify checks that ExecStart's program exists: point it at this build.
        let text = unit(name).replace("%h/.local/bin/keld", KELD);
        let path = units.join(name);
        fs::write(&path, text).expect("write unit");
        paths.push(path);
    }
    let output = Command::new("systemd-analyze")
        .args(["verify", "--user"])
        .args(&paths)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", sandbox.home())
        .env("XDG_RUNTIME_DIR", &runtime)
        .output()
        .expect("systemd-analyze verifies the units (Debian: apt-get install systemd)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify: {}\n{stderr}",
        output.status
    );
}
