//! Runs `features/backup_hooks.feature` against the real `keld` binary.
//!
//! Each scenario gets its own [`support::Sandbox`]; steps build a config file, run keld
//! with a cleared environment and read what the hooks and the fake restic logged.

mod support;

use std::fs::File;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use cucumber::gherkin::Step;
use cucumber::{World, given, then, when};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use support::{Sandbox, log_hook, status_hook, toml_list, toml_str, wait_for};

#[derive(Debug, World)]
#[world(init = Self::new)]
struct HooksWorld {
    sandbox: Sandbox,
    /// Sections in file order: header text and its `key = value` lines.
    sections: Vec<(String, Vec<String>)>,
    pre_hooks: Vec<String>,
    post_hooks: Vec<String>,
    output: Option<Output>,
}

impl HooksWorld {
    fn new() -> Self {
        Self {
            sandbox: Sandbox::new(),
            sections: Vec::new(),
            pre_hooks: Vec::new(),
            post_hooks: Vec::new(),
            output: None,
        }
    }

    fn source(&self) -> String {
        toml_list(&[self.sandbox.path("source").display().to_string()])
    }

    /// The lines of section `header`, created at the end of the file if new.
    fn section(&mut self, header: &str) -> &mut Vec<String> {
        let index = match self.sections.iter().position(|(name, _)| name == header) {
            Some(index) => index,
            None => {
                self.sections.push((header.to_owned(), Vec::new()));
                self.sections.len() - 1
            }
        };
        &mut self.sections[index].1
    }

    fn set(&mut self, header: &str, key: &str, value: String) {
        self.section(header).push(format!("{key} = {value}"));
    }

    fn write_config(&mut self) {
        if !self.pre_hooks.is_empty() {
            let hooks = toml_list(&self.pre_hooks);
            self.set("home.backup", "_pre_hooks", hooks);
        }
        if !self.post_hooks.is_empty() {
            let hooks = toml_list(&self.post_hooks);
            self.set("home.backup", "_post_hooks", hooks);
        }
        let mut text = String::new();
        for (header, lines) in &self.sections {
            text.push_str(&format!("[{header}]\n"));
            for line in lines {
                text.push_str(line);
                text.push('\n');
            }
            text.push('\n');
        }
        self.sandbox.write_config(&text);
    }

    fn run_keld(&mut self, args: &[&str]) {
        self.write_config();
        let output = self.sandbox.keld(args).output().expect("run keld");
        self.output = Some(output);
    }

    fn output(&self) -> &Output {
        self.output.as_ref().expect("keld has not run yet")
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output().stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output().stderr).into_owned()
    }

    /// stderr with diagnostics' line wrapping and gutters undone, so a message reads
    /// as one line whatever the terminal width.
    fn stderr_text(&self) -> String {
        self.stderr()
            .lines()
            .map(|line| line.trim().trim_start_matches(['│', '×']).trim())
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The log without the fake restic's detail lines.
    fn events(&self) -> Vec<String> {
        self.sandbox
            .log_lines()
            .into_iter()
            .filter(|line| !line.starts_with("restic-argv ") && !line.starts_with("restic-cwd "))
            .collect()
    }

    fn describe(&self) -> String {
        match &self.output {
            Some(output) => format!(
                "status: {:?}\nstdout:\n{}\nstderr:\n{}\nlog: {:#?}",
                output.status,
                self.stdout(),
                self.stderr(),
                self.sandbox.log_lines()
            ),
            None => format!("log: {:#?}", self.sandbox.log_lines()),
        }
    }
}

// ---- configuration ----

#[given(expr = "the preset {string} backs up the source directory")]
fn preset_backs_up_source(world: &mut HooksWorld, preset: String) {
    world.set(&preset, "tag", toml_str("bdd"));
    let source = world.source();
    world.set(&format!("{preset}.backup"), "_arguments", source);
}

