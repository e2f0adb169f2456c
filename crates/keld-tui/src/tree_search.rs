//! Searching a snapshot's tree: the entries whose name matches (fzf-style) and the
//! directories that lead to them, all open, in tree order.
//!
//! A keystroke rescores every name only when it must: a query that extends the
//! previous one (plain text typed at its end) can only match fewer entries, so just
//! the previous matches are scored again.

use super::{FileTree, NodeId, Row};
use crate::fuzzy::Fuzzy;

/// The search shown instead of the whole tree.
#[derive(Debug)]
pub(crate) struct Search {
    pub(super) query: String,
    /// Matching nodes, in arena order.
    pub(super) matched: Vec<NodeId>,
    /// The rows shown: matches and their ancestors.
    pub(super) rows: Vec<Row>,
}

/// Whether a query extending `previous` to `next` can only narrow the matches.
fn narrows(previous: &str, next: &str) -> bool {
    !previous.is_empty()
        && next.starts_with(previous)
        && next
            .chars()
            .all(|ch| ch.is_alphanumeric() || matches!(ch, '.' | '_' | '-' | '/'))
}

impl FileTree {
    /// The search text, while a search is shown.
    pub(crate) fn search_query(&self) -> Option<&str> {
        self.search.as_ref().map(|search| search.query.as_str())
    }

    /// How many entries match the search.
    pub(crate) fn search_matches(&self) -> usize {
        self.search
            .as_ref()
            .map_or(0, |search| search.matched.len())
    }

    /// Show the entries matching `query` (an empty query matches nothing yet, and
    /// shows the tree as it was); the cursor goes to the best match.
    pub(crate) fn search(&mut self, query: &str) {
        let previous = self.current();
        let mut fuzzy = Fuzzy::new(query, false);
        if fuzzy.is_empty() {
            self.search = Some(Search {
                query: query.to_owned(),
                matched: Vec::new(),
                rows: self.rows.clone(),
            });
            self.cursor = previous
                .and_then(|node| self.rows.iter().position(|row| row.node == node))
                .unwrap_or(0);
            return;
        }
        let candidates: Vec<NodeId> = match self.search.take() {
            Some(search) if narrows(&search.query, query) && !search.matched.is_empty() => {
                search.matched
            }
            _ => (0..NodeId::try_from(self.nodes.len()).unwrap_or(NodeId::MAX)).collect(),
        };
        let mut best: Option<(u32, NodeId)> = None;
        let matched: Vec<NodeId> = candidates
            .into_iter()
            .filter(|&id| {
                let score = fuzzy.score(&self.nodes[id as usize].name);
                if let Some(score) = score
                    && best.is_none_or(|(top, _)| score > top)
                {
                    best = Some((score, id));
                }
                score.is_some()
            })
            .collect();
        let rows = self.rows_leading_to(&matched);
        self.cursor = best
            .and_then(|(_, node)| rows.iter().position(|row| row.node == node))
            .unwrap_or(0);
        self.scroll.set(0);
        self.search = Some(Search {
            query: query.to_owned(),
            matched,
            rows,
        });
    }

    /// End the search: the whole tree again, with the entry that was highlighted
    /// still highlighted (its directories opened).
    pub(crate) fn end_search(&mut self) {
        let highlighted = self.current();
        self.search = None;
        self.cursor = 0;
        if let Some(node) = highlighted {
            self.reveal(node);
        }
    }

    /// Select every match, or clear them all when all are selected.
    pub(crate) fn toggle_matches(&mut self) {
        let Some(search) = &self.search else {
            return;
        };
        let matched = search.matched.clone();
        let select = !matched
            .iter()
            .all(|&id| self.check(id) == super::Check::All);
        for id in matched {
            if (self.check(id) == super::Check::All) != select {
                self.set_subtree(id, select);
            }
        }
    }

    /// Open the directories above `node` and put the cursor on it.
    fn reveal(&mut self, node: NodeId) {
        let mut chain = Vec::new();
        let mut current = self.nodes[node as usize].parent;
        while let Some(id) = current {
            chain.push(id);
            current = self.nodes[id as usize].parent;
        }
        for ancestor in chain.into_iter().rev() {
            if !self.nodes[ancestor as usize].expanded
                && let Some(row) = self.rows.iter().position(|row| row.node == ancestor)
            {
                self.open(row);
            }
        }
        if let Some(row) = self.rows.iter().position(|row| row.node == node) {
            self.cursor = row;
        }
    }

