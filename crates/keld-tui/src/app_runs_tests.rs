//! The dashboard and the drill screen, driven by keys and answers, no terminal.

use keld_hooks::{DrillProgress, Verdict};

use super::tests::{press, preview, setup, type_text};
use super::*;
use crate::dashboard::tests::{record, records};
use crate::key::Key;
use crate::protocol::Msg;

/// A bare `keld` with these presets: it starts at the dashboard.
pub(crate) fn dashboard_setup(presets: &[&str]) -> Setup {
    Setup {
        dashboard: true,
        ..setup(presets)
    }
}

/// The presets of the sample dashboard, in the config's order.
pub(crate) const PRESETS: [&str; 5] = ["home@nas", "home@usb", "laptop", "offsite", "work"];

/// Records of each kind (read at `dashboard::tests::NOW`): `home@nas` backed up 3
/// hours ago and drilled two days ago; `home@usb` failing for an hour, its last
/// success 30 hours ago (stale); `laptop` never succeeded (stale); `offsite` never
/// backed up; `work` warned 20 hours ago.
pub(crate) fn sample_records() -> Records {
    records(&[
        record("home@usb", "backup", 30, "success"),
        record("laptop", "backup", 5, "failed"),
        record("home@nas", "drill", 50, "success"),
        record("work", "backup", 20, "warning"),
        record("laptop", "backup", 2, "failed"),
        record("home@usb", "backup", 1, "failed"),
        record("home@nas", "backup", 3, "success"),
        record("home@nas", "check", 1, "failed"),
    ])
}

/// Answer the outstanding request for the run records with `result`; false when none
/// was asked for.
pub(crate) fn answer_records(app: &mut App, result: &Result<Records, String>) -> bool {
    let mut answered = false;
    for request in app.take_requests() {
        if let Request::Records { ticket } = request {
            app.message(Msg::Records {
                ticket,
                result: result.clone(),
            });
            answered = true;
        }
    }
    answered
}

/// The sample dashboard, read.
pub(crate) fn dashboard() -> App {
    let mut app = App::new(dashboard_setup(&PRESETS));
    assert!(answer_records(&mut app, &Ok(sample_records())));
    app
}

/// A drill of `home@nas` that found its files as they were, but two changed or gone.
pub(crate) fn sample_drill() -> DrillOutcome {
    DrillOutcome {
        preset: "home@nas".into(),
        files: vec![
            (Verdict::Ok, "ok      /home/me/notes.txt".into()),
            (
                Verdict::Ok,
                "ok      /home/me/photos/2026/IMG_0042.jpg".into(),
            ),
            (
                Verdict::Changed,
                "changed /home/me/.config/app/state.json".into(),
            ),
            (
                Verdict::Missing,
                "missing /home/me/Downloads/old.iso".into(),
            ),
            (Verdict::Ok, r"ok      $'/home/me/new\nline.txt'".into()),
        ],
        summary: Some(
            "drill home@nas: 5 files from snapshot 1a2b3c4d (2026-12-05 02:00): 3 ok, 1 \
             changed, 1 missing, 0 errors"
                .into(),
        ),
        error: None,
        failed_files: None,
        exit_code: 0,
        result: "success",
        warnings: Vec::new(),
    }
}

/// The drill's ticket once `app` asked for one.
pub(crate) fn drill_ticket(app: &mut App) -> u64 {
    app.take_requests()
        .into_iter()
        .find_map(|request| match request {
            Request::Drill { ticket, .. } => Some(ticket),
            _ => None,
        })
        .expect("a drill was asked for")
}

#[test]
fn a_bare_keld_starts_at_the_dashboard_before_the_records_are_read() {
    let mut app = App::new(dashboard_setup(&PRESETS));
    assert_eq!(app.screen(), ScreenId::Dashboard);
    assert!(
        app.waiting(),
        "the spinner turns until the records are read"
    );
    assert_eq!(app.take_requests(), [Request::Records { ticket: 1 }]);
    assert_eq!(app.dashboard_presets, PRESETS);
    // The screen works before the answer: keys move.
    press(&mut app, &[Key::Down]);
    assert_eq!(app.dashboard_picker.current(), Some(1));
    app.message(Msg::Records {
        ticket: 1,
        result: Ok(sample_records()),
    });
    assert!(!app.waiting());
    let stale: Vec<bool> = app.statuses.iter().map(Status::stale).collect();
    assert_eq!(stale, [false, true, true, false, false]);
    assert_eq!(app.dashboard_picker.current(), Some(1), "the cursor stays");
}

