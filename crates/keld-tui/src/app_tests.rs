//! The state machine driven by key sequences and background answers, no terminal.

use super::*;
use crate::key::Key;
use crate::protocol::{Msg, PresetEntry};
use crate::snapshots::{parse_snapshots, sample_json};
use crate::tree::{SAMPLE_LISTING, Selection};

pub(crate) const RESTIC_017: &str = "restic 0.17.3 compiled with go1.22.5 on linux/amd64";
pub(crate) const RESTIC_014: &str = "restic 0.14.0 compiled with go1.19.8 on linux/amd64";

/// A preview the way keld resolves it: the preset's repository flag, then the choice.
pub(crate) fn preview(choice: &Choice) -> Result<Preview, String> {
    if choice.preset.as_deref() == Some("broken") {
        return Err("~/.config/keld/keld.toml: [broken] has no repository".into());
    }
    let mut argv = vec![
        "restic".to_owned(),
        "--repo".to_owned(),
        format!(
            "/srv/restic/{}",
            choice.preset.as_deref().unwrap_or("default")
        ),
        choice.command.clone(),
    ];
    argv.extend(choice.args.iter().cloned());
    Ok(Preview {
        argv,
        env_names: vec!["RESTIC_PASSWORD".into(), "AWS_SECRET_ACCESS_KEY".into()],
        warnings: Vec::new(),
    })
}

pub(crate) fn setup(presets: &[&str]) -> Setup {
    Setup {
        command: None,
        presets: presets
            .iter()
            .map(|name| PresetEntry {
                name: (*name).to_owned(),
                repository: Some(format!("/srv/restic/{name}")),
                repository_only: name.starts_with('@'),
                ..PresetEntry::default()
            })
            .collect(),
        preset: None,
        snapshot: None,
        target: None,
        preview: Box::new(preview),
        home: Some("/home/ann".into()),
        cwd: "/work".into(),
        dashboard: false,
    }
}

pub(crate) fn restore_setup() -> Setup {
    Setup {
        command: Some("restore".into()),
        preset: Some("home".into()),
        ..setup(&["home", "work"])
    }
}

pub(crate) fn press(app: &mut App, keys: &[Key]) {
    for &key in keys {
        app.key(key);
    }
}

pub(crate) fn type_text(app: &mut App, text: &str) {
    for ch in text.chars() {
        app.key(Key::Char(ch));
    }
}

/// restic 0.14's `diff --json` of two snapshots of `/rr/src`.
pub(crate) const SAMPLE_DIFF: &str = r#"{"message_type":"change","path":"/rr/src/a/x.txt","modifier":"M"}
{"message_type":"change","path":"/rr/src/c/","modifier":"+"}
{"message_type":"change","path":"/rr/src/c/z","modifier":"+"}
{"message_type":"change","path":"/rr/src/old.txt","modifier":"-"}
{"message_type":"statistics","changed_files":1,"added":{"files":1,"dirs":1,"bytes":2},"removed":{"files":1,"dirs":0,"bytes":2048}}
"#;

/// `forget --dry-run --json` that keeps the newest of the sample snapshots and
/// removes the next two.
pub(crate) fn sample_forget() -> String {
    let snapshots: serde_json::Value = serde_json::from_str(&sample_json(3)).expect("valid sample");
    serde_json::json!([{
        "host": "laptop",
        "paths": ["/home"],
        "keep": [snapshots[2]],
        "remove": [snapshots[1], snapshots[0]],
    }])
    .to_string()
}

pub(crate) fn sample_snapshots() -> Vec<ListedSnapshot> {
    parse_snapshots(&sample_json(12)).expect("valid sample")
}

