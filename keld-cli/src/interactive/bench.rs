//! Release-mode figures for the interactive mode, run by `cargo xtask bench`
//! (docs/performance.md, "Interactive mode").
//!
//! `figures` is ignored by a plain `cargo test`: it takes several seconds and means
//! something only in a release build. The xtask runs it as
//!
//! ```text
//! KELD_BENCH_KELD=target/release/keld KELD_BENCH_RUNS=20 \
//!   cargo test --release -p keld-cli --lib interactive::bench::figures \
//!   -- --ignored --nocapture --exact
//! ```
//!
//! and reads one line per figure from stdout:
//! `keld-bench<TAB>name<TAB>runs<TAB>median ns<TAB>min ns<TAB>max ns<TAB>what`.
//! Every run checks its own result (the list really holds 10,000 snapshots, the tree
//! really opened every directory, the screen really shows the row), so a figure is
//! never the time of doing nothing; nothing here asserts on time, because the
//! machines it runs on are shared.
//!
//! The first-screen figures start the real `keld` (`KELD_BENCH_KELD`; left out when
//! unset) on a pseudo-terminal of 100×30 with a restic that only sleeps, and time
//! from spawning to the screen showing its first words.

use std::fs;
use std::io::Read as _;
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::App;
use super::app::tests::{RESTIC_017, answer, press, restore_setup, sample_snapshots};
use super::palette::{Background, Palette};
use super::screens::Key;
use super::snapshots::{filter_snapshots, parse_snapshots, sample_json};
use super::tree::{FileTree, SAMPLE_LISTING, Selection, sample_listing};
use super::view::draw;
use super::{SnapshotsState, TreeState};

/// The mark the xtask looks for at the start of a figure's line.
const PREFIX: &str = "keld-bench";
const WIDTH: u16 = 100;
const HEIGHT: u16 = 30;
/// How long the real `keld` may take to show its first screen before the run fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// How much work one figure does, and how often it is repeated.
#[derive(Debug, Clone, Copy)]
struct Scale {
    snapshots: usize,
    dirs: usize,
    files_per_dir: usize,
    runs: usize,
}

impl Scale {
    fn entries(self) -> usize {
        self.dirs * self.files_per_dir
    }
}

/// One measured series.
#[derive(Debug)]
struct Figure {
    name: &'static str,
    what: String,
    samples: Vec<Duration>,
}

impl Figure {
    /// The machine-readable line (see the module docs).
    fn line(&self) -> String {
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        let mid = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[mid]
        } else {
            (sorted[mid - 1] + sorted[mid]) / 2
        };
        format!(
            "{PREFIX}\t{}\t{}\t{}\t{}\t{}\t{}",
            self.name,
            sorted.len(),
            median.as_nanos(),
            sorted[0].as_nanos(),
            sorted[sorted.len() - 1].as_nanos(),
            self.what
        )
    }
}

/// Times `work` on a fresh `setup()` `runs` times. The result is checked and dropped
/// outside the timed part, so neither the check nor freeing counts.
fn measure<S, T>(
    runs: usize,
    mut setup: impl FnMut() -> S,
    mut work: impl FnMut(S) -> T,
    check: impl Fn(&T),
) -> Vec<Duration> {
    (0..runs)
        .map(|_| {
            let state = setup();
            let started = Instant::now();
            let result = work(state);
            let elapsed = started.elapsed();
            check(&result);
            elapsed
        })
        .collect()
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test backend")
}

fn screen(terminal: &Terminal<TestBackend>) -> String {
    terminal.backend().to_string()
}