#[given(
    regex = r#"^hooks "(\w+)", "(\w+)", "(\w+)" and "(\w+)" in global\.backup, @cloud\.backup, home@\.backup and home@cloud\.backup$"#
)]
fn hooks_in_four_sections(
    world: &mut HooksWorld,
    global: String,
    suffix: String,
    prefix: String,
    full: String,
) {
    let source = world.source();
    world.set("global.backup", "_arguments", source);
    for (header, name) in [
        ("global.backup", global),
        ("\"@cloud\".backup", suffix),
        ("\"home@\".backup", prefix),
        ("\"home@cloud\".backup", full),
    ] {
        world.set(
            header,
            "_pre_hooks",
            toml_list(&[log_hook(&format!("pre {name}"))]),
        );
        world.set(
            header,
            "_post_hooks",
            toml_list(&[log_hook(&format!("post {name}"))]),
        );
    }
}

#[given(expr = "hooks {string} in global.backup only")]
fn hooks_in_global(world: &mut HooksWorld, name: String) {
    world.set(
        "global.backup",
        "_pre_hooks",
        toml_list(&[log_hook(&format!("pre {name}"))]),
    );
    world.set(
        "global.backup",
        "_post_hooks",
        toml_list(&[log_hook(&format!("post {name}"))]),
    );
}

#[given(expr = "hooks {string} in the preset home itself")]
fn hooks_in_preset(world: &mut HooksWorld, name: String) {
    world.set(
        "home",
        "_pre_hooks",
        toml_list(&[log_hook(&format!("pre {name}"))]),
    );
    world.set(
        "home",
        "_post_hooks",
        toml_list(&[log_hook(&format!("post {name}"))]),
    );
}

#[given("the home.backup section sets both hook lists to empty")]
fn hooks_cleared(world: &mut HooksWorld) {
    world.set("home.backup", "_pre_hooks", "[]".to_owned());
    world.set("home.backup", "_post_hooks", "[]".to_owned());
}

#[given(expr = "the pre-hooks {string} and {string}")]
fn two_pre_hooks(world: &mut HooksWorld, first: String, second: String) {
    world.pre_hooks.push(log_hook(&first));
    world.pre_hooks.push(log_hook(&second));
}

#[given(expr = "the pre-hooks {string} and a pre-hook that exits {int}")]
fn pre_hook_then_failing(world: &mut HooksWorld, first: String, code: u8) {
    world.pre_hooks.push(log_hook(&first));
    world.pre_hooks.push(format!(
        "{}; exit {code}",
        log_hook(&format!("pre exit {code}"))
    ));
}

#[given(expr = "a pre-hook that exits {int}")]
fn pre_hook_exiting(world: &mut HooksWorld, code: u8) {
    world.pre_hooks.push(format!(
        "{}; exit {code}",
        log_hook(&format!("pre exit {code}"))
    ));
}

#[given("the pre-hook logs KELD_PRESET and KELD_COMMAND")]
fn pre_hook_logging_names(world: &mut HooksWorld) {
    world.pre_hooks.push(
        r#"printf 'pre preset=%s command=%s\n' "$KELD_PRESET" "$KELD_COMMAND" >> "$KELD_TEST_LOG""#
            .to_owned(),
    );
}

#[given(expr = "the post-hook {string}")]
fn post_hook(world: &mut HooksWorld, message: String) {
    world.post_hooks.push(log_hook(&message));
}

#[given(expr = "a post-hook that exits {int}")]
fn post_hook_exiting(world: &mut HooksWorld, code: u8) {
    world.post_hooks.push(format!(
        "{}; exit {code}",
        log_hook(&format!("post exit {code}"))
    ));
}

#[given("a post-hook that logs the restic outcome")]
fn post_hook_status(world: &mut HooksWorld) {
    world.post_hooks.push(status_hook("post"));
}

#[given("the section home.nightly aliases backup with its own hooks")]
fn nightly_alias(world: &mut HooksWorld) {
    let source = world.source();
    world.set("home.nightly", "_command", toml_str("backup"));
    world.set("home.nightly", "_arguments", source);
    world.set(
        "home.nightly",
        "_pre_hooks",
        toml_list(&[log_hook("pre nightly")]),
    );
    world.set(
        "home.nightly",
        "_post_hooks",
        toml_list(&[status_hook("post")]),
    );
}

