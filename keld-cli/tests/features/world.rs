//! The world every scenario runs in: a [`Sandbox`], the config the steps build, and keld
//! as it ran (without a terminal) or runs (on a pseudo-terminal).

use std::ffi::OsStr;
use std::process::{Command, Output, Stdio};

use cucumber::gherkin::Step;
use cucumber::{World, given, then};

use crate::support::pty::Terminal;
use crate::support::{Sandbox, restic, text, toml_list, toml_str};

/// The size of the terminal keld runs on.
pub(crate) const ROWS: u16 = 30;
pub(crate) const COLS: u16 = 100;

#[derive(Debug, World)]
#[world(init = Self::new)]
pub(crate) struct KeldWorld {
    pub(crate) sandbox: Sandbox,
    /// Config sections in file order: header and its `key = value` lines.
    sections: Vec<(String, Vec<String>)>,
    /// Pre- and post-hooks of `home.backup`, written with the config.
    pub(crate) pre_hooks: Vec<String>,
    pub(crate) post_hooks: Vec<String>,
    /// The real restic instead of the stand-in.
    pub(crate) real_restic: bool,
    /// The short ID of the snapshot the scenario made.
    pub(crate) snapshot: Option<String>,
    /// Secret values that must never reach the screen or keld's output.
    pub(crate) secrets: Vec<String>,
    /// keld on a terminal.
    pub(crate) terminal: Option<Terminal>,
    /// keld's run without a terminal.
    pub(crate) output: Option<Output>,
}

impl KeldWorld {
    fn new() -> Self {
        Self {
            sandbox: Sandbox::new(),
            sections: Vec::new(),
            pre_hooks: Vec::new(),
            post_hooks: Vec::new(),
            real_restic: false,
            snapshot: None,
            secrets: Vec::new(),
            terminal: None,
            output: None,
        }
    }

    /// Step text with `<root>` replaced by the sandbox.
    pub(crate) fn expand(&self, text: &str) -> String {
        text.replace("<root>", &self.sandbox.root().display().to_string())
    }