/// Everything measured in-process: the snapshot list, the tree and the first frame.
fn in_process(scale: Scale) -> Vec<Figure> {
    let palette = Palette::for_background(Background::Dark);
    let count = scale.snapshots;
    let json = sample_json(count);
    let parse_sort = measure(
        scale.runs,
        || (),
        |()| parse_snapshots(&json).expect("valid snapshots"),
        |snapshots| {
            assert_eq!(snapshots.len(), count);
            assert!(snapshots.windows(2).all(|w| w[0].instant >= w[1].instant));
        },
    );
    let snapshots = parse_snapshots(&json).expect("valid snapshots");
    let filter = measure(
        scale.runs,
        || (),
        |()| filter_snapshots(&snapshots, "server"),
        |kept| assert_eq!(kept.len(), count / 2),
    );
    let draw_list = measure(
        scale.runs,
        || {
            let mut app = App::new(restore_setup());
            answer(
                &mut app,
                &Ok(snapshots.clone()),
                Ok(SAMPLE_LISTING),
                RESTIC_017,
            );
            (app, terminal())
        },
        |(mut app, mut terminal)| {
            press(&mut app, &[Key::PageDown, Key::End]);
            terminal
                .draw(|frame| draw(frame, &app, &palette))
                .expect("draws");
            (app, terminal)
        },
        |(app, terminal)| {
            let SnapshotsState::Loaded { snapshots, picker } = &app.snapshots else {
                panic!("the snapshots are loaded");
            };
            assert_eq!(picker.current(), Some(count - 1));
            let last = &snapshots[count - 1];
            let text = screen(terminal);
            assert!(text.contains(&format!("› {}", last.short_id)), "{text}");
        },
    );
    let first_frame = measure(
        scale.runs,
        || (),
        |()| {
            let app = App::new(restore_setup());
            let mut terminal = terminal();
            terminal
                .draw(|frame| draw(frame, &app, &palette))
                .expect("draws");
            terminal
        },
        |terminal| assert!(screen(terminal).contains("Reading the snapshots")),
    );

    let listing = sample_listing(scale.dirs, scale.files_per_dir);
    let entries = scale.entries();
    let tree_parse = measure(
        scale.runs,
        || (),
        |()| FileTree::parse(&listing).expect("valid listing"),
        |tree| assert_eq!(tree.len(), 1 + scale.dirs + entries),
    );
    let select_expand = measure(
        scale.runs,
        || FileTree::parse(&listing).expect("valid listing"),
        |mut tree| {
            tree.toggle_all();
            tree.toggle_all();
            // From the bottom up, so each opened directory stays below the cursor.
            tree.cursor_to_end(true);
            for _ in 0..scale.dirs {
                tree.expand();
                tree.move_cursor(-1);
            }
            tree
        },
        |tree| {
            assert_eq!(tree.rows().len(), 1 + scale.dirs + entries);
            assert_eq!(tree.selection(), Selection::Nothing);
        },
    );
    let app = tree_app(&listing, scale);
    let draw_tree = measure(
        scale.runs,
        terminal,
        |mut terminal| {
            terminal
                .draw(|frame| draw(frame, &app, &palette))
                .expect("draws");
            terminal
        },
        |terminal| {
            let text = screen(terminal);
            let selected_file = |line: &str| line.contains("[x]") && line.contains(" f0");
            assert!(
                text.lines().any(selected_file),
                "a selected file row:\n{text}"
            );
        },
    );

    vec![
        Figure {
            name: "snapshots_parse_sort",
            what: format!("{count} snapshots: parse `snapshots --json` and sort"),
            samples: parse_sort,
        },
        Figure {
            name: "snapshots_filter",
            what: format!("{count} snapshots: filter by a word"),
            samples: filter,
        },
        Figure {
            name: "snapshots_draw",
            what: format!("{count} snapshots: jump to the end and draw {WIDTH}x{HEIGHT}"),
            samples: draw_list,
        },
        Figure {
            name: "first_frame",
            what: format!("first frame: state set up and drawn {WIDTH}x{HEIGHT}, no answer yet"),
            samples: first_frame,
        },
        Figure {
            name: "tree_parse",
            what: format!("{entries}-entry `ls --json`: parse into the tree"),
            samples: tree_parse,
        },
        Figure {
            name: "tree_select_expand",
            what: format!(
                "{entries} entries: select all, clear all, open all {} directories",
                scale.dirs
            ),
            samples: select_expand,
        },
        Figure {
            name: "tree_draw",
            what: format!(
                "{entries} entries, all open and selected: draw {WIDTH}x{HEIGHT} mid-list"
            ),
            samples: draw_tree,
        },
    ]
}

