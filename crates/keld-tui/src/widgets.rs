//! The pieces screens are made of: keys, a filterable list and a one-line text field.

use std::cell::Cell;

/// A key press, as the screens understand it (the terminal layer decodes the bytes
/// the terminal sends into these, so tests need no terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// ↑
    Up,
    /// ↓
    Down,
    /// ←
    Left,
    /// →
    Right,
    /// Page Up
    PageUp,
    /// Page Down
    PageDown,
    /// Home
    Home,
    /// End
    End,
    /// Enter
    Enter,
    /// Esc
    Esc,
    /// Backspace
    Backspace,
    /// Delete (the key that deletes forward)
    Delete,
    /// Tab
    Tab,
    /// Shift-Tab
    BackTab,
    /// A printable character; `' '` is Space.
    Char(char),
    /// Ctrl and a letter (`'u'` for Ctrl-U), other than Ctrl-C.
    Ctrl(char),
    /// Ctrl-C: leave without running anything.
    Interrupt,
}

/// The screens of the interactive session, in the order they are visited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenId {
    /// The command menu.
    Command,
    /// The preset picker.
    Preset,
    /// The snapshot list.
    Snapshots,
    /// The snapshot's file tree.
    Tree,
    /// The restore target.
    Target,
    /// The overwrite policy.
    Overwrite,
    /// The confirmation.
    Confirm,
}

impl ScreenId {
    /// Every screen in visiting order.
    pub(crate) const ORDER: [Self; 7] = [
        Self::Command,
        Self::Preset,
        Self::Snapshots,
        Self::Tree,
        Self::Target,
        Self::Overwrite,
        Self::Confirm,
    ];

    /// The heading shown at the top of the screen.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Self::Command => "Command",
            Self::Preset => "Preset",
            Self::Snapshots => "Snapshot",
            Self::Tree => "Files to restore",
            Self::Target => "Restore into",
            Self::Overwrite => "Existing files",
            Self::Confirm => "Confirm",
        }
    }
}

/// How many rows PageUp/PageDown move.
pub(crate) const PAGE: isize = 10;

/// What a key did to a [`Picker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PickerEvent {
    /// The key changed the list (or nothing); stay on the screen.
    Stay,
    /// Enter on an item: its index in the full, unfiltered list.
    Chosen(usize),
    /// Esc with no filter to clear.
    Back,
}

/// A list with a cursor and a `/` substring filter.
#[derive(Debug, Default)]
pub(crate) struct Picker {
    /// Indexes (into the full list) of the items the filter lets through.
    matches: Vec<usize>,
    /// Position in `matches`.
    cursor: usize,
    filter: String,
    filtering: bool,
    /// First visible row; the view keeps the cursor on screen by adjusting it.
    pub(crate) scroll: Cell<usize>,
}

impl Picker {
    /// A picker over `len` items, all shown.
    pub(crate) fn new(len: usize) -> Self {
        Self {
            matches: (0..len).collect(),
            ..Self::default()
        }
    }

    /// Indexes of the items shown, in order.
    pub(crate) fn matches(&self) -> &[usize] {
        &self.matches
    }

    /// Position of the cursor among the shown items.
    pub(crate) fn cursor(&self) -> usize {
        self.cursor
    }

    /// The index (into the full list) under the cursor.
    pub(crate) fn current(&self) -> Option<usize> {
        self.matches.get(self.cursor).copied()
    }

    /// Put the cursor on item `index` of the full list if it is shown.
    pub(crate) fn select(&mut self, index: usize) {
        if let Some(position) = self.matches.iter().position(|&m| m == index) {
            self.cursor = position;
        }
    }

    /// The filter text.
    pub(crate) fn filter(&self) -> &str {
        &self.filter
    }

    /// Whether keys are typing into the filter.
    pub(crate) fn filtering(&self) -> bool {
        self.filtering
    }

    /// Apply a key; `refilter` maps filter text to the matching indexes.
    pub(crate) fn key(&mut self, key: Key, refilter: &dyn Fn(&str) -> Vec<usize>) -> PickerEvent {
        match key {
            Key::Up => self.step(-1),
            Key::Down => self.step(1),
            Key::PageUp => self.step(-PAGE),
            Key::PageDown => self.step(PAGE),
            Key::Home => self.cursor = 0,
            Key::End => self.cursor = self.matches.len().saturating_sub(1),
            Key::Enter => {
                return self
                    .current()
                    .map_or(PickerEvent::Stay, PickerEvent::Chosen);
            }
            Key::Esc if self.filtering || !self.filter.is_empty() => {
                self.filtering = false;
                self.set_filter(String::new(), refilter);
            }
            Key::Esc => return PickerEvent::Back,
            Key::Backspace if self.filtering => {
                let mut filter = self.filter.clone();
                if filter.pop().is_none() {
                    self.filtering = false;
                }
                self.set_filter(filter, refilter);
            }
            Key::Char(ch) if self.filtering => {
                let mut filter = self.filter.clone();
                filter.push(ch);
                self.set_filter(filter, refilter);
            }
            Key::Char('/') => self.filtering = true,
            Key::Char('k') => self.step(-1),
            Key::Char('j') => self.step(1),
            Key::Char('g') => self.cursor = 0,
            Key::Char('G') => self.cursor = self.matches.len().saturating_sub(1),
            _ => {}
        }
        PickerEvent::Stay
    }

