//! The bodies of the screens about runs: the dashboard (each preset's last backup)
//! and a restore drill (its progress, then its verdicts).

use std::time::Duration;

use keld_hooks::{DrillProgress, Freshness, Verdict, format_age};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::lists::list_caption;
use super::{SPINNER, cell, clip, clip_spans, draw_picker_rows, loading};
use crate::app::{App, DrillState};
use crate::dashboard::{Last, STALE_AFTER, Status, note};
use crate::palette::Palette;
use crate::safe::{lines, name, one_line};
use crate::units::count;

/// `3h 5m ago`.
fn ago(age: Option<Duration>) -> String {
    age.map_or_else(String::new, |age| format!("{} ago", format_age(age)))
}

/// The width of the last backup's column: `interrupted  23h 59m ago`.
const BACKUP_WIDTH: usize = 24;

/// `26h`: the staleness limit in hours.
fn stale_limit() -> String {
    format!("{}h", STALE_AFTER.as_secs() / 3600)
}

pub(super) fn draw_dashboard(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    let names: Vec<String> = app
        .dashboard_presets
        .iter()
        .map(|preset| name(preset).into_owned())
        .collect();
    if names.is_empty() {
        let mut text = vec![
            Line::raw("No presets are defined yet: keld's config files name none."),
            Line::raw(""),
            Line::raw(
                "docs/configuration.md describes them; `keld presets` lists what keld reads. \
                 c opens the command menu.",
            ),
        ];
        if let Some(Err(error)) = &app.records {
            text.push(Line::raw(""));
            text.extend(lines(error).map(|line| Line::styled(line.into_owned(), palette.strong)));
        }
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), area);
        return;
    }
    let about = match &app.records {
        None => vec![Span::raw(format!(
            "{} Reading the run records…",
            SPINNER[app.spinner() % SPINNER.len()]
        ))],
        Some(Ok(records)) if records.rows.is_empty() => vec![Span::styled(
            "No runs recorded yet: keld records each run it makes",
            palette.faint,
        )],
        Some(_) => vec![Span::styled(
            format!(
                "Last backup of each preset; ⚠ stale: no successful backup in {}",
                stale_limit()
            ),
            palette.faint,
        )],
    };
    let picker = &app.dashboard_picker;
    let rest = list_caption(frame, area, picker, names.len(), about, palette);
    let note = app.records.as_ref().and_then(note);
    // The list first: the lines about the highlighted preset only where there is room.
    let details_height = if rest.height >= 8 { 2 } else { 0 };
    let [note_area, head, rows, _, details] = Layout::vertical([
        Constraint::Length(u16::from(note.is_some())),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(u16::from(details_height > 0)),
        Constraint::Length(details_height),
    ])
    .areas(rest);
    if let Some(note) = note {
        frame.render_widget(
            Line::styled(
                clip(&one_line(&note), note_area.width.into()),
                palette.strong,
            ),
            note_area,
        );
    }
    let name_width = names
        .iter()
        .map(|name| name.width())
        .max()
        .unwrap_or(0)
        .clamp(6, 24);
    frame.render_widget(
        Line::styled(
            clip(
                &format!("  {}   Last backup", cell("Preset", name_width)),
                head.width.into(),
            ),
            palette.faint,
        ),
        head,
    );
    // Statuses are known once records were read; records that cannot be read say
    // nothing about any preset.
    let loaded = matches!(app.records, Some(Ok(_)));
    draw_picker_rows(frame, rows, picker, palette, |i, width| {
        let index = picker.matches()[i];
        let status = &app.statuses[index];
        let mut spans = vec![Span::raw(cell(&names[index], name_width.min(width)))];
        spans.extend(status_spans(status, loaded, palette));
        clip_spans(spans, width).spans
    });
    if let Some(index) = picker.current() {
        let lines: Vec<Line<'_>> = detail_lines(&names[index], &app.statuses[index], loaded)
            .into_iter()
            .map(|line| Line::styled(clip(&line, details.width.into()), palette.faint))
            .collect();
        frame.render_widget(Paragraph::new(lines), details);
    }
}

/// A row's columns after the name: the last backup's result and age, and whether the
/// preset is stale.
fn status_spans(status: &Status, loaded: bool, palette: &Palette) -> Vec<Span<'static>> {
    let Some(backup) = &status.backup else {
        if !loaded {
            return Vec::new();
        }
        return vec![Span::styled("   no backup recorded", palette.faint)];
    };
    let result_style = if matches!(backup.result, "success" | "warning") {
        Style::new()
    } else {
        palette.strong
    };
    let age = ago(backup.age);
    let result = format!("{:<7}", backup.result);
    let pad = BACKUP_WIDTH.saturating_sub(result.width() + 2 + age.width());
    let stale = status.stale();
    let mut spans = vec![
        // The mark comes first, so a narrow screen still shows it.
        Span::styled(if stale { " ⚠ " } else { "   " }, palette.strong),
        Span::styled(result, result_style),
        Span::raw(format!("  {age}{}", " ".repeat(pad))),
    ];
    if stale {
        let why = match backup.freshness {
            Freshness::Stale(age) => format!("stale: last success {}", ago(Some(age))),
            Freshness::Never | Freshness::Fresh(_) => "stale: never succeeded".to_owned(),
        };
        spans.push(Span::raw("  "));
        spans.push(Span::styled(why, palette.strong));
    }
    spans
}

