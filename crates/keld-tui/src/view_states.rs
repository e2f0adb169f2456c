//! Every screen in each of its states, built by key sequences and answers: the
//! reviewed snapshots in `view_snapshots/`, the draw-at-every-size test and the
//! screenshots in docs/interactive.md all come from this list.

use crate::app::App;
use crate::app::tests::{
    RESTIC_014, RESTIC_017, answer, press, restore_setup, sample_snapshots, setup, type_text,
};
use crate::key::Key;
use crate::protocol::{Msg, Preview, Request, Setup};
use crate::snapshots::{parse_snapshots, sample_json};
use crate::tree::SAMPLE_LISTING;

/// A restore of preset `home` with the snapshot list loaded (restic 0.17).
pub(crate) fn listed() -> App {
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
pub(crate) fn in_tree() -> App {
    let mut app = listed();
    press(&mut app, &[Key::Down, Key::Enter]);
    answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_017);
    app
}

fn at_target() -> App {
    let mut app = in_tree();
    press(&mut app, &[Key::Char('a'), Key::Enter]);
    type_text(&mut app, "/tmp/restore");
    app
}

/// The menu's `snapshots` for preset `home`, the list answered: 12 snapshots, the
/// newest three with sizes as restic 0.17 records them.
fn browsing() -> App {
    let mut app = App::new(Setup {
        preset: Some("home".into()),
        ..setup(&["home", "work"])
    });
    press(&mut app, &[Key::Down, Key::Down, Key::Enter]);
    let mut snapshots = sample_snapshots();
    for (index, snapshot) in snapshots.iter_mut().take(3).enumerate() {
        let json = format!(
            r#"{{"total_files_processed":{},"total_bytes_processed":{}}}"#,
            100 + index,
            (index as u64 + 1) * 734_003_200
        );
        snapshot.summary = Some(serde_json::from_str(&json).expect("a summary"));
    }
    answer(&mut app, &Ok(snapshots), Ok(SAMPLE_LISTING), RESTIC_017);
    app
}

fn confirm_of(command: &str, preset: &str, preview: Preview) -> App {
    App::new(Setup {
        command: Some(command.into()),
        preset: Some(preset.into()),
        preview: Box::new(move |_| Ok(preview.clone())),
        ..setup(&["home", "work"])
    })
}

type Build = fn() -> App;