#[test]
fn enter_on_a_preset_goes_on_with_it_chosen() {
    let mut app = dashboard();
    press(&mut app, &[Key::Down, Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Command);
    assert_eq!(app.dashboard_preset(), Some("home@usb"));
    // check: a whole-repository command, still no preset picker.
    press(&mut app, &[Key::Char('/')]);
    type_text(&mut app, "check");
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Confirm);
    press(&mut app, &[Key::Enter]);
    assert_eq!(
        app.exit(),
        Some(&Exit::Run(Choice {
            command: "check".into(),
            preset: Some("home@usb".into()),
            args: Vec::new(),
        }))
    );
}

#[test]
fn esc_goes_back_to_the_dashboard_which_reads_the_records_again() {
    let mut app = dashboard();
    press(&mut app, &[Key::End, Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Command);
    assert!(app.take_requests().is_empty());
    press(&mut app, &[Key::Esc]);
    assert_eq!(app.screen(), ScreenId::Dashboard);
    assert_eq!(
        app.dashboard_picker.current(),
        Some(4),
        "the cursor is kept"
    );
    let mut newer = sample_records();
    newer.rows.retain(|row| row.preset != "work");
    assert!(answer_records(&mut app, &Ok(newer)), "asked again");
    assert_eq!(app.statuses[4], Status::default());
    press(&mut app, &[Key::Esc]);
    assert_eq!(
        app.exit(),
        Some(&Exit::Cancelled),
        "Esc on the first screen"
    );
}

#[test]
fn c_opens_the_command_menu_and_the_preset_is_asked_after() {
    let mut app = dashboard();
    press(&mut app, &[Key::Down, Key::Char('c')]);
    assert_eq!(app.screen(), ScreenId::Command);
    assert_eq!(app.dashboard_preset(), None);
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Preset, "backup: which preset?");
}

#[test]
fn q_leaves_and_question_mark_shows_the_keys() {
    let mut app = dashboard();
    press(&mut app, &[Key::Char('?')]);
    assert!(app.help);
    press(&mut app, &[Key::Char('q')]);
    assert!(!app.help, "any key closes the keys");
    assert_eq!(app.exit(), None);
    press(&mut app, &[Key::Char('q')]);
    assert_eq!(app.exit(), Some(&Exit::Cancelled));
}

#[test]
fn the_dashboard_filters_by_name() {
    let mut app = dashboard();
    press(&mut app, &[Key::Char('/')]);
    type_text(&mut app, "usb");
    assert_eq!(app.dashboard_picker.matches(), [1]);
    // While filtering, `c`, `d` and `q` are text.
    type_text(&mut app, "q");
    assert_eq!(app.screen(), ScreenId::Dashboard);
    press(&mut app, &[Key::Backspace, Key::Enter]);
    assert_eq!(app.dashboard_preset(), Some("home@usb"));
}

#[test]
fn an_answer_to_an_older_request_is_dropped() {
    let mut app = App::new(dashboard_setup(&PRESETS));
    app.take_requests();
    app.message(Msg::Records {
        ticket: 99,
        result: Ok(sample_records()),
    });
    assert!(app.records.is_none());
}

#[test]
fn records_that_cannot_be_read_leave_every_status_unknown() {
    let mut app = dashboard();
    press(&mut app, &[Key::Enter, Key::Esc]);
    assert!(answer_records(
        &mut app,
        &Err("cannot read the run records in /state: Permission denied".into())
    ));
    assert!(
        app.statuses
            .iter()
            .all(|status| *status == Status::default())
    );
    assert!(matches!(app.records, Some(Err(_))));
}

