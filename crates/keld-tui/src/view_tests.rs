//! Every screen and state drawn on ratatui's `TestBackend`, compared with reviewed
//! snapshots in `view_snapshots/`.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use super::*;
use crate::app::App;
use crate::app::SnapshotsState;
use crate::app::tests::{RESTIC_017, answer, press, restore_setup};
use crate::key::Key;
use crate::palette::Background;
use crate::tree::SAMPLE_LISTING;
use crate::view::states::STATES;

const WIDTH: u16 = 80;
const HEIGHT: u16 = 18;

fn terminal(app: &App, background: Background, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    let palette = Palette::for_background(background);
    terminal
        .draw(|frame| draw(frame, app, &palette))
        .expect("draws");
    terminal
}

fn screen(app: &App) -> String {
    terminal(app, Background::Dark, WIDTH, HEIGHT)
        .backend()
        .to_string()
}

fn check(name: &str, app: &App) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("view_snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, screen(app)));
}

#[test]
fn every_state_matches_its_reviewed_snapshot() {
    for (name, build) in STATES {
        check(name, &build());
    }
}

/// Narrow terminals: cells and help bars end in `…`, the confirmation scrolls and
/// offers no Enter until its end was on screen.
#[test]
fn narrow_screens() {
    for (name, state, width, height) in [
        ("narrow_snapshots", "snapshots_loaded", 40, 12),
        ("narrow_tree", "tree_partial_selection", 40, 12),
        ("narrow_confirmation", "confirmation", 40, 10),
        ("narrow_dashboard", "dashboard", 40, 10),
        ("narrow_drill", "drill_failed_files", 40, 10),
    ] {
        let app = state_named(state);
        let text = terminal(&app, Background::Dark, width, height)
            .backend()
            .to_string();
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("view_snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!(name, text));
    }
    let app = state_named("confirmation");
    terminal(&app, Background::Dark, 40, 10);
    assert!(!app.can_run(), "the command's end is not on screen yet");
    assert!(!help_keys(&app).contains(&("Enter", "run")));
}

/// Draw `app` at each of `sizes`; a panic names the state and the size.
fn draw_at(name: &str, app: &App, sizes: impl IntoIterator<Item = (u16, u16)>) {
    let palette = Palette::for_background(Background::Dark);
    let mut terminal = Terminal::new(TestBackend::new(1, 1)).expect("test backend");
    for (width, height) in sizes {
        terminal.backend_mut().resize(width, height);
        let drawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            terminal
                .draw(|frame| draw(frame, app, &palette))
                .map(|_| ())
        }));
        assert!(
            matches!(drawn, Ok(Ok(()))),
            "{name} at {width}x{height}: {drawn:?}"
        );
    }
}

/// The sizes where drawing goes wrong first: one cell, one row, one column, and
/// the small and usual ones.
const CORNERS: [(u16, u16); 14] = [
    (1, 1),
    (1, 40),
    (120, 1),
    (2, 2),
    (3, 3),
    (5, 5),
    (8, 3),
    (10, 4),
    (20, 6),
    (40, 10),
    (80, 24),
    (100, 30),
    (120, 40),
    (119, 39),
];

#[test]
fn every_state_draws_at_the_corner_sizes() {
    for (name, build) in STATES {
        draw_at(name, &build(), CORNERS);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(1500))]

    /// Any state at any size from 1x1 to 120x40 draws without a panic (the
    /// exhaustive sweep below takes minutes in a debug build).
    #[test]
    fn any_state_draws_at_any_size(
        state in 0..STATES.len(),
        width in 1_u16..=120,
        height in 1_u16..=40,
    ) {
        let (name, build) = STATES[state];
        draw_at(name, &build(), [(width, height)]);
    }
}

/// Every state at every size from 1x1 to 120x40 (150,000 frames: run it with
/// `cargo test -p keld-tui --release -- --ignored every_size`).
#[test]
#[ignore = "exhaustive: minutes in a debug build; the property test samples it"]
fn every_state_draws_at_every_size() {
    for (name, build) in STATES {
        let sizes = (1..=120).flat_map(|width| (1..=40).map(move |height| (width, height)));
        draw_at(name, &build(), sizes);
    }
}