/// Answer the outstanding requests: snapshots, listing and version as given.
pub(crate) fn answer(
    app: &mut App,
    snapshots: &Result<Vec<ListedSnapshot>, String>,
    listing: Result<&str, &str>,
    version: &str,
) -> Vec<Request> {
    let requests = app.take_requests();
    for request in &requests {
        let msg = match request {
            Request::Snapshots { ticket, .. } => Msg::Snapshots {
                ticket: *ticket,
                result: snapshots.clone(),
            },
            Request::Listing { ticket, .. } => Msg::Listing {
                ticket: *ticket,
                result: listing
                    .map(|text| FileTree::parse(text).expect("valid listing"))
                    .map_err(str::to_owned),
            },
            Request::ResticVersion { ticket } => Msg::ResticVersion {
                ticket: *ticket,
                result: Ok(version.to_owned()),
            },
            Request::Diff { ticket, .. } => Msg::Diff {
                ticket: *ticket,
                result: Ok(crate::diff::parse_diff(SAMPLE_DIFF).expect("valid diff")),
            },
            Request::ForgetPlan { ticket, .. } => Msg::ForgetPlan {
                ticket: *ticket,
                result: Ok(crate::forget::parse_forget(&sample_forget()).expect("valid plan")),
            },
            // Answered by the dashboard's and the drill's own tests.
            Request::Records { .. } | Request::Drill { .. } => continue,
        };
        app.message(msg);
    }
    requests
}

fn run_choice(app: &App) -> &Choice {
    match app.exit() {
        Some(Exit::Run(choice)) => choice,
        other => panic!("expected a choice, got {other:?}"),
    }
}

#[test]
fn bare_keld_asks_command_then_preset_then_confirms() {
    let mut app = App::new(setup(&["home", "work"]));
    assert_eq!(app.screen(), ScreenId::Command);
    assert!(app.take_requests().is_empty(), "nothing to ask restic yet");
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Preset);
    press(&mut app, &[Key::Char('j'), Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Confirm);
    let preview = app.preview().expect("computed").as_ref().expect("resolves");
    assert_eq!(
        preview.argv,
        ["restic", "--repo", "/srv/restic/work", "backup"]
    );
    press(&mut app, &[Key::Enter]);
    assert_eq!(
        run_choice(&app),
        &Choice {
            command: "backup".into(),
            preset: Some("work".into()),
            args: Vec::new(),
        }
    );
    assert!(
        app.take_requests().is_empty(),
        "backup never lists snapshots"
    );
}

#[test]
fn esc_on_first_screen_and_ctrl_c_anywhere_cancel() {
    let mut app = App::new(setup(&["home", "work"]));
    press(&mut app, &[Key::Esc]);
    assert_eq!(app.exit(), Some(&Exit::Cancelled));

    let mut app = App::new(setup(&["home", "work"]));
    press(&mut app, &[Key::Enter, Key::Interrupt]);
    assert_eq!(app.screen(), ScreenId::Preset);
    assert_eq!(app.exit(), Some(&Exit::Cancelled));
    press(&mut app, &[Key::Enter]);
    assert_eq!(
        app.exit(),
        Some(&Exit::Cancelled),
        "keys after the end change nothing"
    );
}

#[test]
fn preset_screen_is_skipped_with_zero_or_one_preset_or_preset_flag() {
    for (presets, flag, expected) in [
        (&[][..], None, None),
        (&["only"][..], None, Some("only")),
        (&["home", "work"][..], Some("work"), Some("work")),
    ] {
        let mut app = App::new(Setup {
            preset: flag.map(str::to_owned),
            ..setup(presets)
        });
        press(&mut app, &[Key::Enter]);
        assert_eq!(app.screen(), ScreenId::Confirm, "{presets:?} {flag:?}");
        assert_eq!(app.preset(), expected);
        // Esc from the confirmation returns to the command menu, the last visible screen.
        press(&mut app, &[Key::Esc]);
        assert_eq!(app.screen(), ScreenId::Command);
    }
}

#[test]
fn known_command_and_preset_start_at_the_snapshot_list_loading() {
    let mut app = App::new(restore_setup());
    assert_eq!(app.screen(), ScreenId::Snapshots);
    assert!(matches!(app.snapshots, SnapshotsState::Loading));
    let requests = app.take_requests();
    assert_eq!(
        requests,
        [
            Request::ResticVersion { ticket: 1 },
            Request::Snapshots {
                ticket: 2,
                preset: Some("home".into())
            },
        ]
    );
    // Keys other than Esc and Ctrl-C wait for restic.
    press(&mut app, &[Key::Enter, Key::Down]);
    assert_eq!(app.screen(), ScreenId::Snapshots);
    press(&mut app, &[Key::Esc]);
    assert_eq!(app.exit(), Some(&Exit::Cancelled), "first visible screen");
}

