//! Every screen in each of its states, built by key sequences and answers: the
//! reviewed snapshots in `view_snapshots/`, the draw-at-every-size test and the
//! screenshots in docs/interactive.md all come from this list.

use keld_hooks::{DrillProgress, Verdict};

use crate::app::App;
use crate::app::runs_tests::{
    PRESETS, answer_records, dashboard, dashboard_setup, drill_ticket, sample_drill,
};
use crate::app::tests::{
    RESTIC_014, RESTIC_017, answer, press, restore_setup, sample_snapshots, setup, type_text,
};
use crate::dashboard::tests::{record, records};
use crate::drill_outcome::DrillOutcome;
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
    for (index, listed) in snapshots.iter_mut().take(3).enumerate() {
        let json = format!(
            r#"{{"total_files_processed":{},"total_bytes_processed":{}}}"#,
            100 + index,
            (index as u64 + 1) * 734_003_200
        );
        listed.snapshot.summary = Some(serde_json::from_str(&json).expect("a summary"));
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

/// The sample dashboard, `d` pressed on `home@nas`, the drill answered with `result`.
fn drilled(result: Result<DrillOutcome, String>) -> App {
    let mut app = dashboard();
    press(&mut app, &[Key::Char('d')]);
    let ticket = drill_ticket(&mut app);
    app.message(Msg::Drill { ticket, result });
    app
}

/// Names, paths and messages that would act on the terminal if written raw: an
/// escape sequence that retitles the window, a C1 control, a bidirectional override,
/// a line separator.
pub(crate) const HOSTILE_PRESETS: [&str; 4] = [
    "evil\u{1b}]0;owned\u{7}",
    "rtl\u{202e}txt.exe",
    "c1\u{9b}2J",
    "line\u{2028}sep",
];

/// The dashboard of [`HOSTILE_PRESETS`], their records failing with hostile messages,
/// the cursor on the first.
pub(crate) fn hostile_dashboard() -> App {
    let mut app = App::new(dashboard_setup(&HOSTILE_PRESETS));
    let mut list: Vec<_> = HOSTILE_PRESETS
        .iter()
        .map(|preset| record(preset, "backup", 30, "failed"))
        .collect();
    list[0].error = Some("restic: \u{1b}[2J\u{1b}[31mFatal\u{9b}0m: \u{202e}gnorw\nsecond".into());
    let mut read = records(&list);
    read.skipped = 1;
    read.file = "/state/\u{1b}[1mruns.jsonl".into();
    answer_records(&mut app, &Ok(read));
    app
}

/// A drill whose lines, summary, error and warnings hold control characters.
pub(crate) fn hostile_drill() -> App {
    drilled(Ok(DrillOutcome {
        preset: HOSTILE_PRESETS[0].into(),
        files: vec![
            (Verdict::Ok, "ok      /x/\u{1b}]0;owned\u{7}".into()),
            (Verdict::Mismatch, "mismatch /x/\u{202e}fdp.exe".into()),
        ],
        summary: Some("drill \u{9b}2J: 2 files".into()),
        error: Some((
            "restic restore failed: \u{1b}[2K\nline\u{2028}two".into(),
            "help \u{202e}".into(),
        )),
        failed_files: Some("1 of 2 files failed the drill\u{1b}[0m".into()),
        exit_code: 1,
        result: "failed",
        warnings: vec!["ping to \u{1b}]8;;http://x\u{7} failed".into()],
    }))
}

type Build = fn() -> App;

/// Every state, by the name of its snapshot.
pub(crate) const STATES: &[(&str, Build)] = &[
    ("dashboard_loading", || App::new(dashboard_setup(&PRESETS))),
    ("dashboard", || {
        let mut app = dashboard();
        press(&mut app, &[Key::Down]);
        app
    }),
    ("dashboard_drilled", || {
        // The cursor on the preset whose last drill is recorded.
        dashboard()
    }),
    ("dashboard_no_runs", || {
        let mut app = App::new(dashboard_setup(&PRESETS));
        answer_records(&mut app, &Ok(records(&[])));
        app
    }),
    ("dashboard_no_presets", || {
        let mut app = App::new(dashboard_setup(&[]));
        answer_records(&mut app, &Ok(records(&[])));
        app
    }),
    ("dashboard_unreadable", || {
        let mut app = App::new(dashboard_setup(&PRESETS));
        let error = "cannot read the run records in /home/ann/.local/state/keld: Permission \
                     denied (os error 13)";
        answer_records(&mut app, &Err(error.into()));
        app
    }),
    ("dashboard_skipped_lines", || {
        let mut app = App::new(dashboard_setup(&PRESETS));
        let mut read = crate::app::runs_tests::sample_records();
        read.skipped = 3;
        answer_records(&mut app, &Ok(read));
        app
    }),
    ("dashboard_hostile", hostile_dashboard),
    ("dashboard_keys", || {
        let mut app = dashboard();
        press(&mut app, &[Key::Char('?')]);
        app
    }),
    ("command_menu_for_preset", || {
        let mut app = dashboard();
        press(&mut app, &[Key::Down, Key::Enter]);
        app
    }),
    ("drill_running", || {
        let mut app = dashboard();
        press(&mut app, &[Key::Char('d')]);
        let ticket = drill_ticket(&mut app);
        app.message(Msg::DrillProgress {
            ticket,
            progress: DrillProgress::Comparing { done: 3, total: 20 },
        });
        app
    }),
    ("drill_done", || drilled(Ok(sample_drill()))),
    ("drill_failed_files", || {
        let mut outcome = sample_drill();
        outcome.files[1] = (Verdict::Mismatch, "mismatch /home/me/thesis.tex".into());
        outcome.files[3] = (Verdict::NotRestored, "not_restored /home/me/a.txt".into());
        outcome.summary = Some(
            "drill home@nas: 5 files from snapshot 1a2b3c4d (2026-12-05 02:00): 2 ok, 1 \
             changed, 0 missing, 2 errors"
                .into(),
        );
        outcome.failed_files =
            Some("2 of 5 files failed the drill: 1 mismatch, 1 not_restored".into());
        outcome.exit_code = 1;
        outcome.result = "failed";
        drilled(Ok(outcome))
    }),
    ("drill_no_snapshot", || {
        drilled(Ok(DrillOutcome {
            files: Vec::new(),
            summary: None,
            error: Some((
                "no snapshot of this preset's backups (restic snapshots --host laptop --path \
                 /home/me)"
                    .into(),
                "back up first (`keld -p home@nas backup`), or name a snapshot: `keld -p \
                 home@nas drill SNAPSHOT`"
                    .into(),
            )),
            exit_code: 1,
            result: "failed",
            ..sample_drill()
        }))
    }),
    ("drill_could_not_start", || {
        drilled(Err(
            "keld was started with --show-command, which runs nothing: a drill runs restic, \
             so none is started"
                .into(),
        ))
    }),
    ("drill_hostile", hostile_drill),
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