fn state_named(name: &str) -> App {
    let (_, build) = STATES
        .iter()
        .find(|(state, _)| *state == name)
        .expect("a state of that name");
    build()
}

fn in_tree() -> App {
    crate::view::states::in_tree()
}

#[test]
fn ten_thousand_snapshots_draw_one_screenful() {
    let mut app = App::new(restore_setup());
    let snapshots =
        crate::snapshots::parse_snapshots(&crate::snapshots::sample_json(10_000)).expect("valid");
    answer(&mut app, &Ok(snapshots), Ok(SAMPLE_LISTING), RESTIC_017);
    let started = std::time::Instant::now();
    press(&mut app, &[Key::PageDown, Key::End]);
    let text = screen(&app);
    let elapsed = started.elapsed();
    let SnapshotsState::Loaded { snapshots, picker } = &app.snapshots else {
        panic!("loaded");
    };
    let last = &snapshots[picker.current().expect("a cursor")];
    assert_eq!(picker.current(), Some(9_999));
    assert!(
        text.contains(&format!("› {}", last.snapshot.short())),
        "{text}"
    );
    eprintln!("10,000 snapshots: move to the end and draw {elapsed:?}");
}

#[test]
fn first_frame_needs_no_answer_from_restic() {
    // Everything between starting the session and its first frame, minus the
    // terminal itself: the restore flow's first screen while restic is still asked.
    let started = std::time::Instant::now();
    let app = App::new(restore_setup());
    let text = screen(&app);
    let elapsed = started.elapsed();
    assert!(text.contains("Reading the snapshots"), "{text}");
    eprintln!("first frame (state + draw, 80x18): {elapsed:?}");
}

#[test]
fn colour_marks_only_what_can_be_acted_on() {
    let app = in_tree();
    for background in [Background::Dark, Background::Light] {
        let terminal = terminal(&app, background, WIDTH, HEIGHT);
        let buffer = terminal.backend().buffer();
        // Header, title (two rows), summary, rr, src: `a` is on row 6.
        let cursor_row = 6;
        for y in 0..HEIGHT {
            let coloured: String = (0..WIDTH)
                .filter(|&x| buffer[(x, y)].fg != Color::Reset)
                .map(|x| buffer[(x, y)].symbol().to_owned())
                .collect();
            let line: String = (0..WIDTH)
                .map(|x| buffer[(x, y)].symbol().to_owned())
                .collect();
            if y == HEIGHT - 1 {
                assert!(
                    coloured.contains("Space") && !coloured.contains("select"),
                    "help bar: only the keys are coloured, got {coloured:?}"
                );
            } else if y == cursor_row {
                assert!(line.starts_with("› [ ]     ▸ a/"), "{line:?}");
                assert_eq!(coloured.trim(), line.trim(), "the cursor row");
            } else {
                assert_eq!(coloured.trim(), "", "row {y} {line:?} has colour");
            }
        }
    }
}

#[test]
fn narrow_terminal_still_draws() {
    let app = in_tree();
    let terminal = terminal(&app, Background::Dark, 20, 6);
    assert!(terminal.backend().to_string().contains("keld"));
}

#[test]
fn sizes_read_like_ls_h() {
    assert_eq!(human_size(0), "0 B");
    assert_eq!(human_size(1023), "1023 B");
    assert_eq!(human_size(1536), "1.5 KiB");
    assert_eq!(human_size(5 * 1024 * 1024 * 1024), "5.0 GiB");
    assert_eq!(clip("laptop-of-someone", 8), "laptop-…");
    assert_eq!(clip("short", 8), "short");
}

