//! The second pass's behaviour, by key sequences: the breadcrumb after going back,
//! `~`, leaving with `q`, the keys list, the confirmation that must be read to the
//! end, restoring over `/`, presets with their repository halves, the snapshot
//! list as a place to look around (files, comparisons) and forget's dry run.

use super::tests::{
    RESTIC_014, RESTIC_017, answer, press, restore_setup, sample_snapshots, setup, type_text,
};
use super::*;
use crate::key::Key;
use crate::protocol::Msg;
use crate::tree::SAMPLE_LISTING;

fn run_choice(app: &App) -> &Choice {
    match app.exit() {
        Some(Exit::Run(choice)) => choice,
        other => panic!("expected a choice, got {other:?}"),
    }
}

/// A restore of `home` at the target screen, everything selected.
fn at_target() -> App {
    let mut app = App::new(restore_setup());
    answer(
        &mut app,
        &Ok(sample_snapshots()),
        Ok(SAMPLE_LISTING),
        RESTIC_014,
    );
    press(&mut app, &[Key::Enter]);
    answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_014);
    press(&mut app, &[Key::Char('a'), Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Target);
    app
}

#[test]
fn the_way_back_forgets_nothing_but_shows_only_what_leads_here() {
    let mut app = App::new(setup(&["home", "work"]));
    press(&mut app, &[Key::Down, Key::Enter, Key::Enter]);
    answer(
        &mut app,
        &Ok(sample_snapshots()),
        Ok(SAMPLE_LISTING),
        RESTIC_014,
    );
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Tree);
    assert!(app.answered(ScreenId::Command) && app.answered(ScreenId::Snapshots));
    press(&mut app, &[Key::Esc, Key::Esc, Key::Esc]);
    assert_eq!(app.screen(), ScreenId::Command);
    assert!(
        !app.answered(ScreenId::Command),
        "the menu's own answer is open again"
    );
    assert!(!app.answered(ScreenId::Preset));
    assert_eq!(app.command(), Some("restore"), "but still known");
}

#[test]
fn a_tilde_target_is_expanded_as_a_shell_would() {
    let mut app = at_target();
    type_text(&mut app, "~/keld-tui-r3");
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Confirm);
    let choice = app.choice();
    assert_eq!(choice.args[1..3], ["--target", "/home/ann/keld-tui-r3"]);
}

#[test]
fn text_fields_edit_in_the_middle() {
    let mut app = at_target();
    type_text(&mut app, "/tmp/rstore");
    press(&mut app, &[Key::Left; 5]);
    type_text(&mut app, "e");
    press(&mut app, &[Key::End]);
    type_text(&mut app, "/x y");
    press(&mut app, &[Key::Ctrl('w')]);
    assert_eq!(app.target.text(), "/tmp/restore/x ");
    press(&mut app, &[Key::Ctrl('u')]);
    assert_eq!(app.target.text(), "");
}

#[test]
fn tab_completes_the_target_from_the_disk() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("restores/today")).expect("mkdir");
    let mut app = App::new(Setup {
        home: Some(dir.path().to_owned()),
        ..restore_setup()
    });
    answer(
        &mut app,
        &Ok(sample_snapshots()),
        Ok(SAMPLE_LISTING),
        RESTIC_014,
    );
    press(&mut app, &[Key::Enter]);
    answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_014);
    press(&mut app, &[Key::Char('a'), Key::Enter]);
    type_text(&mut app, "~/res");
    press(&mut app, &[Key::Tab]);
    assert_eq!(app.target.text(), "~/restores/");
    press(&mut app, &[Key::Tab]);
    assert_eq!(app.target.text(), "~/restores/today/");
    type_text(&mut app, "zz");
    press(&mut app, &[Key::Tab]);
    assert_eq!(app.notice(), Some("No directory starts with that."));
}

