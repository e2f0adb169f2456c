//! POSIX shell quoting, so a printed command can be pasted into a shell.

/// Quote one word for a POSIX shell: unchanged when it holds only characters no shell
/// treats specially, otherwise wrapped in single quotes (with `'` written as `'\''`).
pub(crate) fn quote(word: &str) -> String {
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
pub(crate) fn join<I, S>(words: I) -> String
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
        assert_eq!(quote("a\nb"), "'a\nb'");
        assert_eq!(quote("=x"), "'=x'");
    }

    #[test]
    fn quoted_words_survive_a_real_shell() {
        let words = [
            "restic", "it's", "$HOME", "", "a b", "*", "\\", "\"q\"", "!x", "é",
        ];
        let line = join(words);
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("for w in {line}; do printf '%s\\0' \"$w\"; done"))
            .env_clear()
            .output()
            .expect("sh runs");
        let printed: Vec<String> = String::from_utf8(output.stdout)
            .expect("utf-8")
            .split_terminator('\0')
            .map(str::to_owned)
            .collect();
        assert_eq!(printed, words);
    }
}