#[test]
fn combinations_in_the_records_are_listed_when_the_config_lists_prefixes() {
    let mut setup = dashboard_setup(&["home@", "work", "@nas"]);
    setup.presets[0].combines = true;
    let mut app = App::new(setup);
    assert_eq!(
        app.dashboard_presets,
        ["work"],
        "halves are not presets to run"
    );
    press(&mut app, &[Key::Char('j')]);
    let recorded = records(&[
        record("home@nas", "backup", 1, "success"),
        record("work", "backup", 1, "success"),
    ]);
    assert!(answer_records(&mut app, &Ok(recorded)));
    assert_eq!(app.dashboard_presets, ["work", "home@nas"]);
    assert!(app.statuses[1].backup.is_some());
    assert_eq!(app.dashboard_picker.current(), Some(0));
}

#[test]
fn d_drills_the_highlighted_preset_and_shows_its_verdicts() {
    let mut app = dashboard();
    press(&mut app, &[Key::Char('d')]);
    assert_eq!(app.screen(), ScreenId::Drill);
    assert_eq!(app.preset(), Some("home@nas"));
    let requests = app.take_requests();
    assert_eq!(
        requests,
        [Request::Drill {
            ticket: 2,
            preset: Some("home@nas".into())
        }]
    );
    assert!(app.waiting());
    app.message(Msg::DrillProgress {
        ticket: 2,
        progress: DrillProgress::Restoring { files: 5 },
    });
    assert!(matches!(
        app.drill,
        DrillState::Running {
            progress: Some(DrillProgress::Restoring { files: 5 }),
            ..
        }
    ));
    // Esc and q do not leave a running drill: they say how to stop it.
    press(&mut app, &[Key::Esc, Key::Char('q')]);
    assert_eq!(app.screen(), ScreenId::Drill);
    assert_eq!(app.exit(), None);
    assert!(app.notice().is_some_and(|notice| notice.contains("Ctrl-C")));
    app.message(Msg::Drill {
        ticket: 2,
        result: Ok(sample_drill()),
    });
    assert!(!app.waiting());
    let DrillState::Done { picker, .. } = &app.drill else {
        panic!("done: {:?}", app.drill);
    };
    assert_eq!(picker.matches().len(), 5);
    press(&mut app, &[Key::Char('/')]);
    type_text(&mut app, "changed");
    let DrillState::Done { picker, .. } = &app.drill else {
        panic!("done");
    };
    assert_eq!(picker.matches(), [2]);
    press(&mut app, &[Key::Esc, Key::Esc]);
    assert_eq!(app.screen(), ScreenId::Dashboard, "back where it started");
    assert!(
        answer_records(&mut app, &Ok(sample_records())),
        "read again"
    );
}

#[test]
fn ctrl_c_leaves_a_running_drill() {
    let mut app = dashboard();
    press(&mut app, &[Key::Char('d')]);
    press(&mut app, &[Key::Interrupt]);
    assert_eq!(app.exit(), Some(&Exit::Cancelled));
}

#[test]
fn drill_from_the_command_menu_asks_the_preset_then_runs() {
    let mut app = App::new(setup(&["home", "work"]));
    press(&mut app, &[Key::Char('/')]);
    type_text(&mut app, "drill");
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Preset);
    assert!(
        app.take_requests().is_empty(),
        "nothing runs before the preset"
    );
    press(&mut app, &[Key::Down, Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Drill);
    let ticket = drill_ticket(&mut app);
    app.message(Msg::Drill {
        ticket,
        result: Err("a drill could not start".into()),
    });
    assert!(matches!(app.drill, DrillState::Failed(_)));
    // Back to the preset, and another drill for the other preset.
    press(&mut app, &[Key::Esc]);
    assert_eq!(app.screen(), ScreenId::Preset);
    press(&mut app, &[Key::Up, Key::Enter]);
    assert_eq!(
        app.take_requests(),
        [Request::Drill {
            ticket: ticket + 1,
            preset: Some("home".into())
        }]
    );
    // The answer of the first drill no longer counts.
    app.message(Msg::Drill {
        ticket,
        result: Ok(sample_drill()),
    });
    assert!(matches!(app.drill, DrillState::Running { .. }));
}

#[test]
fn the_dashboard_is_only_for_a_bare_keld() {
    let app = App::new(Setup {
        preview: Box::new(preview),
        ..setup(&PRESETS)
    });
    assert_eq!(app.screen(), ScreenId::Command);
}
