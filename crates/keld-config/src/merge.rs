//! Layering files: tables merge recursively, any other value is replaced whole.
//!
//! A replaced value is not thrown away: it stays in the key's definition list
//! (file order, last wins) so provenance can show what a file overrode. A table that
//! a later file writes as a value (or a value it writes as a table) is replaced whole.
//!
//! Files are layered onto the tree as they are read, lowest priority first, so "later"
//! is simply "now": each entry remembers the last file that has it, which is also how a
//! file's own duplicate keys are told apart from keys of earlier files.

use crate::tree::{Id, Level, Tree};

/// The table `name` of `table` for `file`, which does not have it yet (`existing` is
/// the entry of that name of earlier files, if any): the table of earlier files, now
/// also defined at `span` of `file`, or a new one (in place of a value of earlier files).
pub(crate) fn table(
    tree: &mut Tree,
    table: Id,
    name: u32,
    existing: Option<Id>,
    file: u32,
    span: (u32, u32),
) -> Id {
    let id = match existing {
        Some(id) if tree.is_table(id) => id,
        _ => {
            let level = tree
                .table(table)
                .level
                .child(tree.name(name))
                .unwrap_or(Level::Environ);
            tree.push_entry(table, name, existing, Some(level))
        }
    };
    tree.entries[id as usize].file = file;
    let data = tree.table_mut(id);
    data.explicit = false;
    data.dotted = false;
    tree.push_header(id, file, span);
    id
}

/// The key `name` of `table` for a definition in `file`: the key of earlier files (its
/// definitions stay, lower in priority), or a new one (in place of a table of earlier
/// files). `None` when `file` has `name` already: a duplicate.
pub(crate) fn value(tree: &mut Tree, table: Id, name: u32, file: u32) -> Option<Id> {
    let existing = tree.child(table, name);
    let id = match existing {
        Some(id) if tree.entries[id as usize].file == file => return None,
        Some(id) if !tree.is_table(id) => id,
        _ => tree.push_entry(table, name, existing, None),
    };
    tree.entries[id as usize].file = file;
    Some(id)
}
