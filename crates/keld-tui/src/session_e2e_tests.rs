//! End to end on a real pseudo-terminal against the real restic: the test binary
//! runs itself (the ignored `session_on_real_config`) in a pty, with [`ask`] over a
//! real config and a repository made here, and is driven with keys while its screen
//! is read through a terminal emulator. A confirmed choice is then resolved and run
//! as keld would, and its effect checked on disk.
//!
//! restic is `KELD_TEST_RESTIC` when set, else `restic` in `PATH`; without it these
//! tests fail. Their names hold `real_restic`, so CI runs them again with another
//! restic version.

use std::ffi::OsString;
use std::fs;
use std::num::NonZeroU16;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use keld_config::Source;
use keld_hooks::Lister;
use rexpect::process::WaitStatus;
use rexpect::reader::Options;
use rexpect::session::{PtySession, spawn_with_options};

use super::*;

const ROWS: u16 = 30;
const COLS: u16 = 100;
const PASSWORD: &str = "correct horse";
/// How long one expected screen may take on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(60);

/// The restic these tests use.
fn restic_program() -> PathBuf {
    std::env::var_os("KELD_TEST_RESTIC").map_or_else(|| PathBuf::from("restic"), PathBuf::from)
}

/// A directory with files of odd names, a config and repositories.
struct Place {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Place {
    /// `home` holds two snapshots of `src` (the second adds `new.txt` and changes
    /// `c.txt`); `empty` has none; `wrong` has the wrong password; `data@local`
    /// is a split preset whose prefix sets backup paths, `@local` its repository.
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical temp dir");
        for sub in ["home/restores", "src/dir"] {
            fs::create_dir_all(root.join(sub)).expect("mkdir");
        }
        for (name, content) in [
            ("src/a b.txt", "spaces\n"),
            ("src/star*.txt", "a star\n"),
            ("src/[x].txt", "brackets\n"),
            ("src/dir/ü.txt", "umlaut\n"),
            ("src/c.txt", "first\n"),
        ] {
            fs::write(root.join(name), content).expect("write");
        }
        let place = Self { _dir: dir, root };
        fs::write(place.path("keld.toml"), place.config()).expect("config");
        place.restic(&["init"], "repo");
        place.restic(&["init"], "empty-repo");
        place.restic(
            &["backup", &place.path("src").display().to_string()],
            "repo",
        );
        fs::write(place.path("src/new.txt"), "new\n").expect("write");
        fs::write(place.path("src/c.txt"), "second\n").expect("write");
        place.restic(
            &["backup", &place.path("src").display().to_string()],
            "repo",
        );
        place
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    fn config(&self) -> String {
        let quoted = |relative: &str| format!("{:?}", self.path(relative).display().to_string());
        format!(
            "[global.environ]\nRESTIC_CACHE_DIR = {cache}\n\n\
             [home]\nrepo = {repo}\n[home.environ]\nRESTIC_PASSWORD = \"{PASSWORD}\"\n\
             [home.forget]\nkeep-last = 1\n\n\
             [empty]\nrepo = {empty}\n[empty.environ]\nRESTIC_PASSWORD = \"{PASSWORD}\"\n\n\
             [wrong]\nrepo = {repo}\n[wrong.environ]\nRESTIC_PASSWORD = \"not it\"\n\n\
             [\"data@\"]\n_arguments = [{src}]\n\n\
             [\"@local\"]\nrepo = {repo}\n[\"@local\".environ]\nRESTIC_PASSWORD = \"{PASSWORD}\"\n",
            cache = quoted("cache"),
            repo = quoted("repo"),
            empty = quoted("empty-repo"),
            src = quoted("src"),
        )
    }

    /// restic itself on `repo`; its standard output.
    fn restic(&self, args: &[&str], repo: &str) -> String {
        let output = Command::new(restic_program())
            .args(["--repo", &self.path(repo).display().to_string()])
            .args(args)
            .env("RESTIC_PASSWORD", PASSWORD)
            .env("RESTIC_CACHE_DIR", self.path("cache"))
            .output()
            .expect("restic runs (install restic, or set KELD_TEST_RESTIC)");
        assert!(output.status.success(), "restic {args:?}: {output:?}");
        String::from_utf8(output.stdout).expect("UTF-8")
    }

