//! The file tree of one snapshot: `restic ls --json` parsed into an arena of nodes.
//!
//! Large snapshots (100,000 entries and more) stay fast because nothing is flattened
//! ahead of time: only expanded directories contribute visible rows, expanding splices
//! a directory's visible descendants in after it and collapsing removes them again.
//! Selection is counted in *units* — files, symlinks and empty directories — so a
//! directory's tri-state is `selected == 0`, `selected == units` or in between, and
//! toggling touches only the toggled subtree and its ancestors.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;

/// Index of a node in the arena.
pub(crate) type NodeId = u32;

/// What a node is, as `restic ls --json` names it in `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeKind {
    Dir,
    File,
    Symlink,
    /// Devices, FIFOs, sockets: restorable, shown without a size.
    Other,
}

/// A directory's (or entry's) selection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    None,
    Partial,
    All,
}

/// What the user picked in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selection {
    Nothing,
    /// Every entry: a full restore, no `--include` at all.
    Everything,
    /// The fewest paths whose subtrees cover exactly the selection.
    Paths(Vec<String>),
}

#[derive(Debug)]
struct Node {
    /// The last path component; the full path is rebuilt from the parents when an
    /// include needs it, so 100,000 entries do not each keep a copy of their path.
    name: String,
    kind: NodeKind,
    size: Option<u64>,
    /// Modification time as restic recorded it, in wall-clock minutes.
    mtime: Option<i32>,
    parent: Option<NodeId>,
    children: Vec<NodeId>,
    /// Selectable units in this subtree (1 for a file or an empty directory).
    units: u32,
    /// Selected units in this subtree.
    selected: u32,
    expanded: bool,
}

/// One visible line of the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) node: NodeId,
    pub(crate) depth: u16,
}

/// What the view needs to draw one row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowView<'a> {
    pub(crate) name: &'a str,
    pub(crate) kind: NodeKind,
    pub(crate) size: Option<u64>,
    pub(crate) mtime: Option<i32>,
    pub(crate) depth: u16,
    pub(crate) expanded: bool,
    pub(crate) has_children: bool,
    pub(crate) check: Check,
}

/// Why `restic ls --json` output could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ListingError {
    /// A line is not JSON.
    #[error("restic ls --json: line {line} is not JSON: {reason}")]
    Json {
        /// 1-based line.
        line: usize,
        /// The parser's words.
        reason: String,
    },
    /// A line has no `path`.
    #[error("restic ls --json: line {line} describes an entry without a path")]
    NoPath {
        /// 1-based line.
        line: usize,
    },
}

/// One line of `restic ls --json`; strings borrow from the line unless escaped.
#[derive(Deserialize)]
struct LsLine<'a> {
    #[serde(default, borrow)]
    struct_type: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    message_type: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    path: Option<Cow<'a, str>>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default, borrow)]
    mtime: Option<Cow<'a, str>>,
}

/// A snapshot's files with expansion, cursor and selection state.
#[derive(Debug)]
pub struct FileTree {
    nodes: Vec<Node>,
    roots: Vec<NodeId>,
    rows: Vec<Row>,
    cursor: usize,
    /// First visible row; the view keeps the cursor on screen by adjusting it.
    pub(crate) scroll: std::cell::Cell<usize>,
    /// Whether restic printed the snapshot line (it does for every snapshot it
    /// lists): without it, restic found no snapshot.
    listed_snapshot: bool,
    /// The search, while one is shown instead of the whole tree.
    search: Option<search::Search>,
}