/// A state drawn at the snapshots' 80x18 as the docs show it: rows without their
/// trailing blanks.
fn docs_text(name: &str) -> String {
    let text = terminal(&state_named(name), Background::Dark, WIDTH, HEIGHT)
        .backend()
        .to_string();
    // TestBackend writes each row quoted; take the quotes off.
    text.lines()
        .map(|row| {
            row.strip_prefix('"')
                .and_then(|row| row.strip_suffix('"'))
                .unwrap_or(row)
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim_end()
        .to_owned()
}

/// The screenshots in docs/interactive.md are the states above drawn at 80x18: the
/// `text` block after each `<!-- screen: NAME -->` line. With `KELD_UPDATE_DOCS=1`
/// the blocks are rewritten instead of compared.
#[test]
fn docs_screenshots_are_the_screens() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/interactive.md");
    let text = std::fs::read_to_string(&path).expect("docs/interactive.md");
    let update = std::env::var_os("KELD_UPDATE_DOCS").is_some();
    let mut out = Vec::new();
    let mut stale = Vec::new();
    let mut lines = text.lines();
    let mut shown = 0;
    while let Some(line) = lines.next() {
        out.push(line.to_owned());
        let Some(name) = line
            .strip_prefix("<!-- screen: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        shown += 1;
        assert_eq!(lines.next(), Some("```text"), "a text block after {line}");
        let block: Vec<&str> = lines.by_ref().take_while(|line| *line != "```").collect();
        let screen = docs_text(name);
        if block.join("\n") != screen {
            stale.push(name.to_owned());
        }
        out.push("```text".to_owned());
        out.push(if update { screen } else { block.join("\n") });
        out.push("```".to_owned());
    }
    assert!(shown > 0, "docs/interactive.md shows no screen");
    if update {
        let mut new = out.join("\n");
        new.push('\n');
        std::fs::write(&path, new).expect("write the docs");
    } else {
        assert!(
            stale.is_empty(),
            "docs/interactive.md shows stale screens {stale:?}; run \
             KELD_UPDATE_DOCS=1 cargo test -p keld-tui docs_screenshots"
        );
    }
}

/// Every state with names, paths, records and restic's messages that hold control
/// characters: the screens show them escaped, and not one cell holds a control
/// character (before the terminal's own last check, `safe::SafeBackend`).
#[test]
fn control_characters_are_shown_escaped_never_raw() {
    use crate::safe::has_control;
    use crate::view::states::{hostile_dashboard, hostile_drill};

    for (app, expected) in [
        (
            hostile_dashboard(),
            &[
                r"$'evil\x1b]0;owned\x07'",
                r"$'rtl\u202etxt.exe'",
                r"$'c1\u009b2J'",
                r"$'line\u2028sep'",
                r"restic: \x1b[2J\x1b[31mFatal\u009b0m: \u202egnorw\nsecond",
                r"/state/\x1b[1mruns.jsonl",
            ][..],
        ),
        (
            hostile_drill(),
            &[
                r"ok      /x/\x1b]0;owned\x07",
                r"mismatch /x/\u202efdp.exe",
                r"drill \u009b2J: 2 files",
                r"restic restore failed: \x1b[2K",
                r"line\u2028two",
                r"1 of 2 files failed the drill\x1b[0m",
                r"ping to \x1b]8;;http://x\x07 failed",
            ][..],
        ),
    ] {
        for (width, height) in [(160, 30), (80, 18), (40, 10)] {
            let terminal = terminal(&app, Background::Dark, width, height);
            let buffer = terminal.backend().buffer();
            for cell in &buffer.content {
                assert!(
                    !has_control(cell.symbol()),
                    "{:?} at {width}x{height}",
                    cell.symbol()
                );
            }
        }
        let text: String = terminal(&app, Background::Dark, 160, 30)
            .backend()
            .to_string();
        for shown in expected {
            assert!(text.contains(shown), "{shown} is not on\n{text}");
        }
    }
    // The breadcrumb and the command menu's caption escape the name too.
    let mut app = hostile_dashboard();
    crate::app::tests::press(&mut app, &[Key::Enter, Key::Enter]);
    let text = terminal(&app, Background::Dark, 160, 30)
        .backend()
        .to_string();
    assert!(
        text.contains(r"keld › backup › $'evil\x1b]0;owned\x07'"),
        "{text}"
    );
}