/// A restore on its tree screen with `listing` loaded, every directory open, every
/// file selected and the cursor in the middle of the list.
fn tree_app(listing: &str, scale: Scale) -> App {
    let mut app = App::new(restore_setup());
    answer(
        &mut app,
        &Ok(sample_snapshots()),
        Ok(SAMPLE_LISTING),
        RESTIC_017,
    );
    press(&mut app, &[Key::Enter]);
    answer(&mut app, &Ok(Vec::new()), Ok(listing), RESTIC_017);
    let TreeState::Loaded(tree) = &mut app.tree else {
        panic!("the tree is loaded");
    };
    tree.toggle_all();
    tree.cursor_to_end(true);
    for _ in 0..scale.dirs {
        tree.expand();
        tree.move_cursor(-1);
    }
    let middle = isize::try_from(tree.rows().len() / 2).unwrap_or(isize::MAX);
    tree.cursor_to_end(false);
    tree.move_cursor(middle);
    app
}

/// A restic that answers nothing: every command sleeps until it is killed.
const SLEEPING_RESTIC: &str = "#!/bin/sh\nexec sleep 60\n";

/// A directory with a config (preset `home`) and the sleeping restic first in `PATH`.
struct Place {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Place {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical temp dir");
        for sub in ["bin", "home", "xdg"] {
            fs::create_dir(root.join(sub)).expect("create dir");
        }
        let restic = root.join("bin/restic");
        fs::write(&restic, SLEEPING_RESTIC).expect("write the restic");
        fs::set_permissions(&restic, fs::Permissions::from_mode(0o755)).expect("chmod");
        fs::write(
            root.join("config.toml"),
            "[home]\nrepo = \"/nowhere/repository\"\n\n\
             [home.environ]\nRESTIC_PASSWORD = \"not-a-secret\"\n\n\
             [work]\nrepo = \"/nowhere/else\"\n",
        )
        .expect("write the config");
        Self { _dir: dir, root }
    }

    fn keld(&self, keld: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(keld);
        command
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.root.join("bin").display()),
            )
            .env("HOME", self.root.join("home"))
            .env("XDG_CONFIG_HOME", self.root.join("xdg"))
            .env("TERM", "xterm-256color")
            .arg("--config")
            .arg(self.root.join("config.toml"))
            .args(args)
            .current_dir(&self.root);
        command
    }
}

/// Starts `command` as the session leader of a new pseudo-terminal of
/// [`WIDTH`]×[`HEIGHT`] and returns the time from spawning until the screen shows
/// `text`. The program and everything in its process group are killed afterwards.
fn time_to_screen(mut command: Command, text: &str) -> Duration {
    use nix::fcntl::{OFlag, open};
    use nix::pty::{Winsize, openpty};
    use nix::sys::signal::{Signal, killpg};
    use nix::sys::stat::Mode;
    use nix::unistd::Pid;

    let size = Winsize {
        ws_row: HEIGHT,
        ws_col: WIDTH,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = openpty(Some(&size), None).expect("open a pseudo-terminal");
    let slave_name = nix::unistd::ttyname(&pty.slave).expect("the terminal's name");
    let slave_name =
        std::ffi::CString::new(slave_name.into_os_string().into_encoded_bytes()).expect("a name");
    let stdio = || Stdio::from(pty.slave.try_clone().expect("dup the terminal"));
    command.stdin(stdio()).stdout(stdio()).stderr(stdio());
    #[allow(unsafe_code)]
    // SAFETY: `pre_exec` runs in the forked child before `exec`, where only
    // async-signal-safe work is allowed: `setsid`, `open` of a name built before the
    // fork (a `CStr`, so nothing is allocated) and `close`. Opening the terminal as
    // the leader of a new session makes it the controlling terminal, as a terminal
    // emulator's shell has it.
    unsafe {
        command.pre_exec(move || {
            nix::unistd::setsid()?;
            drop(open(slave_name.as_c_str(), OFlag::O_RDWR, Mode::empty())?);
            Ok(())
        });
    }

    let mut master = fs::File::from(pty.master);
    let (sender, chunks) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut buffer = [0_u8; 16 * 1024];
        // Ends with EIO once the last process holding the terminal is gone.
        while let Ok(read @ 1..) = master.read(&mut buffer) {
            if sender
                .send((Instant::now(), buffer[..read].to_vec()))
                .is_err()
            {
                break;
            }
        }
    });

    let started = Instant::now();
    let mut child = command.spawn().expect("start keld");
    drop(command);
    drop(pty.slave);
    let mut parser = vt100::Parser::new(
        std::num::NonZeroU16::new(HEIGHT).expect("rows"),
        std::num::NonZeroU16::new(WIDTH).expect("columns"),
        0,
    );
    let deadline = started + PATIENCE;
    let shown = loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        let Ok((at, bytes)) = chunks.recv_timeout(wait) else {
            let _ = child.kill();
            panic!(
                "keld did not show {text:?} within {PATIENCE:?}; the screen shows:\n{}",
                parser.screen().contents()
            );
        };
        parser.process(&bytes);
        if parser.screen().contents().contains(text) {
            break at.duration_since(started);
        }
    };

    // keld leads its own process group, and the restic it started is in it.
    let pid = Pid::from_raw(i32::try_from(child.id()).expect("a pid"));
    let _ = killpg(pid, Signal::SIGKILL);
    let _ = child.wait();
    drop(chunks);
    let _ = reader.join();
    shown
}

