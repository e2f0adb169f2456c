//! Hardening through the real `keld` binary: config files others could write are
//! refused, secrets stay out of every message, and a runaway `_COMMAND` or a flooding
//! hook cannot make keld's memory grow.

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::support::process::{child_test, running};
use crate::support::{Sandbox, text, toml_list, toml_str};

/// Stands for a password everywhere below.
const MARKER: &str = "MARKER-hardening-s3cr3t";

/// Peak resident memory allowed for keld, in KiB: generous for a small Rust program,
/// far below the 50-100 MB the tests push through it.
const RSS_BOUND_KIB: i64 = 32 * 1024;

fn run(command: &mut Command) -> Output {
    command.output().expect("keld runs")
}

/// A rendered diagnostic as one line: wrapping and the frame removed.
fn flat(text: &str) -> String {
    text.replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Asserts that no output of keld shows the marker (or a part of it).
fn assert_no_marker(output: &Output, what: &str) {
    let all = format!("{}\n{}", text(&output.stdout), text(&output.stderr));
    assert!(!all.contains("s3cr3t"), "{what}: the marker leaked:\n{all}");
}

// ---------------------------------------------------------------- permissions

const HOOKED: &str = "[home]\n_arguments = [\"/data\"]\n[home.backup]\n_pre_hooks = [\"true\"]\n";

#[test]
fn a_world_writable_config_with_hooks_is_refused_with_the_fix() {
    let sandbox = Sandbox::new();
    sandbox.write_config(HOOKED);
    let config = sandbox.config_path();
    fs::set_permissions(&config, fs::Permissions::from_mode(0o666)).expect("chmod");
    for args in [&["backup"][..], &["-n", "backup"], &["presets"]] {
        let output = run(&mut sandbox.keld(args));
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("refusing config file"), "{stderr}");
        assert!(stderr.contains("mode 0666"), "{stderr}");
        assert!(stderr.contains("chmod go-w"), "{stderr}");
        assert!(stderr.contains("KELD_ALLOW_UNSAFE_CONFIG=1"), "{stderr}");
        assert!(
            stderr.contains("keld::config::unsafe_permissions"),
            "{stderr}"
        );
        assert!(sandbox.log_lines().is_empty(), "nothing ran");
    }

    // The documented opt-out.
    let output = run(sandbox
        .keld(&["backup"])
        .env("KELD_ALLOW_UNSAFE_CONFIG", "1"));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(sandbox.log_lines()[0], "restic backup");

    // Fixed as the message says: runs.
    let fix = Command::new("chmod")
        .args(["go-w"])
        .arg(&config)
        .status()
        .expect("chmod");
    assert!(fix.success());
    let output = run(&mut sandbox.keld(&["backup"]));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

#[test]
fn a_config_without_commands_is_never_refused() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "[home]\n_arguments = [\"/data\"]\n[home.environ]\nRESTIC_PASSWORD = {}\n",
        toml_str(MARKER)
    ));
    fs::set_permissions(sandbox.config_path(), fs::Permissions::from_mode(0o666)).expect("chmod");
    let output = run(&mut sandbox.keld(&["backup"]));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

/// Giving a file to another user needs root; `.ci/run` runs this as root with
/// `cargo test as_root -- --ignored`.
#[test]
#[ignore = "needs root: run as root with `cargo test as_root -- --ignored`"]
fn a_config_owned_by_another_user_is_refused_as_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "giving a file to another user needs root"
    );
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "[home]\n_arguments = [\"/data\"]\n[home.environ]\nTOKEN_COMMAND = {}\n",
        toml_str("echo t")
    ));
    std::os::unix::fs::chown(sandbox.config_path(), Some(65534), None).expect("chown");
    let output = run(&mut sandbox.keld(&["backup"]));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("owned by uid 65534"), "{stderr}");
    assert!(stderr.contains("TOKEN_COMMAND"), "{stderr}");
    assert!(stderr.contains("chown 0 "), "{stderr}");
    assert!(sandbox.log_lines().is_empty(), "nothing ran");
}

// ---------------------------------------------------------------- secrets

