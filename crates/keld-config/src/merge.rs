//! Merging files: tables merge recursively, any other value is replaced whole.
//!
//! A replaced value is not thrown away: it stays in the key's definition list
//! (file order, last wins) so provenance can show what a file overrode.

use crate::document::{Node, Table};

/// Merges `upper` (a later, higher-priority file) into `lower`.
pub(crate) fn merge(lower: &mut Table, upper: Table) {
    lower.headers.extend(upper.headers);
    for (name, node) in upper.entries {
        match (lower.entries.get_mut(&name), node) {
            (Some(Node::Table(existing)), Node::Table(table)) => merge(existing, table),
            (Some(Node::Value(existing)), Node::Value(definitions)) => {
                existing.extend(definitions);
            }
            (_, node) => {
                lower.entries.insert(name, node);
            }
        }
    }
}
