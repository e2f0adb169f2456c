//! The merged config as one tree in a few flat vectors: tables, keys, their
//! definitions (each a place in a file, decoded when a resolution uses it) and table
//! headers, with each name kept once. document.rs builds it from the files and
//! merge.rs holds its layering rules.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

pub(crate) use crate::decode::Stored;
use crate::decode::decode;
use crate::source::{SourceText, Span};
use crate::value::Value;

pub(crate) mod bytes;

/// Where in the fixed section layout a table sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// The file itself: holds only tables.
    Root,
    /// `[home]`, `[global]`
    Preset,
    /// `[home.backup]`
    Command,
    /// `[home.environ]`, `[home.backup.environ]`
    Environ,
}

impl Level {
    /// The level of a table named `name` inside a table of this level; `None` where
    /// tables nest too deep.
    pub(crate) fn child(self, name: &str) -> Option<Level> {
        match (self, name) {
            (Level::Root, _) => Some(Level::Preset),
            (Level::Preset | Level::Command, "environ") => Some(Level::Environ),
            (Level::Preset, _) => Some(Level::Command),
            _ => None,
        }
    }
}

/// Index of an entry (table or key) of the tree.
pub(crate) type Id = u32;

/// No entry, definition or header.
pub(crate) const NONE: u32 = u32::MAX;

/// The root table: the top level of every file.
pub(crate) const ROOT: Id = 0;

/// A table or a key of the merged files. Kept small: a large config has tens of
/// thousands, and every page of them written costs a page fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Index into the names; `NONE` once replaced whole by a later file (a value by a
    /// table or the other way round): no longer part of the tree.
    pub(crate) name: u32,
    /// The next entry of the same table.
    pub(crate) next: Id,
    /// The last file whose text has this entry (`NONE`: none yet).
    pub(crate) file: u32,
    /// A table's first and last entry, or a key's first and last definition.
    pub(crate) first: u32,
    pub(crate) last: u32,
    /// For a table, what only tables have (index into [`Tree::tables`]); `NONE` for a key.
    pub(crate) table: u32,
}

/// What only tables have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableData {
    pub(crate) parent: Id,
    /// The first and last header (one per file that has the table).
    pub(crate) first_header: u32,
    pub(crate) last_header: u32,
    /// How many entries the table has had (replaced ones included).
    pub(crate) len: u32,
    pub(crate) level: Level,
    /// Defined by a `[header]` of its own in the entry's `file`.
    pub(crate) explicit: bool,
    /// Made by dotted keys (`a.b = 1`) in the entry's `file`.
    pub(crate) dotted: bool,
    /// Its entries are found through the tree's index rather than by walking them:
    /// it has many.
    pub(crate) indexed: bool,
}

/// One definition of a key in one file. Offsets are `u32`: a file has at most
/// 4 GiB (see `document::add_files`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Def {
    pub(crate) file: u32,
    /// The key as written (the last part of a dotted key).
    pub(crate) key: (u32, u32),
    /// The value as written.
    pub(crate) span: (u32, u32),
    /// The next definition of the same key (a later file).
    pub(crate) next: u32,
    pub(crate) stored: Stored,
}

/// Where a table is defined in one file: its header, or where it is first named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) file: u32,
    pub(crate) span: (u32, u32),
    pub(crate) next: u32,
}

/// FxHash: the keys hashed here are short names and pairs of indices from trusted
/// files, where a fast hash matters and flooding does not.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        // The product's high bits depend on every bit of the input, its low bits only
        // on the input's low bits; the table picks buckets by the low bits.
        self.0.rotate_left(26)
    }
}

type FxBuild = BuildHasherDefault<FxHasher>;

/// The merged config files.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    /// The files, by position.
    pub(crate) sources: Vec<SourceText>,
    names: Vec<Arc<str>>,
    name_ids: HashMap<Arc<str>, u32, FxBuild>,
    pub(crate) entries: Vec<Entry>,
    pub(crate) tables: Vec<TableData>,
    /// (table, name) → entry.
    index: HashMap<u64, Id, FxBuild>,
    pub(crate) defs: Vec<Def>,
    pub(crate) headers: Vec<Header>,
}

impl Default for Tree {
    fn default() -> Self {
        let mut tree = Tree {
            sources: Vec::new(),
            names: Vec::new(),
            name_ids: HashMap::default(),
            entries: Vec::new(),
            tables: Vec::new(),
            index: HashMap::default(),
            defs: Vec::new(),
            headers: Vec::new(),
        };
        let name = tree.intern("");
        tree.push_entry(NONE, name, None, Some(Level::Root));
        tree
    }
}

/// A table with more entries than this finds them through the tree's index; a
/// smaller one by walking them, which is quicker and keeps the index small.
const WALKED_ENTRIES: u32 = 8;

fn index_key(table: Id, name: u32) -> u64 {
    (u64::from(table) << 32) | u64::from(name)
}

impl Tree {
    /// Room for the tables, keys and definitions of files of `len` bytes in all, so
    /// that the vectors are not copied as they grow (memory reserved and never written
    /// costs nothing).
    pub(crate) fn reserve(&mut self, len: usize) {
        self.entries.reserve(len / 16);
        self.defs.reserve(len / 16);
        self.headers.reserve(len / 64);
    }