impl FileTree {
    /// Parse `restic ls --json` output (one snapshot line, then one line per node).
    pub fn parse(output: &str) -> Result<Self, ListingError> {
        let mut builder = Builder::default();
        for (index, line) in output.lines().enumerate() {
            let line_no = index + 1;
            if line.trim().is_empty() {
                continue;
            }
            let parsed: LsLine<'_> =
                serde_json::from_str(line).map_err(|err| ListingError::Json {
                    line: line_no,
                    reason: err.to_string(),
                })?;
            let is_snapshot = parsed.struct_type.as_deref() == Some("snapshot")
                || parsed.message_type.as_deref() == Some("snapshot")
                || (parsed.kind.is_none() && parsed.path.is_none());
            if is_snapshot {
                builder.listed_snapshot = true;
                continue;
            }
            let path = parsed.path.ok_or(ListingError::NoPath { line: line_no })?;
            let kind = match parsed.kind.as_deref() {
                Some("dir") => NodeKind::Dir,
                Some("file") => NodeKind::File,
                Some("symlink") => NodeKind::Symlink,
                _ => NodeKind::Other,
            };
            let size = if kind == NodeKind::File {
                Some(parsed.size.unwrap_or(0))
            } else {
                None
            };
            let mtime = parsed
                .mtime
                .as_deref()
                .and_then(crate::snapshots::wall_minutes);
            builder.add(&path, kind, size, mtime);
        }
        Ok(builder.finish())
    }

    /// Number of entries (files, directories, links) in the snapshot.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the snapshot holds no entry at all.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Whether restic listed a snapshot at all (a typed ID that matches none lists
    /// nothing, and restic 0.14 still succeeds).
    pub fn found_snapshot(&self) -> bool {
        self.listed_snapshot
    }

    /// The visible rows, in display order (the search's, while one is shown).
    pub(crate) fn rows(&self) -> &[Row] {
        match &self.search {
            Some(search) => &search.rows,
            None => &self.rows,
        }
    }

    /// The node under the cursor.
    pub(crate) fn current(&self) -> Option<NodeId> {
        self.rows().get(self.cursor).map(|row| row.node)
    }

    /// Size and time of a node.
    pub(crate) fn details(&self, id: NodeId) -> (NodeKind, Option<u64>, Option<i32>) {
        let node = &self.nodes[id as usize];
        (node.kind, node.size, node.mtime)
    }

    /// Index of the highlighted row.
    pub(crate) fn cursor(&self) -> usize {
        self.cursor
    }

