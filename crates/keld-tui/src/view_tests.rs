//! Every screen and state drawn on ratatui's `TestBackend`, compared with reviewed
//! snapshots in `view_snapshots/`.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use super::*;
use crate::app::App;
use crate::app::SnapshotsState;
use crate::app::tests::{
    RESTIC_014, RESTIC_017, answer, press, restore_setup, sample_snapshots, setup, type_text,
};
use crate::palette::Background;
use crate::protocol::{Msg, Request, Setup};
use crate::tree::SAMPLE_LISTING;
use crate::widgets::Key;

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

/// A restore of preset `home` with the snapshot list loaded (restic 0.17).
fn listed() -> App {
    let mut app = App::new(restore_setup());
    answer(
        &mut app,
        &Ok(sample_snapshots()),
        Ok(SAMPLE_LISTING),
        RESTIC_017,
    );
    app
}

/// `listed`, second snapshot chosen and its files shown.
fn in_tree() -> App {
    let mut app = listed();
    press(&mut app, &[Key::Down, Key::Enter]);
    answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_017);
    app
}

#[test]
fn command_menu() {
    check("command_menu", &App::new(setup(&["home", "work"])));
}

#[test]
fn command_menu_filtered() {
    let mut app = App::new(setup(&["home", "work"]));
    press(&mut app, &[Key::Char('/'), Key::Char('r'), Key::Char('e')]);
    check("command_menu_filtered", &app);
}

#[test]
fn preset_picker() {
    let mut app = App::new(setup(&["home", "work", "offsite"]));
    press(&mut app, &[Key::Enter, Key::Down]);
    check("preset_picker", &app);
}

#[test]
fn snapshots_loading() {
    check("snapshots_loading", &App::new(restore_setup()));
}

#[test]
fn snapshots_loaded() {
    let mut app = listed();
    press(&mut app, &[Key::Down, Key::Down]);
    check("snapshots_loaded", &app);
}

#[test]
fn snapshots_scrolled_past_the_first_page() {
    let mut app = App::new(restore_setup());
    let many = crate::snapshots::parse_snapshots(&crate::snapshots::sample_json(30));
    answer(
        &mut app,
        &many.map_err(|err| err.to_string()),
        Ok(SAMPLE_LISTING),
        RESTIC_017,
    );
    press(&mut app, &[Key::End]);
    check("snapshots_scrolled", &app);
}

#[test]
fn snapshots_filtered() {
    let mut app = listed();
    press(&mut app, &[Key::Char('/')]);
    type_text(&mut app, "server");
    press(&mut app, &[Key::Down]);
    check("snapshots_filtered", &app);
}

#[test]
fn snapshots_failed_with_manual_id() {
    let mut app = App::new(restore_setup());
    answer(
        &mut app,
        &Err("Fatal: unable to open config file: Stat: stat /srv/restic/home/config: no such file or directory\nIs there a repository at the following location?\n(restic: exit code 1)".into()),
        Ok(SAMPLE_LISTING),
        RESTIC_014,
    );
    type_text(&mut app, "7324ac");
    check("snapshots_failed_manual_id", &app);
}

#[test]
fn snapshots_empty_with_manual_id() {
    let mut app = App::new(restore_setup());
    answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_014);
    check("snapshots_empty_manual_id", &app);
}

#[test]
fn tree_loading() {
    let mut app = listed();
    press(&mut app, &[Key::Enter]);
    app.tick();
    check("tree_loading", &app);
}

#[test]
fn tree_partial_selection() {
    let mut app = in_tree();
    press(
        &mut app,
        &[
            Key::Right,
            Key::Down,
            Key::Right,
            Key::Down,
            Key::Char(' '),
            Key::End,
            Key::Char(' '),
        ],
    );
    check("tree_partial_selection", &app);
}

#[test]
fn tree_nothing_selected_notice() {
    let mut app = in_tree();
    press(&mut app, &[Key::Enter]);
    check("tree_nothing_selected", &app);
}

#[test]
fn tree_failed() {
    let mut app = listed();
    press(&mut app, &[Key::Enter]);
    answer(
        &mut app,
        &Ok(Vec::new()),
        Err("Fatal: invalid id \"zz\": no matching ID found\n(restic: exit code 1)"),
        RESTIC_017,
    );
    check("tree_failed", &app);
}

fn at_target() -> App {
    let mut app = in_tree();
    press(&mut app, &[Key::Char('a'), Key::Enter]);
    type_text(&mut app, "/tmp/restore");
    app
}

#[test]
fn target() {
    check("target", &at_target());
}

#[test]
fn overwrite_policy() {
    let mut app = at_target();
    press(&mut app, &[Key::Enter, Key::Down]);
    check("overwrite", &app);
}

#[test]
fn overwrite_waiting_for_restic_version() {
    let mut app = App::new(restore_setup());
    for request in app.take_requests() {
        if let Request::Snapshots { ticket, .. } = request {
            app.message(Msg::Snapshots {
                ticket,
                result: Ok(sample_snapshots()),
            });
        }
    }
    press(&mut app, &[Key::Enter]);
    answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), "unused");
    press(
        &mut app,
        &[Key::Char('a'), Key::Enter, Key::Char('t'), Key::Enter],
    );
    check("overwrite_waiting", &app);
}

#[test]
fn confirmation() {
    let mut app = in_tree();
    press(
        &mut app,
        &[Key::Right, Key::Down, Key::Char(' '), Key::Enter],
    );
    type_text(&mut app, "/tmp/restore here");
    press(&mut app, &[Key::Enter, Key::Down, Key::Enter]);
    check("confirmation", &app);
}

#[test]
fn confirmation_that_does_not_resolve() {
    let app = App::new(Setup {
        command: Some("check".into()),
        preset: Some("broken".into()),
        ..setup(&["broken", "home"])
    });
    check("confirmation_error", &app);
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
    assert!(text.contains(&format!("› {}", last.short_id)), "{text}");
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
