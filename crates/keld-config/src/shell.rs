//! Shell quoting for display: a printed command can be pasted into a shell, and a
//! control character in a value can never act on the terminal that shows it.
//!
//! ```
//! use keld_config::shell::{display, join, quote};
//!
//! assert_eq!(quote("/srv/restic"), "/srv/restic");
//! assert_eq!(quote("My Documents"), "'My Documents'");
//! assert_eq!(quote("it's"), r"'it'\''s'");
//! // A control character (here ESC, which starts a terminal escape sequence) is
//! // written as an escape inside bash's $'...' quotes.
//! assert_eq!(quote("a\u{1b}[2Kb"), r"$'a\x1b[2Kb'");
//! assert_eq!(join(["restic", "backup", "~"]), "restic backup '~'");
//! assert_eq!(display("echo hi"), "echo hi");
//! assert_eq!(display("echo a\necho b"), r"$'echo a\necho b'");
//! ```

/// Whether `c` must never reach a terminal raw: C0 and C1 control characters, DEL,
/// and the Unicode controls that reorder or hide text (bidirectional marks,
/// embeddings, overrides and isolates, line and paragraph separators).
pub fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Whether `text` holds a character that [`is_control`]: printable ASCII text, what
/// names, paths and values nearly always are, is told apart byte by byte, without
/// the Unicode tables.
///
/// ```
/// use keld_config::shell::has_control;
/// assert!(!has_control("/etc/keld/conf.d/10-home.toml"));
/// assert!(!has_control("Zürich"));
/// assert!(has_control("a\u{1b}[2K"));
/// assert!(has_control("\u{202e}txt.exe"));
/// ```
pub fn has_control(text: &str) -> bool {
    text.bytes().any(|byte| !(b' '..=b'~').contains(&byte)) && text.chars().any(is_control)
}

/// How `c` is written inside bash's `$'...'` quotes when it must not appear raw
/// (`\n`, `\x1b`, `\u202e`), or `None` when it may. `'` and `\` are escaped by
/// [`quote`] too, but are no control characters, so they are `None` here.
///
/// ```
/// use keld_config::shell::escape_char;
/// assert_eq!(escape_char('\u{1b}').as_deref(), Some(r"\x1b"));
/// assert_eq!(escape_char('\n').as_deref(), Some(r"\n"));
/// assert_eq!(escape_char('é'), None);
/// ```
pub fn escape_char(c: char) -> Option<String> {
    match c {
        '\n' => Some("\\n".to_owned()),
        '\t' => Some("\\t".to_owned()),
        '\r' => Some("\\r".to_owned()),
        c if is_control(c) && u32::from(c) < 0x80 => Some(format!("\\x{:02x}", u32::from(c))),
        c if is_control(c) => Some(format!("\\u{:04x}", u32::from(c))),
        _ => None,
    }
}

/// `word` in bash's `$'...'` quotes, every control character and `'` and `\` escaped.
fn ansi_c(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 4);
    out.push_str("$'");
    push_escaped(&mut out, word);
    out.push('\'');
    out
}

/// `text` as the inside of bash's `$'...'` quotes.
fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c => match escape_char(c) {
                Some(escaped) => out.push_str(&escaped),
                None => out.push(c),
            },
        }
    }
}

/// Quote one word for a shell: unchanged when it holds only characters no shell
/// treats specially, in single quotes (with `'` written as `'\''`) otherwise, and in
/// bash's `$'...'` form with escapes when it holds a control character.
pub fn quote(word: &str) -> String {
    if has_control(word) {
        return ansi_c(word);
    }
    let plain = !word.is_empty()
        && word.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '_' | '@' | '%' | '+' | '=' | ':' | ',' | '.' | '/' | '-')
        });
    // `=` is harmless inside a word but starts an assignment when it leads the first word.
    if plain && !word.starts_with('=') {
        return word.to_owned();
    }
    let mut quoted = String::with_capacity(word.len() + 2);
    quoted.push('\'');
    for c in word.chars() {
        if c == '\'' {
            quoted.push_str("'\\''");
        } else {
            quoted.push(c);
        }
    }
    quoted.push('\'');
    quoted
}

