//! The pieces screens are made of: the screens' names and a list with a cursor
//! and an fzf-style filter.

use std::cell::Cell;

use crate::field::{FieldEvent, TextField};
use crate::key::Key;

/// The screens of the interactive session.
///
/// A bare `keld` starts at the dashboard; the command menu follows it
/// (docs/interactive.md, "The first screen").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenId {
    /// Each preset's last backup, from the run records.
    Dashboard,
    /// The command menu.
    Command,
    /// The preset picker.
    Preset,
    /// A restore drill of the chosen preset: its progress, then its verdicts.
    Drill,
    /// The snapshot list.
    Snapshots,
    /// A snapshot's file tree: files to restore, or files to look at.
    Tree,
    /// The restore target.
    Target,
    /// The overwrite policy.
    Overwrite,
    /// The confirmation.
    Confirm,
    /// What changed between two snapshots.
    Diff,
}

impl ScreenId {
    /// The screens a command may visit, in order.
    pub(crate) const ORDER: [Self; 10] = [
        Self::Dashboard,
        Self::Command,
        Self::Preset,
        Self::Drill,
        Self::Snapshots,
        Self::Tree,
        Self::Diff,
        Self::Target,
        Self::Overwrite,
        Self::Confirm,
    ];
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
    /// A key the list does not use (for the screen to act on).
    Other(Key),
}

/// A list with a cursor and a `/` filter (fzf-style, best matches first).
#[derive(Debug, Default)]
pub(crate) struct Picker {
    /// Indexes (into the full list) of the items the filter lets through.
    matches: Vec<usize>,
    /// Position in `matches`.
    cursor: usize,
    filter: TextField,
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
        self.filter.text()
    }

    /// The filter field (for drawing its cursor).
    pub(crate) fn filter_field(&self) -> &TextField {
        &self.filter
    }

    /// Whether keys are typing into the filter.
    pub(crate) fn filtering(&self) -> bool {
        self.filtering
    }

    /// Apply a key; `refilter` maps filter text to the matching indexes.
    pub(crate) fn key(&mut self, key: Key, refilter: &dyn Fn(&str) -> Vec<usize>) -> PickerEvent {
        if self.filtering {
            return self.filter_key(key, refilter);
        }
        match key {
            Key::Up | Key::Char('k') | Key::Ctrl('p') => self.step(-1),
            Key::Down | Key::Char('j') | Key::Ctrl('n') => self.step(1),
            Key::PageUp => self.step(-PAGE),
            Key::PageDown => self.step(PAGE),
            Key::Home | Key::Char('g') => self.cursor = 0,
            Key::End | Key::Char('G') => self.cursor = self.matches.len().saturating_sub(1),
            Key::Enter => {
                return self
                    .current()
                    .map_or(PickerEvent::Stay, PickerEvent::Chosen);
            }
            Key::Esc if !self.filter().is_empty() => {
                self.set_filter(String::new(), refilter);
            }
            Key::Esc => return PickerEvent::Back,
            Key::Char('/') => self.filtering = true,
            other => return PickerEvent::Other(other),
        }
        PickerEvent::Stay
    }

    /// A key while typing the filter: text edits it, ↑↓ still move, Enter chooses,
    /// Esc clears it.
    fn filter_key(&mut self, key: Key, refilter: &dyn Fn(&str) -> Vec<usize>) -> PickerEvent {
        match key {
            Key::Up | Key::Ctrl('p') => self.step(-1),
            Key::Down | Key::Ctrl('n') => self.step(1),
            Key::PageUp => self.step(-PAGE),
            Key::PageDown => self.step(PAGE),
            Key::Backspace if self.filter().is_empty() => self.filtering = false,
            _ => match self.filter.key(key) {
                FieldEvent::Submit => {
                    // The filter stays (Esc clears it) and keys move again.
                    self.filtering = false;
                    return self
                        .current()
                        .map_or(PickerEvent::Stay, PickerEvent::Chosen);
                }
                FieldEvent::Back => {
                    self.filtering = false;
                    self.set_filter(String::new(), refilter);
                }
                FieldEvent::Complete => {}
                FieldEvent::Stay => {
                    let text = self.filter().to_owned();
                    self.refilter(&text, refilter);
                }
            },
        }
        PickerEvent::Stay
    }

    fn step(&mut self, delta: isize) {
        let last = self.matches.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
    }

    fn set_filter(&mut self, filter: String, refilter: &dyn Fn(&str) -> Vec<usize>) {
        self.filter.set(&filter);
        self.refilter(&filter, refilter);
    }

    fn refilter(&mut self, filter: &str, refilter: &dyn Fn(&str) -> Vec<usize>) {
        let current = self.current();
        self.matches = refilter(filter);
        // Keep the same item highlighted while it still matches; else the best match.
        self.cursor = match (filter.is_empty(), current) {
            (true, Some(item)) => self.matches.iter().position(|&m| m == item),
            _ => None,
        }
        .unwrap_or(0);
        self.scroll.set(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzy::filter_labels;

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
        assert_eq!(
            press(&mut picker, &[Key::Char('q')]),
            PickerEvent::Other(Key::Char('q'))
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
        assert_eq!(picker.matches(), [3], "b…e");
        // While filtering, j and k are text, not movement.
        press(
            &mut picker,
            &[Key::Backspace, Key::Backspace, Key::Char('r')],
        );
        assert_eq!(picker.matches().len(), 2, "cherry and blueberry");
        let second = picker.matches()[1];
        assert_eq!(
            press(&mut picker, &[Key::Down, Key::Enter]),
            PickerEvent::Chosen(second)
        );
        assert_eq!(press(&mut picker, &[Key::Esc]), PickerEvent::Stay);
        assert_eq!(picker.filter(), "");
        assert!(!picker.filtering());
        assert_eq!(picker.matches().len(), 4);
        assert_eq!(picker.current(), Some(second), "the highlighted item stays");
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
    fn the_filter_is_a_text_field() {
        let mut picker = Picker::new(FRUIT.len());
        press(
            &mut picker,
            &[
                Key::Char('/'),
                Key::Char('c'),
                Key::Char('y'),
                Key::Left,
                Key::Char('h'),
            ],
        );
        assert_eq!(picker.filter(), "chy");
        assert_eq!(picker.matches(), [2]);
        press(&mut picker, &[Key::Ctrl('u')]);
        assert_eq!(picker.filter(), "y");
    }
}
