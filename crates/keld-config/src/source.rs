//! Config file text kept for provenance and diagnostics.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::redact::{self, Masked};

/// One config file's text, shared by every value and diagnostic that points into it.
///
/// Cloning is cheap. As [`SourceCode`] it names itself by the file path, so a
/// rendered diagnostic shows `path/to/config.toml:12:5`.
///
/// What it shows is the file with its secret values masked: every byte of a password,
/// key or token becomes `*`, so a diagnostic can quote the lines around a mistake
/// without quoting a secret. The masked text has the same length and line breaks, so
/// every span still points at the same place.
///
/// A diagnostic quotes it with control characters (escape sequences, bidirectional
/// overrides: [`crate::shell::is_control`]) as `?`, one for each of their bytes, so the
/// lines around a mistake can never act on the terminal; line breaks and tabs stay,
/// for the renderer lays them out. The message above a quote names the value with
/// its control characters escaped (`\x1b`).
///
/// The masked copy and the table of line starts are made the first time they are
/// needed: most files of a large config are parsed and checked, but never quoted.
#[derive(Clone)]
pub struct SourceText(Arc<Inner>);

struct Inner {
    /// Position among the files read: a higher one has priority.
    order: usize,
    path: PathBuf,
    text: String,
    /// The path as shown in diagnostics.
    name: OnceLock<String>,
    /// The text as shown: secret values masked, computed once per file when first needed.
    masked: OnceLock<Masked>,
    /// The text as a diagnostic quotes it: masked, control characters made `?`;
    /// `None` when that is the masked text.
    quoted: OnceLock<Option<String>>,
    /// Byte offsets where lines start, computed when first needed.
    line_starts: OnceLock<Vec<usize>>,
}

impl SourceText {
    pub(crate) fn new(order: usize, path: PathBuf, text: String) -> Self {
        Self(Arc::new(Inner {
            order,
            path,
            text,
            name: OnceLock::new(),
            masked: OnceLock::new(),
            quoted: OnceLock::new(),
            line_starts: OnceLock::new(),
        }))
    }

    fn masked(&self) -> &Masked {
        self.0.masked.get_or_init(|| redact::mask(&self.0.text))
    }

    fn name(&self) -> &str {
        self.0
            .name
            .get_or_init(|| self.0.path.display().to_string())
    }

    fn line_starts(&self) -> &[usize] {
        self.0.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', self.0.text.as_bytes()).map(|index| index + 1))
                .collect()
        })
    }

    /// The file this text was read from.
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// Position of the file among the files read, lowest priority first.
    pub(crate) fn order(&self) -> usize {
        self.0.order
    }

    /// The whole text of the file as diagnostics show it: secret values masked with `*`
    /// (same length and lines as the file).
    pub fn text(&self) -> &str {
        self.masked().text.as_deref().unwrap_or(&self.0.text)
    }

    /// The text a diagnostic quotes: [`SourceText::text`] with every byte of a control
    /// character but a line break or a tab written `?` (the same length and lines).
    fn quoted_text(&self) -> &str {
        let shown = self.text();
        self.0
            .quoted
            .get_or_init(|| neutralized(shown))
            .as_deref()
            .unwrap_or(shown)
    }

    /// The file's own text, secrets included: for parsing, never for showing.
    pub(crate) fn raw_text(&self) -> &str {
        &self.0.text
    }

    /// Whether a span touches a secret value.
    pub(crate) fn is_secret(&self, range: &Range<usize>) -> bool {
        self.masked().overlaps(range)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.0.text.len());
        let line_starts = self.line_starts();
        let line = line_starts.partition_point(|&start| start <= offset) - 1;
        let start = line_starts[line];
        let column = self
            .0
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        (line + 1, column)
    }

    /// `path:line:column` for a byte offset.
    pub(crate) fn location(&self, offset: usize) -> String {
        let (line, column) = self.line_column(offset);
        format!("{}:{line}:{column}", self.name())
    }

    /// The text of a span, or "" when the span does not fit the text.
    pub(crate) fn slice(&self, range: &Range<usize>) -> &str {
        self.0.text.get(range.clone()).unwrap_or("")
    }

    /// The text of a span as shown (secrets masked), or "" when it does not fit.
    pub(crate) fn shown_slice(&self, range: &Range<usize>) -> &str {
        self.text().get(range.clone()).unwrap_or("")
    }
}

impl fmt::Debug for SourceText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SourceText").field(&self.0.path).finish()
    }
}

/// A line of more bytes than this is not quoted whole in a diagnostic: only a window
/// around the marked place is (a renderer cannot indent a mark by more than 65,535
/// columns, and nobody reads a line that long).
pub(crate) const MAX_QUOTED_LINE: usize = 1024;

/// How many bytes of a long line a diagnostic quotes before and after the marked place.
const QUOTED_AROUND: usize = 120;