#[given(expr = "the environment variable TOKEN comes from a command that fails with {string}")]
fn failing_env_command(world: &mut HooksWorld, message: String) {
    let script = format!("echo not-for-your-eyes; echo '{message}' >&2; exit 3");
    world.set("home.environ", "TOKEN_COMMAND", toml_str(&script));
}

#[given(expr = "the preset sets _workdir to the directory {string}")]
fn workdir(world: &mut HooksWorld, name: String) {
    let dir = world.sandbox.path(&name);
    std::fs::create_dir_all(&dir).expect("create workdir");
    world.set(
        "home.backup",
        "_workdir",
        toml_str(&dir.display().to_string()),
    );
}

#[given(expr = "the environment variable WHERE comes from the command {string}")]
fn env_command(world: &mut HooksWorld, script: String) {
    world.set("home.environ", "WHERE_COMMAND", toml_str(&script));
}

#[given("a pre-hook that logs its working directory and WHERE")]
fn pre_hook_logging_cwd(world: &mut HooksWorld) {
    world.pre_hooks.push(
        r#"printf 'pre cwd=%s where=%s\n' "$(basename "$(pwd)")" "$(basename "$WHERE")" >> "$KELD_TEST_LOG""#
            .to_owned(),
    );
}

// ---- restic ----

#[given(expr = "restic exits with code {int}")]
fn restic_exits(world: &mut HooksWorld, code: u8) {
    world.sandbox.set_env("FAKE_RESTIC_EXIT", code.to_string());
}

#[given("restic is a script whose interpreter does not exist")]
fn restic_bad_interpreter(world: &mut HooksWorld) {
    world
        .sandbox
        .write_restic("#!/definitely/missing/keld-restic-interpreter\n");
}

#[given("restic does not exist")]
fn restic_missing(world: &mut HooksWorld) {
    std::fs::remove_file(world.sandbox.restic_path()).expect("remove fake restic");
}

#[given("restic waits for a signal")]
fn restic_waits(world: &mut HooksWorld) {
    world.sandbox.set_env("FAKE_RESTIC_MODE", "wait");
}

// ---- running keld ----

#[when("keld runs the backup")]
fn keld_runs_backup(world: &mut HooksWorld) {
    world.run_keld(&["-p", "home", "backup"]);
}

#[when(expr = "keld runs {string} for preset {string}")]
fn keld_runs(world: &mut HooksWorld, command: String, preset: String) {
    world.run_keld(&["-p", &preset, &command]);
}

#[when("keld shows the backup command")]
fn keld_shows(world: &mut HooksWorld) {
    world.run_keld(&["--show-command", "-p", "home", "backup"]);
}

#[when(regex = r"^keld runs the backup and receives SIG(\w+) while restic runs$")]
fn keld_runs_and_is_signalled(world: &mut HooksWorld, name: String) {
    world.write_config();
    let signal: Signal = format!("SIG{name}").parse().expect("signal name");
    let stdout = world.sandbox.path("keld.stdout");
    let stderr = world.sandbox.path("keld.stderr");
    let mut child = world
        .sandbox
        .keld(&["-p", "home", "backup"])
        .stdout(Stdio::from(File::create(&stdout).expect("stdout file")))
        .stderr(Stdio::from(File::create(&stderr).expect("stderr file")))
        .spawn()
        .expect("start keld");
    let ready = world.sandbox.path("restic.ready");
    assert!(
        wait_for(&ready, Duration::from_secs(10)),
        "restic never started"
    );
    let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    kill(pid, signal).expect("signal keld");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for keld") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("keld did not exit after SIG{name}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    world.output = Some(Output {
        status,
        stdout: std::fs::read(stdout).expect("stdout"),
        stderr: std::fs::read(stderr).expect("stderr"),
    });
}

// ---- outcomes ----

#[then("the log is exactly:")]
fn log_is_exactly(world: &mut HooksWorld, step: &Step) {
    let table = step.table.as_ref().expect("a table");
    let expected: Vec<String> = table.rows.iter().map(|row| row[0].clone()).collect();
    assert_eq!(world.events(), expected, "{}", world.describe());
}

