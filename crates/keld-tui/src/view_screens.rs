//! The body of each screen; the list screens' are in `view_lists.rs`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::lists::{draw_choices, draw_diff, draw_presets, draw_snapshots, field_spans};
use super::runs::{draw_dashboard, draw_drill};
use super::{caption, cell, clip, draw_rows, human_size, loading, position};
use crate::app::{App, PlanState, TreeState};
use crate::palette::Palette;
use crate::protocol::{COMMANDS, OVERWRITE_POLICIES};
use crate::safe::{lines as safe_lines, name, one_line};
use crate::snapshots::{display_time, format_minutes};
use crate::tree::{Check, FileTree, NodeKind, Selection};
use crate::units::count;
use crate::widgets::ScreenId;
use keld_config::shell as quote;

/// Draw the current screen into `area`.
pub(super) fn draw_body(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    match app.screen() {
        ScreenId::Dashboard => draw_dashboard(frame, area, app, palette),
        ScreenId::Drill => draw_drill(frame, area, app, palette),
        ScreenId::Command => {
            let about = app
                .dashboard_preset()
                .map(|preset| Span::styled(format!("for {}", name(preset)), palette.faint))
                .into_iter()
                .collect();
            draw_choices(frame, area, &app.command_picker, &COMMANDS, about, palette);
        }
        ScreenId::Preset => draw_presets(frame, area, app, palette),
        ScreenId::Snapshots => draw_snapshots(frame, area, app, palette),
        ScreenId::Tree => draw_tree(frame, area, app, palette),
        ScreenId::Target => draw_target(frame, area, app, palette),
        ScreenId::Overwrite => draw_overwrite(frame, area, app, palette),
        ScreenId::Confirm => draw_confirm(frame, area, app, palette),
        ScreenId::Diff => draw_diff(frame, area, app, palette),
    }
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
            lines.extend(safe_lines(error).map(|line| Line::raw(format!("  {line}"))));
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
            format!(
                "   {} of {}",
                tree.search_matches(),
                count(tree.len(), "entry", "entries")
            ),
            palette.faint,
        ));
        let _ = query;
    } else {
        about.push(Span::styled(
            count(tree.len(), "entry", "entries"),
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
                name(view.name)
            );
            spans.push(Span::raw(cell(&name, name_width)));
            spans.push(Span::styled(details, palette.faint));
            spans
        },
    );
    if let Some(node) = tree.current() {
        let (_, size, mtime) = tree.details(node);
        let mut text = name(&tree.path(node)).into_owned();
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
                .map(|completion| format!("{}/", name(completion)))
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
        Vec::new(),
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
                lines.push(Line::styled(
                    format!("⚠ {}", one_line(warning)),
                    palette.strong,
                ));
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
                        .map(|variable| Line::raw(format!("  {}", name(variable)))),
                );
            }
            plan_lines(app, &mut lines);
        }
        Some(Err(error)) => {
            lines.push(Line::raw("This choice does not resolve:"));
            lines.extend(safe_lines(error).map(|line| Line::raw(format!("  {line}"))));
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
            lines.extend(safe_lines(error).map(|line| Line::raw(format!("  {line}"))));
        }
        PlanState::Loaded(plan) => {
            let (keep, remove) = plan.counts();
            lines.push(Line::raw(""));
            let snapshots = if remove == 1 { "snapshot" } else { "snapshots" };
            lines.push(Line::raw(format!(
                "restic forget --dry-run: {remove} {snapshots} would be removed, {keep} kept."
            )));
            for group in &plan.groups {
                for snapshot in &group.remove {
                    let paths: Vec<String> = snapshot
                        .paths
                        .iter()
                        .map(|path| name(path).into_owned())
                        .collect();
                    lines.push(Line::raw(format!(
                        "  - {}  {}  {}  {}",
                        name(snapshot.short()),
                        display_time(snapshot),
                        name(&snapshot.hostname),
                        paths.join(" ")
                    )));
                }
            }
        }
    }
}
