//! Secret values masked out of config text, so diagnostics can show a file safely.
//!
//! A diagnostic shows the offending line of a config file and the lines around it.
//! Those lines may hold a password, so diagnostics are given a masked copy of the
//! file: every byte of a secret value becomes `*`, one for one. The copy has the same
//! length and the same line breaks as the original, so every byte offset, span, line
//! and column stays valid for both.
//!
//! The copy is made by a tolerant scanner rather than the TOML parser, because it is
//! needed most when the file does not parse (an unterminated string, a bad value).
//! It understands just enough TOML to find values: table headers, dotted and quoted
//! keys, the four kinds of strings, arrays and inline tables, and comments.
//!
//! Which values are secret:
//! - in an `environ` table, the whole value of every variable whose name looks secret;
//! - anywhere else, the string values of a key whose name looks secret (a switch such
//!   as `insecure-no-password = true` stays readable).
//!
//! A name looks secret when its upper-cased form contains `PASSWORD`, `SECRET`,
//! `TOKEN`, `KEY` or `CREDENTIAL`, unless it names a shell command or a file
//! (`RESTIC_PASSWORD_COMMAND`, `password-file`, `RESTIC_PASSWORD_FILE`) or a key id
//! (`key-hint`): those are shown openly everywhere else in keld too.

use std::ops::Range;

/// Parts of a name that mark its value as secret (compared upper-cased).
const SECRET_MARKERS: [&str; 5] = ["PASSWORD", "SECRET", "TOKEN", "KEY", "CREDENTIAL"];

/// Name endings (upper-cased, `-` read as `_`) whose values are shell commands, file
/// paths or key ids rather than secrets.
const OPEN_SUFFIXES: [&str; 3] = ["_COMMAND", "_FILE", "KEY_HINT"];

/// Whether the value of a config key or environment variable named `name` is secret.
pub(crate) fn is_secret_name(name: &str) -> bool {
    let upper = name.to_uppercase().replace('-', "_");
    SECRET_MARKERS.iter().any(|marker| upper.contains(marker))
        && !OPEN_SUFFIXES.iter().any(|suffix| upper.ends_with(suffix))
}

/// A config file's text with its secret values masked.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Masked {
    /// Same length and line breaks as the original; `None` when nothing was secret.
    pub(crate) text: Option<String>,
    /// The masked byte ranges, in order, not overlapping.
    pub(crate) ranges: Vec<Range<usize>>,
}

impl Masked {
    /// Whether `range` touches a masked value.
    pub(crate) fn overlaps(&self, range: &Range<usize>) -> bool {
        let start = self.ranges.partition_point(|masked| masked.end <= range.start);
        self.ranges.get(start).is_some_and(|masked| {
            masked.start < range.end.max(range.start + 1) && range.start < masked.end
        })
    }
}

/// Masks the secret values of a config file (see the module documentation).
pub(crate) fn mask(text: &str) -> Masked {
    let mut scanner = Scanner {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        table: Vec::new(),
        ranges: Vec::new(),
    };
    scanner.document();
    let ranges = scanner.ranges;
    if ranges.is_empty() {
        return Masked { text: None, ranges };
    }
    let mut bytes = text.as_bytes().to_vec();
    for range in &ranges {
        for byte in &mut bytes[range.clone()] {
            *byte = b'*';
        }
    }
    // Only whole characters other than line breaks were replaced by ASCII `*`.
    let text = String::from_utf8(bytes).unwrap_or_else(|_| "*".repeat(text.len()));
    Masked {
        text: Some(text),
        ranges,
    }
}

/// `*` for every character of `text`: how a secret part of a value is shown in a message.
pub(crate) fn stars(text: &str) -> String {
    "*".repeat(text.chars().count())
}

/// What to mask in one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    Nothing,
    /// String contents only (a secret-looking key outside `environ`).
    Strings,
    /// Strings and bare values (numbers, booleans, dates, garbage) of a secret variable.
    Everything,
}

/// The mode for the value of `key` (a key path) in the table at `table`.
fn mode_for(table: &[String], key: &[String]) -> Mode {
    let Some((name, parents)) = key.split_last() else {
        return Mode::Nothing;
    };
    if !is_secret_name(name) {
        return Mode::Nothing;
    }
    if table.iter().chain(parents).any(|part| part == "environ") {
        Mode::Everything
    } else {
        Mode::Strings
    }
}