    /// The snapshots of `home`, oldest first: (short ID, full ID).
    fn snapshots(&self) -> Vec<String> {
        let list: serde_json::Value =
            serde_json::from_str(&self.restic(&["snapshots", "--json"], "repo")).expect("JSON");
        list.as_array()
            .expect("a list")
            .iter()
            .map(|snapshot| snapshot["short_id"].as_str().expect("an ID").to_owned())
            .collect()
    }

    /// The session on a pseudo-terminal with `known` (`command,preset`, either
    /// empty) already answered.
    fn session(&self, known: &str) -> Screen {
        let exe = std::env::current_exe().expect("test binary");
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!(
                "stty cols {COLS} rows {ROWS} && exec \"$0\" \"$@\""
            ))
            .arg(exe)
            .args([
                "session::e2e_tests::session_on_real_config",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("KELD_TEST_E2E_DIR", &self.root)
            .env("KELD_TEST_E2E_KNOWN", known)
            .env("TERM", "xterm-256color");
        Screen::spawn(command)
    }
}

/// The child: `ask` over the place's config; a confirmed choice is resolved and
/// run as keld would, with `RUN` and restic's exit code printed after it.
#[test]
#[ignore = "started on a pseudo-terminal by the real_restic_* tests"]
fn session_on_real_config() {
    let Some(root) = std::env::var_os("KELD_TEST_E2E_DIR").map(PathBuf::from) else {
        return;
    };
    let known = std::env::var("KELD_TEST_E2E_KNOWN").unwrap_or_default();
    let (command, preset) = known.split_once(',').unwrap_or(("", ""));
    let some = |text: &str| (!text.is_empty()).then(|| text.to_owned());
    let config = Config::from_sources([Source {
        path: root.join("keld.toml"),
        text: fs::read_to_string(root.join("keld.toml")).expect("config"),
    }])
    .expect("a valid config");
    let mut host_env: Vec<(OsString, OsString)> = vec![
        ("PATH".into(), std::env::var_os("PATH").unwrap_or_default()),
        ("HOME".into(), root.join("home").into()),
    ];
    if let Some(restic) = std::env::var_os("KELD_TEST_RESTIC") {
        host_env.push(("KELD_EXECUTABLE".into(), restic));
    }
    let host = Host {
        env: host_env,
        cwd: root.clone(),
        home: Some(root.join("home")),
    };
    let env = Environment {
        home: Some(root.join("home")),
        ..Environment::default()
    };
    let known = known_at_start(&config, some(command), some(preset), &env);
    let context = SessionContext {
        config: Arc::new(config),
        env: env.clone(),
        host: host.clone(),
        show_command: false,
    };
    let asked = ask(&context, known).expect("the session runs");
    println!("ASKED {asked:?}");
    if let Asked::Run(choice) = asked {
        let resolved = context
            .config
            .resolve(&request_for(&choice), &env)
            .expect("the choice resolves");
        let invocation = keld_hooks::Invocation::new(&resolved, &host);
        let result = Lister::new(host, true).capture(&invocation, &[]);
        println!(
            "RUN {:?}",
            result.map(|out| String::from_utf8_lossy(&out).into_owned())
        );
    }
    println!("CHILD DONE");
}

/// The session's terminal, read through a terminal emulator.
struct Screen {
    session: PtySession,
    parser: vt100::Parser,
    transcript: Vec<u8>,
}

impl Screen {
    fn spawn(command: Command) -> Self {
        let session = spawn_with_options(
            command,
            Options::new()
                .timeout_ms(Some(60_000))
                .strip_ansi_escape_codes(false),
        )
        .expect("start on a pseudo-terminal");
        let size = |n| NonZeroU16::new(n).expect("a size");
        Self {
            session,
            parser: vt100::Parser::new(size(ROWS), size(COLS), 0),
            transcript: Vec::new(),
        }
    }

    fn screen(&mut self) -> String {
        let mut bytes = Vec::new();
        while let Some(ch) = self.session.try_read() {
            // The reader hands each byte over as the char of the same number.
            bytes.push(u8::try_from(u32::from(ch)).unwrap_or(b'?'));
        }
        self.transcript.extend_from_slice(&bytes);
        self.parser.process(&bytes);
        self.parser.screen().contents()
    }

