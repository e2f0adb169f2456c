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
//! A value is secret when the name of its key looks secret, in an `environ` table or
//! anywhere else: its strings are masked, and so are its bare words (a number, or a
//! password written without quotes) except `true` and `false`, so a switch such as
//! `insecure-no-password = true` stays readable. A dotted key or a key of an inline
//! table is judged by its last part.
//!
//! In every other string, the password of a `scheme://user:password@host` URL is
//! masked (`rest:https://ann:****@host/`): a repository URL may carry one whatever
//! its key is called.
//!
//! A name looks secret when its upper-cased form contains `PASSWORD`, `SECRET`,
//! `TOKEN`, `KEY`, `CREDENTIAL` or `SAS` (an Azure shared access signature), unless it names a shell command or a file
//! (`RESTIC_PASSWORD_COMMAND`, `password-file`, `RESTIC_PASSWORD_FILE`) or a key id
//! (`key-hint`): those say where a secret is, not what it is.

use std::ops::Range;

/// What replaces a secret value in every output.
pub const REDACTED: &str = "<redacted>";

/// Parts of a name that mark its value as secret (compared upper-cased).
const SECRET_MARKERS: [&str; 6] = ["PASSWORD", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "SAS"];

/// Name endings (upper-cased, `-` read as `_`) whose values are shell commands, file
/// paths or key ids rather than secrets.
const OPEN_SUFFIXES: [&str; 3] = ["_COMMAND", "_FILE", "KEY_HINT"];

/// Whether the value of a config key or environment variable named `name` is secret.
///
/// This is the one rule keld uses everywhere a value could be shown: diagnostics,
/// `Debug` output and `keld --show-command`.
///
/// ```
/// use keld_config::is_secret_name;
///
/// assert!(is_secret_name("RESTIC_PASSWORD"));
/// assert!(is_secret_name("AWS_SECRET_ACCESS_KEY"));
/// assert!(!is_secret_name("RESTIC_PASSWORD_FILE")); // where the secret is, not what
/// assert!(!is_secret_name("RESTIC_PASSWORD_COMMAND"));
/// assert!(!is_secret_name("RESTIC_REPOSITORY"));
/// ```
pub fn is_secret_name(name: &str) -> bool {
    if !name.is_ascii() {
        // A few non-ASCII letters upper-case to ASCII ones (`ſ` to `S`).
        let upper = name.to_uppercase().replace('-', "_");
        return SECRET_MARKERS.iter().any(|marker| upper.contains(marker))
            && !OPEN_SUFFIXES.iter().any(|suffix| upper.ends_with(suffix));
    }
    // Compared byte by byte without building an upper-cased copy: this runs for
    // every key of every file.
    let same = |a: &u8, b: &u8| a.eq_ignore_ascii_case(b) || (*a == b'-' && *b == b'_');
    let matches = |window: &[u8], pattern: &str| {
        window
            .iter()
            .zip(pattern.as_bytes())
            .all(|(a, b)| same(a, b))
    };
    let bytes = name.as_bytes();
    let contains = |marker: &str| {
        bytes
            .windows(marker.len())
            .any(|window| matches(window, marker))
    };
    let ends_with = |suffix: &str| {
        bytes.len() >= suffix.len() && matches(&bytes[bytes.len() - suffix.len()..], suffix)
    };
    SECRET_MARKERS.iter().any(|marker| contains(marker))
        && !OPEN_SUFFIXES.iter().any(|suffix| ends_with(suffix))
}

/// The byte ranges of the passwords of every `scheme://user:password@host` URL in
/// `text`, found the way a URL parser finds them: the authority ends at the first `/`,
/// `?`, `#`, quote or white space, and the user information at the last `@` before
/// that. keld masks them wherever it shows a value.
///
/// ```
/// let text = "rest:https://ann:pw@host:8000/repo";
/// let ranges = keld_config::url_password_ranges(text);
/// assert_eq!(ranges.iter().map(|r| &text[r.clone()]).collect::<Vec<_>>(), ["pw"]);
/// ```
pub fn url_password_ranges(text: &str) -> Vec<Range<usize>> {
    url_passwords(text.as_bytes())
}

/// `text` with the password of every URL in it replaced by [`REDACTED`]
/// (`rest:https://me:<redacted>@host/`); the user name and host stay, so the value
/// still says where it points.
pub fn mask_url_passwords(text: &str) -> String {
    let ranges = url_password_ranges(text);
    if ranges.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut shown = 0;
    for range in ranges {
        out.push_str(&text[shown..range.start]);
        out.push_str(REDACTED);
        shown = range.end;
    }
    out.push_str(&text[shown..]);
    out
}