/// Quote every word and join them with spaces.
pub fn join<I, S>(words: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    words
        .into_iter()
        .map(|word| quote(word.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Shell text (a hook, a `_COMMAND`) as it may be shown: unchanged, unless it holds
/// a control character; then in bash's `$'...'` form, so a newline shows as `\n` and
/// an escape sequence cannot act on the terminal.
pub fn display(text: &str) -> String {
    if has_control(text) {
        ansi_c(text)
    } else {
        text.to_owned()
    }
}

/// Bytes (a path on Unix, which need not be UTF-8) as one line of text: as
/// [`display`] shows them when they are UTF-8, else in bash's `$'...'` form with each
/// byte that is not UTF-8 written as `\xNN` and control characters escaped.
///
/// ```
/// use keld_config::shell::display_bytes;
/// assert_eq!(display_bytes(b"/home/me/notes.txt"), "/home/me/notes.txt");
/// assert_eq!(display_bytes(b"/x/bad\xff'.txt"), r"$'/x/bad\xff\'.txt'");
/// assert_eq!(display_bytes(b"/x/new\nline"), r"$'/x/new\nline'");
/// assert_eq!(display_bytes(b"/x/caf\xe9'\\.txt"), r"$'/x/caf\xe9\'\\.txt'");
/// assert_eq!(display_bytes("/x/\u{202e}txt".as_bytes()), r"$'/x/\u202etxt'");
/// ```
pub fn display_bytes(bytes: &[u8]) -> String {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return display(text);
    }
    let mut out = String::from("$'");
    for chunk in bytes.utf8_chunks() {
        push_escaped(&mut out, chunk.valid());
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_plain() {
        assert_eq!(quote("--repo"), "--repo");
        assert_eq!(quote("/srv/restic-repo"), "/srv/restic-repo");
        assert_eq!(quote("b2:bucket:path"), "b2:bucket:path");
        assert_eq!(quote("home@cloud"), "home@cloud");
    }

    #[test]
    fn special_words_are_single_quoted() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("My Documents"), "'My Documents'");
        assert_eq!(quote("$HOME"), "'$HOME'");
        assert_eq!(quote("*.tmp"), "'*.tmp'");
        assert_eq!(quote("~/x"), "'~/x'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("=x"), "'=x'");
    }

    #[test]
    fn bytes_stay_on_one_line() {
        assert_eq!(display_bytes(b"/a b/c*"), "/a b/c*");
        assert_eq!(display_bytes(b"/x/new\nline"), r"$'/x/new\nline'");
        assert_eq!(
            display_bytes(b"/x/bad\xff'\\.txt"),
            r"$'/x/bad\xff\'\\.txt'"
        );
        assert_eq!(
            display_bytes("/x/\u{202e}txt.exe".as_bytes()),
            r"$'/x/\u202etxt.exe'",
            "a bidirectional override is a control character here too"
        );
        assert_eq!(
            display_bytes(b"/x/\xe2\x80\xaetxt\xff"),
            r"$'/x/\u202etxt\xff'"
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(quote("a\nb"), "$'a\\nb'");
        assert_eq!(quote("\u{1b}[31mred"), "$'\\x1b[31mred'");
        assert_eq!(quote("x\u{7f}"), "$'x\\x7f'");
        assert_eq!(quote("\u{9b}1m"), "$'\\u009b1m'");
        assert_eq!(quote("abc\u{202e}fed"), "$'abc\\u202efed'");
        assert_eq!(quote("it's\n"), "$'it\\'s\\n'");
        for word in ["\u{1b}]0;x\u{7}", "a\rb", "\u{0}"] {
            assert!(!quote(word).chars().any(is_control), "{word:?}");
        }
    }

    /// Words as bash reads them back, NUL-separated.
    fn through_bash(line: &str) -> Vec<String> {
        let output = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("for w in {line}; do printf '%s\\0' \"$w\"; done"))
            .env_clear()
            .output()
            .expect("bash runs");
        String::from_utf8(output.stdout)
            .expect("utf-8")
            .split_terminator('\0')
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn quoted_words_survive_a_real_shell() {
        let words = [
            "restic",
            "it's",
            "$HOME",
            "",
            "a b",
            "*",
            "\\",
            "\"q\"",
            "!x",
            "é",
            "a\nb",
            "\u{1b}[2K",
            "tab\there",
            "back\\slash\u{7}",
        ];
        assert_eq!(through_bash(&join(words)), words);
    }
}
