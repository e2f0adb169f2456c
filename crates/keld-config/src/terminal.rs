//! Text from a config file made safe for a terminal, wherever it is printed.
//!
//! A value, a preset or section name, a path or a line of a config file may hold any
//! character, and a control character printed raw acts on the terminal: an escape
//! sequence moves the cursor or erases the line being audited, a bidirectional
//! control reorders it. Which characters those are, and how one is written instead
//! (`\x1b`, `\u202e`), is [`crate::shell`]'s one definition; this module applies it
//! to text that is not one shell word: messages ([`message`]: a newline stays a line
//! break), diagnostics ([`SafeDiagnostic`]: their messages, help and file names, and
//! the quoted text of any source that is not a config file, with the labels moved to
//! match) and JSON ([`json`]: escaped the JSON way, so every value stays exact). A
//! config file quotes itself with each byte of a control character as `?`, so its
//! lines are safe in every window a renderer asks for.
//!
//! miette prints a diagnostic's texts and quoted source as they are; render
//! [`SafeDiagnostic::of`] a keld-config error instead of the error itself:
//!
//! ```
//! use keld_config::{Config, Source};
//! use keld_config::terminal::SafeDiagnostic;
//! use miette::Diagnostic;
//!
//! let error = Config::from_sources([Source {
//!     path: "keld.toml".into(),
//!     text: "[\"home\u{1b}[2K\"]\nrepo = \n".into(),
//! }])
//! .unwrap_err();
//! let safe = SafeDiagnostic::of(&error);
//! assert_eq!(safe.to_string(), error.to_string());
//! let quoted = safe.source_code().unwrap().read_span(&(0, 0).into(), 0, 1).unwrap();
//! let quoted = std::str::from_utf8(quoted.data()).unwrap();
//! assert!(quoted.contains("home?[2K"), "{quoted}");
//! assert!(!quoted.contains('\u{1b}'));
//! ```

use std::borrow::Cow;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode, SourceSpan};

use crate::shell::{escape_char as escape, is_control};

/// Whether `text` holds a character that must not reach a terminal raw.
fn has_control(text: &str) -> bool {
    text.chars().any(is_control)
}