/// `url` with its path, query and fragment replaced by [`REDACTED`], and any user
/// information removed: `https://hc-ping.com/<redacted>`. A monitoring URL's path is
/// its secret (a healthchecks check's UUID, an ntfy topic).
pub fn mask_url_path(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let prefix = if scheme.is_empty() {
        String::new()
    } else {
        format!("{scheme}://")
    };
    if end == rest.len() {
        format!("{prefix}{host}")
    } else {
        format!("{prefix}{host}/{REDACTED}")
    }
}

fn url_passwords(bytes: &[u8]) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = bytes[from..].windows(3).position(|window| window == b"://") {
        let authority = from + offset + 3;
        let end = bytes[authority..]
            .iter()
            .position(|byte| {
                matches!(
                    byte,
                    b'/' | b'?' | b'#' | b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\''
                )
            })
            .map_or(bytes.len(), |offset| authority + offset);
        let at = bytes[authority..end].iter().rposition(|&byte| byte == b'@');
        if let Some(at) = at.map(|offset| authority + offset)
            && let Some(colon) = bytes[authority..at].iter().position(|&b| b == b':')
        {
            found.push(authority + colon + 1..at);
        }
        from = end;
    }
    found
}

fn is_bare_key_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'
}

/// A config file's text with its secret values masked.
pub(crate) struct Masked {
    /// Same length and line breaks as the original; `None` when nothing was secret.
    pub(crate) text: Option<String>,
    /// The masked byte ranges, in order, not overlapping.
    pub(crate) ranges: Vec<Range<usize>>,
}

impl Masked {
    /// Whether `range` touches a masked value.
    pub(crate) fn overlaps(&self, range: &Range<usize>) -> bool {
        let start = self
            .ranges
            .partition_point(|masked| masked.end <= range.start);
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
        ranges: Vec::new(),
        depth: 0,
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

/// The text of one value, written after `key` (as written in its file), as it shows in
/// the file's masked copy: the masking of a value depends only on its key's name and
/// its own text, so the pair is masked alone rather than the whole file.
pub(crate) fn shown_value(key: &str, value: &str) -> String {
    let pair = format!("{key} = {value}");
    let start = pair.len() - value.len();
    match mask(&pair).text {
        Some(masked) => masked.get(start..).unwrap_or("").to_owned(),
        None => value.to_owned(),
    }
}

/// `*` for every character of `text`: how a secret part of a value is shown in a message.
pub(crate) fn stars(text: &str) -> String {
    "*".repeat(text.chars().count())
}

struct Scanner<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    ranges: Vec<Range<usize>>,
    /// How many arrays and inline tables the scan is inside.
    depth: usize,
}

/// How deeply the scanner follows arrays and inline tables one inside another; a value
/// nested deeper is scanned flat ([`Scanner::flat`]), so a file of nothing but `[`
/// cannot exhaust the stack.
const MAX_SCAN_DEPTH: usize = 32;

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
                // A `[table]` header holds no value.
                Some(b'[') => {}
                Some(b'#' | b'\r' | b'\n') | None => {}
                Some(_) => {
                    if self.key_value(false) == Some(true) {
                        self.secret_tail();
                    }
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

    /// `key.path = value`, in a secret value already when `outer` is set. Returns whether
    /// the value was a secret bare word, or `None` when there is no `=` (no key-value
    /// pair).
    fn key_value(&mut self, outer: bool) -> Option<bool> {
        let (_, name) = self.key_path()?;
        self.skip_blanks();
        if self.peek() != Some(b'=') {
            return None;
        }
        self.pos += 1;
        let secret = outer || is_secret_name(&self.text[name]);
        self.skip_blanks();
        let bare = !matches!(self.peek(), Some(b'"' | b'\'' | b'[' | b'{'));
        self.value(secret);
        Some(secret && bare)
    }

    /// Text left after a secret bare word on its line, up to a comment: TOML allows none,
    /// so it is most likely the rest of a password written without quotes. (After a
    /// quoted value it is a mistake of its own and stays readable.)
    fn secret_tail(&mut self) {
        let end = self.line_end(self.pos);
        let tail = &self.bytes[self.pos..end];
        let comment = tail.iter().position(|&byte| byte == b'#');
        let text = &tail[..comment.unwrap_or(tail.len())];
        let kept = text
            .iter()
            .rposition(|byte| !matches!(byte, b' ' | b'\t' | b'\r'))
            .map_or(0, |last| last + 1);
        self.hide(self.pos..self.pos + kept);
        self.pos += kept;
    }

    /// Dotted key parts, bare or quoted: how many there are and where the last one's
    /// text is. `None` when there is no key.
    fn key_path(&mut self) -> Option<(usize, Range<usize>)> {
        let mut parts = 0;
        let mut last = 0..0;
        loop {
            self.skip_blanks();
            let start = self.pos;
            match self.peek() {
                Some(quote @ (b'"' | b'\'')) => {
                    self.pos += 1;
                    let end = self.single_line_string_end(quote);
                    last = start + 1..end;
                    let closed = self.bytes.get(end) == Some(&quote);
                    self.pos = if closed { end + 1 } else { end };
                }
                Some(byte) if is_bare_key_byte(byte) => {
                    while self.peek().is_some_and(is_bare_key_byte) {
                        self.pos += 1;
                    }
                    last = start..self.pos;
                }
                _ => break,
            }
            parts += 1;
            self.skip_blanks();
            if self.peek() == Some(b'.') {
                self.pos += 1;
            } else {
                break;
            }
        }
        (parts > 0).then_some((parts, last))
    }

    /// The offset of the closing quote of a one-line string whose contents start at
    /// `self.pos`, or of the line break (or end of text) when it is unterminated.
    fn single_line_string_end(&self, quote: u8) -> usize {
        let mut index = self.pos;
        while let Some(&byte) = self.bytes.get(index) {
            match byte {
                b'\n' => return index,
                // An escaped line break escapes nothing: the line still ends there.
                b'\\' if quote == b'"' && self.bytes.get(index + 1) == Some(&b'\n') => {
                    return index + 1;
                }
                b'\\' if quote == b'"' => index += 2,
                byte if byte == quote => return index,
                _ => index += 1,
            }
        }
        self.bytes.len()
    }

    /// The password of every `scheme://user:password@host` URL in the string contents
    /// `range` (see [`url_password_ranges`]).
    fn hide_url_passwords(&mut self, range: Range<usize>) {
        for found in url_passwords(&self.bytes[range.clone()]) {
            self.hide(range.start + found.start..range.start + found.end);
        }
    }

    /// One value: a string, an array, an inline table or a bare word.
    fn value(&mut self, secret: bool) {
        if self.starts_with("\"\"\"") || self.starts_with("'''") {
            self.multi_line_string(secret);
            return;
        }
        match self.peek() {
            Some(quote @ (b'"' | b'\'')) => {
                self.pos += 1;
                let end = self.single_line_string_end(quote);
                if secret {
                    self.hide(self.pos..end);
                } else {
                    self.hide_url_passwords(self.pos..end);
                }
                let closed = self.bytes.get(end) == Some(&quote);
                self.pos = if closed { end + 1 } else { end };
            }
            Some(b'[' | b'{') if self.depth >= MAX_SCAN_DEPTH => self.flat(),
            Some(b'[') => {
                self.depth += 1;
                self.array(secret);
                self.depth -= 1;
            }
            Some(b'{') => {
                self.depth += 1;
                self.inline_table(secret);
                self.depth -= 1;
            }
            Some(b'\r' | b'\n' | b'#') | None => {}
            Some(_) => {
                let start = self.pos;
                while self.peek().is_some_and(|b| {
                    !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' | b'}' | b'#')
                }) {
                    self.pos += 1;
                }
                if self.pos == start {
                    // A stray `,`, `]` or `}`: step over it.
                    self.pos += 1;
                }
                if secret && !matches!(&self.text[start..self.pos], "true" | "false") {
                    self.hide(start..self.pos);
                }
            }
        }
    }