    fn wait_for(&mut self, text: &str) -> String {
        self.wait_until(text, |screen| screen.contains(text))
    }

    fn wait_until(&mut self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {what:?}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(15));
        }
    }

    fn send(&mut self, keys: &str) {
        self.session.send(keys).expect("type");
        self.session.flush().expect("flush");
    }

    /// Press `j` until the cursor row holds `text`.
    fn move_to(&mut self, text: &str) {
        for _ in 0..40 {
            let screen = self.wait_until("a cursor row", |s| s.lines().any(|l| l.starts_with('›')));
            if screen
                .lines()
                .any(|line| line.starts_with('›') && line.contains(text))
            {
                return;
            }
            self.send("j");
            self.wait_until("the cursor to move", |now| now != screen);
        }
        panic!("the cursor never reached {text:?}:\n{}", self.screen());
    }

    /// The child's output after the session: everything from `ASKED` on, once it
    /// ended, and its exit code.
    fn finish(&mut self) -> (String, i32) {
        let rest = self
            .session
            .exp_string("CHILD DONE")
            .expect("the child ends");
        self.transcript.extend(
            rest.chars()
                .map(|ch| u8::try_from(u32::from(ch)).unwrap_or(b'?')),
        );
        let text = String::from_utf8_lossy(&self.transcript).into_owned();
        let after = text
            .rfind("ASKED")
            .map_or(String::new(), |at| text[at..].to_owned());
        let code = match self.session.process().wait().expect("wait") {
            WaitStatus::Exited(_, code) => code,
            other => panic!("{other:?}"),
        };
        (after, code)
    }
}

/// restic 0.17 and later ask what to do with existing files: take the default.
fn confirm_restore(screen: &mut Screen) -> String {
    let shown = screen.wait_until("the confirmation", |s| {
        s.contains("keld will run:") || s.contains("When a file to restore")
    });
    if shown.contains("When a file to restore") {
        screen.send("\r");
    }
    screen.wait_for("keld will run:")
}

/// Text with every blank removed: a long command wraps on the screen.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect()
}

#[test]
fn real_restic_restore_found_by_search_into_a_completed_tilde_target() {
    let place = Place::new();
    let mut screen = place.session("restore,home");
    let newest = place.snapshots().pop().expect("two snapshots");
    screen.wait_for(&newest);
    screen.send("\r");
    screen.wait_for("Files to restore");
    screen.wait_for("entries, nothing selected");
    // Search the tree for the file with a star in its name, select it and `a b.txt`.
    screen.send("/star");
    screen.wait_for("Search: star");
    screen.send("\r ");
    screen.wait_for("1 path selected");
    // Esc alone: Esc and a letter in one read are Alt and the letter.
    screen.send("\x1b");
    screen.wait_until("the search cleared", |s| !s.contains("Search:"));
    screen.send("g");
    screen.move_to("a b.txt");
    screen.send(" ");
    screen.wait_for("2 paths selected");
    screen.send("\r");
    screen.wait_for("Directory to restore into");
    // Tab completes `~/re` to the existing `~/restores/`.
    screen.send("~/re\t");
    screen.wait_for("~/restores/");
    screen.send("r3\r");
    let shown = confirm_restore(&mut screen);
    let flat = squeeze(&shown);
    assert!(
        flat.contains(&squeeze(&format!(
            "--target {}",
            place.path("home/restores/r3").display()
        ))),
        "{shown}"
    );
    assert!(flat.contains(r"star\*.txt"), "the star is escaped: {shown}");
    screen.send("\r");
    let (output, code) = screen.finish();
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("RUN Ok("), "{output}");
    let restored = place
        .path("home/restores/r3")
        .join(place.path("src").strip_prefix("/").expect("absolute"));
    assert_eq!(
        fs::read_to_string(restored.join("star*.txt")).expect("restored"),
        "a star\n"
    );
    assert_eq!(
        fs::read_to_string(restored.join("a b.txt")).expect("restored"),
        "spaces\n"
    );
    assert!(!restored.join("[x].txt").exists(), "only the chosen files");
    assert!(!place.path("~").exists(), "no directory named ~");
}