/// Every state, by the name of its snapshot.
pub(crate) const STATES: &[(&str, Build)] = &[
    ("command_menu", || App::new(setup(&["home", "work"]))),
    ("command_menu_filtered", || {
        let mut app = App::new(setup(&["home", "work"]));
        press(&mut app, &[Key::Char('/'), Key::Char('r'), Key::Char('e')]);
        app
    }),
    ("keys_help", || {
        let mut app = in_tree();
        press(&mut app, &[Key::Char('?')]);
        app
    }),
    ("preset_picker", || {
        let mut app = App::new(setup(&["home", "work", "offsite"]));
        press(&mut app, &[Key::Enter, Key::Down]);
        app
    }),
    ("preset_picker_halves", || {
        let mut app = App::new(setup(&["home@nas", "work@nas", "@nas"]));
        press(&mut app, &[Key::Char('/')]);
        type_text(&mut app, "check");
        press(&mut app, &[Key::Enter, Key::End]);
        app
    }),
    ("snapshots_loading", || App::new(restore_setup())),
    ("snapshots_loaded", || {
        let mut app = listed();
        press(&mut app, &[Key::Down, Key::Down]);
        app
    }),
    ("snapshots_scrolled", || {
        let mut app = App::new(restore_setup());
        let many = parse_snapshots(&sample_json(30)).map_err(|err| err.to_string());
        answer(&mut app, &many, Ok(SAMPLE_LISTING), RESTIC_017);
        press(&mut app, &[Key::End]);
        app
    }),
    ("snapshots_filtered", || {
        let mut app = listed();
        press(&mut app, &[Key::Char('/')]);
        type_text(&mut app, "server");
        press(&mut app, &[Key::Down]);
        app
    }),
    ("snapshots_failed_manual_id", || {
        let mut app = App::new(restore_setup());
        answer(
            &mut app,
            &Err("Fatal: unable to open config file: Stat: stat /srv/restic/home/config: no such file or directory\nIs there a repository at the following location?\n(restic: exit code 1)".into()),
            Ok(SAMPLE_LISTING),
            RESTIC_014,
        );
        type_text(&mut app, "7324ac");
        app
    }),
    ("snapshots_wrong_password", || {
        let mut app = App::new(restore_setup());
        let error = "Fatal: wrong password or no key found\n(restic: exit code 1)";
        answer(&mut app, &Err(error.into()), Ok(SAMPLE_LISTING), RESTIC_014);
        app
    }),
    ("snapshots_empty_manual_id", || {
        let mut app = App::new(restore_setup());
        answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_014);
        app
    }),
    ("snapshots_browse_compare", || {
        let mut app = browsing();
        press(&mut app, &[Key::Char('d'), Key::Down, Key::Down]);
        app
    }),
    ("tree_loading", || {
        let mut app = listed();
        press(&mut app, &[Key::Enter]);
        app.tick();
        app
    }),
    ("tree_partial_selection", || {
        let mut app = in_tree();
        let keys = [
            Key::Right,
            Key::Down,
            Key::Right,
            Key::Down,
            Key::Char(' '),
            Key::End,
            Key::Char(' '),
        ];
        press(&mut app, &keys);
        app
    }),
    ("tree_nothing_selected", || {
        let mut app = in_tree();
        press(&mut app, &[Key::Enter]);
        app
    }),
    ("tree_search", || {
        let mut app = in_tree();
        press(&mut app, &[Key::Char('/')]);
        type_text(&mut app, "txt");
        press(&mut app, &[Key::Enter, Key::Char(' ')]);
        app
    }),
    ("tree_failed", || {
        let mut app = listed();
        press(&mut app, &[Key::Enter]);
        let error = "Fatal: invalid id \"zz\": no matching ID found\n(restic: exit code 1)";
        answer(&mut app, &Ok(Vec::new()), Err(error), RESTIC_017);
        app
    }),
    ("tree_browse", || {
        let mut app = browsing();
        press(&mut app, &[Key::Down, Key::Enter]);
        answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_017);
        press(&mut app, &[Key::Enter, Key::Down, Key::Down]);
        app
    }),
    ("target", at_target),
    ("target_completions", || {
        let mut app = in_tree();
        press(&mut app, &[Key::Char('a'), Key::Enter]);
        type_text(&mut app, "~/D");
        app.completions = vec!["Desktop".into(), "Documents".into(), "Downloads".into()];
        app
    }),
    ("target_root", || {
        let mut app = in_tree();
        press(&mut app, &[Key::Char('a'), Key::Enter]);
        type_text(&mut app, "/");
        app
    }),
    ("overwrite", || {
        let mut app = at_target();
        press(&mut app, &[Key::Enter, Key::Down]);
        app
    }),
    ("overwrite_waiting", || {
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
        let keys = [Key::Char('a'), Key::Enter, Key::Char('t'), Key::Enter];
        press(&mut app, &keys);
        app
    }),
    ("confirmation", || {
        let mut app = in_tree();
        press(
            &mut app,
            &[Key::Right, Key::Down, Key::Char(' '), Key::Enter],
        );
        type_text(&mut app, "/tmp/restore here");
        press(&mut app, &[Key::Enter, Key::Down, Key::Enter]);
        app
    }),
    ("confirmation_root", || {
        let mut app = in_tree();
        press(&mut app, &[Key::Char('a'), Key::Enter]);
        type_text(&mut app, "/");
        press(&mut app, &[Key::Enter, Key::Enter, Key::Enter]);
        app
    }),
    ("confirmation_error", || {
        App::new(Setup {
            command: Some("check".into()),
            preset: Some("broken".into()),
            ..setup(&["broken", "home"])
        })
    }),
    ("confirmation_warning", || {
        let preview = Preview {
            argv: ["restic", "snapshots", "--repo", "/srv/nas", "/home/ann"]
                .map(str::to_owned)
                .to_vec(),
            env_names: vec!["RESTIC_PASSWORD".into()],
            warnings: vec![
                "`_arguments` from [home@] (/home/ann) are given to restic snapshots too, \
                 which reads them as its own arguments (snapshot IDs: it will likely list or \
                 touch nothing). Set `_arguments = []` in a [home@nas.snapshots] section to \
                 leave them out."
                    .into(),
            ],
        };
        confirm_of("snapshots", "home", preview)
    }),
    ("confirmation_forget", || {
        let preview = Preview {
            argv: [
                "restic",
                "forget",
                "--repo",
                "/srv/restic/home",
                "--keep-last",
                "1",
            ]
            .map(str::to_owned)
            .to_vec(),
            env_names: vec!["RESTIC_PASSWORD".into()],
            warnings: Vec::new(),
        };
        let mut app = confirm_of("forget", "home", preview);
        answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_017);
        app
    }),
    ("diff", || {
        let mut app = browsing();
        press(
            &mut app,
            &[Key::Char('d'), Key::Down, Key::Down, Key::Char('d')],
        );
        answer(&mut app, &Ok(Vec::new()), Ok(SAMPLE_LISTING), RESTIC_017);
        app
    }),
    ("diff_loading", || {
        let mut app = browsing();
        press(&mut app, &[Key::Char('d'), Key::Down, Key::Char('d')]);
        app
    }),
];