/// A config whose passwords are the marker, in every place a secret can sit.
fn secret_config() -> String {
    format!(
        "[global.environ]\nRESTIC_PASSWORD = {old}\n\
         [home]\nrepo = \"/srv/restic\"\n_arguments = [\"/data\"]\n\
         [home.environ]\nRESTIC_PASSWORD = {marker}\nAWS_SECRET_ACCESS_KEY = {marker}\n\
         B2_ACCOUNT_KEY = \"${{PW}}\"\nHOST = \"visible\"\n",
        old = toml_str(&format!("{MARKER}-old")),
        marker = toml_str(MARKER),
    )
}

#[test]
fn show_command_never_shows_a_secret_in_any_form() {
    let mut sandbox = Sandbox::new();
    sandbox.set_env("PW", MARKER);
    sandbox.write_config(&secret_config());
    for flags in [
        &["-n"][..],
        &["-n", "--verbose"],
        &["-n", "--json"],
        &["-n", "--json", "--verbose"],
        &["--show-command", "--verbose"],
    ] {
        let mut args = flags.to_vec();
        args.extend(["-p", "home", "backup", "--tag", "x"]);
        let output = run(&mut sandbox.keld(&args));
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        assert_no_marker(&output, &format!("{args:?}"));
        assert!(
            text(&output.stdout).contains("visible"),
            "non-secrets shown"
        );
    }
    let output = run(sandbox
        .keld(&["-p", "home", "backup"])
        .env("KELD_DRYRUN", "1"));
    assert_eq!(output.status.code(), Some(0));
    assert_no_marker(&output, "KELD_DRYRUN");
    // A real run hands restic the real values.
    let output = run(&mut sandbox.keld(&["-p", "home", "backup"]));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_no_marker(&output, "run");
    let env = sandbox.restic_env();
    assert!(
        env.contains(&format!("RESTIC_PASSWORD={MARKER}")),
        "{env:?}"
    );
    assert!(env.contains(&format!("B2_ACCOUNT_KEY={MARKER}")), "{env:?}");
}

