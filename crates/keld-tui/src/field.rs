//! A one-line text field (cursor movement and readline's editing keys, through
//! `tui-input`), `~` expansion, and Tab completion of directory names.

use std::path::{Path, PathBuf};

use tui_input::{Input, InputRequest};

use crate::key::Key;

/// What a key did to a [`TextField`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldEvent {
    /// Edited (or nothing); stay on the screen.
    Stay,
    /// Enter.
    Submit,
    /// Esc.
    Back,
    /// Tab: the owner may complete the text.
    Complete,
}

/// A one-line text input with a cursor.
#[derive(Debug, Default, Clone)]
pub(crate) struct TextField {
    input: Input,
}

impl PartialEq for TextField {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text() && self.cursor() == other.cursor()
    }
}

impl TextField {
    /// The text typed so far.
    pub(crate) fn text(&self) -> &str {
        self.input.value()
    }

    /// The cursor's position, in characters from the start.
    pub(crate) fn cursor(&self) -> usize {
        self.input.cursor()
    }

    /// The cursor's column and the first column shown in a field `width` wide, so
    /// the cursor stays visible in a long text.
    pub(crate) fn window(&self, width: usize) -> (usize, usize) {
        // tui-input leaves the cursor just past the window; keep one column for it.
        let scroll = self.input.visual_scroll(width.saturating_sub(1));
        (self.input.visual_cursor().saturating_sub(scroll), scroll)
    }

    /// Replace the text, the cursor at its end.
    pub(crate) fn set(&mut self, text: &str) {
        self.input = Input::new(text.to_owned());
    }

    /// Apply a key: characters type at the cursor; ← → Home End (Ctrl-A, Ctrl-E)
    /// move; Backspace, Delete, Ctrl-U (to the start), Ctrl-K (to the end) and
    /// Ctrl-W (the word before) delete.
    pub(crate) fn key(&mut self, key: Key) -> FieldEvent {
        let request = match key {
            Key::Char(ch) => InputRequest::InsertChar(ch),
            Key::Backspace | Key::Ctrl('h') => InputRequest::DeletePrevChar,
            Key::Delete | Key::Ctrl('d') => InputRequest::DeleteNextChar,
            Key::Left | Key::Ctrl('b') => InputRequest::GoToPrevChar,
            Key::Right | Key::Ctrl('f') => InputRequest::GoToNextChar,
            Key::Home | Key::Ctrl('a') => InputRequest::GoToStart,
            Key::End | Key::Ctrl('e') => InputRequest::GoToEnd,
            Key::Ctrl('u') => InputRequest::DeleteFromStart,
            Key::Ctrl('k') => InputRequest::DeleteTillEnd,
            Key::Ctrl('w') => InputRequest::DeletePrevWord,
            Key::Enter => return FieldEvent::Submit,
            Key::Esc => return FieldEvent::Back,
            Key::Tab => return FieldEvent::Complete,
            _ => return FieldEvent::Stay,
        };
        self.input.handle(request);
        FieldEvent::Stay
    }
}

/// `~` and `~/…` with the home directory, as a shell expands them; anything else
/// (`~user`, or no home directory known) unchanged.
pub(crate) fn expand_tilde(text: &str, home: Option<&Path>) -> String {
    let Some(home) = home else {
        return text.to_owned();
    };
    let home = home.to_string_lossy();
    if text == "~" {
        home.into_owned()
    } else if let Some(rest) = text.strip_prefix("~/") {
        format!("{}/{rest}", home.trim_end_matches('/'))
    } else {
        text.to_owned()
    }
}

/// What Tab did to a path being typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Completion {
    /// The text with the common part of the candidates added.
    pub(crate) text: String,
    /// The directory names that fit, when more than one does (sorted, at most
    /// [`MAX_CANDIDATES`]).
    pub(crate) candidates: Vec<String>,
}

/// How many candidates a completion lists.
pub(crate) const MAX_CANDIDATES: usize = 50;

