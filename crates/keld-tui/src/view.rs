//! Drawing the state machine with ratatui: a breadcrumb, the screen's title and
//! body, a notice line and a help bar with the current screen's keys; `?` lays the
//! full list of keys over it.
//!
//! Lists draw only the rows that fit, so 10,000 snapshots or an open directory of
//! 100,000 files cost a screenful per frame. Text that does not fit ends in `…`;
//! nothing is drawn outside the frame, at any size down to one cell.

use std::cell::Cell;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Clear, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState,
};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::app::App;
use crate::palette::Palette;
use crate::safe::{name, one_line};
use crate::units::human_size;
use crate::widgets::{Picker, ScreenId};

#[path = "view_keys.rs"]
mod keys;
#[path = "view_lists.rs"]
mod lists;
#[path = "view_runs.rs"]
mod runs;
#[path = "view_screens.rs"]
mod screens;

pub(crate) use keys::{all_keys, help_keys};

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
    frame.render_widget(
        Line::styled(clip(&breadcrumb(app), header.width.into()), palette.faint),
        header,
    );
    frame.render_widget(
        Line::styled(clip(title_of(app), title.width.into()), palette.strong),
        Rect {
            height: title.height.min(1),
            ..title
        },
    );
    screens::draw_body(frame, body, app, palette);
    if let Some(text) = app.notice() {
        frame.render_widget(
            Line::styled(clip(&one_line(text), notice.width.into()), palette.strong),
            notice,
        );
    }
    frame.render_widget(help_bar(&help_keys(app), help.width.into(), palette), help);
    if app.help {
        draw_help(frame, app, palette);
    }
}

/// The heading of the current screen.
pub(crate) fn title_of(app: &App) -> &'static str {
    match app.screen() {
        ScreenId::Dashboard => "Backups",
        ScreenId::Drill => "Restore drill",
        ScreenId::Command => "Command",
        ScreenId::Preset => "Preset",
        ScreenId::Snapshots if app.browsing() => "Snapshots",
        ScreenId::Snapshots => "Snapshot",
        ScreenId::Tree if app.restoring() => "Files to restore",
        ScreenId::Tree => "Files in the snapshot",
        ScreenId::Target => "Restore into",
        ScreenId::Overwrite => "Existing files",
        ScreenId::Confirm => "Confirm",
        ScreenId::Diff => "Changes between two snapshots",
    }
}

/// `keld › restore › home › 7324ac45`: the answers on the way to this screen.
fn breadcrumb(app: &App) -> String {
    let mut parts = vec!["keld".to_owned()];
    if app.answered(ScreenId::Command) {
        parts.extend(app.command().map(|command| name(command).into_owned()));
    }
    if app.answered(ScreenId::Preset) {
        parts.extend(app.preset().map(|preset| name(preset).into_owned()));
    }
    if let (ScreenId::Diff, Some((from, to))) = (app.screen(), app.compared()) {
        parts.push(format!("{} → {}", name(short(from)), name(short(to))));
    } else if app.answered(ScreenId::Snapshots)
        && (app.restoring() || app.browsing())
        && let Some(snapshot) = app.snapshot()
    {
        parts.push(name(short(snapshot)).into_owned());
    }
    parts.join(" › ")
}

/// A snapshot ID's first eight characters.
fn short(id: &str) -> &str {
    id.char_indices().nth(8).map_or(id, |(at, _)| &id[..at])
}

/// The keys as `key action` pairs that fit `width`; when some do not, the bar ends
/// in `…  ? keys`, where the rest are listed.
fn help_bar(
    keys: &[(&'static str, &'static str)],
    width: usize,
    palette: &Palette,
) -> Line<'static> {
    let item_width = |(key, action): &(&str, &str)| key.width() + 1 + action.width();
    let full: usize = keys.iter().map(item_width).sum::<usize>() + 2 * keys.len().saturating_sub(1);
    let more = ("?", "keys");
    let (shown, cut): (Vec<_>, bool) = if full <= width {
        (keys.to_vec(), false)
    } else {
        let room = width.saturating_sub(item_width(&more) + 5);
        let mut used = 0;
        let mut shown = Vec::new();
        for key in keys.iter().filter(|key| key.0 != "?") {
            let needed = item_width(key) + if shown.is_empty() { 0 } else { 2 };
            if used + needed > room {
                break;
            }
            used += needed;
            shown.push(*key);
        }
        (shown, true)
    };
    let mut spans = Vec::new();
    for (index, (key, action)) in shown.iter().enumerate() {
        if index > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(*key, palette.key));
        spans.push(Span::raw(format!(" {action}")));
    }
    if cut {
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::raw("…  "));
        spans.push(Span::styled(more.0, palette.key));
        spans.push(Span::raw(format!(" {}", more.1)));
    }
    let line = Line::from(spans);
    if line.width() > width {
        // Not even `? keys` fits: clip the text.
        return Line::raw(clip(&line.to_string(), width));
    }
    line
}