    /// The rows of `matched` and their ancestors, in tree order.
    fn rows_leading_to(&self, matched: &[NodeId]) -> Vec<Row> {
        // 0: not shown, 1: shown (a match), 2: shown and has a match below.
        let mut shown = vec![0_u8; self.nodes.len()];
        for &id in matched {
            shown[id as usize] |= 1;
            let mut parent = self.nodes[id as usize].parent;
            while let Some(ancestor) = parent {
                if shown[ancestor as usize] & 2 != 0 {
                    break;
                }
                shown[ancestor as usize] |= 2;
                parent = self.nodes[ancestor as usize].parent;
            }
        }
        let mut rows = Vec::new();
        let mut stack: Vec<Row> = self
            .roots
            .iter()
            .rev()
            .filter(|&&root| shown[root as usize] != 0)
            .map(|&node| Row { node, depth: 0 })
            .collect();
        while let Some(row) = stack.pop() {
            rows.push(row);
            if shown[row.node as usize] & 2 != 0 {
                stack.extend(
                    self.nodes[row.node as usize]
                        .children
                        .iter()
                        .rev()
                        .filter(|&&child| shown[child as usize] != 0)
                        .map(|&node| Row {
                            node,
                            depth: row.depth + 1,
                        }),
                );
            }
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::super::{SAMPLE_LISTING, Selection, sample_listing};
    use super::*;

    fn names(tree: &FileTree) -> Vec<String> {
        tree.rows()
            .iter()
            .map(|&row| {
                let view = tree.row_view(row);
                format!("{}{}", "  ".repeat(view.depth.into()), view.name)
            })
            .collect()
    }

    #[test]
    fn matches_show_with_the_directories_above_them() {
        let mut tree = FileTree::parse(SAMPLE_LISTING).expect("valid listing");
        tree.search("txt");
        assert_eq!(
            names(&tree),
            [
                "rr",
                "  src",
                "    a",
                "      b",
                "        y.txt",
                "      x.txt"
            ]
        );
        assert_eq!(tree.search_matches(), 2);
        assert!(
            tree.row_view(tree.rows()[tree.cursor()])
                .name
                .ends_with(".txt"),
            "the cursor on a match"
        );
        tree.search("txtz");
        assert!(tree.rows().is_empty());
        assert_eq!(tree.search_matches(), 0);
    }

    #[test]
    fn selecting_in_a_search_and_ending_it_keeps_the_entry() {
        let mut tree = FileTree::parse(SAMPLE_LISTING).expect("valid listing");
        tree.search("y.t");
        assert_eq!(tree.row_view(tree.rows()[tree.cursor()]).name, "y.txt");
        tree.toggle();
        tree.end_search();
        assert_eq!(tree.search_query(), None);
        assert_eq!(tree.row_view(tree.rows()[tree.cursor()]).name, "y.txt");
        assert_eq!(
            tree.selection(),
            Selection::Paths(vec!["/rr/src/a/b".into()]),
            "y.txt is all of b"
        );
    }

    #[test]
    fn all_matches_are_selected_together() {
        let mut tree = FileTree::parse(SAMPLE_LISTING).expect("valid listing");
        tree.search("txt");
        tree.toggle_matches();
        assert_eq!(
            tree.selection(),
            Selection::Paths(vec!["/rr/src/a/b".into(), "/rr/src/a/x.txt".into()])
        );
        tree.toggle_matches();
        assert_eq!(tree.selection(), Selection::Nothing);
    }

    #[test]
    fn a_longer_query_rescores_only_the_previous_matches() {
        let mut tree = FileTree::parse(&sample_listing(10, 100)).expect("valid");
        tree.search("f00");
        let broad = tree.search_matches();
        tree.search("f009");
        let narrow = tree.search_matches();
        assert!(0 < narrow && narrow < broad, "{narrow} of {broad}");
        tree.search("f00");
        assert_eq!(
            tree.search_matches(),
            broad,
            "shorter again: all are scored"
        );
        assert!(narrows("ab", "abc"));
        assert!(!narrows("ab", "ab$"));
        assert!(!narrows("", "a"));
    }
}
