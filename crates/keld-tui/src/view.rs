//! Drawing the state machine with ratatui: a breadcrumb, the current screen, a notice
//! line and a help bar with the current screen's keys.
//!
//! Lists draw only the rows that fit, so 10,000 snapshots or an open directory of
//! 100,000 files cost a screenful per frame.

use std::cell::Cell;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::App;
use crate::app::{SnapshotsState, TreeState};
use crate::palette::Palette;
use crate::protocol::{COMMANDS, OVERWRITE_POLICIES};
use crate::tree::{Check, FileTree, NodeKind};
use crate::widgets::{Picker, ScreenId, TextField};
use keld_config::shell as quote;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Draw the whole session.
pub fn draw(frame: &mut Frame<'_>, app: &App, palette: &Palette) {
    let [header, title, body, notice, help] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    frame.render_widget(breadcrumb(app, palette), header);
    frame.render_widget(
        Line::styled(app.screen().title(), palette.strong),
        Rect { height: 1, ..title },
    );
    match app.screen() {
        ScreenId::Command => draw_commands(frame, body, app, palette),
        ScreenId::Preset => draw_presets(frame, body, app, palette),
        ScreenId::Snapshots => draw_snapshots(frame, body, app, palette),
        ScreenId::Tree => draw_tree(frame, body, app, palette),
        ScreenId::Target => draw_target(frame, body, app, palette),
        ScreenId::Overwrite => draw_overwrite(frame, body, app, palette),
        ScreenId::Confirm => draw_confirm(frame, body, app, palette),
    }
    if let Some(text) = app.notice() {
        frame.render_widget(Line::styled(text.to_owned(), palette.strong), notice);
    }
    frame.render_widget(help_bar(&help_keys(app), palette), help);
}

/// `keld › restore › home › 7324ac45`: the answers so far.
fn breadcrumb<'a>(app: &'a App, palette: &Palette) -> Line<'a> {
    let mut parts = vec!["keld".to_owned()];
    parts.extend(app.command().map(str::to_owned));
    parts.extend(app.preset().map(str::to_owned));
    if app.command() == Some("restore")
        && let Some(snapshot) = app.snapshot()
        && app.screen() != ScreenId::Snapshots
    {
        parts.push(snapshot.chars().take(8).collect());
    }
    Line::styled(parts.join(" › "), palette.faint)
}

/// The keys the current screen reacts to, as (key, what it does).
pub(crate) fn help_keys(app: &App) -> Vec<(&'static str, &'static str)> {
    let quit = ("Ctrl-C", "quit");
    let back = ("Esc", "back");
    let list = |picker: &Picker| {
        if picker.filtering() {
            vec![
                ("type", "filter"),
                ("↑↓", "move"),
                ("Enter", "choose"),
                ("Esc", "clear filter"),
                quit,
            ]
        } else {
            let esc = if picker.filter().is_empty() {
                back
            } else {
                ("Esc", "clear filter")
            };
            vec![
                ("↑↓/jk", "move"),
                ("/", "filter"),
                ("Enter", "choose"),
                esc,
                quit,
            ]
        }
    };
    let field = |submit: &'static str| vec![("type", "edit"), ("Enter", submit), back, quit];
    match app.screen() {
        ScreenId::Command => list(&app.command_picker),
        ScreenId::Preset => list(&app.preset_picker),
        ScreenId::Snapshots => match &app.snapshots {
            SnapshotsState::Loading => vec![back, quit],
            SnapshotsState::Loaded { picker, .. } => list(picker),
            SnapshotsState::Failed { .. } | SnapshotsState::Empty { .. } => field("use this ID"),
        },
        ScreenId::Tree => match &app.tree {
            TreeState::Loading => vec![back, quit],
            TreeState::Failed(_) => vec![("Enter", "restore everything"), back, quit],
            // Fits 80 columns; j/k and h/l work too (see docs/interactive.md).
            TreeState::Loaded(_) => vec![
                ("↑↓", "move"),
                ("←→", "close/open"),
                ("Space", "select"),
                ("a", "all"),
                ("Enter", "next"),
                back,
                quit,
            ],
        },
        ScreenId::Target => field("continue"),
        ScreenId::Overwrite if app.overwrite_waiting() => vec![back, quit],
        ScreenId::Overwrite => list(&app.overwrite_picker),
        ScreenId::Confirm => vec![("Enter", "run"), back, quit],
    }
}

fn help_bar(keys: &[(&'static str, &'static str)], palette: &Palette) -> Line<'static> {
    let mut spans = Vec::new();
    for (index, (key, action)) in keys.iter().enumerate() {
        if index > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(*key, palette.key));
        spans.push(Span::raw(format!(" {action}")));
    }
    Line::from(spans)
}