struct Scanner<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    /// The path of the current `[table]` header.
    table: Vec<String>,
    ranges: Vec<Range<usize>>,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn starts_with(&self, prefix: &str) -> bool {
        self.bytes[self.pos..].starts_with(prefix.as_bytes())
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Blanks, line breaks and comments (inside arrays and inline tables).
    fn skip_space(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.pos += 1,
                Some(b'#') => self.skip_line(),
                _ => return,
            }
        }
    }

    /// Moves to the line break ending the current line (not past it).
    fn skip_line(&mut self) {
        self.pos = self.line_end(self.pos);
    }

    fn line_end(&self, from: usize) -> usize {
        self.bytes[from..]
            .iter()
            .position(|&byte| byte == b'\n')
            .map_or(self.bytes.len(), |offset| from + offset)
    }

    fn at_line_start(&self) -> bool {
        self.pos == 0 || self.bytes[self.pos - 1] == b'\n'
    }

    fn line_start(&self) -> usize {
        self.bytes[..self.pos]
            .iter()
            .rposition(|&byte| byte == b'\n')
            .map_or(0, |index| index + 1)
    }

    /// Whether only blanks precede `self.pos` on its line.
    fn first_on_line(&self) -> bool {
        self.bytes[..self.pos]
            .iter()
            .rev()
            .take_while(|&&byte| byte != b'\n')
            .all(|&byte| matches!(byte, b' ' | b'\t'))
    }

    /// Records `range` as masked, leaving out line breaks so lines stay lines.
    fn hide(&mut self, range: Range<usize>) {
        let mut start = range.start;
        for (offset, byte) in self.bytes[range.clone()].iter().enumerate() {
            if matches!(byte, b'\n' | b'\r') {
                self.push(start..range.start + offset);
                start = range.start + offset + 1;
            }
        }
        self.push(start..range.end);
    }

    fn push(&mut self, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        match self.ranges.last_mut() {
            Some(last) if last.end == range.start => last.end = range.end,
            _ => self.ranges.push(range),
        }
    }

    fn document(&mut self) {
        while self.pos < self.bytes.len() {
            let begin = self.pos;
            self.skip_blanks();
            match self.peek() {
                Some(b'[') => self.header(),
                Some(b'#' | b'\r' | b'\n') | None => {}
                Some(_) => {
                    self.key_value(&[], Mode::Nothing);
                }
            }
            if self.pos > begin && self.at_line_start() {
                // An unclosed array or inline table gave back the line it stopped at.
                continue;
            }
            // Whatever is left of the line is garbage or a comment.
            self.skip_line();
            self.pos = (self.pos + 1).min(self.bytes.len());
        }
    }

    /// `[a.b]` or `[[a.b]]`: the table that following keys belong to.
    fn header(&mut self) {
        self.pos += 1;
        if self.peek() == Some(b'[') {
            self.pos += 1;
        }
        self.table = self.key_path().unwrap_or_default();
    }

    /// `key.path = value`; the value's mode comes from the table, the key and `outer`.
    /// Returns false when there is no `=` (the text is no key-value pair).
    fn key_value(&mut self, prefix: &[String], outer: Mode) -> bool {
        let Some(key) = self.key_path() else {
            return false;
        };
        self.skip_blanks();
        if self.peek() != Some(b'=') {
            return false;
        }
        self.pos += 1;
        let mut path = prefix.to_vec();
        path.extend(key);
        let mode = mode_for(&self.table, &path).max(outer);
        self.skip_blanks();
        self.value(&path, mode);
        true
    }

    /// Dotted key parts, bare or quoted; `None` when there is none.
    fn key_path(&mut self) -> Option<Vec<String>> {
        let mut parts = Vec::new();
        loop {
            self.skip_blanks();
            let start = self.pos;
            let part = match self.peek() {
                Some(quote @ (b'"' | b'\'')) => {
                    self.pos += 1;
                    let end = self.single_line_string_end(quote);
                    let part = self.text[start + 1..end].to_owned();
                    self.pos = (end + 1).min(self.bytes.len());
                    part
                }
                Some(byte) if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' => {
                    while self
                        .peek()
                        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                    {
                        self.pos += 1;
                    }
                    self.text[start..self.pos].to_owned()
                }
                _ => break,
            };
            parts.push(part);
            self.skip_blanks();
            if self.peek() == Some(b'.') {
                self.pos += 1;
            } else {
                break;
            }
        }
        (!parts.is_empty()).then_some(parts)
    }

    /// The offset of the closing quote of a one-line string whose contents start at
    /// `self.pos`, or the end of the line when it is unterminated.
    fn single_line_string_end(&self, quote: u8) -> usize {
        let end_of_line = self.line_end(self.pos);
        let mut index = self.pos;
        while index < end_of_line {
            match self.bytes[index] {
                b'\\' if quote == b'"' => index += 2,
                byte if byte == quote => return index,
                _ => index += 1,
            }
        }
        end_of_line
    }

    /// One value: a string, an array, an inline table or a bare word.
    fn value(&mut self, path: &[String], mode: Mode) {
        let string_mode = mode >= Mode::Strings;
        if self.starts_with("\"\"\"") || self.starts_with("'''") {
            self.multi_line_string(string_mode);
            return;
        }
        match self.peek() {
            Some(quote @ (b'"' | b'\'')) => {
                self.pos += 1;
                let end = self.single_line_string_end(quote);
                if string_mode {
                    self.hide(self.pos..end);
                }
                self.pos = (end + 1).min(self.line_end(end));
            }
            Some(b'[') => self.array(path, mode),
            Some(b'{') => self.inline_table(path, mode),
            Some(b'\r' | b'\n' | b'#') | None => {}
            Some(_) => {
                let start = self.pos;
                while self
                    .peek()
                    .is_some_and(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' | b'}' | b'#'))
                {
                    self.pos += 1;
                }
                if self.pos == start {
                    // A stray `,`, `]` or `}`: step over it.
                    self.pos += 1;
                }
                if mode == Mode::Everything {
                    self.hide(start..self.pos);
                }
            }
        }
    }

    /// `"""..."""` or `'''...'''`. Without a closing delimiter anywhere, the string is
    /// taken to end with its line, so the rest of the file is still scanned.
    fn multi_line_string(&mut self, hide: bool) {
        let quote = self.bytes[self.pos];
        self.pos += 3;
        let start = self.pos;
        let mut index = start;
        let end = loop {
            match self.bytes.get(index) {
                None => break None,
                Some(b'\\') if quote == b'"' => index += 2,
                Some(&byte)
                    if byte == quote && self.bytes[index..].starts_with(&[quote, quote, quote]) =>
                {
                    // Up to two more quotes right before the delimiter are content.
                    let mut close = index;
                    while close < index + 2 && self.bytes.get(close + 3) == Some(&quote) {
                        close += 1;
                    }
                    break Some(close);
                }
                Some(_) => index += 1,
            }
        };
        let (content_end, after) = match end {
            Some(close) => (close, close + 3),
            None => {
                let line_end = self.line_end(start);
                (line_end, line_end)
            }
        };
        if hide {
            self.hide(start..content_end);
        }
        self.pos = after;
    }

    fn array(&mut self, path: &[String], mode: Mode) {
        self.pos += 1;
        loop {
            self.skip_space();
            if self.first_on_line() && self.looks_like_top_level() {
                // An unclosed array: the line belongs to the document again.
                self.pos = self.line_start();
                return;
            }
            match self.peek() {
                None => return,
                Some(b']') => {
                    self.pos += 1;
                    return;
                }
                Some(b',') => self.pos += 1,
                Some(_) => self.value(path, mode),
            }
        }
    }

    fn inline_table(&mut self, path: &[String], mode: Mode) {
        self.pos += 1;
        loop {
            self.skip_space();
            if self.first_on_line() && self.peek() == Some(b'[') {
                // An unclosed inline table followed by a table header.
                self.pos = self.line_start();
                return;
            }
            match self.peek() {
                None => return,
                Some(b'}') => {
                    self.pos += 1;
                    return;
                }
                Some(b',') => self.pos += 1,
                Some(_) => {
                    if !self.key_value(path, mode) {
                        // Not `key = value`: step over one character of garbage.
                        self.pos += self.text[self.pos..].chars().next().map_or(1, char::len_utf8);
                    }
                }
            }
        }
    }

    /// Whether the line starting at `self.pos` is a `key = ...` pair or a table header,
    /// which no array element can be.
    fn looks_like_top_level(&mut self) -> bool {
        let start = self.pos;
        let header = self.peek() == Some(b'[') && {
            self.pos += 1;
            let bare = self.peek().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
            let path = self.key_path();
            self.skip_blanks();
            let closed = self.peek() == Some(b']') && {
                self.pos += 1;
                if self.peek() == Some(b']') {
                    self.pos += 1;
                }
                self.skip_blanks();
                matches!(self.peek(), None | Some(b'\r' | b'\n' | b'#'))
            };
            let boolean = matches!(path.as_deref(), Some([word]) if word == "true" || word == "false");
            bare && closed && !boolean
        };
        self.pos = start;
        let pair = !header && self.key_path().is_some() && {
            self.skip_blanks();
            self.peek() == Some(b'=')
        };
        self.pos = start;
        header || pair
    }
}