#[then("the log is empty")]
fn log_is_empty(world: &mut HooksWorld) {
    assert!(world.sandbox.log_lines().is_empty(), "{}", world.describe());
}

#[then(expr = "the log contains {string}")]
fn log_contains(world: &mut HooksWorld, line: String) {
    assert!(world.events().contains(&line), "{}", world.describe());
}

#[then(expr = "the log ends with {string}")]
fn log_ends_with(world: &mut HooksWorld, line: String) {
    assert_eq!(world.events().last(), Some(&line), "{}", world.describe());
}

#[then("restic received no argument mentioning hooks")]
fn restic_args_have_no_hooks(world: &mut HooksWorld) {
    let lines = world.sandbox.log_lines();
    let argv = lines
        .iter()
        .find(|line| line.starts_with("restic-argv "))
        .unwrap_or_else(|| panic!("restic did not run: {}", world.describe()));
    assert!(argv.contains("backup"), "{argv}");
    assert!(!argv.contains("hook"), "{argv}");
}

#[then("restic backup is not attempted")]
fn restic_not_attempted(world: &mut HooksWorld) {
    let ran = world.events().iter().any(|line| line.starts_with("restic"));
    assert!(!ran, "{}", world.describe());
}

#[then("no post-hook ran")]
fn no_post_hook(world: &mut HooksWorld) {
    let ran = world.events().iter().any(|line| line.starts_with("post"));
    assert!(!ran, "{}", world.describe());
}

#[then(expr = "stderr says {string} and {string}")]
fn stderr_says(world: &mut HooksWorld, first: String, second: String) {
    let stderr = world.stderr_text();
    assert!(
        stderr.contains(&first) && stderr.contains(&second),
        "{}",
        world.describe()
    );
}

#[then(expr = "stderr says {string}")]
fn stderr_says_one(world: &mut HooksWorld, text: String) {
    assert!(world.stderr_text().contains(&text), "{}", world.describe());
}

#[then(expr = "stderr never mentions {string}")]
fn stderr_never(world: &mut HooksWorld, text: String) {
    assert!(!world.stderr().contains(&text), "{}", world.describe());
}

#[then(expr = "restic ran in the directory {string}")]
fn restic_cwd(world: &mut HooksWorld, name: String) {
    let expected = world.sandbox.path(&name).canonicalize().expect("workdir");
    let expected = format!("restic-cwd {}", expected.display());
    assert!(
        world.sandbox.log_lines().contains(&expected),
        "{}",
        world.describe()
    );
}

#[then(expr = "stdout says {string} and {string}")]
fn stdout_says(world: &mut HooksWorld, first: String, second: String) {
    let stdout = world.stdout();
    assert!(
        stdout.contains(&first) && stdout.contains(&second),
        "{}",
        world.describe()
    );
}

#[then(expr = "stdout never mentions {string}")]
fn stdout_never(world: &mut HooksWorld, text: String) {
    assert!(!world.stdout().contains(&text), "{}", world.describe());
}

#[then(expr = "keld exits with code {int}")]
fn keld_exits(world: &mut HooksWorld, code: i32) {
    assert_eq!(
        world.output().status.code(),
        Some(code),
        "{}",
        world.describe()
    );
}

#[then("restic's environment has no KELD_PRESET and no KELD_RESTIC_STATUS")]
fn restic_env_clean(world: &mut HooksWorld) {
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
fn restic_received_once(world: &mut HooksWorld, name: String) {
    let received: Vec<String> = world
        .sandbox
        .log_lines()
        .into_iter()
        .filter(|line| line.starts_with("restic got "))
        .collect();
    assert_eq!(
        received,
        [format!("restic got {name}")],
        "{}",
        world.describe()
    );
}

fn main() {
    let feature = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../features/backup_hooks.feature"
    );
    // `run_and_exit` panics (non-zero exit) when a step fails, is skipped or is missing.
    futures::executor::block_on(
        HooksWorld::cucumber()
            .fail_on_skipped()
            .run_and_exit(feature),
    );
}