    /// The source directory as a TOML list, for `_arguments`.
    pub(crate) fn source(&self) -> String {
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

    /// Sets `key` in section `header` (replacing an earlier value).
    pub(crate) fn set(&mut self, header: &str, key: &str, value: &str) {
        let lines = self.section(header);
        lines.retain(|line| !line.starts_with(&format!("{key} = ")));
        lines.push(format!("{key} = {value}"));
    }

    pub(crate) fn unset(&mut self, header: &str, key: &str) {
        self.section(header)
            .retain(|line| !line.starts_with(&format!("{key} = ")));
    }

    /// Drops every section written so far.
    pub(crate) fn clear_config(&mut self) {
        self.sections.clear();
    }

    /// A preset with the repository `repo` and a password from the config.
    pub(crate) fn add_preset(&mut self, name: &str, repo: &str) {
        let password = format!("secret-{name}-password");
        self.set(name, "repo", &toml_str(&self.expand(repo)));
        self.set(
            &format!("{name}.environ"),
            "RESTIC_PASSWORD",
            &toml_str(&password),
        );
        self.secrets.push(password);
    }

    fn write_config(&mut self) {
        if !self.pre_hooks.is_empty() {
            let hooks = toml_list(&self.pre_hooks);
            self.set("home.backup", "_pre_hooks", &hooks);
        }
        if !self.post_hooks.is_empty() {
            let hooks = toml_list(&self.post_hooks);
            self.set("home.backup", "_post_hooks", &hooks);
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

    /// `keld --config config.toml ARGS` in the sandbox, with `KELD_EXECUTABLE` the
    /// stand-in restic or the real one.
    pub(crate) fn keld(&mut self, args: &[&str]) -> Command {
        self.write_config();
        let mut command = self.sandbox.keld(args);
        // A drill's private directory goes here, where a scenario can look for it.
        let tmp = self.sandbox.path("tmp");
        std::fs::create_dir_all(&tmp).expect("make TMPDIR");
        command.env("TMPDIR", tmp);
        if self.real_restic {
            command.env("KELD_EXECUTABLE", restic::program());
        } else {
            command.env("KELD_EXECUTABLE", self.sandbox.restic_path());
        }
        command
    }

    /// Runs keld without a terminal (stdin is /dev/null).
    pub(crate) fn run(&mut self, args: &[&str]) {
        let output = self
            .keld(args)
            .stdin(Stdio::null())
            .output()
            .expect("run keld");
        self.output = Some(output);
    }

    /// Starts keld on a terminal.
    pub(crate) fn start(&mut self, args: &[&str]) {
        let mut command = self.keld(args);
        command.env("TERM", "xterm-256color");
        self.terminal = Some(Terminal::spawn(&command, ROWS, COLS));
    }

    pub(crate) fn terminal(&mut self) -> &mut Terminal {
        self.terminal
            .as_mut()
            .expect("keld was started on a terminal")
    }

    pub(crate) fn output(&self) -> &Output {
        self.output.as_ref().expect("keld has not run yet")
    }

    pub(crate) fn stdout(&self) -> String {
        text(&self.output().stdout)
    }

    pub(crate) fn stderr(&self) -> String {
        text(&self.output().stderr)
    }

    /// stderr with diagnostics' line wrapping and gutters undone, so a message reads
    /// as one line whatever the terminal width.
    pub(crate) fn stderr_text(&self) -> String {
        self.stderr()
            .lines()
            .map(|line| line.trim().trim_start_matches(['│', '×']).trim())
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// What keld printed (without a terminal) or the user saw (on a terminal).
    pub(crate) fn output_text(&mut self) -> String {
        match &self.output {
            Some(output) => format!("{}{}", text(&output.stdout), text(&output.stderr)),
            None => self.terminal().transcript(),
        }
    }

    /// keld's exit code: of the finished run, or of the terminal's once it ends.
    pub(crate) fn exit_code(&mut self) -> Option<i32> {
        match &self.output {
            Some(output) => output.status.code(),
            None => Some(self.terminal().wait_exit()),
        }
    }

    /// Everything worth showing when a step fails.
    pub(crate) fn describe(&mut self) -> String {
        let log = self.sandbox.log_lines();
        match (&self.output, &mut self.terminal) {
            (Some(output), _) => format!(
                "status: {:?}\nstdout:\n{}\nstderr:\n{}\nlog: {log:#?}",
                output.status,
                text(&output.stdout),
                text(&output.stderr),
            ),
            (None, Some(terminal)) => format!("screen:\n{}\nlog: {log:#?}", terminal.screen()),
            (None, None) => format!("log: {log:#?}"),
        }
    }

    /// restic itself on the `home` repository.
    pub(crate) fn restic(&self, args: &[&str]) -> String {
        let home = self.sandbox.home();
        let cache = self.sandbox.path("cache");
        let repo = self.sandbox.path("repo");
        restic::run(
            &[
                ("HOME", home.as_os_str()),
                ("RESTIC_CACHE_DIR", cache.as_os_str()),
                ("RESTIC_REPOSITORY", repo.as_os_str()),
                ("RESTIC_PASSWORD", OsStr::new("secret-home-password")),
            ],
            args,
        )
    }

    /// Press `j` until the cursor row (marked `›`) holds `text`.
    pub(crate) fn move_to(&mut self, text: &str) {
        let terminal = self.terminal();
        terminal.wait_for(text);
        for _ in 0..40 {
            if terminal.cursor_row().is_some_and(|row| row.contains(text)) {
                return;
            }
            let before = terminal.screen();
            terminal.send("j");
            terminal.wait_until("the cursor to move", |screen| screen != before);
        }
        panic!("the cursor never reached {text:?}:\n{}", terminal.screen());
    }
}

// ---------------------------------------------------------------- steps of every feature

#[given(expr = "restic exits with code {int}")]
fn restic_exits(world: &mut KeldWorld, code: u8) {
    world.sandbox.set_env("FAKE_RESTIC_EXIT", code.to_string());
}

#[then(expr = "keld exits with code {int}")]
fn keld_exits(world: &mut KeldWorld, code: i32) {
    let actual = world.exit_code();
    let description = world.describe();
    assert_eq!(actual, Some(code), "{description}");
    let output = world.output_text();
    for secret in &world.secrets {
        assert!(
            !output.contains(secret.as_str()),
            "{secret} shown: {output}"
        );
    }
}

/// The log without the stand-in restic's `restic-argv` and `restic-cwd` lines.
#[then("the log is exactly:")]
fn log_is_exactly(world: &mut KeldWorld, step: &Step) {
    let table = step.table.as_ref().expect("a table");
    let expected: Vec<String> = table.rows.iter().map(|row| row[0].clone()).collect();
    let events = world.sandbox.events();
    assert_eq!(events, expected, "{}", world.describe());
}
