//! The steps of `features/backup_hooks.feature`: hooks around a backup, run without a
//! terminal, with the stand-in restic.

use std::fs::File;
use std::process::{Output, Stdio};
use std::time::Duration;

use cucumber::{given, then, when};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::support::process::{wait_for_file, wait_timeout};
use crate::support::{log_hook, status_hook, toml_list, toml_str};
use crate::world::KeldWorld;

// ---- configuration ----

#[given(expr = "the preset {string} backs up the source directory")]
fn preset_backs_up_source(world: &mut KeldWorld, preset: String) {
    world.set(&preset, "tag", &toml_str("bdd"));
    let source = world.source();
    world.set(&format!("{preset}.backup"), "_arguments", &source);
}

#[given(
    regex = r#"^hooks "(\w+)", "(\w+)", "(\w+)" and "(\w+)" in global\.backup, @cloud\.backup, home@\.backup and home@cloud\.backup$"#
)]
fn hooks_in_four_sections(
    world: &mut KeldWorld,
    global: String,
    suffix: String,
    prefix: String,
    full: String,
) {
    let source = world.source();
    world.set("global.backup", "_arguments", &source);
    for (header, name) in [
        ("global.backup", global),
        ("\"@cloud\".backup", suffix),
        ("\"home@\".backup", prefix),
        ("\"home@cloud\".backup", full),
    ] {
        world.set(
            header,
            "_pre_hooks",
            &toml_list(&[log_hook(&format!("pre {name}"))]),
        );
        world.set(
            header,
            "_post_hooks",
            &toml_list(&[log_hook(&format!("post {name}"))]),
        );
    }
}

#[given(expr = "hooks {string} in global.backup only")]
fn hooks_in_global(world: &mut KeldWorld, name: String) {
    world.set(
        "global.backup",
        "_pre_hooks",
        &toml_list(&[log_hook(&format!("pre {name}"))]),
    );
    world.set(
        "global.backup",
        "_post_hooks",
        &toml_list(&[log_hook(&format!("post {name}"))]),
    );
}

#[given(expr = "hooks {string} in the preset home itself")]
fn hooks_in_preset(world: &mut KeldWorld, name: String) {
    world.set(
        "home",
        "_pre_hooks",
        &toml_list(&[log_hook(&format!("pre {name}"))]),
    );
    world.set(
        "home",
        "_post_hooks",
        &toml_list(&[log_hook(&format!("post {name}"))]),
    );
}

#[given("the home.backup section sets both hook lists to empty")]
fn hooks_cleared(world: &mut KeldWorld) {
    world.set("home.backup", "_pre_hooks", "[]");
    world.set("home.backup", "_post_hooks", "[]");
}

#[given(expr = "the pre-hooks {string} and {string}")]
fn two_pre_hooks(world: &mut KeldWorld, first: String, second: String) {
    world.pre_hooks.push(log_hook(&first));
    world.pre_hooks.push(log_hook(&second));
}

#[given(expr = "the pre-hooks {string} and a pre-hook that exits {int}")]
fn pre_hook_then_failing(world: &mut KeldWorld, first: String, code: u8) {
    world.pre_hooks.push(log_hook(&first));
    world.pre_hooks.push(format!(
        "{}; exit {code}",
        log_hook(&format!("pre exit {code}"))
    ));
}

#[given(expr = "a pre-hook that exits {int}")]
fn pre_hook_exiting(world: &mut KeldWorld, code: u8) {
    world.pre_hooks.push(format!(
        "{}; exit {code}",
        log_hook(&format!("pre exit {code}"))
    ));
}

#[given("the pre-hook logs KELD_PRESET and KELD_COMMAND")]
fn pre_hook_logging_names(world: &mut KeldWorld) {
    world.pre_hooks.push(
        r#"printf 'pre preset=%s command=%s\n' "$KELD_PRESET" "$KELD_COMMAND" >> "$KELD_TEST_LOG""#
            .to_owned(),
    );
}

#[given(expr = "the post-hook {string}")]
fn post_hook(world: &mut KeldWorld, message: String) {
    world.post_hooks.push(log_hook(&message));
}

#[given(expr = "a post-hook that exits {int}")]
fn post_hook_exiting(world: &mut KeldWorld, code: u8) {
    world.post_hooks.push(format!(
        "{}; exit {code}",
        log_hook(&format!("post exit {code}"))
    ));
}