    /// Everything the view needs for one row.
    pub(crate) fn row_view(&self, row: Row) -> RowView<'_> {
        let node = &self.nodes[row.node as usize];
        RowView {
            name: &node.name,
            kind: node.kind,
            size: node.size,
            mtime: node.mtime,
            depth: row.depth,
            expanded: node.expanded,
            has_children: !node.children.is_empty(),
            check: self.check(row.node),
        }
    }

    /// The selection state of a node.
    pub(crate) fn check(&self, id: NodeId) -> Check {
        let node = &self.nodes[id as usize];
        match node.selected {
            0 => Check::None,
            n if n == node.units => Check::All,
            _ => Check::Partial,
        }
    }

    /// Move the cursor by `delta` rows, stopping at either end.
    pub(crate) fn move_cursor(&mut self, delta: isize) {
        let last = self.rows().len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
    }

    /// Put the cursor on the first or last row.
    pub(crate) fn cursor_to_end(&mut self, last: bool) {
        self.cursor = if last {
            self.rows().len().saturating_sub(1)
        } else {
            0
        };
    }

    /// Right: open a closed directory, or step into an open one (in a search, where
    /// every directory shown is open, just move down).
    pub(crate) fn expand(&mut self) {
        if self.search.is_some() {
            self.move_cursor(1);
            return;
        }
        let Some(row) = self.rows.get(self.cursor).copied() else {
            return;
        };
        let node = &self.nodes[row.node as usize];
        if node.children.is_empty() {
            return;
        }
        if node.expanded {
            self.move_cursor(1);
        } else {
            self.open(self.cursor);
        }
    }

    /// Enter while looking: open a closed directory, close an open one.
    pub(crate) fn expand_or_collapse(&mut self) {
        match self.current() {
            Some(node) if self.search.is_none() && self.nodes[node as usize].expanded => {
                self.close(self.cursor);
            }
            Some(_) => self.expand(),
            None => {}
        }
    }

    /// Left: close an open directory, or go to the parent (in a search: the parent).
    pub(crate) fn collapse(&mut self) {
        let Some(row) = self.rows().get(self.cursor).copied() else {
            return;
        };
        if self.search.is_none() && self.nodes[row.node as usize].expanded {
            self.close(self.cursor);
            return;
        }
        if let Some(parent) = self.nodes[row.node as usize].parent
            && let Some(parent_row) = self.rows()[..self.cursor]
                .iter()
                .rposition(|candidate| candidate.node == parent)
        {
            self.cursor = parent_row;
        }
    }

    /// Space: select the highlighted subtree, or clear it when it is fully selected.
    pub(crate) fn toggle(&mut self) {
        if let Some(node) = self.current() {
            self.toggle_node(node);
        }
    }

    /// Select everything, or nothing when everything is selected.
    pub(crate) fn toggle_all(&mut self) {
        let everything = self
            .roots
            .iter()
            .all(|&root| self.check(root) == Check::All);
        for root in self.roots.clone() {
            self.set_subtree(root, !everything);
        }
    }

    /// Select or clear one node's subtree, keeping ancestors' counts right.
    pub(crate) fn toggle_node(&mut self, id: NodeId) {
        let select = self.check(id) != Check::All;
        self.set_subtree(id, select);
    }

    fn set_subtree(&mut self, id: NodeId, select: bool) {
        let before = self.nodes[id as usize].selected;
        let mut stack = vec![id];
        while let Some(current) = stack.pop() {
            let node = &mut self.nodes[current as usize];
            node.selected = if select { node.units } else { 0 };
            stack.extend_from_slice(&node.children);
        }
        let after = self.nodes[id as usize].selected;
        let mut parent = self.nodes[id as usize].parent;
        while let Some(ancestor) = parent {
            let node = &mut self.nodes[ancestor as usize];
            node.selected = node.selected - before + after;
            parent = node.parent;
        }
    }

    /// The selection as the fewest paths: a fully selected directory stands for
    /// everything below it.
    pub(crate) fn selection(&self) -> Selection {
        if self
            .roots
            .iter()
            .all(|&root| self.check(root) == Check::All)
            && !self.roots.is_empty()
        {
            return Selection::Everything;
        }
        let mut paths = Vec::new();
        let mut stack: Vec<NodeId> = self.roots.iter().rev().copied().collect();
        while let Some(id) = stack.pop() {
            match self.check(id) {
                Check::None => {}
                Check::All => paths.push(self.path(id)),
                Check::Partial => stack.extend(self.nodes[id as usize].children.iter().rev()),
            }
        }
        if paths.is_empty() {
            Selection::Nothing
        } else {
            Selection::Paths(paths)
        }
    }

    /// The node's full path in the snapshot, e.g. `/home/user/notes.txt`.
    pub(crate) fn path(&self, id: NodeId) -> String {
        let mut names = Vec::new();
        let mut current = Some(id);
        while let Some(node) = current {
            names.push(self.nodes[node as usize].name.as_str());
            current = self.nodes[node as usize].parent;
        }
        names.reverse();
        format!("/{}", names.join("/"))
    }

    /// Insert the visible descendants of the directory at `row` after it.
    fn open(&mut self, row: usize) {
        let Row { node, depth } = self.rows[row];
        self.nodes[node as usize].expanded = true;
        let mut inserted = Vec::new();
        self.visible_below(node, depth + 1, &mut inserted);
        self.rows.splice(row + 1..row + 1, inserted);
    }

    /// Remove the rows below the directory at `row`.
    fn close(&mut self, row: usize) {
        let Row { node, depth } = self.rows[row];
        self.nodes[node as usize].expanded = false;
        let end = self.rows[row + 1..]
            .iter()
            .position(|below| below.depth <= depth)
            .map_or(self.rows.len(), |offset| row + 1 + offset);
        self.rows.drain(row + 1..end);
    }

    fn visible_below(&self, id: NodeId, depth: u16, out: &mut Vec<Row>) {
        for &child in &self.nodes[id as usize].children {
            out.push(Row { node: child, depth });
            if self.nodes[child as usize].expanded {
                self.visible_below(child, depth + 1, out);
            }
        }
    }
}