#[test]
fn q_leaves_except_where_it_is_typed_and_question_mark_lists_the_keys() {
    let mut app = App::new(setup(&["home", "work"]));
    press(&mut app, &[Key::Char('?')]);
    assert!(app.help);
    press(&mut app, &[Key::Char('q')]);
    assert!(!app.help, "any key closes the list");
    assert_eq!(app.exit(), None, "and does nothing else");
    press(&mut app, &[Key::Char('/'), Key::Char('q')]);
    assert_eq!(app.exit(), None, "typed into the filter");
    press(&mut app, &[Key::Esc, Key::Char('q')]);
    assert_eq!(app.exit(), Some(&Exit::Cancelled));

    let mut app = at_target();
    type_text(&mut app, "q?");
    assert_eq!(app.target.text(), "q?");
    assert_eq!(app.exit(), None);
}

#[test]
fn enter_runs_only_once_the_whole_command_was_shown() {
    let mut app = App::new(Setup {
        command: Some("check".into()),
        preset: Some("home".into()),
        ..setup(&["home", "work"])
    });
    assert_eq!(app.screen(), ScreenId::Confirm);
    assert!(app.can_run());
    // The view found the command longer than the screen.
    app.confirm_seen.set(false);
    assert!(!app.can_run());
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.exit(), None);
    assert!(app.notice().is_some_and(|notice| notice.contains("↓")));
    press(&mut app, &[Key::Down, Key::PageDown, Key::End]);
    assert!(app.confirm_scroll.get() > 0);
    app.confirm_seen.set(true);
    press(&mut app, &[Key::Enter]);
    assert_eq!(run_choice(&app).command, "check");
}

#[test]
fn restoring_over_slash_needs_a_second_enter() {
    let mut app = at_target();
    type_text(&mut app, "/");
    press(&mut app, &[Key::Enter]);
    assert!(app.over_live_files());
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.exit(), None);
    assert!(
        app.notice()
            .is_some_and(|notice| notice.contains("live files"))
    );
    press(&mut app, &[Key::Enter]);
    assert_eq!(run_choice(&app).args[1..3], ["--target", "/"]);

    let mut app = at_target();
    type_text(&mut app, "/tmp/x");
    press(&mut app, &[Key::Enter, Key::Enter]);
    assert!(app.exit().is_some(), "another target runs at once");
}

#[test]
fn repository_halves_are_offered_for_repository_wide_commands() {
    let presets = ["home@nas", "work@nas", "@nas"];
    let mut app = App::new(setup(&presets));
    // backup: the two full presets.
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Preset);
    assert_eq!(app.offered_presets().len(), 2);
    press(&mut app, &[Key::Esc]);
    // check: the repository half too.
    press(&mut app, &[Key::Char('/')]);
    type_text(&mut app, "check");
    press(&mut app, &[Key::Enter]);
    let names: Vec<&str> = app.offered_presets().map(|p| p.name.as_str()).collect();
    assert_eq!(names, presets);
    press(&mut app, &[Key::End, Key::Enter]);
    assert_eq!(app.choice().preset.as_deref(), Some("@nas"));
}

#[test]
fn one_preset_besides_halves_is_chosen_without_asking() {
    let mut app = App::new(setup(&["home", "@nas"]));
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Confirm, "backup: only home");
    assert_eq!(app.preset(), Some("home"));
}

/// The menu's `snapshots`, the list answered.
fn browsing() -> App {
    let mut app = App::new(Setup {
        preset: Some("home".into()),
        ..setup(&["home", "work"])
    });
    press(&mut app, &[Key::Down, Key::Down]);
    press(&mut app, &[Key::Enter]);
    assert!(app.browsing());
    assert_eq!(app.screen(), ScreenId::Snapshots);
    answer(
        &mut app,
        &Ok(sample_snapshots()),
        Ok(SAMPLE_LISTING),
        RESTIC_017,
    );
    app
}