#[test]
fn full_restore_with_partial_selection_and_overwrite() {
    let mut app = App::new(setup(&["home", "work"]));
    press(&mut app, &[Key::Down, Key::Enter, Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Snapshots);
    let snapshots = sample_snapshots();
    let second = snapshots[1].snapshot.id.clone();
    answer(&mut app, &Ok(snapshots), Ok(SAMPLE_LISTING), RESTIC_017);
    assert!(matches!(app.snapshots, SnapshotsState::Loaded { .. }));
    press(&mut app, &[Key::Down, Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Tree);
    let requests = answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_017);
    assert_eq!(
        requests,
        [Request::Listing {
            ticket: 3,
            preset: Some("home".into()),
            snapshot: second.clone()
        }]
    );
    // The cursor starts on `a`: open it, select `link` and `c`.
    press(
        &mut app,
        &[
            Key::Right,
            Key::Down,
            Key::Down,
            Key::Char(' '),
            Key::End,
            Key::Char(' '),
        ],
    );
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Target);
    type_text(&mut app, "/tmp/back here");
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Overwrite);
    press(&mut app, &[Key::End, Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Confirm);
    press(&mut app, &[Key::Enter]);
    assert_eq!(
        run_choice(&app),
        &Choice {
            command: "restore".into(),
            preset: Some("home".into()),
            args: [
                &second,
                "--target",
                "/tmp/back here",
                "--include",
                "/rr/src/a/link",
                "--include",
                "/rr/src/c",
                "--overwrite",
                "never"
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    );
}

#[test]
fn everything_selected_is_a_full_restore_without_includes() {
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
    type_text(&mut app, "out");
    press(&mut app, &[Key::Enter]);
    // restic 0.14 has no --overwrite: straight to the confirmation.
    assert_eq!(app.screen(), ScreenId::Confirm);
    let choice = app.choice();
    assert_eq!(choice.args[1..], ["--target", "out"]);
    // Esc goes back to the target, the last screen that was shown.
    press(&mut app, &[Key::Esc]);
    assert_eq!(app.screen(), ScreenId::Target);
}

#[test]
fn esc_goes_back_keeping_answers_and_reloads_only_what_changed() {
    let mut app = App::new(restore_setup());
    answer(
        &mut app,
        &Ok(sample_snapshots()),
        Ok(SAMPLE_LISTING),
        RESTIC_014,
    );
    press(&mut app, &[Key::Down, Key::Down, Key::Enter]);
    answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_014);
    press(&mut app, &[Key::End, Key::Char(' '), Key::Enter]);
    type_text(&mut app, "dir");
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Confirm);

    press(&mut app, &[Key::Esc]);
    assert_eq!(app.screen(), ScreenId::Target);
    assert_eq!(app.target.text(), "dir", "the typed target is kept");
    press(&mut app, &[Key::Esc]);
    assert_eq!(app.screen(), ScreenId::Tree);
    let TreeState::Loaded(tree) = &app.tree else {
        panic!("tree kept");
    };
    assert_eq!(tree.selection(), Selection::Paths(vec!["/rr/src/c".into()]));
    press(&mut app, &[Key::Esc]);
    assert_eq!(app.screen(), ScreenId::Snapshots);
    let SnapshotsState::Loaded { picker, .. } = &app.snapshots else {
        panic!("list kept");
    };
    assert_eq!(picker.cursor(), 2, "the cursor is where it was");

    // The same snapshot again: no new listing, the selection survives.
    press(&mut app, &[Key::Enter]);
    assert!(app.take_requests().is_empty());
    press(&mut app, &[Key::Enter, Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Confirm);
    assert!(app.choice().args.contains(&"/rr/src/c".to_owned()));

    // Another snapshot: a fresh listing and a fresh selection.
    press(
        &mut app,
        &[Key::Esc, Key::Esc, Key::Esc, Key::Up, Key::Enter],
    );
    assert_eq!(app.screen(), ScreenId::Tree);
    assert!(matches!(app.tree, TreeState::Loading));
    assert_eq!(app.take_requests().len(), 1);
    assert!(!app.choice().args.contains(&"--include".to_owned()));
}

#[test]
fn answers_for_an_abandoned_preset_are_dropped() {
    let mut app = App::new(Setup {
        command: Some("restore".into()),
        ..setup(&["home", "work"])
    });
    assert_eq!(app.screen(), ScreenId::Preset);
    press(&mut app, &[Key::Enter]);
    let stale = app.take_requests();
    press(&mut app, &[Key::Esc, Key::Down, Key::Enter]);
    let fresh = app.take_requests();
    assert_eq!(
        fresh,
        [Request::Snapshots {
            ticket: 3,
            preset: Some("work".into())
        }]
    );
    let Request::Snapshots { ticket, .. } = stale[1] else {
        panic!("{stale:?}");
    };
    app.message(Msg::Snapshots {
        ticket,
        result: Ok(sample_snapshots()),
    });
    assert!(
        matches!(app.snapshots, SnapshotsState::Loading),
        "stale answer ignored"
    );
    app.message(Msg::Snapshots {
        ticket: 3,
        result: Ok(Vec::new()),
    });
    assert!(matches!(app.snapshots, SnapshotsState::Empty { .. }));
}

#[test]
fn failed_listing_offers_a_manual_id() {
    let mut app = App::new(restore_setup());
    answer(
        &mut app,
        &Err("Fatal: unable to open config file: no such file or directory".into()),
        Ok(SAMPLE_LISTING),
        RESTIC_014,
    );
    assert!(matches!(app.snapshots, SnapshotsState::Failed { .. }));
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Snapshots);
    assert_eq!(app.notice(), Some("Type a snapshot ID (or `latest`)."));
    type_text(&mut app, "latest");
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.notice(), None);
    assert_eq!(app.screen(), ScreenId::Tree);
    assert_eq!(
        app.take_requests(),
        [Request::Listing {
            ticket: 3,
            preset: Some("home".into()),
            snapshot: "latest".into()
        }]
    );
}