/// The two lines under the list about the highlighted preset: its last backup in
/// full (with keld's message when it failed) and its last drill.
fn detail_lines(preset: &str, status: &Status, loaded: bool) -> [String; 2] {
    if !loaded {
        return [String::new(), String::new()];
    }
    let sentence = |what: &str, last: Option<&Last>| match last {
        None => format!("no {what} recorded"),
        Some(last) => {
            let mut text = format!(
                "last {what}: {} {} (exit {}, took {})",
                last.result,
                ago(last.age),
                last.exit_code,
                format_age(last.took)
            );
            if let Some(error) = &last.error {
                text.push_str(&format!(": {}", one_line(error)));
            }
            text
        }
    };
    [
        format!("{preset}: {}", sentence("backup", status.backup.as_ref())),
        sentence("drill", status.drill.as_ref()),
    ]
}

pub(super) fn draw_drill(frame: &mut Frame<'_>, area: Rect, app: &App, palette: &Palette) {
    match &app.drill {
        DrillState::NotStarted => {}
        DrillState::Running { progress, .. } => {
            let [step, _, about] = Layout::vertical([
                Constraint::Length(1),
                Constraint::Length(1),
                Constraint::Min(0),
            ])
            .areas(area);
            let preset = app.preset().map(name).unwrap_or_default();
            loading(frame, step, app, &progress_text(progress.as_ref(), &preset));
            frame.render_widget(
                Paragraph::new(vec![
                    Line::styled(
                        "A sample of the newest snapshot's files is restored into a private \
                         directory and compared with the live files; the directory is \
                         removed at the end. Nothing else is written.",
                        palette.faint,
                    ),
                    Line::raw(""),
                    Line::styled(
                        "Ctrl-C stops the drill (restic is stopped, the directory removed) and \
                         leaves.",
                        palette.faint,
                    ),
                ])
                .wrap(Wrap { trim: false }),
                about,
            );
        }
        DrillState::Failed(error) => {
            let mut text = vec![Line::raw("The drill could not start:")];
            text.extend(lines(error).map(|line| Line::raw(format!("  {line}"))));
            frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), area);
        }
        DrillState::Done { outcome, picker } => {
            let mut after: Vec<Line<'_>> = Vec::new();
            if let Some(summary) = &outcome.summary {
                after.push(Line::styled(one_line(summary).into_owned(), palette.strong));
            }
            if let Some(failed) = &outcome.failed_files {
                after.push(Line::styled(one_line(failed).into_owned(), palette.strong));
            }
            if let Some((error, help)) = &outcome.error {
                let mut error_lines = lines(error);
                if let Some(first) = error_lines.next() {
                    after.push(Line::styled(format!("error: {first}"), palette.strong));
                }
                after.extend(error_lines.map(|line| Line::raw(format!("  {line}"))));
                after.push(Line::styled(
                    format!("help: {}", one_line(help)),
                    palette.faint,
                ));
            }
            for warning in &outcome.warnings {
                after.push(Line::raw(format!("⚠ {}", one_line(warning))));
            }
            if outcome.files.is_empty() {
                let mut text = vec![Line::raw(format!(
                    "The drill of {} judged no file (recorded as {}, exit {}).",
                    name(&outcome.preset),
                    outcome.result,
                    outcome.exit_code
                ))];
                text.push(Line::raw(""));
                text.extend(after);
                frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), area);
                return;
            }
            let after = Paragraph::new(after).wrap(Wrap { trim: false });
            let bottom = u16::try_from(after.line_count(area.width.max(1)))
                .unwrap_or(u16::MAX)
                .min(area.height / 2);
            let [list, _, summary] = Layout::vertical([
                Constraint::Min(0),
                Constraint::Length(u16::from(bottom > 0 && area.height > 6)),
                Constraint::Length(bottom),
            ])
            .areas(area);
            let about = vec![Span::styled(
                format!(
                    "{}, each restored and compared (recorded as {}, exit {})",
                    count(outcome.files.len(), "file", "files"),
                    outcome.result,
                    outcome.exit_code
                ),
                palette.faint,
            )];
            let rows = list_caption(frame, list, picker, outcome.files.len(), about, palette);
            draw_picker_rows(frame, rows, picker, palette, |i, width| {
                let (verdict, line) = &outcome.files[picker.matches()[i]];
                let style = if *verdict == Verdict::Ok {
                    Style::new()
                } else if verdict.fails() {
                    palette.strong
                } else {
                    palette.faint
                };
                vec![Span::styled(clip(&one_line(line), width), style)]
            });
            frame.render_widget(after, summary);
        }
    }
}

/// What the drill does now, for the line with the spinner.
fn progress_text(progress: Option<&DrillProgress>, preset: &str) -> String {
    match progress {
        None => format!("Starting the drill of {preset}…"),
        Some(DrillProgress::FindingSnapshot) => {
            format!("Finding the newest snapshot of {preset}'s backups (restic snapshots)…")
        }
        Some(DrillProgress::Listing { snapshot }) => {
            format!(
                "Listing the files of snapshot {} (restic ls)…",
                name(snapshot)
            )
        }
        Some(DrillProgress::Restoring { files }) => {
            format!(
                "Restoring {} into a private directory (restic restore)…",
                count(*files, "file", "files")
            )
        }
        Some(DrillProgress::Comparing { done, total }) => {
            format!("Comparing with the live files: {done} of {total}…")
        }
    }
}