/// `text` (a message, a line of output) with every control character written as an
/// escape, except line breaks, which stay.
pub fn message(text: &str) -> Cow<'_, str> {
    if !has_control(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match escape(c) {
            Some(escaped) if c != '\n' => out.push_str(&escaped),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A config file's text as an error may quote it: control characters escaped except
/// the line breaks and tabs the diagnostic renderer handles itself (`\n`, `\r\n`,
/// `\t`), and where each byte offset of the original text went.
#[derive(Debug)]
struct Source {
    /// The text as shown.
    text: String,
    /// For each escaped character: its end in the original text and how many bytes
    /// longer the text is from there on.
    growth: Vec<(usize, usize)>,
}

impl Source {
    /// `text` escaped, or `None` when it holds nothing to escape.
    fn of(text: &str) -> Option<Self> {
        if !has_control(text) {
            return None;
        }
        let mut out = String::with_capacity(text.len() + 16);
        let mut growth = Vec::new();
        let mut grown = 0;
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let kept = matches!(c, '\n' | '\t')
                || (c == '\r' && chars.peek().is_some_and(|&(_, next)| next == '\n'));
            match escape(c).filter(|_| !kept) {
                Some(escaped) => {
                    grown += escaped.len() - c.len_utf8();
                    growth.push((at + c.len_utf8(), grown));
                    out.push_str(&escaped);
                }
                None => out.push(c),
            }
        }
        if growth.is_empty() {
            return None;
        }
        Some(Self { text: out, growth })
    }

    /// Where byte `offset` of the original text is in the shown text.
    fn offset(&self, offset: usize) -> usize {
        let before = self.growth.partition_point(|&(end, _)| end <= offset);
        offset
            + before
                .checked_sub(1)
                .map_or(0, |index| self.growth[index].1)
    }
}

/// JSON text (as `serde_json` writes it) with the control characters it leaves raw
/// (DEL, C1 controls, bidirectional and line separators) written as `\uXXXX`: the
/// same document, every value exact, nothing that acts on a terminal. Outside
/// strings `serde_json` writes only ASCII punctuation, so only strings change.
pub fn json(text: String) -> String {
    if !has_control(&text.replace('\n', "")) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c != '\n' && escape(c).is_some() {
            let mut units = [0; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A diagnostic as keld prints it, and as an embedder should: its message, code, help, labels, causes and
/// related diagnostics with control characters escaped ([`message`]), and
/// the source text it quotes escaped too, its labels moved to match
/// ([`Source`]). Text without control characters is unchanged, and the
/// source code is passed through as it is.
pub struct SafeDiagnostic<'a> {
    message: String,
    code: Option<String>,
    severity: Option<miette::Severity>,
    help: Option<String>,
    url: Option<String>,
    source: SafeSource<'a>,
    labels: Option<Vec<LabeledSpan>>,
    related: Vec<SafeDiagnostic<'a>>,
    cause: Option<Box<Cause>>,
}

/// The source code a [`SafeDiagnostic`] diagnostic quotes.
enum SafeSource<'a> {
    None,
    /// Nothing to escape: the diagnostic's own.
    Original(&'a dyn SourceCode),
    /// Escaped, with its (escaped) name.
    Escaped(NamedSource<String>),
}

/// One cause of a [`SafeDiagnostic`] diagnostic: only its message is shown.
#[derive(Debug)]
struct Cause {
    message: String,
    next: Option<Box<Cause>>,
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.next
            .as_deref()
            .map(|next| next as &(dyn std::error::Error + 'static))
    }
}

impl<'a> SafeDiagnostic<'a> {
    /// The safe copy of `diagnostic`.
    pub fn of(diagnostic: &'a dyn Diagnostic) -> Self {
        let text = |shown: &dyn std::fmt::Display| message(&shown.to_string()).into_owned();
        let (source, shift) = match diagnostic.source_code() {
            Some(code) => safe_source(code),
            None => (SafeSource::None, None),
        };
        let labels = match (&source, diagnostic.labels()) {
            // A source that could not be read is not quoted at all.
            (SafeSource::None, _) | (_, None) => None,
            (_, Some(labels)) => Some(
                labels
                    .map(|label| {
                        let (start, end) = (label.offset(), label.offset() + label.len());
                        let (start, end) = match &shift {
                            Some(shown) => (shown.offset(start), shown.offset(end)),
                            None => (start, end),
                        };
                        let span = SourceSpan::from((start, end - start));
                        let text = label.label().map(|label| text(&label));
                        if label.primary() {
                            LabeledSpan::new_primary_with_span(text, span)
                        } else {
                            LabeledSpan::new_with_span(text, span)
                        }
                    })
                    .collect(),
            ),
        };
        // The causes as miette walks them: the diagnostic source, else the error source.
        let mut messages = Vec::new();
        let mut next: Option<&dyn std::error::Error> = match diagnostic.diagnostic_source() {
            Some(cause) => Some(cause),
            None => diagnostic.source(),
        };
        while let Some(cause) = next {
            messages.push(text(&cause));
            next = cause.source();
        }
        let cause = messages.into_iter().rev().fold(None, |next, message| {
            Some(Box::new(Cause { message, next }))
        });
        Self {
            message: text(&diagnostic),
            code: diagnostic.code().map(|code| text(&code)),
            severity: diagnostic.severity(),
            help: diagnostic.help().map(|help| text(&help)),
            url: diagnostic.url().map(|url| text(&url)),
            source,
            labels,
            related: diagnostic
                .related()
                .map(|related| related.map(SafeDiagnostic::of).collect())
                .unwrap_or_default(),
            cause,
        }
    }
}

/// `code` as it may be quoted: itself when neither its text nor its name holds a
/// control character, else an escaped copy and the map of its offsets.
fn safe_source(code: &dyn SourceCode) -> (SafeSource<'_>, Option<Source>) {
    // The whole text: from offset 0, every line after it.
    let Ok(contents) = code.read_span(&SourceSpan::from((0, 0)), 0, usize::MAX) else {
        return (SafeSource::None, None);
    };
    let Ok(text) = std::str::from_utf8(contents.data()) else {
        return (SafeSource::None, None);
    };
    let name = contents.name().map(|name| message(name).into_owned());
    let shown = Source::of(text);
    if shown.is_none() && name.as_deref() == contents.name() {
        return (SafeSource::Original(code), None);
    }
    let escaped = shown
        .as_ref()
        .map_or_else(|| text.to_owned(), |shown| shown.text.clone());
    let named = NamedSource::new(name.unwrap_or_default(), escaped);
    (SafeSource::Escaped(named), shown)
}

impl std::fmt::Debug for SafeDiagnostic<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafeDiagnostic")
            .field("message", &self.message)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Display for SafeDiagnostic<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SafeDiagnostic<'_> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

impl Diagnostic for SafeDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.code
            .as_ref()
            .map(|code| Box::new(code) as Box<dyn std::fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        self.severity
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn std::fmt::Display>)
    }

    fn url<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.url
            .as_ref()
            .map(|url| Box::new(url) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        match &self.source {
            SafeSource::None => None,
            SafeSource::Original(code) => Some(*code),
            SafeSource::Escaped(named) => Some(named),
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.labels
            .as_ref()
            .map(|labels| Box::new(labels.iter().cloned()) as Box<dyn Iterator<Item = _>>)
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related
                .iter()
                .map(|related| related as &dyn Diagnostic),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_line_breaks_and_escape_the_rest() {
        assert_eq!(message("plain text"), "plain text");
        assert_eq!(
            message("a\u{1b}[2Kb\nc\td\u{7f}\u{9b}\u{202e}"),
            "a\\x1b[2Kb\nc\\td\\x7f\\u009b\\u202e"
        );
    }

    #[test]
    fn source_offsets_follow_the_escapes() {
        assert!(Source::of("a = 1\r\n\tb = 2\n").is_none());
        let source = Source::of("k = \"\u{1b}x\"\r\ny\rz").unwrap();
        assert_eq!(source.text, "k = \"\\x1bx\"\r\ny\\rz");
        assert_eq!(source.offset(0), 0);
        assert_eq!(source.offset(5), 5, "at the escaped character");
        assert_eq!(source.offset(6), 9, "after it");
        assert_eq!(source.offset(11), 14);
        assert_eq!(source.offset(12), 16, "after the lone carriage return");
    }

    #[test]
    fn json_escapes_what_serde_leaves_raw_and_stays_the_same_document() {
        let value = serde_json::json!({"v": "a\u{7f}b\u{85}c\u{202e}d\u{1b}e\nf"});
        let text = json(serde_json::to_string_pretty(&value).unwrap());
        assert!(
            !text.contains(['\u{7f}', '\u{85}', '\u{202e}', '\u{1b}']),
            "{text}"
        );
        assert!(
            text.contains("\\u007f") && text.contains("\\u202e"),
            "{text}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