#[test]
fn empty_repository_offers_a_manual_id_and_rejects_spaces() {
    let mut app = App::new(restore_setup());
    answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_014);
    assert!(matches!(app.snapshots, SnapshotsState::Empty { .. }));
    type_text(&mut app, "ab cd");
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Snapshots, "an ID has no spaces");
    press(
        &mut app,
        &[Key::Backspace, Key::Backspace, Key::Backspace, Key::Enter],
    );
    assert_eq!(app.screen(), ScreenId::Tree);
    assert_eq!(app.snapshot(), Some("ab"));
}

#[test]
fn failed_tree_restores_everything_on_enter() {
    let mut app = App::new(restore_setup());
    answer(
        &mut app,
        &Ok(sample_snapshots()),
        Ok(SAMPLE_LISTING),
        RESTIC_014,
    );
    press(&mut app, &[Key::Enter]);
    answer(
        &mut app,
        &Ok(Vec::new()),
        Err("Fatal: unable to open repository: connection refused"),
        RESTIC_014,
    );
    assert!(matches!(app.tree, TreeState::Failed { .. }));
    press(&mut app, &[Key::Char(' '), Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Target);
}

#[test]
fn tree_with_nothing_selected_explains_instead_of_continuing() {
    let mut app = App::new(restore_setup());
    answer(
        &mut app,
        &Ok(sample_snapshots()),
        Ok(SAMPLE_LISTING),
        RESTIC_014,
    );
    press(&mut app, &[Key::Enter]);
    answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_014);
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Tree);
    assert!(
        app.notice()
            .is_some_and(|text| text.starts_with("Nothing selected"))
    );
    press(&mut app, &[Key::Down]);
    assert_eq!(app.notice(), None, "a notice lasts one key");
}