/// The real `keld` started on a terminal: the command menu, and a restore's snapshot
/// screen while restic has not answered. Runs alternate, after two untimed rounds.
fn first_screens(keld: &Path, runs: usize) -> Vec<Figure> {
    let place = Place::new();
    let mut menu = Vec::with_capacity(runs);
    let mut restore = Vec::with_capacity(runs);
    for round in 0..runs + 2 {
        let to_menu = time_to_screen(place.keld(keld, &[]), "Command");
        let to_restore = time_to_screen(
            place.keld(keld, &["-p", "home", "restore"]),
            "Reading the snapshots",
        );
        if round >= 2 {
            menu.push(to_menu);
            restore.push(to_restore);
        }
    }
    vec![
        Figure {
            name: "first_screen_menu",
            what: format!("`keld` started -> command menu on a {WIDTH}x{HEIGHT} terminal"),
            samples: menu,
        },
        Figure {
            name: "first_screen_restore",
            what: "`keld -p home restore` started -> snapshot screen, restic not yet answered"
                .to_owned(),
            samples: restore,
        },
    ]
}

fn runs_from_env() -> usize {
    std::env::var("KELD_BENCH_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .filter(|runs| *runs > 0)
        .unwrap_or(20)
}

#[test]
#[ignore = "a benchmark: run by `cargo xtask bench` in a release build"]
fn figures() {
    let runs = runs_from_env();
    let scale = Scale {
        snapshots: 10_000,
        dirs: 100,
        files_per_dir: 1_000,
        runs,
    };
    let mut figures = in_process(scale);
    match std::env::var_os("KELD_BENCH_KELD") {
        Some(keld) => figures.extend(first_screens(Path::new(&keld), runs)),
        None => println!("{PREFIX}-note\tKELD_BENCH_KELD is not set: first screens left out"),
    }
    for figure in &figures {
        println!("{}", figure.line());
    }
}

/// The same measurements on a small scale, so they keep working between benchmark runs.
#[test]
fn figures_on_a_small_scale() {
    let scale = Scale {
        snapshots: 60,
        dirs: 3,
        files_per_dir: 40,
        runs: 3,
    };
    let figures = in_process(scale);
    assert_eq!(figures.len(), 7);
    for figure in &figures {
        let line = figure.line();
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 7, "{line}");
        assert_eq!(fields[0], PREFIX);
        assert_eq!(fields[2], "3", "{line}");
        let [median, min, max] =
            [fields[3], fields[4], fields[5]].map(|n| n.parse::<u128>().expect("nanoseconds"));
        assert!(min <= median && median <= max, "{line}");
    }
}

#[test]
fn a_figure_line_carries_median_min_and_max() {
    let figure = Figure {
        name: "x",
        what: "what it is".into(),
        samples: [4, 1, 3, 2].map(Duration::from_micros).to_vec(),
    };
    assert_eq!(
        figure.line(),
        "keld-bench\tx\t4\t2500\t1000\t4000\twhat it is"
    );
}