#[test]
fn real_restic_browse_a_snapshot_and_compare_two_then_leave_with_q() {
    let place = Place::new();
    let ids = place.snapshots();
    let mut screen = place.session(",home");
    screen.move_to("snapshots");
    screen.send("\r");
    screen.wait_for(&ids[1]);
    // Enter: the newest snapshot's files, to look at.
    screen.send("\r");
    screen.wait_for("Files in the snapshot");
    screen.wait_for("new.txt");
    screen.send("?");
    screen.wait_for("Keys: Files in the snapshot");
    screen.send(" \x1b");
    // d on the newest, d on the older: what changed.
    screen.wait_for("Snapshots");
    screen.send("d");
    screen.wait_for("choose the other snapshot");
    screen.send("jd");
    screen.wait_for("Changes between two snapshots");
    let shown = screen.wait_for("new.txt");
    assert!(
        shown.contains(&format!("{} → {}", ids[0], ids[1])),
        "{shown}"
    );
    assert!(
        shown
            .lines()
            .any(|l| l.contains("+ ") && l.contains("new.txt")),
        "{shown}"
    );
    assert!(
        shown
            .lines()
            .any(|l| l.contains("M ") && l.contains("c.txt")),
        "{shown}"
    );
    screen.send("q");
    let (output, code) = screen.finish();
    assert!(output.contains("ASKED Exit(130)"), "{output}");
    assert_eq!(code, 0, "the child itself ends normally");
}

#[test]
fn real_restic_forget_shows_the_dry_run_then_runs_the_policy() {
    let place = Place::new();
    let ids = place.snapshots();
    let mut screen = place.session("forget,home");
    let shown = screen.wait_for("would be removed");
    assert!(
        shown.contains("1 snapshot would be removed, 1 kept"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("- {}", ids[0])),
        "the older goes: {shown}"
    );
    screen.send("\r");
    let (output, code) = screen.finish();
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("RUN Ok("), "{output}");
    assert_eq!(place.snapshots(), [ids[1].clone()], "the policy ran");
}

#[test]
fn real_restic_repository_halves_and_arguments_meant_for_backup() {
    let place = Place::new();
    // check: the repository half is offered, with its repository.
    let mut screen = place.session("check,");
    let shown = screen.wait_for("@local");
    assert!(
        shown.contains(&place.path("repo").display().to_string()),
        "{shown}"
    );
    assert!(shown.contains("(the whole repository)"), "{shown}");
    screen.move_to("@local");
    screen.send("\r");
    screen.wait_for("keld will run:");
    screen.send("\r");
    let (output, code) = screen.finish();
    assert_eq!(code, 0, "{output}");
    assert!(
        output.contains(r#"preset: Some("@local")"#) && output.contains("RUN Ok("),
        "{output}"
    );

    // snapshots with the prefix's backup paths: the confirmation warns.
    let mut screen = place.session("snapshots,data@local");
    let shown = screen.wait_for("keld will run:");
    assert!(shown.contains("`_arguments` from [data@]"), "{shown}");
    screen.send("q");
    let (output, _) = screen.finish();
    assert!(output.contains("ASKED Exit(130)"), "{output}");
}

#[test]
fn real_restic_a_typed_id_that_lists_nothing_and_a_wrong_password() {
    let place = Place::new();
    let mut screen = place.session("restore,empty");
    screen.wait_for("no snapshots yet");
    screen.send("deadbeef\r");
    let shown = screen.wait_for("restic could not list the snapshot's files:");
    assert!(
        shown.contains("no snapshot matched") || shown.contains("no matching ID"),
        "restic's explanation: {shown}"
    );
    screen.send("\r");
    screen.wait_for("no such snapshot");
    screen.send("\x03");
    let (output, _) = screen.finish();
    assert!(output.contains("ASKED Exit(130)"), "{output}");

    let mut screen = place.session("restore,wrong");
    let shown = screen.wait_for("opens no key");
    assert!(!shown.contains("Type a snapshot ID"), "{shown}");
    screen.send("\x1b");
    let (output, _) = screen.finish();
    assert!(output.contains("ASKED Exit(130)"), "{output}");
}