#[test]
fn filtered_snapshot_list_chooses_the_highlighted_match() {
    let mut app = App::new(restore_setup());
    let snapshots = sample_snapshots();
    answer(
        &mut app,
        &Ok(snapshots.clone()),
        Ok(SAMPLE_LISTING),
        RESTIC_014,
    );
    press(&mut app, &[Key::Char('/')]);
    type_text(&mut app, "user7");
    let SnapshotsState::Loaded { picker, .. } = &app.snapshots else {
        panic!("loaded");
    };
    let matches: Vec<&str> = picker
        .matches()
        .iter()
        .map(|&i| snapshots[i].snapshot.paths[0].as_str())
        .collect();
    assert_eq!(matches, ["/home/user7"]);
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Tree);
    let wanted = snapshots
        .iter()
        .find(|s| s.snapshot.paths[0] == "/home/user7");
    assert_eq!(app.snapshot(), wanted.map(|s| s.snapshot.id.as_str()));
}

#[test]
fn given_snapshot_and_target_are_neither_asked_nor_repeated() {
    let mut app = App::new(Setup {
        snapshot: Some("abcd1234".into()),
        target: Some("/restore".into()),
        ..restore_setup()
    });
    assert_eq!(app.screen(), ScreenId::Tree);
    let requests = answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_014);
    assert!(requests.contains(&Request::Listing {
        ticket: 2,
        preset: Some("home".into()),
        snapshot: "abcd1234".into()
    }));
    press(&mut app, &[Key::Char(' '), Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Confirm);
    assert_eq!(app.choice().args, ["--include", "/rr/src/a"]);
}

#[test]
fn unresolvable_choice_cannot_be_confirmed() {
    let mut app = App::new(Setup {
        command: Some("check".into()),
        preset: Some("broken".into()),
        ..setup(&["broken", "home"])
    });
    assert_eq!(app.screen(), ScreenId::Confirm);
    assert!(matches!(app.preview(), Some(Err(_))));
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.exit(), None);
    assert!(app.notice().is_some());
}

#[test]
fn empty_target_is_refused() {
    let mut app = App::new(restore_setup());
    answer(
        &mut app,
        &Ok(sample_snapshots()),
        Ok(SAMPLE_LISTING),
        RESTIC_014,
    );
    press(&mut app, &[Key::Enter]);
    answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_014);
    press(
        &mut app,
        &[Key::Char('a'), Key::Enter, Key::Char(' '), Key::Backspace],
    );
    press(&mut app, &[Key::Char(' '), Key::Enter]);
    assert_eq!(app.screen(), ScreenId::Target);
    assert_eq!(app.notice(), Some("Type the directory to restore into."));
}

#[test]
fn command_menu_filters() {
    let mut app = App::new(setup(&[]));
    press(&mut app, &[Key::Char('/')]);
    type_text(&mut app, "pru");
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.command(), Some("prune"));
    assert_eq!(app.screen(), ScreenId::Confirm);
}

#[test]
fn a_prefix_standing_in_for_its_combinations_lists_them_when_chosen() {
    let mut setup = Setup {
        command: Some("backup".into()),
        ..setup(&["home@", "work", "@nas", "@usb"])
    };
    setup.presets[0].combines = true;
    setup.presets[0].repository = None;
    let mut app = App::new(setup);
    let names = |app: &App| -> Vec<String> {
        app.offered_presets()
            .map(|preset| preset.name.clone())
            .collect()
    };
    assert_eq!(
        names(&app),
        ["home@", "work"],
        "halves of destinations only for whole-repository commands"
    );
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.expanded_prefix(), Some("home@"));
    assert_eq!(names(&app), ["home@nas", "home@usb"]);
    let repositories: Vec<Option<String>> = app
        .offered_presets()
        .map(|preset| preset.repository.clone())
        .collect();
    assert_eq!(
        repositories,
        [
            Some("/srv/restic/@nas".into()),
            Some("/srv/restic/@usb".into())
        ],
        "a combination shows its destination's repository"
    );
    press(&mut app, &[Key::Esc]);
    assert_eq!(app.expanded_prefix(), None);
    assert_eq!(names(&app), ["home@", "work"]);
    assert_eq!(
        app.screen(),
        ScreenId::Preset,
        "Esc left the list, not the screen"
    );
    press(&mut app, &[Key::Enter, Key::Down, Key::Enter]);
    assert_eq!(app.preset(), Some("home@usb"));
}