/// Complete the last component of `text` to the directories that start with it, as
/// a shell's `cd` completion does: a single match gets its `/`, several add their
/// common prefix and are listed. `~` reads from `home`, relative paths from `cwd`;
/// the text keeps the form typed (`~/Doc` → `~/Documents/`). Hidden directories
/// are offered only when the typed part starts with `.`.
pub(crate) fn complete_path(text: &str, home: Option<&Path>, cwd: &Path) -> Completion {
    let (dir_part, prefix) = match text.rfind('/') {
        Some(at) => (&text[..=at], &text[at + 1..]),
        None if text == "~" => {
            return Completion {
                text: "~/".to_owned(),
                candidates: Vec::new(),
            };
        }
        None => ("", text),
    };
    let expanded = expand_tilde(dir_part, home);
    let dir: PathBuf = if expanded.is_empty() {
        cwd.to_owned()
    } else if Path::new(&expanded).is_absolute() {
        PathBuf::from(&expanded)
    } else {
        cwd.join(&expanded)
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| {
            // Following symlinks: a link to a directory is a place to restore into.
            std::fs::metadata(entry.path()).is_ok_and(|meta| meta.is_dir())
        })
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| {
            name.starts_with(prefix) && (prefix.starts_with('.') || !name.starts_with('.'))
        })
        .collect();
    names.sort();
    let unchanged = Completion {
        text: text.to_owned(),
        candidates: Vec::new(),
    };
    match names.as_slice() {
        [] => unchanged,
        [only] => Completion {
            text: format!("{dir_part}{only}/"),
            candidates: Vec::new(),
        },
        [first, rest @ ..] => {
            let common = rest
                .iter()
                .fold(first.as_str(), |common, name| {
                    let shared = common
                        .char_indices()
                        .zip(name.chars())
                        .find(|((_, a), b)| a != b)
                        .map_or(common.len().min(name.len()), |((at, _), _)| at);
                    &common[..shared]
                })
                .to_owned();
            names.truncate(MAX_CANDIDATES);
            Completion {
                text: format!("{dir_part}{common}"),
                candidates: names,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(keys: &[Key]) -> TextField {
        let mut field = TextField::default();
        for &key in keys {
            field.key(key);
        }
        field
    }

    fn chars(text: &str) -> Vec<Key> {
        text.chars().map(Key::Char).collect()
    }

    #[test]
    fn typing_at_the_cursor_and_readline_keys() {
        let mut keys = chars("/tmp/xy");
        keys.extend([
            Key::Left,
            Key::Left,
            Key::Char('Z'),
            Key::Home,
            Key::Char('>'),
        ]);
        let field = typed(&keys);
        assert_eq!(field.text(), ">/tmp/Zxy");
        assert_eq!(field.cursor(), 1);

        let mut keys = chars("/srv/restic restore");
        keys.push(Key::Ctrl('w'));
        assert_eq!(typed(&keys).text(), "/srv/restic ");
        let mut keys = chars("abc def");
        keys.extend([Key::Left, Key::Left, Key::Ctrl('u')]);
        assert_eq!(typed(&keys).text(), "ef", "Ctrl-U deletes to the start");
        let mut keys = chars("abc def");
        keys.extend([Key::Ctrl('a'), Key::Delete, Key::End, Key::Backspace]);
        assert_eq!(typed(&keys).text(), "bc de");
        let mut keys = chars("abc");
        keys.extend([Key::Left, Key::Ctrl('k')]);
        assert_eq!(typed(&keys).text(), "ab");
    }

    #[test]
    fn enter_esc_and_tab_are_for_the_owner() {
        let mut field = TextField::default();
        assert_eq!(field.key(Key::Enter), FieldEvent::Submit);
        assert_eq!(field.key(Key::Esc), FieldEvent::Back);
        assert_eq!(field.key(Key::Tab), FieldEvent::Complete);
        assert_eq!(field.key(Key::Up), FieldEvent::Stay);
        assert_eq!(field.text(), "");
    }

    #[test]
    fn a_long_text_scrolls_to_keep_the_cursor_visible() {
        let field = typed(&chars(&"x".repeat(50)));
        let (cursor, first) = field.window(20);
        assert!(first > 0, "scrolled");
        assert!(cursor < 20, "the cursor is inside the field");
    }

    #[test]
    fn tilde_expands_like_a_shell() {
        let home = Some(Path::new("/home/ann"));
        assert_eq!(expand_tilde("~", home), "/home/ann");
        assert_eq!(expand_tilde("~/r3/x", home), "/home/ann/r3/x");
        assert_eq!(expand_tilde("~bob/x", home), "~bob/x");
        assert_eq!(expand_tilde("a/~/b", home), "a/~/b");
        assert_eq!(expand_tilde("~/x", None), "~/x");
    }

    #[test]
    fn tab_completes_directories_from_home_and_the_working_directory() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        for sub in [
            "Documents",
            "Downloads",
            "Desktop/inner",
            ".hidden",
            "cwd/restore-here",
        ] {
            std::fs::create_dir_all(root.join(sub)).expect("mkdir");
        }
        std::fs::write(root.join("Dfile"), "not a directory").expect("write");
        let home = Some(root);
        let cwd = root.join("cwd");

        let one = complete_path("~/Doc", home, &cwd);
        assert_eq!(one.text, "~/Documents/");
        assert!(one.candidates.is_empty());

        let several = complete_path("~/D", home, &cwd);
        assert_eq!(several.text, "~/D", "no longer common prefix");
        assert_eq!(several.candidates, ["Desktop", "Documents", "Downloads"]);
        let two = complete_path("~/Do", home, &cwd);
        assert_eq!(two.text, "~/Do");
        assert_eq!(two.candidates, ["Documents", "Downloads"]);

        assert_eq!(complete_path("re", home, &cwd).text, "restore-here/");
        let absolute = format!("{}/Desk", root.display());
        assert_eq!(
            complete_path(&absolute, home, &cwd).text,
            format!("{}/Desktop/", root.display())
        );
        assert_eq!(complete_path("~/.h", home, &cwd).text, "~/.hidden/");
        assert_eq!(complete_path("~", home, &cwd).text, "~/");
        let none = complete_path("~/nothing", home, &cwd);
        assert_eq!(none.text, "~/nothing");
        assert!(none.candidates.is_empty());
    }
}