    fn step(&mut self, delta: isize) {
        let last = self.matches.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
    }

    fn set_filter(&mut self, filter: String, refilter: &dyn Fn(&str) -> Vec<usize>) {
        let current = self.current();
        self.matches = refilter(&filter);
        self.filter = filter;
        // Keep the same item highlighted while it still matches.
        self.cursor = current
            .and_then(|item| self.matches.iter().position(|&m| m == item))
            .unwrap_or(0);
        self.scroll.set(0);
    }
}

/// Indexes of `labels` containing `filter` (case-insensitive).
pub(crate) fn filter_labels(labels: &[impl AsRef<str>], filter: &str) -> Vec<usize> {
    let needle = filter.trim().to_lowercase();
    labels
        .iter()
        .enumerate()
        .filter(|(_, label)| label.as_ref().to_lowercase().contains(&needle))
        .map(|(index, _)| index)
        .collect()
}

/// What a key did to a [`TextField`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldEvent {
    Stay,
    Submit,
    Back,
}

/// A one-line text input edited at its end.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct TextField {
    text: String,
}

impl TextField {
    /// The text typed so far.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// Apply a key: characters type, Backspace deletes, Enter submits, Esc goes back.
    pub(crate) fn key(&mut self, key: Key) -> FieldEvent {
        match key {
            Key::Char(ch) => self.text.push(ch),
            Key::Backspace => {
                self.text.pop();
            }
            Key::Enter => return FieldEvent::Submit,
            Key::Esc => return FieldEvent::Back,
            _ => {}
        }
        FieldEvent::Stay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRUIT: [&str; 4] = ["apple", "banana", "cherry", "blueberry"];

    fn refilter(filter: &str) -> Vec<usize> {
        filter_labels(&FRUIT, filter)
    }

    fn press(picker: &mut Picker, keys: &[Key]) -> PickerEvent {
        let mut last = PickerEvent::Stay;
        for &key in keys {
            last = picker.key(key, &refilter);
        }
        last
    }

    #[test]
    fn arrows_and_vi_keys_move_within_bounds() {
        let mut picker = Picker::new(FRUIT.len());
        press(&mut picker, &[Key::Up, Key::Char('j'), Key::Down]);
        assert_eq!(picker.current(), Some(2));
        press(&mut picker, &[Key::PageDown]);
        assert_eq!(picker.current(), Some(3), "stops at the end");
        press(&mut picker, &[Key::Char('k'), Key::Home]);
        assert_eq!(picker.current(), Some(0));
        assert_eq!(
            press(&mut picker, &[Key::End, Key::Enter]),
            PickerEvent::Chosen(3)
        );
    }

    #[test]
    fn slash_filters_and_esc_clears_before_going_back() {
        let mut picker = Picker::new(FRUIT.len());
        press(
            &mut picker,
            &[Key::Char('/'), Key::Char('b'), Key::Char('e')],
        );
        assert!(picker.filtering());
        assert_eq!(picker.filter(), "be");
        assert_eq!(picker.matches(), [3]);
        // While filtering, j and k are text, not movement.
        press(
            &mut picker,
            &[Key::Backspace, Key::Backspace, Key::Char('r')],
        );
        assert_eq!(picker.matches(), [2, 3]);
        assert_eq!(
            press(&mut picker, &[Key::Down, Key::Enter]),
            PickerEvent::Chosen(3)
        );
        assert_eq!(press(&mut picker, &[Key::Esc]), PickerEvent::Stay);
        assert_eq!(picker.filter(), "");
        assert_eq!(picker.matches().len(), 4);
        assert_eq!(picker.current(), Some(3), "the highlighted item stays");
        assert_eq!(press(&mut picker, &[Key::Esc]), PickerEvent::Back);
    }

    #[test]
    fn enter_on_no_match_stays() {
        let mut picker = Picker::new(FRUIT.len());
        press(&mut picker, &[Key::Char('/'), Key::Char('x')]);
        assert!(picker.matches().is_empty());
        assert_eq!(press(&mut picker, &[Key::Enter]), PickerEvent::Stay);
    }

    #[test]
    fn text_field_types_deletes_and_submits() {
        let mut field = TextField::default();
        for ch in "/tmp/xy".chars() {
            assert_eq!(field.key(Key::Char(ch)), FieldEvent::Stay);
        }
        field.key(Key::Backspace);
        assert_eq!(field.text(), "/tmp/x");
        assert_eq!(field.key(Key::Enter), FieldEvent::Submit);
        assert_eq!(field.key(Key::Esc), FieldEvent::Back);
    }
}
