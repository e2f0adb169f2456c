//! The interactive mode's speed, through keld-tui's public API: the state machine
//! ([`App`]) fed the answers restic would give, drawn with [`draw`] on ratatui's
//! `TestBackend` at 100×30.
//!
//! Run with `cargo bench -p keld-tui` (`cargo xtask bench` runs it and reports the
//! medians). The goal for the `*_frame` and `*_keystroke` rows is one frame at
//! 60 Hz: 16 ms. Parsing restic's JSON happens on a worker thread while the spinner
//! turns, so it is measured apart (`parse_*`).

use std::fmt::Write as _;
use std::hint::black_box;

use divan::Bencher;
use keld_tui::{
    App, Background, FileTree, Key, ListedSnapshot, Msg, Palette, PresetEntry, Preview, Request,
    Setup, draw, parse_snapshots,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn main() {
    divan::main();
}

const SNAPSHOTS: usize = 10_000;
const DIRS: usize = 100;
const FILES_PER_DIR: usize = 1_000;
const WIDTH: u16 = 100;
const HEIGHT: u16 = 30;

/// `restic snapshots --json` for `count` snapshots, as restic 0.17 writes them.
fn snapshots_json(count: usize) -> String {
    let items: Vec<String> = (0..count)
        .map(|index| {
            format!(
                r#"{{"time":"2026-{month:02}-{day:02}T{hour:02}:{minute:02}:00.123456789+01:00","tree":"{index:064x}","paths":["/home/user{user}","/etc"],"hostname":"{host}","username":"user","uid":1000,"gid":1000,"tags":{tags},"id":"{index:064x}","short_id":"{short:08x}","program_version":"restic 0.17.3","summary":{{"total_files_processed":{files},"total_bytes_processed":{bytes}}}}}"#,
                month = 1 + index % 12,
                day = 1 + index % 28,
                hour = index / 28 % 24,
                minute = index % 60,
                user = index % 50,
                host = if index % 2 == 0 { "laptop" } else { "server" },
                tags = if index % 3 == 0 { r#"["daily"]"# } else { "[]" },
                short = index,
                files = 1000 + index,
                bytes = 1_000_000 * index,
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// `restic ls --json` of `/data/dNNN/fNNNN`: 100 directories of 1,000 files, with
/// every field restic writes.
fn listing_json() -> String {
    let mut out = String::from(
        r#"{"time":"2026-11-26T11:00:47Z","tree":"aa","paths":["/data"],"hostname":"h","id":"ab","short_id":"ab","struct_type":"snapshot"}"#,
    );
    out.push('\n');
    out.push_str(r#"{"name":"data","type":"dir","path":"/data","uid":0,"gid":0,"mode":2147484141,"permissions":"drwxr-xr-x","mtime":"2026-11-26T11:00:45Z","atime":"2026-11-26T11:00:45Z","ctime":"2026-11-26T11:00:45Z","struct_type":"node"}"#);
    out.push('\n');
    for dir in 0..DIRS {
        let _ = writeln!(
            out,
            r#"{{"name":"d{dir:03}","type":"dir","path":"/data/d{dir:03}","uid":1000,"gid":1000,"mode":2147484141,"permissions":"drwxr-xr-x","mtime":"2026-11-26T11:00:45.1+01:00","atime":"2026-11-26T11:00:45.1+01:00","ctime":"2026-11-26T11:00:45.1+01:00","struct_type":"node"}}"#
        );
        for file in 0..FILES_PER_DIR {
            let _ = writeln!(
                out,
                r#"{{"name":"f{file:04}.txt","type":"file","path":"/data/d{dir:03}/f{file:04}.txt","uid":1000,"gid":1000,"size":{size},"mode":420,"permissions":"-rw-r--r--","mtime":"2026-11-25T09:{minute:02}:00.5+01:00","atime":"2026-11-25T09:00:00+01:00","ctime":"2026-11-25T09:00:00+01:00","struct_type":"node"}}"#,
                size = dir * 1000 + file,
                minute = file % 60,
            );
        }
    }
    out
}

/// `keld -p home restore` with nothing else known.
fn restore_setup() -> Setup {
    Setup {
        command: Some("restore".into()),
        presets: vec![PresetEntry::named("home"), PresetEntry::named("work")],
        preset: Some("home".into()),
        snapshot: None,
        target: None,
        preview: Box::new(|choice| {
            Ok(Preview {
                argv: vec!["restic".into(), choice.command.clone()],
                ..Preview::default()
            })
        }),
        home: None,
        cwd: "/".into(),
        dashboard: false,
    }
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("a test backend")
}

fn frame(terminal: &mut Terminal<TestBackend>, app: &App) {
    let palette = Palette::for_background(Background::Dark);
    terminal
        .draw(|frame| draw(frame, app, &palette))
        .expect("draws");
}

/// The restore's first screen, waiting for `restic snapshots`: the app and the
/// ticket its answer must carry.
fn waiting_for_snapshots() -> (App, u64) {
    let mut app = App::new(restore_setup());
    let ticket = app
        .take_requests()
        .into_iter()
        .find_map(|request| match request {
            Request::Snapshots { ticket, .. } => Some(ticket),
            _ => None,
        })
        .expect("the snapshots are asked for");
    (app, ticket)
}

/// The snapshot list loaded with `snapshots`.
fn listed(snapshots: Vec<ListedSnapshot>) -> App {
    let (mut app, ticket) = waiting_for_snapshots();
    app.message(Msg::Snapshots {
        ticket,
        result: Ok(snapshots),
    });
    app
}

/// The tree screen waiting for the listing, and the listing's ticket.
fn waiting_for_listing(snapshots: &[ListedSnapshot]) -> (App, u64) {
    let mut app = listed(snapshots.to_vec());
    app.key(Key::Enter);
    let ticket = app
        .take_requests()
        .into_iter()
        .find_map(|request| match request {
            Request::Listing { ticket, .. } => Some(ticket),
            _ => None,
        })
        .expect("the listing is asked for");
    (app, ticket)
}

fn type_text(app: &mut App, text: &str) {
    for ch in text.chars() {
        app.key(Key::Char(ch));
    }
}

/// `restic snapshots --json` with 10,000 snapshots: parse and sort (worker thread).
#[divan::bench(sample_count = 20)]
fn parse_10k_snapshots(bencher: Bencher<'_, '_>) {
    let json = snapshots_json(SNAPSHOTS);
    bencher.bench(|| {
        let snapshots = parse_snapshots(black_box(&json)).expect("valid");
        assert_eq!(snapshots.len(), SNAPSHOTS);
        snapshots
    });
}

/// 10,000 snapshots arrive: the list set up and its first frame drawn.
#[divan::bench(sample_count = 50)]
fn snapshots_10k_first_frame(bencher: Bencher<'_, '_>) {
    let snapshots = parse_snapshots(&snapshots_json(SNAPSHOTS)).expect("valid");
    bencher
        .with_inputs(|| (waiting_for_snapshots(), snapshots.clone(), terminal()))
        .bench_local_values(|((mut app, ticket), snapshots, mut terminal)| {
            app.message(Msg::Snapshots {
                ticket,
                result: Ok(snapshots),
            });
            frame(&mut terminal, &app);
            (app, terminal)
        });
}

/// 10,000 snapshots, `/serve` typed: one more key (`r`), refiltered and redrawn.
#[divan::bench(sample_count = 50)]
fn snapshots_10k_filter_keystroke(bencher: Bencher<'_, '_>) {
    let snapshots = parse_snapshots(&snapshots_json(SNAPSHOTS)).expect("valid");
    bencher
        .with_inputs(|| {
            let mut app = listed(snapshots.clone());
            app.key(Key::Char('/'));
            type_text(&mut app, "serve");
            let mut terminal = terminal();
            frame(&mut terminal, &app);
            (app, terminal)
        })
        .bench_local_values(|(mut app, mut terminal)| {
            app.key(Key::Char('r'));
            frame(&mut terminal, &app);
            (app, terminal)
        });
}

/// `restic ls --json` with 100,000 entries: parse into the tree (worker thread).
#[divan::bench(sample_count = 10)]
fn parse_100k_listing(bencher: Bencher<'_, '_>) {
    let json = listing_json();
    bencher.bench(|| {
        let tree = FileTree::parse(black_box(&json)).expect("valid");
        assert_eq!(tree.len(), 1 + DIRS + DIRS * FILES_PER_DIR);
        tree
    });
}

/// The 100,000-entry tree arrives: shown and its first frame drawn.
#[divan::bench(sample_count = 20)]
fn tree_100k_first_frame(bencher: Bencher<'_, '_>) {
    let snapshots = parse_snapshots(&snapshots_json(3)).expect("valid");
    let json = listing_json();
    bencher
        .with_inputs(|| {
            let tree = FileTree::parse(&json).expect("valid");
            (waiting_for_listing(&snapshots), tree, terminal())
        })
        .bench_local_values(|((mut app, ticket), tree, mut terminal)| {
            app.message(Msg::Listing {
                ticket,
                result: Ok(tree),
            });
            frame(&mut terminal, &app);
            (app, terminal)
        });
}

/// The tree loaded; `key` typed into a search that already holds `typed`, and the
/// frame redrawn.
fn tree_search(bencher: Bencher<'_, '_>, typed: &str, key: char) {
    let snapshots = parse_snapshots(&snapshots_json(3)).expect("valid");
    let json = listing_json();
    bencher
        .with_inputs(|| {
            let (mut app, ticket) = waiting_for_listing(&snapshots);
            app.message(Msg::Listing {
                ticket,
                result: Ok(FileTree::parse(&json).expect("valid")),
            });
            app.key(Key::Char('/'));
            type_text(&mut app, typed);
            let mut terminal = terminal();
            frame(&mut terminal, &app);
            (app, terminal)
        })
        .bench_local_values(|(mut app, mut terminal)| {
            app.key(Key::Char(key));
            frame(&mut terminal, &app);
            (app, terminal)
        });
}

/// The first letter of a tree search: every one of the 100,000 names is scored.
#[divan::bench(sample_count = 20)]
fn tree_100k_search_first_keystroke(bencher: Bencher<'_, '_>) {
    tree_search(bencher, "", 'f');
}

/// A letter more (`f09` → `f099`): only the previous matches are scored again.
#[divan::bench(sample_count = 20)]
fn tree_100k_search_next_keystroke(bencher: Bencher<'_, '_>) {
    tree_search(bencher, "f09", '9');
}