#[given("a post-hook that logs the restic outcome")]
fn post_hook_status(world: &mut KeldWorld) {
    world.post_hooks.push(status_hook("post"));
}

#[given("the section home.nightly aliases backup with its own hooks")]
fn nightly_alias(world: &mut KeldWorld) {
    let source = world.source();
    world.set("home.nightly", "_command", &toml_str("backup"));
    world.set("home.nightly", "_arguments", &source);
    world.set(
        "home.nightly",
        "_pre_hooks",
        &toml_list(&[log_hook("pre nightly")]),
    );
    world.set(
        "home.nightly",
        "_post_hooks",
        &toml_list(&[status_hook("post")]),
    );
}

#[given(expr = "the environment variable TOKEN comes from a command that fails with {string}")]
fn failing_env_command(world: &mut KeldWorld, message: String) {
    let script = format!("echo not-for-your-eyes; echo '{message}' >&2; exit 3");
    world.set("home.environ", "TOKEN_COMMAND", &toml_str(&script));
}

#[given(expr = "the preset sets _workdir to the directory {string}")]
fn workdir(world: &mut KeldWorld, name: String) {
    let dir = world.sandbox.path(&name);
    std::fs::create_dir_all(&dir).expect("create workdir");
    world.set(
        "home.backup",
        "_workdir",
        &toml_str(&dir.display().to_string()),
    );
}

#[given(expr = "the environment variable WHERE comes from the command {string}")]
fn env_command(world: &mut KeldWorld, script: String) {
    world.set("home.environ", "WHERE_COMMAND", &toml_str(&script));
}

#[given("a pre-hook that logs its working directory and WHERE")]
fn pre_hook_logging_cwd(world: &mut KeldWorld) {
    world.pre_hooks.push(
        r#"printf 'pre cwd=%s where=%s\n' "$(basename "$(pwd)")" "$(basename "$WHERE")" >> "$KELD_TEST_LOG""#
            .to_owned(),
    );
}

// ---- restic ----

#[given("restic is a script whose interpreter does not exist")]
fn restic_bad_interpreter(world: &mut KeldWorld) {
    world
        .sandbox
        .write_restic("#!/definitely/missing/keld-restic-interpreter\n");
}

#[given("restic does not exist")]
fn restic_missing(world: &mut KeldWorld) {
    std::fs::remove_file(world.sandbox.restic_path()).expect("remove fake restic");
}

#[given("restic waits for a signal")]
fn restic_waits(world: &mut KeldWorld) {
    world.sandbox.set_env("FAKE_RESTIC_WAIT", "backup");
}

// ---- running keld ----

#[when("keld runs the backup")]
fn keld_runs_backup(world: &mut KeldWorld) {
    world.run(&["-p", "home", "backup"]);
}

#[when(expr = "keld runs {string} for preset {string}")]
fn keld_runs(world: &mut KeldWorld, command: String, preset: String) {
    world.run(&["-p", &preset, &command]);
}

#[when("keld shows the backup command")]
fn keld_shows(world: &mut KeldWorld) {
    world.run(&["--show-command", "-p", "home", "backup"]);
}

#[when(regex = r"^keld runs the backup and receives SIG(\w+) while restic runs$")]
fn keld_runs_and_is_signalled(world: &mut KeldWorld, name: String) {
    let signal: Signal = format!("SIG{name}").parse().expect("signal name");
    let stdout = world.sandbox.path("keld.stdout");
    let stderr = world.sandbox.path("keld.stderr");
    let mut child = world
        .keld(&["-p", "home", "backup"])
        .stdin(Stdio::null())
        .stdout(Stdio::from(File::create(&stdout).expect("stdout file")))
        .stderr(Stdio::from(File::create(&stderr).expect("stderr file")))
        .spawn()
        .expect("start keld");
    let ready = world.sandbox.path("restic.ready");
    assert!(
        wait_for_file(&ready, Duration::from_secs(10)),
        "restic never started"
    );
    let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    kill(pid, signal).expect("signal keld");
    let status = wait_timeout(&mut child, Duration::from_secs(10));
    world.output = Some(Output {
        status,
        stdout: std::fs::read(stdout).expect("stdout"),
        stderr: std::fs::read(stderr).expect("stderr"),
    });
}

