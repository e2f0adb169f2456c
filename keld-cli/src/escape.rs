//! Config text made safe for a terminal, wherever keld prints it.
//!
//! A value, a preset or section name, a path or a line of a config file may hold any
//! character, and a control character printed raw acts on the terminal: an escape
//! sequence moves the cursor or erases the line being audited, a bidirectional
//! control reorders it. Which characters those are, and how one is written instead
//! (`\x1b`, `\u202e`, bash's `$'...'` escapes), is [`keld_config::shell`]'s one
//! definition; this module applies it to text that is not one shell word: messages
//! (a newline stays a line break), config file lines quoted by an error (with the
//! offsets into them moved to match) and JSON (escaped the JSON way, so every value
//! stays exact).

use std::borrow::Cow;

use keld_config::shell::{escape_char as escape, has_control};

/// `text` (a message, a line of output) with every control character written as an
/// escape, except line breaks, which stay.
pub(crate) fn message(text: &str) -> Cow<'_, str> {
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
pub(crate) struct Source {
    /// The text as shown.
    pub(crate) text: String,
    /// For each escaped character: its end in the original text and how many bytes
    /// longer the text is from there on.
    growth: Vec<(usize, usize)>,
}

impl Source {
    /// `text` escaped, or `None` when it holds nothing to escape.
    pub(crate) fn of(text: &str) -> Option<Self> {
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
    pub(crate) fn offset(&self, offset: usize) -> usize {
        let before = self.growth.partition_point(|&(end, _)| end <= offset);
        offset
            + before
                .checked_sub(1)
                .map_or(0, |index| self.growth[index].1)
    }
}

/// `value` as pretty JSON ending in a newline, escaped by [`json`]: what every
/// `--json` form of keld prints.
pub(crate) fn json_text(value: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value)
        .map(json)
        .unwrap_or_else(|err| serde_json::json!({ "error": err.to_string() }).to_string());
    text.push('\n');
    text
}

/// JSON text (as `serde_json` writes it) with the control characters it leaves raw
/// (DEL, C1 controls, bidirectional and line separators) written as `\uXXXX`: the
/// same document, every value exact, nothing that acts on a terminal. Outside
/// strings `serde_json` writes only ASCII punctuation, so only strings change.
pub(crate) fn json(text: String) -> String {
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
