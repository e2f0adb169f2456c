//! The bodies of the list screens: commands, presets, snapshots, a comparison.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::{caption, cell, clip, draw_picker_rows, human_size, loading, position};
use crate::app::{App, DiffState, SnapshotsState};
use crate::field::TextField;
use crate::palette::Palette;
use crate::safe::{lines as safe_lines, name, one_line};
use crate::snapshots::{ListedSnapshot, display_time};
use crate::units::count;
use crate::widgets::Picker;

/// The caption line of a list and the area left for its rows: the filter while
/// one is typed or kept (`Filter: re▏   3 of 8`), else `about`; the position
/// on the right.
pub(super) fn list_caption<'a>(
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
pub(super) fn draw_choices(
    frame: &mut Frame<'_>,
    area: Rect,
    picker: &Picker,
    choices: &[(&'static str, &'static str)],
    about: Vec<Span<'_>>,
    palette: &Palette,
) {
    let area = list_caption(frame, area, picker, choices.len(), about, palette);
    draw_picker_rows(frame, area, picker, palette, |i, width| {
        let (name, about) = choices[picker.matches()[i]];
        vec![
            Span::raw(cell(name, 11.min(width))),
            Span::styled(clip(about, width.saturating_sub(11)), palette.faint),
        ]
    });
}

pub(super) fn draw_presets(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    let picker = &app.preset_picker;
    let presets: Vec<_> = app.offered_presets().collect();
    let about = match app.expanded_prefix() {
        Some(prefix) => vec![Span::styled(
            format!("{} with each destination (Esc: all presets)", name(prefix)),
            palette.faint,
        )],
        None => vec![Span::styled("Preset and its repository", palette.faint)],
    };
    let area = list_caption(frame, area, picker, presets.len(), about, palette);
    let names: Vec<String> = presets
        .iter()
        .map(|preset| name(&preset.name).into_owned())
        .collect();
    let name_width = names
        .iter()
        .map(|name| name.width())
        .max()
        .unwrap_or(0)
        .clamp(4, 24);
    draw_picker_rows(frame, area, picker, palette, |i, width| {
        let index = picker.matches()[i];
        let preset = presets[index];
        let repository = match (&preset.repository, preset.repository_only) {
            _ if preset.combines => "… Enter lists it with every destination".to_owned(),
            (Some(repository), true) => {
                format!("{} (the whole repository)", one_line(repository))
            }
            (Some(repository), false) => one_line(repository).into_owned(),
            (None, _) => "no repository set".to_owned(),
        };
        let name_width = name_width.min(width);
        vec![
            Span::raw(cell(&names[index], name_width)),
            Span::raw(" "),
            Span::styled(
                clip(&repository, width.saturating_sub(name_width + 1)),
                palette.faint,
            ),
        ]
    });
}

pub(super) fn draw_snapshots(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
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
                    snapshots[from].snapshot.short()
                ),
                None => format!(
                    "{}, newest first",
                    count(snapshots.len(), "snapshot", "snapshots")
                ),
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
            draw_picker_rows(frame, rows, picker, palette, |i, _| {
                let index = picker.matches()[i];
                let marked = app.compare_from == Some(index);
                let row = columns.row(&snapshots[index]);
                if marked {
                    vec![Span::styled(row, palette.mark)]
                } else {
                    vec![Span::raw(row)]
                }
            });
        }
        SnapshotsState::Failed { error, field } => {
            let mut lines = vec![Line::raw("restic could not list the snapshots:")];
            lines.extend(safe_lines(error).map(|line| Line::raw(format!("  {line}"))));
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
    fn fit(snapshots: &[ListedSnapshot], width: usize) -> Self {
        let has_tags = snapshots.iter().any(|s| !s.snapshot.tags.is_empty());
        let has_size = snapshots.iter().any(|s| s.snapshot.size().is_some());
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
        let time = take(16, 9);
        let paths_min = take(12, 7);
        let host = take(12, 5);
        let size = if has_size { take(9, 8) } else { 0 };
        let tags = if has_tags { take(12, 5) } else { 0 };
        // Seconds only when everything else already fits.
        let time = if time == 16 && left >= 3 {
            left -= 3;
            19
        } else {
            time
        };
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

    fn row(&self, listed: &ListedSnapshot) -> String {
        let snapshot = &listed.snapshot;
        let size = snapshot.size().map(human_size).unwrap_or_default();
        let time = display_time(snapshot);
        // `2026-11-26 11:00:47`, without the seconds, or the date alone.
        let time = match self.time {
            19.. => &time[..],
            16..=18 => time.get(..16).unwrap_or(&time),
            _ => time.get(..10).unwrap_or(&time),
        };
        let shown = |words: &[String], separator: &str| {
            words
                .iter()
                .map(|word| name(word).into_owned())
                .collect::<Vec<_>>()
                .join(separator)
        };
        self.join(
            &name(snapshot.short()),
            time,
            &name(&snapshot.hostname),
            &format!("{size:>width$}", width = self.size),
            &shown(&snapshot.tags, ","),
            &shown(&snapshot.paths, " "),
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
pub(super) fn field_spans(
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

pub(super) fn draw_diff(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
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
            lines.extend(safe_lines(error).map(|line| Line::raw(format!("  {line}"))));
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
            "{}   + added  - removed  M modified  T type  U metadata",
            count(diff.changes.len(), "change", "changes")
        ),
        palette.faint,
    )];
    let rows = list_caption(frame, list, picker, diff.changes.len(), about, palette);
    draw_picker_rows(frame, rows, picker, palette, |i, width| {
        let (path, modifier) = &diff.changes[picker.matches()[i]];
        vec![
            Span::styled(format!("{:<2}", one_line(modifier)), palette.mark),
            Span::raw(clip(&name(path), width.saturating_sub(2))),
        ]
    });
    let lines: Vec<Line<'_>> = diff
        .totals
        .iter()
        .map(|line| Line::styled(clip(&one_line(line), bottom.width.into()), palette.faint))
        .collect();
    frame.render_widget(Paragraph::new(lines), bottom);
}
