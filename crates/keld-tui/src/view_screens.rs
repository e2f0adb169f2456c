//! The body of each screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::{caption, cell, clip, draw_rows, human_size, loading, position};
use crate::app::{App, DiffState, PlanState, SnapshotsState, TreeState};
use crate::field::TextField;
use crate::palette::Palette;
use crate::protocol::{COMMANDS, OVERWRITE_POLICIES};
use crate::snapshots::{Snapshot, format_minutes};
use crate::tree::{Check, FileTree, NodeKind, Selection};
use crate::widgets::{Picker, ScreenId};
use keld_config::shell as quote;

/// Draw the current screen into `area`.
pub(super) fn draw_body(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    match app.screen() {
        ScreenId::Command => draw_choices(frame, area, &app.command_picker, &COMMANDS, palette),
        ScreenId::Preset => draw_presets(frame, area, app, palette),
        ScreenId::Snapshots => draw_snapshots(frame, area, app, palette),
        ScreenId::Tree => draw_tree(frame, area, app, palette),
        ScreenId::Target => draw_target(frame, area, app, palette),
        ScreenId::Overwrite => draw_overwrite(frame, area, app, palette),
        ScreenId::Confirm => draw_confirm(frame, area, app, palette),
        ScreenId::Diff => draw_diff(frame, area, app, palette),
    }
}