/// The first row to draw so the cursor stays inside `height` rows.
fn scrolled(scroll: &Cell<usize>, cursor: usize, height: usize) -> usize {
    let mut first = scroll.get();
    if cursor < first {
        first = cursor;
    } else if height > 0 && cursor >= first + height {
        first = cursor + 1 - height;
    }
    scroll.set(first);
    first
}

/// Draw rows `lines(i)` for the visible window of a list, marking the cursor row.
fn draw_rows<'a>(
    frame: &mut Frame<'_>,
    area: Rect,
    count: usize,
    cursor: usize,
    scroll: &Cell<usize>,
    palette: &Palette,
    line: impl Fn(usize) -> Vec<Span<'a>>,
) {
    let height = usize::from(area.height);
    let first = scrolled(scroll, cursor, height);
    for (offset, index) in (first..count.min(first + height)).enumerate() {
        let at_cursor = index == cursor;
        let mut spans = vec![Span::raw(if at_cursor { "› " } else { "  " })];
        spans.extend(line(index));
        let mut row = Line::from(spans);
        if at_cursor {
            row = row.style(palette.cursor);
        }
        let y = area.y + u16::try_from(offset).unwrap_or(u16::MAX);
        frame.render_widget(
            row,
            Rect {
                y,
                height: 1,
                ..area
            },
        );
    }
}

/// The filter line above a list, and the area left for the list.
fn filter_line(
    frame: &mut Frame<'_>,
    area: Rect,
    picker: &Picker,
    total: usize,
    palette: &Palette,
) -> Rect {
    if !picker.filtering() && picker.filter().is_empty() {
        return area;
    }
    let [line, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let caret = if picker.filtering() { "▏" } else { "" };
    frame.render_widget(
        Line::from(vec![
            Span::raw("Filter: "),
            Span::styled(format!("{}{caret}", picker.filter()), palette.input),
            Span::styled(
                format!("   {} of {total}", picker.matches().len()),
                palette.faint,
            ),
        ]),
        line,
    );
    rest
}

fn draw_commands(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    draw_choices(frame, area, &app.command_picker, &COMMANDS, palette);
}

/// A filterable list of `(name, what it does)` choices, the name in a column.
fn draw_choices(
    frame: &mut Frame<'_>,
    area: Rect,
    picker: &Picker,
    choices: &[(&'static str, &'static str)],
    palette: &Palette,
) {
    let area = filter_line(frame, area, picker, choices.len(), palette);
    draw_rows(
        frame,
        area,
        picker.matches().len(),
        picker.cursor(),
        &picker.scroll,
        palette,
        |i| {
            let (name, about) = choices[picker.matches()[i]];
            vec![
                Span::raw(format!("{name:<11}")),
                Span::styled(about, palette.faint),
            ]
        },
    );
}

fn draw_presets(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    let picker = &app.preset_picker;
    let presets = app.presets();
    let area = filter_line(frame, area, picker, presets.len(), palette);
    draw_rows(
        frame,
        area,
        picker.matches().len(),
        picker.cursor(),
        &picker.scroll,
        palette,
        |i| vec![Span::raw(presets[picker.matches()[i]].clone())],
    );
}

fn loading(frame: &mut Frame<'_>, area: Rect, app: &App, what: &str) {
    let spinner = SPINNER[app.spinner() % SPINNER.len()];
    frame.render_widget(Line::raw(format!("{spinner} {what}")), area);
}

fn draw_snapshots(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    match &app.snapshots {
        SnapshotsState::Loading => {
            loading(
                frame,
                area,
                app,
                "Reading the snapshots (restic snapshots --json)…",
            );
        }
        SnapshotsState::Loaded { snapshots, picker } => {
            let area = filter_line(frame, area, picker, snapshots.len(), palette);
            let [head, rows] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
            frame.render_widget(
                Line::styled(
                    format!(
                        "  {:<9} {:<19}  {:<12} {:<12} {}",
                        "ID", "Time", "Host", "Tags", "Paths"
                    ),
                    palette.faint,
                ),
                head,
            );
            draw_rows(
                frame,
                rows,
                picker.matches().len(),
                picker.cursor(),
                &picker.scroll,
                palette,
                |i| {
                    let snapshot = &snapshots[picker.matches()[i]];
                    vec![Span::raw(format!(
                        "{:<9} {:<19}  {:<12} {:<12} {}",
                        snapshot.short_id,
                        snapshot.display_time(),
                        clip(&snapshot.hostname, 12),
                        clip(&snapshot.tags.join(","), 12),
                        snapshot.paths.join(" "),
                    ))]
                },
            );
        }
        SnapshotsState::Failed { error, field } => {
            let mut lines = vec![Line::raw("restic could not list the snapshots:")];
            lines.extend(error.lines().map(|line| Line::raw(format!("  {line}"))));
            manual_id(frame, area, lines, field, palette);
        }
        SnapshotsState::Empty { field } => {
            let lines = vec![Line::raw("The repository has no snapshots yet.")];
            manual_id(frame, area, lines, field, palette);
        }
    }
}

fn manual_id<'a>(
    frame: &mut Frame<'_>,
    area: Rect,
    mut lines: Vec<Line<'a>>,
    field: &'a TextField,
    palette: &Palette,
) {
    lines.push(Line::raw(""));
    lines.push(Line::raw(
        "Type a snapshot ID (or `latest`) to restore from:",
    ));
    lines.push(input_line(field, palette));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

fn input_line<'a>(field: &'a TextField, palette: &Palette) -> Line<'a> {
    Line::from(vec![
        Span::raw("> "),
        Span::styled(format!("{}▏", field.text()), palette.input),
    ])
}