    /// The top level of the files.
    pub(crate) fn root(&self) -> Table<'_> {
        Table {
            tree: self,
            id: ROOT,
        }
    }

    pub(crate) fn name(&self, name: u32) -> &str {
        &self.names[name as usize]
    }

    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 2^32 names");
        let name: Arc<str> = Arc::from(name);
        self.names.push(name.clone());
        self.name_ids.insert(name, id);
        id
    }

    pub(crate) fn is_table(&self, id: Id) -> bool {
        self.entries[id as usize].table != NONE
    }

    /// What the table `id` has as a table.
    pub(crate) fn table(&self, id: Id) -> &TableData {
        &self.tables[self.entries[id as usize].table as usize]
    }

    pub(crate) fn table_mut(&mut self, id: Id) -> &mut TableData {
        &mut self.tables[self.entries[id as usize].table as usize]
    }

    /// The live entry `name` of table `table`.
    pub(crate) fn child(&self, table: Id, name: u32) -> Option<Id> {
        if self.table(table).indexed {
            return self.index.get(&index_key(table, name)).copied();
        }
        let mut next = self.entries[table as usize].first;
        while next != NONE {
            let entry = &self.entries[next as usize];
            if entry.name == name {
                return Some(next);
            }
            next = entry.next;
        }
        None
    }

    /// Adds an entry to `table` (`NONE` for the root), in place of `old`, the entry of
    /// the same name if there is one: a table of `level`, or a key (`None`).
    pub(crate) fn push_entry(
        &mut self,
        table: Id,
        name: u32,
        old: Option<Id>,
        level: Option<Level>,
    ) -> Id {
        let id = Id::try_from(self.entries.len()).expect("fewer than 2^32 entries");
        if let Some(old) = old {
            self.entries[old as usize].name = NONE;
        }
        let data = match level {
            Some(level) => {
                let data = u32::try_from(self.tables.len()).expect("fewer than 2^32 tables");
                self.tables.push(TableData {
                    parent: table,
                    first_header: NONE,
                    last_header: NONE,
                    len: 0,
                    level,
                    explicit: false,
                    dotted: false,
                    indexed: false,
                });
                data
            }
            None => NONE,
        };
        self.entries.push(Entry {
            name,
            next: NONE,
            file: NONE,
            first: NONE,
            last: NONE,
            table: data,
        });
        if table == NONE {
            return id;
        }
        let parent = &mut self.entries[table as usize];
        let previous = std::mem::replace(&mut parent.last, id);
        if previous == NONE {
            parent.first = id;
        } else {
            self.entries[previous as usize].next = id;
        }
        let parent = self.table_mut(table);
        parent.len += 1;
        if parent.indexed {
            self.index.insert(index_key(table, name), id);
        } else if parent.len > WALKED_ENTRIES {
            parent.indexed = true;
            let mut next = self.entries[table as usize].first;
            while next != NONE {
                let entry = &self.entries[next as usize];
                if entry.name != NONE {
                    self.index.insert(index_key(table, entry.name), next);
                }
                next = entry.next;
            }
        }
        id
    }

    /// Appends a definition to the key `entry`.
    pub(crate) fn push_def(&mut self, entry: Id, def: Def) -> u32 {
        let index = u32::try_from(self.defs.len()).expect("fewer than 2^32 definitions");
        self.defs.push(def);
        let entry = &mut self.entries[entry as usize];
        let previous = std::mem::replace(&mut entry.last, index);
        if previous == NONE {
            entry.first = index;
        } else {
            self.defs[previous as usize].next = index;
        }
        index
    }

    /// Appends a header to the table `entry`.
    pub(crate) fn push_header(&mut self, entry: Id, file: u32, span: (u32, u32)) {
        let index = u32::try_from(self.headers.len()).expect("fewer than 2^32 headers");
        self.headers.push(Header {
            file,
            span,
            next: NONE,
        });
        let table = self.table_mut(entry);
        let previous = std::mem::replace(&mut table.last_header, index);
        if previous == NONE {
            table.first_header = index;
        } else {
            self.headers[previous as usize].next = index;
        }
    }

    /// The names of the tables from `table` up, outermost first.
    pub(crate) fn path(&self, mut table: Id) -> Vec<&str> {
        let mut path = Vec::new();
        while table != ROOT && table != NONE {
            path.push(self.name(self.entries[table as usize].name));
            table = self.table(table).parent;
        }
        path.reverse();
        path
    }

    fn live_children(&self, table: Id) -> impl Iterator<Item = (&str, Id)> + '_ {
        let mut next = self.entries[table as usize].first;
        std::iter::from_fn(move || {
            while next != NONE {
                let id = next;
                let entry = &self.entries[id as usize];
                next = entry.next;
                if entry.name != NONE {
                    return Some((self.name(entry.name), id));
                }
            }
            None
        })
    }

    pub(crate) fn span(&self, file: u32, (start, end): (u32, u32)) -> Span {
        Span::new(&self.sources[file as usize], start as usize..end as usize)
    }
}