/// The caption line of a list and the area left for its rows: the filter while
/// one is typed or kept (`Filter: re▏   3 of 8`), else `about`; the position
/// on the right.
fn list_caption<'a>(
    frame: &mut Frame<'_>,
    area: Rect,
    picker: &'a Picker,
    total: usize,
    about: Vec<Span<'a>>,
    palette: &Palette,
) -> Rect {
    let [line, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let left = if picker.filtering() || !picker.filter().is_empty() {
        let mut spans = vec![Span::raw("Filter: ")];
        spans.extend(field_spans(
            picker.filter_field(),
            picker.filtering(),
            40,
            palette,
        ));
        spans.push(Span::styled(
            format!("   {} of {total}", picker.matches().len()),
            palette.faint,
        ));
        spans
    } else {
        about
    };
    let right = position(picker.cursor(), picker.matches().len());
    caption(frame, line, left, &right, palette);
    rest
}

/// A filterable list of `(name, what it does)` choices, the name in a column.
fn draw_choices(
    frame: &mut Frame<'_>,
    area: Rect,
    picker: &Picker,
    choices: &[(&'static str, &'static str)],
    palette: &Palette,
) {
    let area = list_caption(frame, area, picker, choices.len(), Vec::new(), palette);
    draw_rows(
        frame,
        area,
        picker.matches().len(),
        picker.cursor(),
        &picker.scroll,
        palette,
        |i, width| {
            let (name, about) = choices[picker.matches()[i]];
            vec![
                Span::raw(cell(name, 11.min(width))),
                Span::styled(clip(about, width.saturating_sub(11)), palette.faint),
            ]
        },
    );
}

fn draw_presets(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    let picker = &app.preset_picker;
    let presets: Vec<_> = app.offered_presets().collect();
    let about = vec![Span::styled("Preset and its repository", palette.faint)];
    let area = list_caption(frame, area, picker, presets.len(), about, palette);
    let name_width = presets
        .iter()
        .map(|preset| preset.name.width())
        .max()
        .unwrap_or(0)
        .clamp(4, 24);
    draw_rows(
        frame,
        area,
        picker.matches().len(),
        picker.cursor(),
        &picker.scroll,
        palette,
        |i, width| {
            let preset = presets[picker.matches()[i]];
            let repository = match (&preset.repository, preset.repository_only) {
                (Some(repository), true) => format!("{repository} (the whole repository)"),
                (Some(repository), false) => repository.clone(),
                (None, _) => "no repository set".to_owned(),
            };
            let name_width = name_width.min(width);
            vec![
                Span::raw(cell(&preset.name, name_width)),
                Span::raw(" "),
                Span::styled(
                    clip(&repository, width.saturating_sub(name_width + 1)),
                    palette.faint,
                ),
            ]
        },
    );
}

fn draw_snapshots(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    match &app.snapshots {
        SnapshotsState::Loading => loading(
            frame,
            area,
            app,
            "Reading the snapshots (restic snapshots --json)…",
        ),
        SnapshotsState::Loaded { snapshots, picker } => {
            let about = match app.compare_from {
                Some(from) => format!(
                    "Compare {} with: Enter (or d) on the other snapshot",
                    snapshots[from].short_id
                ),
                None => format!("{} snapshots, newest first", snapshots.len()),
            };
            let about = vec![Span::styled(about, palette.faint)];
            let area = list_caption(frame, area, picker, snapshots.len(), about, palette);
            let [head, rows] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
            let columns = Columns::fit(snapshots, usize::from(area.width).saturating_sub(3));
            frame.render_widget(
                Line::styled(format!("  {}", columns.header()), palette.faint),
                head,
            );
            draw_rows(
                frame,
                rows,
                picker.matches().len(),
                picker.cursor(),
                &picker.scroll,
                palette,
                |i, _| {
                    let index = picker.matches()[i];
                    let marked = app.compare_from == Some(index);
                    let row = columns.row(&snapshots[index]);
                    if marked {
                        vec![Span::styled(row, palette.mark)]
                    } else {
                        vec![Span::raw(row)]
                    }
                },
            );
        }
        SnapshotsState::Failed { error, field } => {
            let mut lines = vec![Line::raw("restic could not list the snapshots:")];
            lines.extend(error.lines().map(|line| Line::raw(format!("  {line}"))));
            match field {
                Some(field) => manual_id(frame, area, lines, field, palette),
                None => {
                    lines.push(Line::raw(""));
                    lines.push(Line::raw(
                        "The password opens no key of this repository, so nothing in it can be \
                         read or restored with it. Fix the preset's password, then try again.",
                    ));
                    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
                }
            }
        }
        SnapshotsState::Empty { field } => {
            let lines = vec![Line::raw("The repository has no snapshots yet.")];
            manual_id(frame, area, lines, field, palette);
        }
    }
}

/// The snapshot table's columns that fit a width: ID always; then the time, the
/// paths, the host, the size (when restic recorded one) and the tags, in that order
/// of importance. Every cell ends in `…` when cut.
struct Columns {
    time: usize,
    host: usize,
    tags: usize,
    size: usize,
    paths: usize,
}

impl Columns {
    fn fit(snapshots: &[Snapshot], width: usize) -> Self {
        let has_tags = snapshots.iter().any(|s| !s.tags.is_empty());
        let has_size = snapshots.iter().any(|s| s.size().is_some());
        let mut left = width.saturating_sub(8);
        let mut take = |want: usize, min: usize| {
            let got = if left > want {
                want
            } else if left > min {
                left - 1
            } else {
                0
            };
            left = left.saturating_sub(got + usize::from(got > 0));
            got
        };
        let time = take(19, 9);
        let paths_min = take(12, 7);
        let host = take(12, 5);
        let size = if has_size { take(9, 8) } else { 0 };
        let tags = if has_tags { take(12, 5) } else { 0 };
        Self {
            time,
            host,
            tags,
            size,
            paths: if paths_min > 0 { paths_min + left } else { 0 },
        }
    }

    fn join(
        &self,
        id: &str,
        time: &str,
        host: &str,
        size: &str,
        tags: &str,
        paths: &str,
    ) -> String {
        let mut out = cell(id, 8);
        for (text, width) in [
            (time, self.time),
            (host, self.host),
            (size, self.size),
            (tags, self.tags),
            (paths, self.paths),
        ] {
            if width > 0 {
                out.push(' ');
                out.push_str(&cell(text, width));
            }
        }
        out.trim_end().to_owned()
    }

    fn header(&self) -> String {
        self.join("ID", "Time", "Host", "Size", "Tags", "Paths")
    }

    fn row(&self, snapshot: &Snapshot) -> String {
        let size = snapshot.size().map(human_size).unwrap_or_default();
        self.join(
            &snapshot.short_id,
            &snapshot.display_time(),
            &snapshot.hostname,
            &format!("{size:>width$}", width = self.size),
            &snapshot.tags.join(","),
            &snapshot.paths.join(" "),
        )
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
    let mut spans = vec![Span::raw("> ")];
    spans.extend(field_spans(
        field,
        true,
        usize::from(area.width).saturating_sub(3),
        palette,
    ));
    lines.push(Line::from(spans));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// A text field's visible part, with `▏` at the cursor while it is typed into.
fn field_spans(
    field: &TextField,
    active: bool,
    width: usize,
    palette: &Palette,
) -> Vec<Span<'static>> {
    let width = width.max(1);
    let (cursor, first) = field.window(width);
    let visible: String = field.text().chars().skip(first).take(width).collect();
    if !active {
        return vec![Span::styled(visible, palette.input)];
    }
    let at = visible
        .char_indices()
        .nth(cursor)
        .map_or(visible.len(), |(at, _)| at);
    vec![Span::styled(
        format!("{}▏{}", &visible[..at], &visible[at..]),
        palette.input,
    )]
}

fn draw_tree(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    match &app.tree {
        TreeState::Loading => loading(
            frame,
            area,
            app,
            "Reading the snapshot's files (restic ls --json)…",
        ),
        TreeState::Failed { error, restorable } => {
            let mut lines = vec![Line::raw("restic could not list the snapshot's files:")];
            lines.extend(error.lines().map(|line| Line::raw(format!("  {line}"))));
            lines.push(Line::raw(""));
            lines.push(Line::raw(if *restorable && app.restoring() {
                "Enter restores the whole snapshot; Esc goes back."
            } else {
                "Esc goes back to choose another snapshot."
            }));
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        }
        TreeState::Loaded(tree) => draw_file_tree(frame, area, app, tree, palette),
    }
}

fn draw_file_tree(
    frame: &mut Frame<'_>,
    area: Rect,
    app: &App,
    tree: &FileTree,
    palette: &Palette,
) {
    let [summary, rows, path] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let mut about = Vec::new();
    if let Some(query) = tree.search_query() {
        about.push(Span::raw("Search: "));
        about.extend(field_spans(&app.tree_query, app.tree_typing, 30, palette));
        about.push(Span::styled(
            format!("   {} of {} entries", tree.search_matches(), tree.len()),
            palette.faint,
        ));
        let _ = query;
    } else {
        about.push(Span::styled(
            format!("{} entries", tree.len()),
            palette.faint,
        ));
    }
    if app.restoring() {
        let selection = match tree.selection() {
            Selection::Nothing => "nothing selected".to_owned(),
            Selection::Everything => "everything selected: full restore".to_owned(),
            Selection::Paths(paths) => match paths.len() {
                1 => "1 path selected".to_owned(),
                n => format!("{n} paths selected"),
            },
        };
        about.push(Span::styled(format!(", {selection}"), palette.faint));
    }
    caption(
        frame,
        summary,
        about,
        &position(tree.cursor(), tree.rows().len()),
        palette,
    );
    let restoring = app.restoring();
    draw_rows(
        frame,
        rows,
        tree.rows().len(),
        tree.cursor(),
        &tree.scroll,
        palette,
        |i, width| {
            let view = tree.row_view(tree.rows()[i]);
            let mut spans = Vec::new();
            let mut used = 0;
            if restoring {
                let (mark, style) = match view.check {
                    Check::None => ("[ ] ", Style::new()),
                    Check::Partial => ("[-] ", palette.mark),
                    Check::All => ("[x] ", palette.mark),
                };
                spans.push(Span::styled(mark, style));
                used += 4;
            }
            let arrow = match (
                view.has_children,
                view.expanded || tree.search_query().is_some(),
            ) {
                (false, _) => " ",
                (true, true) => "▾",
                (true, false) => "▸",
            };
            let suffix = match view.kind {
                NodeKind::Dir => "/",
                NodeKind::Symlink => "@",
                NodeKind::File | NodeKind::Other => "",
            };
            // Size and time on the right when there is room for them.
            let details = details(view.size, view.mtime, width.saturating_sub(used + 12));
            let name_width = width.saturating_sub(used + details.width());
            let name = format!(
                "{}{arrow} {}{suffix}",
                "  ".repeat(view.depth.into()),
                view.name
            );
            spans.push(Span::raw(cell(&name, name_width)));
            spans.push(Span::styled(details, palette.faint));
            spans
        },
    );
    if let Some(node) = tree.current() {
        let (_, size, mtime) = tree.details(node);
        let mut text = tree.path(node);
        if let Some(size) = size {
            text.push_str(&format!("  {}", human_size(size)));
        }
        if let Some(mtime) = mtime {
            text.push_str(&format!("  {}", format_minutes(mtime)));
        }
        frame.render_widget(
            Line::styled(clip(&text, path.width.into()), palette.faint),
            path,
        );
    }
}

/// `  3.0 KiB  2026-11-20 08:05` in at most `room` columns: the time goes first
/// when both do not fit.
fn details(size: Option<u64>, mtime: Option<i32>, room: usize) -> String {
    let size = size
        .map(|size| format!("{:>9}", human_size(size)))
        .unwrap_or_default();
    let time = mtime
        .map(|mtime| format!("  {}", format_minutes(mtime)))
        .unwrap_or_default();
    if size.width() + time.width() + 2 <= room {
        format!("  {size}{time}")
    } else if size.width() + 2 <= room && !size.is_empty() {
        format!("  {size}")
    } else {
        String::new()
    }
}

fn draw_target(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    let mut input = vec![Span::raw("> ")];
    input.extend(field_spans(
        &app.target,
        true,
        usize::from(area.width).saturating_sub(3),
        palette,
    ));
    let mut lines = vec![
        Line::raw("Directory to restore into (restic creates it when missing):"),
        Line::from(input),
    ];
    let typed = app.target.text().trim();
    if let Some(target) = app.target_path()
        && target != typed
    {
        lines.push(Line::styled(format!("  = {target}"), palette.faint));
    }
    if app.over_live_files() {
        lines.push(Line::styled(
            "  / is the running system: restic would write over its live files.",
            palette.strong,
        ));
    }
    if !app.completions.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Directories that fit:", palette.faint));
        lines.push(Line::raw(
            app.completions
                .iter()
                .map(|name| format!("{name}/"))
                .collect::<Vec<_>>()
                .join("  "),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
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
    let [intro, rows] = Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
    frame.render_widget(
        Line::raw(clip(
            "When a file to restore already exists in the target:",
            intro.width.into(),
        )),
        intro,
    );
    draw_choices(
        frame,
        rows,
        &app.overwrite_picker,
        &OVERWRITE_POLICIES,
        palette,
    );
}

/// The command as shell words wrapped at word boundaries: the first line indented
/// by two, the rest by four; a word longer than a line is cut into pieces.
fn wrap_command(argv: &[String], width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::from("  ");
    let indent = "    ";
    let room = |line: &str| width.saturating_sub(line.width());
    for word in argv.iter().map(|arg| quote::quote(arg)) {
        let fresh = line.trim().is_empty();
        if !fresh && room(&line) < word.width() + 1 {
            lines.push(std::mem::replace(&mut line, indent.to_owned()));
        }
        if !line.trim().is_empty() {
            line.push(' ');
        }
        for ch in word.chars() {
            if room(&line) == 0 && width > indent.len() {
                lines.push(std::mem::replace(&mut line, indent.to_owned()));
            }
            line.push(ch);
        }
    }
    lines.push(line);
    lines
}

fn draw_confirm(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    let width = usize::from(area.width).saturating_sub(1);
    let mut lines: Vec<Line<'_>> = Vec::new();
    match app.preview() {
        Some(Ok(preview)) => {
            if app.over_live_files() {
                lines.push(Line::styled(
                    "⚠ The target is /: restic writes over the running system's files.",
                    palette.strong,
                ));
            }
            for warning in &preview.warnings {
                lines.push(Line::styled(format!("⚠ {warning}"), palette.strong));
            }
            lines.push(Line::raw("keld will run:"));
            lines.extend(
                wrap_command(&preview.argv, width)
                    .into_iter()
                    .map(|line| Line::styled(line, palette.strong)),
            );
            lines.push(Line::raw(""));
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
            plan_lines(app, &mut lines);
        }
        Some(Err(error)) => {
            lines.push(Line::raw("This choice does not resolve:"));
            lines.extend(error.lines().map(|line| Line::raw(format!("  {line}"))));
        }
        None => {}
    }
    // Long lines wrap; count the rows they take to know what scrolling shows.
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let total = paragraph.line_count(u16::try_from(width).unwrap_or(u16::MAX).max(1));
    let height = usize::from(area.height);
    let first = app.confirm_scroll.get().min(total.saturating_sub(height));
    app.confirm_scroll.set(first);
    app.confirm_seen.set(first + height >= total);
    let overflow = total > height;
    let text_area = Rect {
        width: area.width.saturating_sub(u16::from(overflow)),
        ..area
    };
    frame.render_widget(
        paragraph.scroll((u16::try_from(first).unwrap_or(u16::MAX), 0)),
        text_area,
    );
    if overflow && area.width > 1 {
        let mut state = ratatui::widgets::ScrollbarState::new(total.saturating_sub(height) + 1)
            .position(first)
            .viewport_content_length(height);
        frame.render_stateful_widget(
            ratatui::widgets::Scrollbar::new(ratatui::widgets::ScrollbarOrientation::VerticalRight)
                .begin_symbol(None)
                .end_symbol(None),
            area,
            &mut state,
        );
    }
}

/// `forget`'s dry run, below the command.
fn plan_lines(app: &App, lines: &mut Vec<Line<'_>>) {
    match &app.plan {
        PlanState::None => {}
        PlanState::Loading(_) => {
            lines.push(Line::raw(""));
            lines.push(Line::raw(
                "Asking restic what the policy removes (forget --dry-run)…",
            ));
        }
        PlanState::Failed(error) => {
            lines.push(Line::raw(""));
            lines.push(Line::raw("restic's dry run failed:"));
            lines.extend(error.lines().map(|line| Line::raw(format!("  {line}"))));
        }
        PlanState::Loaded(plan) => {
            let (keep, remove) = plan.counts();
            lines.push(Line::raw(""));
            lines.push(Line::raw(format!(
                "restic forget --dry-run: {remove} snapshots would be removed, {keep} kept."
            )));
            for group in &plan.groups {
                for snapshot in &group.remove {
                    lines.push(Line::raw(format!(
                        "  - {}  {}  {}  {}",
                        snapshot.short_id,
                        snapshot.display_time(),
                        snapshot.hostname,
                        snapshot.paths.join(" ")
                    )));
                }
            }
        }
    }
}

fn draw_diff(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    let (diff, picker) = match &app.diff {
        DiffState::Loading => {
            loading(
                frame,
                area,
                app,
                "Comparing the snapshots (restic diff --json)…",
            );
            return;
        }
        DiffState::Failed(error) => {
            let mut lines = vec![Line::raw("restic could not compare the snapshots:")];
            lines.extend(error.lines().map(|line| Line::raw(format!("  {line}"))));
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
            return;
        }
        DiffState::Loaded { diff, picker } => (diff, picker),
    };
    let totals = u16::try_from(diff.totals.len()).unwrap_or(0);
    let [list, bottom] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(totals)]).areas(area);
    let about = vec![Span::styled(
        format!(
            "{} changes   + added  - removed  M modified  T type  U metadata",
            diff.changes.len()
        ),
        palette.faint,
    )];
    let rows = list_caption(frame, list, picker, diff.changes.len(), about, palette);
    draw_rows(
        frame,
        rows,
        picker.matches().len(),
        picker.cursor(),
        &picker.scroll,
        palette,
        |i, width| {
            let (path, modifier) = &diff.changes[picker.matches()[i]];
            vec![
                Span::styled(format!("{modifier:<2}"), palette.mark),
                Span::raw(clip(path, width.saturating_sub(2))),
            ]
        },
    );
    let lines: Vec<Line<'_>> = diff
        .totals
        .iter()
        .map(|line| Line::styled(clip(line, bottom.width.into()), palette.faint))
        .collect();
    frame.render_widget(Paragraph::new(lines), bottom);
}