/// The keys of the current screen in a box over it (`?`).
fn draw_help(frame: &mut Frame<'_>, app: &App, palette: &Palette) {
    let keys = all_keys(app);
    let key_width = keys.iter().map(|(key, _)| key.width()).max().unwrap_or(0);
    let lines: Vec<Line<'_>> = keys
        .iter()
        .map(|(key, action)| {
            Line::from(vec![
                Span::styled(format!("{key:<key_width$}"), palette.key),
                Span::raw(format!("  {action}")),
            ])
        })
        .collect();
    let area = frame.area();
    let width = lines
        .iter()
        .map(Line::width)
        .max()
        .unwrap_or(0)
        .saturating_add(4)
        .min(area.width.into());
    let height = (lines.len() + 2).min(area.height.into());
    let popup = Rect {
        x: area.x + (area.width - u16::try_from(width).unwrap_or(area.width)) / 2,
        y: area.y + (area.height - u16::try_from(height).unwrap_or(area.height)) / 2,
        width: u16::try_from(width).unwrap_or(area.width),
        height: u16::try_from(height).unwrap_or(area.height),
    };
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" Keys: {} (any key closes) ", title_of(app))),
        ),
        popup,
    );
}

/// The first row to draw so the cursor stays inside `height` rows.
fn scrolled(scroll: &Cell<usize>, cursor: usize, height: usize, count: usize) -> usize {
    let mut first = scroll.get().min(count.saturating_sub(height));
    if cursor < first {
        first = cursor;
    } else if height > 0 && cursor >= first + height {
        first = cursor + 1 - height;
    }
    scroll.set(first);
    first
}

/// [`draw_rows`] of a picker's matches, at its cursor and scroll position.
fn draw_picker_rows<'a>(
    frame: &mut Frame<'_>,
    area: Rect,
    picker: &Picker,
    palette: &Palette,
    line: impl Fn(usize, usize) -> Vec<Span<'a>>,
) {
    draw_rows(
        frame,
        area,
        picker.matches().len(),
        picker.cursor(),
        &picker.scroll,
        palette,
        line,
    );
}

/// A list's rows: the window around the cursor, the cursor row marked with `›` and
/// highlighted, and a scrollbar on the right when the list is longer than the area.
/// `line(i, width)` draws row `i` in `width` columns (after the marker).
fn draw_rows<'a>(
    frame: &mut Frame<'_>,
    area: Rect,
    count: usize,
    cursor: usize,
    scroll: &Cell<usize>,
    palette: &Palette,
    line: impl Fn(usize, usize) -> Vec<Span<'a>>,
) {
    let height = usize::from(area.height);
    let overflow = count > height;
    let width = usize::from(area.width).saturating_sub(2 + usize::from(overflow));
    let first = scrolled(scroll, cursor, height, count);
    for (offset, index) in (first..count.min(first + height)).enumerate() {
        let at_cursor = index == cursor;
        let mut spans = vec![Span::raw(if at_cursor { "› " } else { "  " })];
        spans.extend(line(index, width));
        let mut row = Line::from(spans);
        if at_cursor {
            row = row.style(palette.cursor);
        }
        let y = area.y + u16::try_from(offset).unwrap_or(u16::MAX);
        let row_area = Rect {
            y,
            height: 1,
            width: area.width.saturating_sub(u16::from(overflow)),
            ..area
        };
        frame.render_widget(row, row_area);
    }
    if overflow && area.width > 1 {
        let mut state = ScrollbarState::new(count.saturating_sub(height) + 1)
            .position(first)
            .viewport_content_length(height);
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(None)
                .end_symbol(None),
            area,
            &mut state,
        );
    }
}

/// A caption above a list: `left` (clipped) and `right` (the position, `3/120`)
/// against the right edge.
fn caption(frame: &mut Frame<'_>, area: Rect, left: Vec<Span<'_>>, right: &str, palette: &Palette) {
    let width = usize::from(area.width);
    let right_width = if right.is_empty() {
        0
    } else {
        right.width() + 1
    };
    let left = clip_spans(left, width.saturating_sub(right_width));
    let gap = width.saturating_sub(left.width() + right.width());
    let mut spans = left.spans;
    if right_width > 0 && width >= right_width {
        spans.push(Span::raw(" ".repeat(gap)));
        spans.push(Span::styled(right.to_owned(), palette.faint));
    }
    frame.render_widget(Line::from(spans), area);
}

/// `3/120`: the cursor's place in a list, or nothing for an empty one.
fn position(cursor: usize, count: usize) -> String {
    if count == 0 {
        "0/0".to_owned()
    } else {
        format!("{}/{count}", cursor + 1)
    }
}

fn loading(frame: &mut Frame<'_>, area: Rect, app: &App, what: &str) {
    let spinner = SPINNER[app.spinner() % SPINNER.len()];
    frame.render_widget(
        Line::raw(clip(&format!("{spinner} {what}"), area.width.into())),
        area,
    );
}

/// `text` cut to `width` columns, ending in `…` when cut.
pub(crate) fn clip(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut clipped = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        clipped.push(ch);
    }
    if width > 0 {
        clipped.push('…');
    }
    clipped
}

/// `text` padded or clipped to exactly `width` columns.
fn cell(text: &str, width: usize) -> String {
    let clipped = clip(text, width);
    let pad = width.saturating_sub(clipped.width());
    format!("{clipped}{}", " ".repeat(pad))
}

/// Spans cut to `width` columns, the last one ending in `…` when cut.
fn clip_spans(spans: Vec<Span<'_>>, width: usize) -> Line<'_> {
    let mut used = 0;
    let mut out = Vec::new();
    for span in spans {
        let span_width = span.width();
        if used + span_width <= width {
            used += span_width;
            out.push(span);
        } else {
            let text = clip(&span.content, width - used);
            out.push(Span::styled(text, span.style));
            break;
        }
    }
    Line::from(out)
}

#[cfg(test)]
#[path = "view_states.rs"]
pub(crate) mod states;
#[cfg(test)]
#[path = "view_tests.rs"]
mod tests;