    /// An array or inline table nested deeper than [`MAX_SCAN_DEPTH`], scanned without
    /// recursion to its closing bracket. Its keys are not followed, so every string and
    /// word in it is masked, secret or not (keld takes no such value anyway). Like an
    /// unclosed array, it gives back a line that starts like a table header or a
    /// `key =` pair.
    fn flat(&mut self) {
        let mut open = 0usize;
        loop {
            self.skip_space();
            if open > 0 && self.first_on_line() && self.looks_like_top_level() {
                self.pos = self.line_start();
                return;
            }
            match self.peek() {
                None => return,
                Some(b'[' | b'{') => {
                    open += 1;
                    self.pos += 1;
                }
                Some(b']' | b'}') => {
                    self.pos += 1;
                    open = open.saturating_sub(1);
                    if open == 0 {
                        return;
                    }
                }
                Some(b',' | b'=' | b'.') => self.pos += 1,
                // A string or a word: never a bracket here, so no recursion.
                Some(_) => {
                    let before = self.pos;
                    self.value(true);
                    if self.pos == before {
                        self.pos += 1;
                    }
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
        } else {
            self.hide_url_passwords(start..content_end);
        }
        self.pos = after;
    }

    fn array(&mut self, secret: bool) {
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
                Some(_) => self.value(secret),
            }
        }
    }

    fn inline_table(&mut self, secret: bool) {
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
                    let before = self.pos;
                    if self.key_value(secret).is_none() && self.pos == before {
                        // Not even a key: step over one character of garbage.
                        self.pos += self.text[self.pos..]
                            .chars()
                            .next()
                            .map_or(1, char::len_utf8);
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
            let bare = self
                .peek()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
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
            let boolean = path.is_some_and(|(parts, word)| {
                parts == 1 && matches!(&self.text[word], "true" | "false")
            });
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

#[cfg(test)]
mod tests;