/// One broken config per kind of config error, each with the marker next to (or in)
/// the mistake.
fn broken_configs() -> Vec<(&'static str, String, &'static [&'static str])> {
    let pw = toml_str(MARKER);
    vec![
        (
            "syntax",
            format!("[home.environ]\nRESTIC_PASSWORD = {pw}\nX = \n"),
            &[],
        ),
        (
            "unterminated",
            format!("[home.environ]\nRESTIC_PASSWORD = \"{MARKER}\n"),
            &[],
        ),
        (
            "duplicate",
            format!("[home.environ]\nRESTIC_PASSWORD = {pw}\nRESTIC_PASSWORD = {pw}\n"),
            &[],
        ),
        (
            "unsupported",
            format!("[home.environ]\nRESTIC_PASSWORD = {pw}\nX = [1]\n"),
            &[],
        ),
        ("outside", format!("password = {pw}\n[home]\n"), &[]),
        ("unknown_key", format!("[home]\n_password = {pw}\n"), &[]),
        (
            "nested",
            format!("[home.environ]\nRESTIC_PASSWORD = {pw}\n[home.backup.x]\na = 1\n"),
            &[],
        ),
        (
            "section_name",
            format!("[home.environ]\nRESTIC_PASSWORD = {pw}\n[\"a@b@c\"]\n"),
            &[],
        ),
        (
            "missing_reference",
            format!("[home.environ]\nRESTIC_PASSWORD = {pw}\nX = \"${{home.nope}}\"\n"),
            &["-p", "home"],
        ),
        (
            "cycle",
            format!(
                "[home.environ]\nRESTIC_PASSWORD = \"{MARKER}${{home.environ.A}}\"\nA = \"${{home.environ.RESTIC_PASSWORD}}\"\n"
            ),
            &["-p", "home"],
        ),
        (
            "unset_variable",
            format!("[home.environ]\nRESTIC_PASSWORD = \"{MARKER}${{NOPE}}\"\n"),
            &["-p", "home"],
        ),
        (
            "invalid_reference",
            format!("[home.environ]\nRESTIC_PASSWORD = \"{MARKER}${{\"\n"),
            &["-p", "home"],
        ),
        (
            "unknown_preset",
            format!("[home.environ]\nRESTIC_PASSWORD = {pw}\n"),
            &["-p", "hom"],
        ),
    ]
}

#[test]
fn no_config_error_shows_a_secret() {
    let sandbox = Sandbox::new();
    for (name, config, preset) in broken_configs() {
        sandbox.write_config(&config);
        let mut args = preset.to_vec();
        args.push("snapshots");
        for form in [&[][..], &["-n"], &["-n", "--json", "--verbose"]] {
            let mut full = form.to_vec();
            full.extend(&args);
            let output = run(&mut sandbox.keld(&full));
            assert_eq!(
                output.status.code(),
                Some(1),
                "{name} must fail: {}",
                text(&output.stderr)
            );
            assert!(
                text(&output.stderr).contains("keld::config::"),
                "{name}: a config diagnostic: {}",
                text(&output.stderr)
            );
            assert_no_marker(&output, name);
        }
    }
    // The errors about the command line and the files themselves.
    let two_presets = format!(
        "[home.environ]\nRESTIC_PASSWORD = {pw}\n[work.environ]\nRESTIC_PASSWORD = {pw}\n",
        pw = toml_str(MARKER)
    );
    sandbox.write_config(&two_presets);
    for (name, args, code) in [
        (
            "invalid_preset_name",
            &["-p", "a@b@c", "snapshots"][..],
            "invalid_preset_name",
        ),
        ("preset_required", &["snapshots"], "preset_required"),
    ] {
        let output = run(&mut sandbox.keld(args));
        assert_eq!(output.status.code(), Some(1), "{name}");
        assert!(
            text(&output.stderr).contains(code),
            "{}",
            text(&output.stderr)
        );
        assert_no_marker(&output, name);
    }
    // `--config` naming a file that is missing, then one that cannot be read.
    fs::remove_file(sandbox.config_path()).expect("remove");
    let output = run(&mut sandbox.keld(&["snapshots"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("file_missing"),
        "{}",
        text(&output.stderr)
    );
    fs::create_dir(sandbox.config_path()).expect("a directory in its place");
    let output = run(&mut sandbox.keld(&["snapshots"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("unreadable"),
        "{}",
        text(&output.stderr)
    );
    fs::remove_dir(sandbox.config_path()).expect("remove dir");

    // The permission error quotes no value either.
    sandbox.write_config(&format!(
        "[home.environ]\nRESTIC_PASSWORD = {}\nX_COMMAND = \"true\"\n",
        toml_str(MARKER)
    ));
    fs::set_permissions(sandbox.config_path(), fs::Permissions::from_mode(0o646)).expect("chmod");
    let output = run(&mut sandbox.keld(&["snapshots"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("unsafe_permissions"));
    assert_no_marker(&output, "permissions");
}

#[test]
fn warnings_show_no_secret() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "[home]\n_arguments = [\"/data\"]\npasword = {pw}\n\
         [home.environ]\nRESTIC_PASSWORD = {pw}\n",
        pw = toml_str(MARKER)
    ));
    for args in [&["-n", "backup"][..], &["backup"]] {
        let output = run(&mut sandbox.keld(args));
        let stderr = text(&output.stderr);
        assert!(stderr.contains("\"pasword\" is not a flag"), "{stderr}");
        assert!(!stderr.contains("s3cr3t"), "{stderr}");
    }
}

#[test]
fn hook_and_command_failures_show_no_secret() {
    let sandbox = Sandbox::new();
    let pw = toml_str(MARKER);
    // A pre-hook that has the password in its environment and fails.
    sandbox.write_config(&format!(
        "[home]\n_arguments = [\"/data\"]\n[home.environ]\nRESTIC_PASSWORD = {pw}\n\
         [home.backup]\n_pre_hooks = {hooks}\n",
        hooks = toml_list(&[
            r#"printf '%s' "$RESTIC_PASSWORD" > "$KELD_TEST_DIR/seen"; exit 3"#.to_owned()
        ])
    ));
    let output = run(&mut sandbox.keld(&["backup"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        flat(&text(&output.stderr)).contains("failed: exit status 3"),
        "{}",
        text(&output.stderr)
    );
    assert_no_marker(&output, "pre-hook failure");
    assert_eq!(
        fs::read_to_string(sandbox.path("seen")).expect("hook ran"),
        MARKER,
        "the hook had the password"
    );

    // A post-hook failure.
    sandbox.write_config(&format!(
        "[home]\n_arguments = [\"/data\"]\n[home.environ]\nRESTIC_PASSWORD = {pw}\n\
         [home.backup]\n_post_hooks = [\"exit 4\"]\n"
    ));
    let output = run(&mut sandbox.keld(&["backup"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(flat(&text(&output.stderr)).contains("failed: exit status 4"));
    assert_no_marker(&output, "post-hook failure");

    // A hook whose text holds a URL password: the failure message masks it.
    sandbox.write_config(&format!(
        "[home]\n_arguments = [\"/data\"]\n[home.backup]\n_post_hooks = {hooks}\n",
        hooks = toml_list(&[format!("true https://hc:{MARKER}@hc.example/ping; exit 5")])
    ));
    let output = run(&mut sandbox.keld(&["backup"]));
    assert_eq!(output.status.code(), Some(1));
    let stderr = flat(&text(&output.stderr));
    assert!(stderr.contains("failed: exit status 5"), "{stderr}");
    assert!(stderr.contains("hc:<redacted>@hc.example"), "{stderr}");
    assert_no_marker(&output, "hook with a URL password");

    // A `_COMMAND` that prints the secret to stdout, then fails: its stdout is never
    // shown; its stderr is (so a command must not print secrets there).
    sandbox.write_config(&format!(
        "[home]\n_arguments = [\"/data\"]\n[home.environ]\nRESTIC_PASSWORD_X_COMMAND = {}\n",
        toml_str(&format!(
            "printf '%s' '{MARKER}'; echo 'vault is sealed' >&2; exit 5"
        ))
    ));
    let output = run(&mut sandbox.keld(&["backup"]));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("RESTIC_PASSWORD_X_COMMAND failed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("vault is sealed"),
        "stderr is quoted: {stderr}"
    );
    assert_no_marker(&output, "_COMMAND failure");

    // A `_COMMAND` that succeeds: the value goes to restic only.
    sandbox.write_config(&format!(
        "[home]\n_arguments = [\"/data\"]\n[home.environ]\nTOKEN_COMMAND = {}\n",
        toml_str(&format!("printf '%s\\n' '{MARKER}'"))
    ));
    let output = run(&mut sandbox.keld(&["backup", "-v"]));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_no_marker(&output, "_COMMAND success");
    assert!(sandbox.restic_env().contains(&format!("TOKEN={MARKER}")));
}

// ---------------------------------------------------------------- memory

/// Set for the child copy of this test binary that runs [`measure_child`]: the config
/// text of the run to measure.
const MEASURE_CHILD: &str = "KELD_TEST_MEASURE_CONFIG";
/// Separates the arguments in `KELD_TEST_MEASURE_ARGS`.
const ARG_SEPARATOR: char = '\u{1f}';
/// What the fake restic of a measured run prints.
const RESTIC_LINE: &str = "restic-output-line";

/// Runs keld (or another program) with the config text and arguments from the
/// environment, then prints the peak memory of every process it waited for. Run by
/// [`peak_rss`] in a fresh copy of this test binary, so that `RUSAGE_CHILDREN` covers
/// only the process measured.
#[test]
#[ignore = "a child process of the memory tests, run by them"]
fn measure_child() {
    let config = std::env::var(MEASURE_CHILD)
        .expect("measure_child runs in a child process of the memory tests, which set its input");
    let program = std::env::var("KELD_TEST_MEASURE_PROGRAM").expect("program");
    let args: Vec<String> = std::env::var("KELD_TEST_MEASURE_ARGS")
        .expect("args")
        .split(ARG_SEPARATOR)
        .map(str::to_owned)
        .collect();
    let sandbox = Sandbox::new();
    sandbox.write_config(&config);
    sandbox.extend_restic(&format!("echo {RESTIC_LINE}"));
    let mut command = if program == "keld" {
        sandbox.keld(&args.iter().map(String::as_str).collect::<Vec<_>>())
    } else {
        let mut command = Command::new(&program);
        command.args(&args);
        command
    };
    // keld's stdout is read and counted, never kept.
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut buffer = vec![0; 64 * 1024];
    let mut total = 0usize;
    // The floods are zero bytes; whatever else arrives is kept (it is small).
    let mut other = Vec::new();
    loop {
        match stdout.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                total += n;
                other.extend(buffer[..n].iter().filter(|&&byte| byte != 0));
            }
        }
    }
    let status = child.wait().expect("wait");
    let stderr = errors.join().expect("stderr reader");
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .expect("getrusage");
    println!(
        "MEASURED code={:?} stdout_bytes={total} max_rss_kib={}",
        status.code(),
        usage.max_rss()
    );
    println!("MEASURED other={:?}", String::from_utf8_lossy(&other));
    println!("MEASURED stderr={stderr:?}");
}

/// What a measured run reported.
#[derive(Debug)]
struct Measured {
    code: Option<i32>,
    stdout_bytes: usize,
    max_rss_kib: i64,
    /// Everything on stdout that was not a zero byte, in `Debug` form.
    other: String,
    /// keld's stderr, in `Debug` form.
    stderr: String,
}

/// Runs `program args` (`keld` means the keld binary in a sandbox with `config`) in a
/// fresh copy of this test binary and returns the peak memory of everything it ran.
fn peak_rss(program: &str, config: &str, args: &str) -> Measured {
    let output = child_test("hardening::measure_child")
        .env(MEASURE_CHILD, config)
        .env("KELD_TEST_MEASURE_PROGRAM", program)
        .env("KELD_TEST_MEASURE_ARGS", args)
        .output()
        .expect("run the test binary");
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    let field = |name: &str| -> String {
        stdout
            .lines()
            .filter_map(|line| line.split_once("MEASURED ").map(|(_, rest)| rest))
            .flat_map(|line| {
                if line.starts_with("other=") || line.starts_with("stderr=") {
                    vec![line.to_owned()]
                } else {
                    line.split(' ').map(str::to_owned).collect()
                }
            })
            .find_map(|part| part.strip_prefix(&format!("{name}=")).map(str::to_owned))
            .unwrap_or_else(|| panic!("{name} missing from {stdout}"))
    };
    Measured {
        code: field("code")
            .trim_start_matches("Some(")
            .trim_end_matches(')')
            .parse()
            .ok(),
        stdout_bytes: field("stdout_bytes").parse().expect("number"),
        max_rss_kib: field("max_rss_kib").parse().expect("number"),
        other: field("other"),
        stderr: field("stderr"),
    }
}

#[test]
fn the_measurement_sees_a_process_that_holds_a_large_buffer() {
    // A control: a shell that keeps 64 MB in a variable is over the bound, so the
    // bound below can fail.
    let measured = peak_rss(
        "/bin/sh",
        "",
        &[
            "-c",
            "v=$(head -c 64000000 /dev/zero | tr '\\000' x); echo ${#v}",
        ]
        .join("\u{1f}"),
    );
    assert!(measured.max_rss_kib > RSS_BOUND_KIB, "{measured:?}");
}

#[test]
fn a_command_printing_100_mb_is_stopped_and_keld_stays_small() {
    let config = format!(
        "[home]\n_arguments = [\"/data\"]\n[home.environ]\nBIG_COMMAND = {}\n",
        toml_str("head -c 100000000 /dev/zero")
    );
    let measured = peak_rss("keld", &config, "backup");
    println!("{measured:?}");
    assert_eq!(measured.code, Some(1), "{measured:?}");
    assert!(
        flat(&measured.stderr).contains("BIG_COMMAND printed more than 1048576 bytes"),
        "{measured:?}"
    );
    assert!(measured.max_rss_kib < RSS_BOUND_KIB, "{measured:?}");

    let config = format!(
        "[home]\n_arguments = [\"/data\"]\n[home.environ]\nBIG_COMMAND = {}\n",
        toml_str("yes | head -c 100000000")
    );
    let measured = peak_rss("keld", &config, "backup");
    println!("{measured:?}");
    assert_eq!(measured.code, Some(1), "{measured:?}");
    assert!(
        measured.stderr.contains("printed more than"),
        "{measured:?}"
    );
    assert!(measured.max_rss_kib < RSS_BOUND_KIB, "{measured:?}");
}

#[test]
fn hooks_flooding_stdout_pass_through_and_keld_stays_small() {
    const FLOOD: usize = 50 * 1024 * 1024;
    let config = format!(
        "[home]\n_arguments = [\"/data\"]\n[home.backup]\n_pre_hooks = {hooks}\n_post_hooks = {hooks}\n",
        hooks = toml_list(&[format!("head -c {FLOOD} /dev/zero")])
    );
    let measured = peak_rss("keld", &config, "backup");
    println!("{measured:?}");
    assert_eq!(measured.code, Some(0), "{measured:?}");
    // Both floods and restic's own line arrived.
    assert_eq!(measured.stdout_bytes, 2 * FLOOD + RESTIC_LINE.len() + 1);
    // (Reported in `Debug` form by the measuring child.)
    assert_eq!(measured.other, format!("{:?}", format!("{RESTIC_LINE}\n")));
    assert!(measured.max_rss_kib < RSS_BOUND_KIB, "{measured:?}");
}

#[test]
fn hooks_write_straight_to_keld_s_stdout() {
    // The hook's standard output is the very pipe keld's is: keld never copies it.
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "[home]\n_arguments = [\"/data\"]\n[home.backup]\n_pre_hooks = {}\n",
        toml_list(&[
            r#"mine=$(readlink /proc/$$/fd/1); keld=$(readlink /proc/$PPID/fd/1); echo "$mine" > "$KELD_TEST_DIR/hook.fd"; echo "$keld" > "$KELD_TEST_DIR/keld.fd"; echo from-hook"#.to_owned()
        ])
    ));
    sandbox.extend_restic("echo restic-output");
    let output = run(sandbox.keld(&["backup"]).stdout(Stdio::piped()));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let hook = fs::read_to_string(sandbox.path("hook.fd")).expect("hook fd");
    let keld = fs::read_to_string(sandbox.path("keld.fd")).expect("keld fd");
    assert!(hook.starts_with("pipe:["), "{hook}");
    assert_eq!(hook, keld, "the hook inherited keld's stdout");
    assert_eq!(text(&output.stdout), "from-hook\nrestic-output\n");
}

// ---------------------------------------------------------------- a command that never ends

/// The processes below `pid`, read from `/proc`.
fn descendants(pid: u32) -> Vec<u32> {
    let mut links: Vec<(u32, u32)> = Vec::new();
    for entry in fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        if let Some(parent) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            links.push((child, parent));
        }
    }
    let mut found = vec![pid];
    let mut next = 0;
    while next < found.len() {
        let parent = found[next];
        found.extend(links.iter().filter(|(_, p)| *p == parent).map(|(c, _)| *c));
        next += 1;
    }
    found.remove(0);
    found
}

fn command_line(pid: u32) -> String {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|bytes| text(&bytes).replace('\0', " "))
        .unwrap_or_default()
}

fn vm_hwm_kib(pid: u32) -> i64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

fn pid(raw: u32) -> Pid {
    Pid::from_raw(i32::try_from(raw).expect("pid fits"))
}

#[test]
fn a_command_that_never_finishes_stops_cleanly_on_sigterm() {
    let sandbox = Sandbox::new();
    sandbox.write_config(
        "[home]\n_arguments = [\"/data\"]\n[home.environ]\nSLOW_COMMAND = \"sleep 1000\"\n",
    );
    let mut keld = sandbox
        .keld(&["backup"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keld starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    let sleep = loop {
        let found = descendants(keld.id())
            .into_iter()
            .find(|&pid| command_line(pid) == "sleep 1000 ");
        if let Some(pid) = found {
            break pid;
        }
        assert!(Instant::now() < deadline, "the sleep never started");
        std::thread::sleep(Duration::from_millis(20));
    };
    let first = vm_hwm_kib(keld.id());
    std::thread::sleep(Duration::from_millis(500));
    let second = vm_hwm_kib(keld.id());
    println!("keld VmHWM while the command runs: {first} KiB, then {second} KiB");
    assert!(second < RSS_BOUND_KIB, "{second} KiB");
    assert!(
        second <= first + 1024,
        "keld grew from {first} to {second} KiB while waiting"
    );

    kill(pid(keld.id()), Signal::SIGTERM).expect("SIGTERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = keld.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = keld.kill();
            let _ = kill(pid(sleep), Signal::SIGKILL);
            panic!("keld did not stop after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    keld.stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read");
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("stopped by signal 15"), "{stderr}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while running(sleep) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if running(sleep) {
        let _ = kill(pid(sleep), Signal::SIGKILL);
        panic!("the sleep outlived keld");
    }
    assert!(sandbox.log_lines().is_empty(), "restic never ran");
}
