//! fzf-style filtering with `nucleo-matcher`: every word of the filter must match
//! (in order, not necessarily adjacent), smart case, and the best matches first.
//!
//! The filter text takes fzf's syntax: `'word` matches exactly, `^start` and `end$`
//! anchor, `!word` excludes.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// A parsed filter, with the matcher's scratch memory.
pub(crate) struct Fuzzy {
    pattern: Pattern,
    matcher: Matcher,
    buffer: Vec<char>,
}

impl Fuzzy {
    /// A filter for `query`; `paths` tunes the scoring for path separators.
    pub(crate) fn new(query: &str, paths: bool) -> Self {
        let config = if paths {
            Config::DEFAULT.match_paths()
        } else {
            Config::DEFAULT
        };
        Self {
            pattern: Pattern::parse(query, CaseMatching::Smart, Normalization::Smart),
            matcher: Matcher::new(config),
            buffer: Vec::new(),
        }
    }

    /// Whether the filter is empty (everything matches, in its own order).
    pub(crate) fn is_empty(&self) -> bool {
        self.pattern.atoms.is_empty()
    }

    /// The score of `haystack`, `None` when it does not match.
    pub(crate) fn score(&mut self, haystack: &str) -> Option<u32> {
        let text = Utf32Str::new(haystack, &mut self.buffer);
        self.pattern.score(text, &mut self.matcher)
    }
}

/// Indexes of the `haystacks` matching `query`, best first; equal scores keep their
/// order. An empty query keeps every index in order.
pub(crate) fn filter<'a>(haystacks: impl IntoIterator<Item = &'a str>, query: &str) -> Vec<usize> {
    let mut fuzzy = Fuzzy::new(query, false);
    if fuzzy.is_empty() {
        return haystacks.into_iter().enumerate().map(|(i, _)| i).collect();
    }
    let mut scored: Vec<(u32, usize)> = haystacks
        .into_iter()
        .enumerate()
        .filter_map(|(index, text)| fuzzy.score(text).map(|score| (score, index)))
        .collect();
    // Stable: the higher score first, and the list's own order among equals.
    scored.sort_by_key(|&(score, _)| std::cmp::Reverse(score));
    scored.into_iter().map(|(_, index)| index).collect()
}

/// Indexes of `labels` matching `filter`, best first.
pub(crate) fn filter_labels(labels: &[impl AsRef<str>], filter: &str) -> Vec<usize> {
    self::filter(labels.iter().map(AsRef::as_ref), filter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_in_order_match_and_the_closest_match_comes_first() {
        let labels = ["backup", "restore", "snapshots", "prune", "forget"];
        assert_eq!(filter_labels(&labels, ""), [0, 1, 2, 3, 4]);
        assert_eq!(filter_labels(&labels, "re")[0], 1, "the prefix match first");
        assert_eq!(filter_labels(&labels, "re").len(), 3, "r…e in order");
        assert_eq!(filter_labels(&labels, "pru"), [3]);
        assert_eq!(filter_labels(&labels, "snp"), [2], "not adjacent");
        assert!(filter_labels(&labels, "xyz").is_empty());
        assert!(
            filter_labels(&labels, "RES").is_empty(),
            "upper case asks for that case"
        );
    }

    #[test]
    fn fzf_syntax_anchors_and_excludes() {
        let labels = ["/home/ann", "/home/bob", "/srv/home"];
        assert_eq!(filter_labels(&labels, "^/home !bob"), [0]);
        assert_eq!(filter_labels(&labels, "home$"), [2]);
        assert_eq!(filter_labels(&labels, "'srv"), [2]);
    }
}