impl SourceCode for SourceText {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // Diagnostics read the masked text with control characters made harmless: the
        // same offsets, no secrets, nothing that acts on a terminal.
        let text = self.quoted_text();
        let inner = text.read_span(span, context_lines_before, context_lines_after)?;
        let quoted = inner.span().offset()..inner.span().offset() + inner.span().len();
        let long = text
            .get(quoted)
            .is_some_and(|quoted| quoted.split('\n').any(|line| line.len() > MAX_QUOTED_LINE));
        if !long {
            // The column in characters, as every `path:line:column` keld prints.
            let column = if inner.column() == 0 {
                0
            } else {
                self.line_column(inner.span().offset()).1 - 1
            };
            return Ok(Box::new(MietteSpanContents::new_named(
                self.name().to_owned(),
                inner.data(),
                *inner.span(),
                inner.line(),
                column,
                inner.line_count(),
            )));
        }
        // A long line: quote the marked place with a little of its line around it, and
        // no other line.
        // Any offsets, even ones inside a character, give a quote rather than a panic.
        let start = floor_char_boundary(text, span.offset());
        let end = ceil_char_boundary(text, span.offset().saturating_add(span.len())).max(start);
        let line_start = text[..start].rfind('\n').map_or(0, |index| index + 1);
        // The line ends before its `\n`, or its `\r\n`.
        let line_end = text[end..]
            .find('\n')
            .map_or(text.len(), |index| end + index);
        let line_end = if line_end > end && text[..line_end].ends_with('\r') {
            line_end - 1
        } else {
            line_end
        };
        // Boundaries of the file's own characters are boundaries in the masked text
        // too (a masked character is as many `*` as it had bytes).
        let raw = self.raw_text();
        let from = if context_lines_before == 0 {
            floor_char_boundary(raw, start)
        } else {
            floor_char_boundary(raw, start.saturating_sub(QUOTED_AROUND).max(line_start))
        };
        let to = ceil_char_boundary(raw, (end + QUOTED_AROUND).min(line_end)).max(from);
        let (line, column) = self.line_column(from);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name().to_owned(),
            &text.as_bytes()[from..to],
            (from, to - from).into(),
            line - 1,
            column - 1,
            text[from..to].matches('\n').count(),
        )))
    }
}

/// `text` with each byte of a control character written `?`, except the line breaks
/// (`\n`, and `\r` before one) and tabs a renderer lays out; `None` when there is none.
fn neutralized(text: &str) -> Option<String> {
    if !crate::shell::has_control(text) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let kept = matches!(c, '\n' | '\t') || (c == '\r' && chars.peek() == Some(&'\n'));
        if crate::shell::is_control(c) && !kept {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// The largest character boundary of `text` at or before `offset`.
fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The smallest character boundary of `text` at or after `offset`.
fn ceil_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

/// A span inside one config file.
#[derive(Debug, Clone)]
pub(crate) struct Span {
    pub(crate) source: SourceText,
    pub(crate) range: Range<usize>,
}

impl Span {
    pub(crate) fn new(source: &SourceText, range: Range<usize>) -> Self {
        Self {
            source: source.clone(),
            range,
        }
    }

    pub(crate) fn location(&self) -> String {
        self.source.location(self.range.start)
    }

    /// The span as a diagnostic marks it: at most [`MAX_QUOTED_LINE`] bytes, so that a
    /// huge value is marked by its start rather than underlined whole.
    pub(crate) fn miette(&self) -> SourceSpan {
        let end = ceil_char_boundary(
            self.source.raw_text(),
            self.range.end.min(self.range.start + MAX_QUOTED_LINE),
        );
        (self.range.start, end.saturating_sub(self.range.start)).into()
    }

    /// The file's own text of the span: for reading values, never for showing.
    pub(crate) fn text(&self) -> &str {
        self.source.slice(&self.range)
    }

    /// The span's text as shown, secret values masked.
    pub(crate) fn shown_text(&self) -> &str {
        self.source.shown_slice(&self.range)
    }

    /// Whether the span touches a secret value.
    pub(crate) fn is_secret(&self) -> bool {
        self.source.is_secret(&self.range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Quoting a long line never panics, whatever the offsets (inside a character,
    /// past the end), and always keeps the quote short.
    #[test]
    fn long_lines_are_quoted_around_any_offset() {
        let text = format!("[p]\nrepo = \"{}\" junk\nx = 1\n", "é😀".repeat(20_000));
        let source = SourceText::new(0, "/c.toml".into(), text.clone());
        for offset in [0, 5, 12, 13, 14, 1_000, 60_001, text.len() - 8, text.len()] {
            for len in [0, 1, 3, 5_000] {
                for context in [0, 2] {
                    if let Ok(contents) = source.read_span(&(offset, len).into(), context, context)
                    {
                        assert!(contents.data().len() < 2 * MAX_QUOTED_LINE + 5_000);
                    }
                }
            }
        }
    }
}