#[test]
fn the_snapshot_list_opens_a_snapshots_files_to_look_at() {
    let mut app = browsing();
    press(&mut app, &[Key::Down, Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Tree);
    let requests = answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_017);
    assert!(matches!(requests[..], [Request::Listing { .. }]));
    let TreeState::Loaded(tree) = &app.tree else {
        panic!("loaded");
    };
    let rows = tree.rows().len();
    // Enter opens; Space selects nothing here.
    press(&mut app, &[Key::Enter, Key::Char(' ')]);
    let TreeState::Loaded(tree) = &app.tree else {
        panic!("loaded");
    };
    assert!(tree.rows().len() > rows);
    assert_eq!(tree.selection(), crate::tree::Selection::Nothing);
    press(&mut app, &[Key::Esc]);
    assert_eq!(app.screen(), ScreenId::Snapshots);
    press(&mut app, &[Key::Esc, Key::Esc]);
    assert_eq!(app.exit(), Some(&Exit::Cancelled), "nothing ran");
}

#[test]
fn two_snapshots_are_compared_oldest_first() {
    let mut app = browsing();
    let snapshots = sample_snapshots();
    press(&mut app, &[Key::Char('d')]);
    assert_eq!(app.compare_from, Some(0));
    press(&mut app, &[Key::Down, Key::Down, Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Diff);
    let requests = answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_017);
    assert_eq!(
        requests,
        [Request::Diff {
            ticket: 2,
            preset: Some("home".into()),
            from: snapshots[2].snapshot.id.clone(),
            to: snapshots[0].snapshot.id.clone(),
        }]
    );
    let DiffState::Loaded { diff, .. } = &app.diff else {
        panic!("loaded");
    };
    assert_eq!(diff.changes.len(), 4);
    press(&mut app, &[Key::Char('/')]);
    type_text(&mut app, "old");
    let DiffState::Loaded { picker, .. } = &app.diff else {
        panic!("loaded");
    };
    assert_eq!(picker.matches(), [3]);
    press(&mut app, &[Key::Esc, Key::Esc]);
    assert_eq!(app.screen(), ScreenId::Snapshots);
    assert_eq!(app.compare_from, None);
    // d on the marked one unmarks it; Esc unmarks before going back.
    press(&mut app, &[Key::Char('d'), Key::Char('d')]);
    assert_eq!(app.compare_from, None);
    press(&mut app, &[Key::Char('d'), Key::Esc]);
    assert_eq!(app.compare_from, None);
    assert_eq!(app.screen(), ScreenId::Snapshots);
}

#[test]
fn forget_shows_its_dry_run_before_it_runs() {
    let mut app = App::new(Setup {
        command: Some("forget".into()),
        preset: Some("home".into()),
        ..setup(&["home", "work"])
    });
    assert_eq!(app.screen(), ScreenId::Confirm);
    assert!(app.waiting());
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.exit(), None, "not before restic said what it removes");
    let requests = answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_017);
    assert!(matches!(requests[..], [Request::ForgetPlan { .. }]));
    let PlanState::Loaded(plan) = &app.plan else {
        panic!("{:?}", app.plan);
    };
    assert_eq!(plan.counts(), (1, 2));
    press(&mut app, &[Key::Enter]);
    assert_eq!(run_choice(&app).command, "forget");
}

#[test]
fn the_tree_search_finds_selects_and_gives_the_tree_back() {
    let mut app = App::new(restore_setup());
    answer(
        &mut app,
        &Ok(sample_snapshots()),
        Ok(SAMPLE_LISTING),
        RESTIC_014,
    );
    press(&mut app, &[Key::Enter]);
    answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_014);
    press(&mut app, &[Key::Char('/')]);
    type_text(&mut app, "txt");
    assert!(app.tree_typing);
    // Letters are the search now; Enter ends typing and keeps the matches.
    press(&mut app, &[Key::Enter, Key::Char('a')]);
    let TreeState::Loaded(tree) = &app.tree else {
        panic!("loaded");
    };
    assert_eq!(tree.search_matches(), 2);
    press(&mut app, &[Key::Esc]);
    let TreeState::Loaded(tree) = &app.tree else {
        panic!("loaded");
    };
    assert_eq!(tree.search_query(), None);
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Target);
    assert_eq!(
        app.choice().args[3..],
        ["--include", "/rr/src/a/b", "--include", "/rr/src/a/x.txt"]
    );
}