/// A table of the merged files.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Table<'t> {
    tree: &'t Tree,
    id: Id,
}

impl<'t> Table<'t> {
    fn entry(self, name: &str) -> Option<&'t Entry> {
        let name = *self.tree.name_ids.get(name)?;
        let id = self.tree.child(self.id, name)?;
        Some(&self.tree.entries[id as usize])
    }

    pub(crate) fn table(self, name: &str) -> Option<Table<'t>> {
        let name = *self.tree.name_ids.get(name)?;
        let id = self.tree.child(self.id, name)?;
        self.tree.is_table(id).then_some(Table {
            tree: self.tree,
            id,
        })
    }

    /// Follows a path of table names.
    pub(crate) fn table_at<'a>(self, path: impl IntoIterator<Item = &'a str>) -> Option<Table<'t>> {
        path.into_iter().try_fold(self, Table::table)
    }

    /// The definitions of key `name`, with the name as the tree keeps it.
    pub(crate) fn get_key_value(self, name: &str) -> Option<(&'t str, Definitions<'t>)> {
        let entry = self.entry(name)?;
        (entry.table == NONE).then(|| {
            (
                self.tree.name(entry.name),
                Definitions {
                    tree: self.tree,
                    first: entry.first,
                    last: entry.last,
                },
            )
        })
    }

    /// The definitions of key `name`.
    pub(crate) fn definitions(self, name: &str) -> Option<Definitions<'t>> {
        self.get_key_value(name).map(|(_, found)| found)
    }

    /// The keys (not the tables) of this table, sorted by name.
    pub(crate) fn values(self) -> Vec<(&'t str, Definitions<'t>)> {
        let tree = self.tree;
        let mut values: Vec<_> = tree
            .live_children(self.id)
            .filter_map(|(name, id)| {
                let entry = &tree.entries[id as usize];
                (entry.table == NONE).then_some((
                    name,
                    Definitions {
                        tree,
                        first: entry.first,
                        last: entry.last,
                    },
                ))
            })
            .collect();
        values.sort_unstable_by(|a, b| a.0.cmp(b.0));
        values
    }

    /// The tables inside this table, sorted by name.
    pub(crate) fn tables(self) -> Vec<(&'t str, Table<'t>)> {
        let tree = self.tree;
        let mut tables: Vec<_> = tree
            .live_children(self.id)
            .filter(|(_, id)| tree.is_table(*id))
            .map(|(name, id)| (name, Table { tree, id }))
            .collect();
        tables.sort_unstable_by(|a, b| a.0.cmp(b.0));
        tables
    }

    /// The names of the entries (tables and keys), sorted.
    pub(crate) fn names(self) -> Vec<&'t str> {
        let mut names: Vec<&str> = self
            .tree
            .live_children(self.id)
            .map(|(name, _)| name)
            .collect();
        names.sort_unstable();
        names
    }

    /// Where the table is defined, one place per file, lowest priority first.
    pub(crate) fn headers(self) -> impl Iterator<Item = Span> + 't {
        let tree = self.tree;
        let mut next = tree.table(self.id).first_header;
        std::iter::from_fn(move || {
            let header = tree.headers.get(next as usize)?;
            next = header.next;
            Some(tree.span(header.file, header.span))
        })
    }
}

/// Every definition of one key, in file order: the last one wins.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Definitions<'t> {
    tree: &'t Tree,
    first: u32,
    last: u32,
}

impl<'t> Definitions<'t> {
    pub(crate) fn iter(self) -> impl Iterator<Item = Definition<'t>> {
        let tree = self.tree;
        let mut next = self.first;
        std::iter::from_fn(move || {
            let def = tree.defs.get(next as usize)?;
            next = def.next;
            Some(Definition { tree, def })
        })
    }

    /// The winning definition.
    pub(crate) fn last(self) -> Option<Definition<'t>> {
        let def = self.tree.defs.get(self.last as usize)?;
        Some(Definition {
            tree: self.tree,
            def,
        })
    }
}

/// One definition of a key in one file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Definition<'t> {
    tree: &'t Tree,
    def: &'t Def,
}

impl<'t> Definition<'t> {
    /// Whether this is the very definition `other` is.
    pub(crate) fn is(self, other: Definition<'_>) -> bool {
        std::ptr::eq(self.def, other.def)
    }

    pub(crate) fn source(self) -> &'t SourceText {
        &self.tree.sources[self.def.file as usize]
    }

    /// Position of the file among the files read.
    pub(crate) fn order(self) -> usize {
        self.source().order()
    }

    /// The key as written.
    pub(crate) fn key(self) -> Span {
        self.tree.span(self.def.file, self.def.key)
    }

    /// The value as written.
    pub(crate) fn span(self) -> Span {
        self.tree.span(self.def.file, self.def.span)
    }

    /// The value, decoded from the file.
    pub(crate) fn value(self) -> Value {
        let text = self.source().raw_text();
        // The value was read from this very text when the file was: it decodes.
        decode(text, self.def.stored, self.def.span).unwrap_or_else(|| Value::String(String::new()))
    }
}