#[derive(Default)]
struct Builder {
    nodes: Vec<Node>,
    roots: Vec<NodeId>,
    by_path: HashMap<String, NodeId>,
    listed_snapshot: bool,
}

impl Builder {
    fn add(&mut self, path: &str, kind: NodeKind, size: Option<u64>, mtime: Option<i32>) {
        if let Some(&existing) = self.by_path.get(path) {
            // A directory made up earlier for a child that came first: fill it in.
            let node = &mut self.nodes[existing as usize];
            node.kind = kind;
            node.size = size;
            node.mtime = mtime;
            return;
        }
        let parent = parent_path(path).map(|parent| self.ensure_dir(parent));
        // The name is the path's last component (not restic's `name` field), so
        // `FileTree::path` rebuilds exactly the path restic printed.
        let name = path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(path);
        let id = self.push(path, name, kind, size, parent);
        self.nodes[id as usize].mtime = mtime;
    }

    fn ensure_dir(&mut self, path: &str) -> NodeId {
        if let Some(&id) = self.by_path.get(path) {
            return id;
        }
        let parent = parent_path(path).map(|parent| self.ensure_dir(parent));
        let name = path.rsplit('/').next().unwrap_or(path);
        self.push(path, name, NodeKind::Dir, None, parent)
    }

    fn push(
        &mut self,
        path: &str,
        name: &str,
        kind: NodeKind,
        size: Option<u64>,
        parent: Option<NodeId>,
    ) -> NodeId {
        let id = NodeId::try_from(self.nodes.len()).unwrap_or(NodeId::MAX);
        self.nodes.push(Node {
            name: name.to_owned(),
            kind,
            size,
            mtime: None,
            parent,
            children: Vec::new(),
            units: 0,
            selected: 0,
            expanded: false,
        });
        self.by_path.insert(path.to_owned(), id);
        match parent {
            Some(parent) => self.nodes[parent as usize].children.push(id),
            None => self.roots.push(id),
        }
        id
    }

    fn finish(mut self) -> FileTree {
        // Parents always come before their children in the arena, so one backwards
        // pass sums every subtree.
        for index in (0..self.nodes.len()).rev() {
            if self.nodes[index].children.is_empty() {
                self.nodes[index].units = 1;
            }
            if let Some(parent) = self.nodes[index].parent {
                self.nodes[parent as usize].units += self.nodes[index].units;
            }
        }
        let mut tree = FileTree {
            rows: self
                .roots
                .iter()
                .map(|&node| Row { node, depth: 0 })
                .collect(),
            nodes: self.nodes,
            roots: self.roots,
            cursor: 0,
            scroll: std::cell::Cell::new(0),
            listed_snapshot: self.listed_snapshot,
            search: None,
        };
        // Open the chain of lone directories (`/home/user/...`) so the first screen
        // already shows a choice.
        let mut row = 0;
        while tree.rows.len() == row + 1 {
            let node = &tree.nodes[tree.rows[row].node as usize];
            if node.children.is_empty() || node.kind != NodeKind::Dir {
                break;
            }
            tree.open(row);
            row += 1;
        }
        tree.cursor = row.min(tree.rows.len().saturating_sub(1));
        tree
    }
}

/// `/a/b` → `Some("/a")`; `/a` → `None` (a root entry).
fn parent_path(path: &str) -> Option<&str> {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(0) | None => None,
        Some(at) => Some(&trimmed[..at]),
    }
}

/// A path as a restic `--include` pattern: glob characters matched literally.
pub(crate) fn include_pattern(path: &str) -> String {
    let mut pattern = String::with_capacity(path.len());
    for ch in path.chars() {
        if matches!(ch, '*' | '?' | '[' | ']' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern
}

#[cfg(test)]
#[path = "tree_samples.rs"]
mod samples;
#[cfg(test)]
pub(crate) use samples::{SAMPLE_LISTING, sample_listing};

#[path = "tree_search.rs"]
mod search;

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tests;