#[test]
fn a_spaced_id_gets_its_own_note() {
    let mut app = App::new(restore_setup());
    answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_014);
    type_text(&mut app, "ab cd");
    press(&mut app, &[Key::Enter]);
    assert!(
        app.notice()
            .is_some_and(|notice| notice.contains("no spaces")),
        "{:?}",
        app.notice()
    );
}

#[test]
fn a_wrong_password_offers_no_restore() {
    let mut app = App::new(restore_setup());
    answer(
        &mut app,
        &Err("Fatal: wrong password or no key found\n(restic: exit code 1)".into()),
        Ok(SAMPLE_LISTING),
        RESTIC_014,
    );
    assert!(matches!(
        app.snapshots,
        SnapshotsState::Failed { field: None, .. }
    ));
    type_text(&mut app, "latest");
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Snapshots, "nothing to type into");
    assert!(app.take_requests().is_empty());
    press(&mut app, &[Key::Esc]);
    assert_eq!(app.exit(), Some(&Exit::Cancelled));
}

#[test]
fn an_id_that_names_no_snapshot_is_explained_and_not_restored() {
    for listing in [
        // restic 0.18: a failure.
        Err("Fatal: no matching ID found for prefix \"zz\"\n(restic: exit code 1)"),
        // restic 0.14: success with nothing listed (its words go to stderr).
        Ok(""),
    ] {
        let mut app = App::new(restore_setup());
        answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_014);
        type_text(&mut app, "zz");
        press(&mut app, &[Key::Enter]);
        answer(&mut app, &Ok(Vec::new()), listing, RESTIC_014);
        let TreeState::Failed { error, restorable } = &app.tree else {
            panic!("{listing:?}: {:?}", app.tree);
        };
        assert!(!restorable, "{error}");
        assert!(
            error.contains("no matching ID") || error.contains("no snapshot matched"),
            "{error}"
        );
        press(&mut app, &[Key::Enter]);
        assert_eq!(app.screen(), ScreenId::Tree, "Enter does not go on");
        assert!(app.notice().is_some_and(|n| n.contains("no such snapshot")));
    }
}

#[test]
fn overwrite_question_waits_for_the_version_then_shows_or_skips() {
    for (version, expected) in [
        (RESTIC_017, ScreenId::Overwrite),
        (RESTIC_014, ScreenId::Confirm),
    ] {
        let mut app = App::new(restore_setup());
        let mut held = None;
        for request in app.take_requests() {
            match request {
                Request::ResticVersion { ticket } => held = Some(ticket),
                Request::Snapshots { ticket, .. } => app.message(Msg::Snapshots {
                    ticket,
                    result: Ok(sample_snapshots()),
                }),
                other => unreachable!("not asked yet: {other:?}"),
            }
        }
        press(&mut app, &[Key::Enter]);
        answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), "unused");
        press(&mut app, &[Key::Char('a'), Key::Enter]);
        type_text(&mut app, "t");
        press(&mut app, &[Key::Enter]);
        assert_eq!(app.screen(), ScreenId::Overwrite);
        assert!(app.overwrite_waiting());
        press(&mut app, &[Key::Enter]);
        assert_eq!(app.screen(), ScreenId::Overwrite, "Enter waits for restic");
        app.message(Msg::ResticVersion {
            ticket: held.expect("version asked"),
            result: Ok(version.into()),
        });
        assert_eq!(app.screen(), expected, "{version}");
        if expected == ScreenId::Confirm {
            press(&mut app, &[Key::Esc]);
            assert_eq!(
                app.screen(),
                ScreenId::Target,
                "the skipped question is no step back"
            );
        }
    }
}