fn draw_tree(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    match &app.tree {
        TreeState::Loading => loading(
            frame,
            area,
            app,
            "Reading the snapshot's files (restic ls --json)…",
        ),
        TreeState::Failed(error) => {
            let mut lines = vec![Line::raw("restic could not list the snapshot's files:")];
            lines.extend(error.lines().map(|line| Line::raw(format!("  {line}"))));
            lines.push(Line::raw(""));
            lines.push(Line::raw(
                "Enter restores the whole snapshot; Esc goes back.",
            ));
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        }
        TreeState::Loaded(tree) => draw_file_tree(frame, area, tree, palette),
    }
}

fn draw_file_tree(frame: &mut Frame<'_>, area: Rect, tree: &FileTree, palette: &Palette) {
    let [summary, rows] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let selection = match tree.selection() {
        super::tree::Selection::Nothing => "nothing selected".to_owned(),
        super::tree::Selection::Everything => "everything selected: full restore".to_owned(),
        super::tree::Selection::Paths(paths) => match paths.len() {
            1 => "1 path selected".to_owned(),
            n => format!("{n} paths selected"),
        },
    };
    frame.render_widget(
        Line::styled(
            format!("{} entries, {selection}", tree.len()),
            palette.faint,
        ),
        summary,
    );
    draw_rows(
        frame,
        rows,
        tree.rows().len(),
        tree.cursor(),
        &tree.scroll,
        palette,
        |i| {
            let view = tree.row_view(tree.rows()[i]);
            let (mark, style) = match view.check {
                Check::None => ("[ ]", Style::new()),
                Check::Partial => ("[-]", palette.mark),
                Check::All => ("[x]", palette.mark),
            };
            let arrow = match (view.has_children, view.expanded) {
                (false, _) => " ",
                (true, true) => "▾",
                (true, false) => "▸",
            };
            let suffix = match view.kind {
                NodeKind::Dir => "/",
                NodeKind::Symlink => "@",
                NodeKind::File | NodeKind::Other => "",
            };
            let mut spans = vec![
                Span::styled(mark, style),
                Span::raw(format!(
                    " {}{arrow} {}{suffix}",
                    "  ".repeat(view.depth.into()),
                    view.name
                )),
            ];
            if let Some(size) = view.size {
                spans.push(Span::styled(
                    format!("  {}", human_size(size)),
                    palette.faint,
                ));
            }
            spans
        },
    );
}

fn draw_target(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    let lines = vec![
        Line::raw("Directory to restore into (restic creates it when missing):"),
        input_line(&app.target, palette),
    ];
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_overwrite(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    if app.overwrite_waiting() {
        loading(
            frame,
            area,
            app,
            "Asking restic which restore options it has (restic version)…",
        );
        return;
    }
    let picker = &app.overwrite_picker;
    let [intro, rows] = Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
    frame.render_widget(
        Line::raw("When a file to restore already exists in the target:"),
        intro,
    );
    draw_choices(frame, rows, picker, &OVERWRITE_POLICIES, palette);
}

fn draw_confirm(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    let lines = match app.preview() {
        Some(Ok(preview)) => {
            let mut lines = vec![
                Line::raw("keld will run:"),
                Line::styled(format!("  {}", quote::join(&preview.argv)), palette.strong),
                Line::raw(""),
            ];
            if preview.env_names.is_empty() {
                lines.push(Line::raw("and sets no environment variables for it."));
            } else {
                lines.push(Line::raw(
                    "with these environment variables (values hidden):",
                ));
                lines.extend(
                    preview
                        .env_names
                        .iter()
                        .map(|name| Line::raw(format!("  {name}"))),
                );
            }
            lines
        }
        Some(Err(error)) => {
            let mut lines = vec![Line::raw("This choice does not resolve:")];
            lines.extend(error.lines().map(|line| Line::raw(format!("  {line}"))));
            lines
        }
        None => Vec::new(),
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut clipped: String = text.chars().take(width.saturating_sub(1)).collect();
        clipped.push('…');
        clipped
    }
}

/// `1536` → `1.5 KiB`.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
#[path = "view_tests.rs"]
mod tests;