// ---- outcomes ----

#[then("the log is empty")]
fn log_is_empty(world: &mut KeldWorld) {
    assert!(world.sandbox.log_lines().is_empty(), "{}", world.describe());
}

#[then(expr = "the log contains {string}")]
fn log_contains(world: &mut KeldWorld, line: String) {
    assert!(
        world.sandbox.events().contains(&line),
        "{}",
        world.describe()
    );
}

#[then(expr = "the log ends with {string}")]
fn log_ends_with(world: &mut KeldWorld, line: String) {
    assert_eq!(
        world.sandbox.events().last(),
        Some(&line),
        "{}",
        world.describe()
    );
}

#[then("restic received no argument mentioning hooks")]
fn restic_args_have_no_hooks(world: &mut KeldWorld) {
    let lines = world.sandbox.log_lines();
    let argv = lines
        .iter()
        .find(|line| line.starts_with("restic-argv "))
        .unwrap_or_else(|| panic!("restic did not run: {}", world.describe()));
    assert!(argv.contains("backup"), "{argv}");
    assert!(!argv.contains("hook"), "{argv}");
}

#[then("restic backup is not attempted")]
fn restic_not_attempted(world: &mut KeldWorld) {
    let ran = world
        .sandbox
        .events()
        .iter()
        .any(|line| line.starts_with("restic"));
    assert!(!ran, "{}", world.describe());
}

#[then("no post-hook ran")]
fn no_post_hook(world: &mut KeldWorld) {
    let ran = world
        .sandbox
        .events()
        .iter()
        .any(|line| line.starts_with("post"));
    assert!(!ran, "{}", world.describe());
}

#[then(expr = "stderr says {string} and {string}")]
fn stderr_says(world: &mut KeldWorld, first: String, second: String) {
    let stderr = world.stderr_text();
    assert!(
        stderr.contains(&first) && stderr.contains(&second),
        "{}",
        world.describe()
    );
}

#[then(expr = "stderr says {string}")]
fn stderr_says_one(world: &mut KeldWorld, text: String) {
    assert!(world.stderr_text().contains(&text), "{}", world.describe());
}

#[then(expr = "stderr never mentions {string}")]
fn stderr_never(world: &mut KeldWorld, text: String) {
    assert!(!world.stderr().contains(&text), "{}", world.describe());
}

#[then(expr = "restic ran in the directory {string}")]
fn restic_cwd(world: &mut KeldWorld, name: String) {
    let expected = world.sandbox.path(&name).canonicalize().expect("workdir");
    let expected = format!("restic-cwd {}", expected.display());
    assert!(
        world.sandbox.log_lines().contains(&expected),
        "{}",
        world.describe()
    );
}

#[then(expr = "stdout says {string} and {string}")]
fn stdout_says(world: &mut KeldWorld, first: String, second: String) {
    let stdout = world.stdout();
    assert!(
        stdout.contains(&first) && stdout.contains(&second),
        "{}",
        world.describe()
    );
}

#[then(expr = "stdout never mentions {string}")]
fn stdout_never(world: &mut KeldWorld, text: String) {
    assert!(!world.stdout().contains(&text), "{}", world.describe());
}

#[then("restic's environment has no KELD_PRESET and no KELD_RESTIC_STATUS")]
fn restic_env_clean(world: &mut KeldWorld) {
    let env = world.sandbox.restic_env();
    assert!(
        env.iter().any(|line| line.starts_with("KELD_TEST_LOG=")),
        "{env:#?}"
    );
    for name in [
        "KELD_PRESET=",
        "KELD_COMMAND=",
        "KELD_RESTIC_STATUS=",
        "KELD_RESTIC_EXIT_CODE=",
    ] {
        assert!(
            !env.iter().any(|line| line.starts_with(name)),
            "{name} in {env:#?}"
        );
    }
}

#[then(regex = r"^restic received SIG(\w+) exactly once$")]
fn restic_received_once(world: &mut KeldWorld, name: String) {
    let received: Vec<String> = world
        .sandbox
        .log_lines()
        .into_iter()
        .filter(|line| line.starts_with("restic backup got "))
        .collect();
    assert_eq!(
        received,
        [format!("restic backup got {name}")],
        "{}",
        world.describe()
    );
}
