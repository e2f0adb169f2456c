//! The config files as one tree, built straight from `toml_parser`'s events.
//!
//! Each file is lexed and parsed by `toml_parser` into a flat list of its headers and
//! keys, in order, with names decoded and values checked for what does not depend on
//! the rest of the config ([`parse`]; for a large config, on several threads). The
//! lists are then checked against the tree and layered onto it one file after the
//! other ([`Layer`]; the layering rules are in merge.rs): no document or tree of its
//! own is built for a file. The tree lives in a few flat vectors, so building it
//! allocates little and dropping it frees little.
//!
//! A value is kept as the place it is written and its type; its text is decoded from
//! the file again when a resolution uses it. Names are kept once each, however often
//! they appear.
//!
//! The first problem found in a file (a syntax error, a duplicate key, a value of a
//! type keld does not take, ...) hands the file to [`legacy`], the parse with
//! `toml_edit` that keld has always used, which reports it: the same message, the same
//! file:line:column, and the same problem first when there are several.
//!
//! Structural checks run on every file, whether or not a resolution uses it: value
//! types, unknown `_` keys, nesting depth and preset names.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use toml_parser::decoder::{Encoding, ScalarKind};
use toml_parser::parser::EventReceiver;
use toml_parser::{ErrorSink, ParseError, Raw};

use crate::error::Error;
use crate::merge;
use crate::source::{SourceText, Span};
use crate::trust;

mod legacy;

/// A config value of a type keld accepts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    /// Homogeneous: all strings, all integers or all floats.
    Array(Vec<Value>),
}

impl Value {
    /// Scalar text as restic would receive it.
    pub(crate) fn scalar_text(&self) -> Option<String> {
        match self {
            Value::String(text) => Some(text.clone()),
            Value::Integer(number) => Some(number.to_string()),
            Value::Float(number) => Some(number.to_string()),
            Value::Boolean(flag) => Some(flag.to_string()),
            Value::Array(_) => None,
        }
    }
}

/// The keys keld itself understands.
pub(crate) const SPECIAL_KEYS: &[&str] = &[
    "_arguments",
    "_command",
    "_post_hooks",
    "_pre_hooks",
    "_workdir",
];

/// What is wrong with a preset name (from a file or from `--preset`), if anything.
pub(crate) fn preset_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("the name is empty")
    } else if name == "@" {
        Some("`@` alone names neither a prefix nor a suffix")
    } else if name.matches('@').count() > 1 {
        Some("a name holds at most one `@`")
    } else {
        None
    }
}

/// The type of a value, as far as the keys keld understands care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    String,
    /// An array of strings, or an empty one.
    Strings,
    OtherArray,
    Other,
}

enum SpecialProblem {
    Unknown(String),
    Type(&'static str, &'static str),
}

/// What is wrong with a value of shape `shape` for the keld key `name` (`_...`), if anything.
fn special_problem(name: &str, shape: Shape) -> Option<SpecialProblem> {
    let ok = match name {
        "_arguments" => matches!(shape, Shape::String | Shape::Strings),
        "_workdir" | "_command" => shape == Shape::String,
        "_pre_hooks" | "_post_hooks" => shape == Shape::Strings,
        _ => {
            let nearest = SPECIAL_KEYS
                .iter()
                .map(|known| (strsim::jaro_winkler(name, known), known))
                .filter(|(score, _)| *score > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0));
            let help = match nearest {
                Some((_, known)) => format!("did you mean {known:?}?"),
                None => format!(
                    "keys starting with `_` belong to keld; known keys: {}",
                    SPECIAL_KEYS.join(", ")
                ),
            };
            return Some(SpecialProblem::Unknown(help));
        }
    };
    if ok {
        return None;
    }
    Some(match name {
        "_arguments" => SpecialProblem::Type(
            "not a string or an array of strings",
            "_arguments is an array of strings, or one string split on whitespace",
        ),
        "_workdir" => SpecialProblem::Type("not a string", "_workdir is a directory path string"),
        "_command" => SpecialProblem::Type("not a string", "_command is a restic command name"),
        _ => SpecialProblem::Type(
            "not an array of strings",
            "hooks are an array of shell commands: [\"cmd one\", \"cmd two\"]",
        ),
    })
}

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
#[derive(Debug, Clone)]
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
#[derive(Debug, Clone)]
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

/// What a definition's value is; its text is decoded from the file when used.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stored {
    /// A string (how it is quoted), number or boolean (`None`).
    Scalar(Option<Encoding>),
    Array,
}

/// One definition of a key in one file. Offsets are `u32`: a file has at most
/// 4 GiB (see [`add_files`]).
#[derive(Debug, Clone)]
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
#[derive(Debug, Clone)]
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
    fn path(&self, mut table: Id) -> Vec<&str> {
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

    fn span(&self, file: u32, (start, end): (u32, u32)) -> Span {
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
        let (start, end) = (self.def.span.0 as usize, self.def.span.1 as usize);
        let value = match self.def.stored {
            Stored::Scalar(encoding) => scalar_value(text, start..end, encoding),
            Stored::Array => text
                .get(start..end)
                .map(|text| Value::Array(array_items(text))),
        };
        // The value was read from this very text when the file was: it decodes.
        value.unwrap_or_else(|| Value::String(String::new()))
    }
}

/// A scalar value as `toml_edit` takes it.
#[derive(Debug, Clone, Copy)]
enum Scalar {
    String,
    Integer(i64),
    Float(f64),
    Boolean(bool),
}

/// What `decode_scalar` found, as `toml_edit` takes it; `None` for what it refuses (a
/// number out of range) or keld does (a date-time).
fn scalar(kind: ScalarKind, encoding: Option<Encoding>, decoded: &str) -> Option<Scalar> {
    match kind {
        ScalarKind::String => encoding.map(|_| Scalar::String),
        ScalarKind::Boolean(flag) => Some(Scalar::Boolean(flag)),
        ScalarKind::DateTime => None,
        ScalarKind::Float => {
            let number = decoded.parse::<f64>().ok()?;
            let overflowed = number.is_infinite()
                && !decoded
                    .strip_prefix(['+', '-'])
                    .unwrap_or(decoded)
                    .chars()
                    .all(|c| c.is_ascii_alphabetic());
            (!overflowed).then_some(Scalar::Float(number))
        }
        ScalarKind::Integer(radix) => i64::from_str_radix(decoded, radix.value())
            .ok()
            .map(Scalar::Integer),
    }
}

/// The text of a one-line string that decodes to itself: quoted, without escapes or
/// control characters (TOML's `basic-unescaped` and `literal-char`). `None` for any
/// other scalar, which the decoder reads (and reports what is wrong with).
fn plain_string(raw: &str, encoding: Option<Encoding>) -> Option<&str> {
    let quote = match encoding? {
        Encoding::BasicString => b'"',
        Encoding::LiteralString => b'\'',
        Encoding::MlBasicString | Encoding::MlLiteralString => return None,
    };
    let bytes = raw.as_bytes();
    if bytes.len() < 2 || bytes[0] != quote || bytes[bytes.len() - 1] != quote {
        return None;
    }
    let inner = &raw[1..raw.len() - 1];
    let plain = inner.bytes().all(|byte| {
        byte == b'\t'
            || byte >= 0x80
            || ((0x20..0x7f).contains(&byte) && byte != quote && byte != b'\\')
    });
    plain.then_some(inner)
}

/// The scalar written at `range` of `text`.
fn scalar_value(text: &str, range: Range<usize>, encoding: Option<Encoding>) -> Option<Value> {
    let raw = Raw::new_unchecked(
        text.get(range.clone())?,
        encoding,
        toml_parser::Span::new_unchecked(range.start, range.end),
    );
    let mut decoded = Cow::Borrowed("");
    let kind = raw.decode_scalar(&mut decoded, &mut ());
    Some(match scalar(kind, encoding, &decoded)? {
        Scalar::String => Value::String(decoded.into_owned()),
        Scalar::Integer(number) => Value::Integer(number),
        Scalar::Float(number) => Value::Float(number),
        Scalar::Boolean(flag) => Value::Boolean(flag),
    })
}

/// The items of an array written as `text` (checked when the file was read: strings,
/// integers or floats).
fn array_items(text: &str) -> Vec<Value> {
    struct Items<'s> {
        text: &'s str,
        items: Vec<Value>,
    }
    impl EventReceiver for Items<'_> {
        fn scalar(
            &mut self,
            span: toml_parser::Span,
            encoding: Option<Encoding>,
            _error: &mut dyn ErrorSink,
        ) {
            self.items
                .extend(scalar_value(self.text, span.start()..span.end(), encoding));
        }
    }
    let tokens = toml_parser::Source::new(text).lex().into_vec();
    let mut items = Items {
        text,
        items: Vec::new(),
    };
    toml_parser::parser::parse_value(&tokens, &mut items, &mut ());
    items.items
}

/// What in a file runs a command (see trust.rs): a definition's table path, key name
/// and where the key is written.
pub(crate) struct Runs {
    table: String,
    name: String,
    key: Span,
}

impl Runs {
    /// `` `_pre_hooks` in [home.backup] at path:line:column ``
    pub(crate) fn describe(&self) -> String {
        let at = self.key.location();
        format!("`{}` in [{}] at {at}", self.name, self.table)
    }
}

/// Below this many bytes in all, files are read one after the other: starting threads
/// would cost more than it saves.
const PARALLEL_BYTES: usize = 64 * 1024;

/// Parses the files `sources` (in ascending priority), checks them and layers them onto
/// `tree` (see the module documentation). After each file is layered, `after` is told
/// its position and, with `runs`, what in it runs a command, if anything; an error
/// from `after` stops the loading there.
///
/// Large configs are lexed and parsed on several threads, one file at a time each;
/// the files are still checked and layered one after the other, in order, so the
/// first problem reported is the one of the first file that has one.
///
/// A file of 4 GiB or more is refused as [`Error::TooLarge`] (files on disk may have
/// at most [`crate::MAX_FILE_LEN`] bytes anyway).
pub(crate) fn add_files(
    tree: &mut Tree,
    sources: &[SourceText],
    runs: bool,
    mut after: impl FnMut(usize, Option<Runs>) -> Result<(), Error>,
) -> Result<(), Error> {
    let total: usize = sources.iter().map(|source| source.raw_text().len()).sum();
    tree.reserve(total);
    let helpers = if total < PARALLEL_BYTES {
        0
    } else {
        std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(sources.len())
            .saturating_sub(1)
    };
    if helpers == 0 {
        let mut buffers = Buffers::default();
        for (index, source) in sources.iter().enumerate() {
            let read = parse(source, runs, &mut buffers);
            let found = add_read(tree, source, read.as_ref(), runs)?;
            buffers.reads.extend(read);
            after(index, found)?;
        }
        return Ok(());
    }
    // The files read and layered, handed back for the next files to be read into.
    let spare: Mutex<Vec<Read>> = Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let claim = || {
        let index = next.fetch_add(1, Ordering::Relaxed);
        (index < sources.len() && !stop.load(Ordering::Relaxed)).then_some(index)
    };
    let spare_read = || spare.lock().ok().and_then(|mut spare| spare.pop());
    std::thread::scope(|scope| {
        // Bounded: a thread that reads ahead of the layering waits, rather than take
        // fresh memory for every file.
        let (sender, receiver) = mpsc::sync_channel(1);
        for _ in 0..helpers {
            let sender = sender.clone();
            scope.spawn(move || {
                let mut buffers = Buffers::default();
                while let Some(index) = claim() {
                    buffers.reads.extend(spare_read());
                    let read = parse(&sources[index], runs, &mut buffers);
                    if sender.send((index, read)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let mut buffers = Buffers::default();
        let mut ready: Vec<Option<Result<Read, ()>>> = sources.iter().map(|_| None).collect();
        // Files read but not yet layered.
        let mut waiting = 0;
        let mut layer_all = || {
            for (index, source) in sources.iter().enumerate() {
                let read = loop {
                    if let Some(read) = ready[index].take() {
                        waiting -= 1;
                        break read;
                    }
                    // While waiting, read a file that no thread has taken (a few at most,
                    // when the file waited for is slow to come).
                    let mine = if waiting < 2 { claim() } else { None };
                    if let Some(mine) = mine {
                        buffers.reads.extend(spare_read());
                        ready[mine] = Some(parse(&sources[mine], runs, &mut buffers));
                    } else if let Ok((done, read)) = receiver.recv() {
                        ready[done] = Some(read);
                    } else {
                        // Every thread has stopped without this file.
                        waiting += 1;
                        ready[index] = Some(parse(source, runs, &mut buffers));
                        continue;
                    }
                    waiting += 1;
                };
                let found = add_read(tree, source, read.as_ref(), runs)?;
                if let (Ok(read), Ok(mut spare)) = (read, spare.lock()) {
                    spare.push(read);
                }
                after(index, found)?;
            }
            Ok(())
        };
        let result = layer_all();
        stop.store(true, Ordering::Relaxed);
        result
    })
}

/// Layers one file, read by [`parse`] (`Err` when it found a problem), onto the tree.
fn add_read(
    tree: &mut Tree,
    source: &SourceText,
    read: Result<&Read, &()>,
    runs: bool,
) -> Result<Option<Runs>, Error> {
    let text = source.raw_text();
    if u32::try_from(text.len()).is_err() {
        return Err(Error::TooLarge {
            path: source.path().to_owned(),
        });
    }
    let file = u32::try_from(tree.sources.len()).expect("fewer than 2^32 files");
    if let Ok(read) = read {
        tree.sources.push(source.clone());
        let mut layer = Layer::new(tree, text, file, runs);
        if layer.apply(read).is_some() {
            return Ok(layer.runs());
        }
    }
    // Something is wrong with the file: the reference parse says what.
    let table = legacy::parse(source)?;
    // It found nothing wrong after all: build the tree again, taking this file from it.
    let mut sources = std::mem::take(&mut tree.sources);
    sources.truncate(file as usize);
    *tree = Tree::default();
    let mut buffers = Buffers::default();
    for earlier in &sources {
        let read = parse(earlier, false, &mut buffers);
        add_read(tree, earlier, read.as_ref(), false)?;
    }
    Ok(add_legacy(tree, source.clone(), &table, runs))
}

/// Layers a file that the reference parse read as `table` onto the tree.
fn add_legacy(
    tree: &mut Tree,
    source: SourceText,
    table: &legacy::Table,
    runs: bool,
) -> Option<Runs> {
    let file = u32::try_from(tree.sources.len()).expect("fewer than 2^32 files");
    tree.sources.push(source.clone());
    let mut layer = Layer::new(tree, source.raw_text(), file, runs);
    layer.insert_legacy(ROOT, table);
    layer.runs()
}

/// Notes that the parser found a problem.
struct Failed(bool);

impl ErrorSink for Failed {
    fn report_error(&mut self, _error: ParseError) {
        self.0 = true;
    }
}

/// An offset into a file, as kept in the tree: files have fewer than 2^32 bytes
/// ([`add_files`]).
fn offset32(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

fn span32(span: toml_parser::Span) -> (u32, u32) {
    (offset32(span.start()), offset32(span.end()))
}

/// A decoded name: a piece of the file (most names), or text of its own (a quoted
/// name with escapes).
#[derive(Debug, Clone, Copy)]
enum Name {
    Written(u32, u32),
    Decoded(u32),
}

/// One part of a header or key: its name and where it is written.
#[derive(Debug, Clone, Copy)]
struct Part {
    name: Name,
    span: (u32, u32),
}

/// A header or a key with its value, in file order.
#[derive(Debug)]
enum Op {
    /// `[a.b]` written at `span`: the parts `parts` of [`Read::parts`].
    Header { parts: Range<u32>, span: (u32, u32) },
    /// `a.b = value`: a value at `span` for the key of the parts `parts`.
    /// `array_len` is the number of items of an array; `option_runs` says whether a
    /// string of the value names a program (for `option` / `o`, trust.rs).
    Value {
        parts: Range<u32>,
        span: (u32, u32),
        stored: Stored,
        shape: Shape,
        array_len: Option<u32>,
        option_runs: bool,
    },
}

/// A file as `toml_parser` reads it: its headers and keys in order, with names
/// decoded and values checked for what does not depend on where they are.
#[derive(Debug, Default)]
struct Read {
    ops: Vec<Op>,
    parts: Vec<Part>,
    decoded: Vec<String>,
}

impl Read {
    fn name<'t>(&'t self, text: &'t str, name: Name) -> &'t str {
        match name {
            Name::Written(start, end) => text.get(start as usize..end as usize).unwrap_or(""),
            Name::Decoded(index) => &self.decoded[index as usize],
        }
    }
}

/// Lexes and parses one file; `Err` at the first problem found. Names and values are
/// decoded and checked as far as they can be without the tree: the rest is [`Layer`]'s.
fn parse(source: &SourceText, runs: bool, buffers: &mut Buffers) -> Result<Read, ()> {
    let text = source.raw_text();
    if u32::try_from(text.len()).is_err() {
        return Err(());
    }
    let mut read = buffers.reads.pop().unwrap_or_default();
    read.ops.clear();
    read.parts.clear();
    read.decoded.clear();
    // Room for the headers and keys of a file with short lines, so that the vectors
    // are not copied as they grow (room never written costs nothing).
    read.ops.reserve(text.len() / 12);
    read.parts.reserve(text.len() / 8);
    buffers.tokens.clear();
    buffers.tokens.extend(toml_parser::Source::new(text).lex());
    let mut reader = Reader {
        text,
        source: toml_parser::Source::new(text),
        failed: false,
        read,
        key_start: 0,
        header_start: 0,
        key: None,
        option: false,
        array: None,
        check_runs: runs,
    };
    let mut failed = Failed(false);
    toml_parser::parser::parse_document(&buffers.tokens, &mut reader, &mut failed);
    if reader.failed || failed.0 {
        return Err(());
    }
    Ok(reader.read)
}

/// Memory kept from one file to the next: allocating it afresh for every file would
/// cost page faults, as the allocator hands memory freed at the top of the heap back
/// to the system.
#[derive(Default)]
struct Buffers {
    tokens: Vec<toml_parser::lexer::Token>,
    reads: Vec<Read>,
}

/// The type of an array item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    String,
    Integer,
    Float,
}

/// The items of an array value read so far.
struct ArrayItems {
    start: u32,
    /// The type of the items (`None` while there are none): all must have the same.
    kind: Option<Item>,
    len: u32,
    option_runs: bool,
}

/// Turns one file's events into a [`Read`].
struct Reader<'a> {
    text: &'a str,
    source: toml_parser::Source<'a>,
    failed: bool,
    read: Read,
    /// Where the parts of the header or key being read start.
    key_start: u32,
    header_start: u32,
    /// The parts of the key whose value is being read.
    key: Option<Range<u32>>,
    /// Whether that key is `option` / `o`, and what runs commands is asked for.
    option: bool,
    array: Option<ArrayItems>,
    check_runs: bool,
}

impl Reader<'_> {
    fn fail(&mut self) {
        self.failed = true;
    }

    fn parts_end(&self) -> u32 {
        u32::try_from(self.read.parts.len()).unwrap_or(u32::MAX)
    }

    fn push_value(&mut self, op: impl FnOnce(Range<u32>) -> Op) {
        let Some(parts) = self.key.take() else {
            return self.fail();
        };
        self.read.ops.push(op(parts));
        self.key_start = self.parts_end();
    }
}

impl EventReceiver for Reader<'_> {
    fn std_table_open(&mut self, span: toml_parser::Span, _error: &mut dyn ErrorSink) {
        self.key_start = self.parts_end();
        self.header_start = offset32(span.start());
    }

    fn std_table_close(&mut self, span: toml_parser::Span, _error: &mut dyn ErrorSink) {
        let parts = self.key_start..self.parts_end();
        if parts.is_empty() {
            return self.fail();
        }
        let span = (self.header_start, offset32(span.end()));
        self.read.ops.push(Op::Header { parts, span });
        self.key_start = self.parts_end();
    }

    fn array_table_open(&mut self, _span: toml_parser::Span, _error: &mut dyn ErrorSink) {
        // Arrays of tables are not keld sections.
        self.fail();
    }

    fn inline_table_open(&mut self, _span: toml_parser::Span, _error: &mut dyn ErrorSink) -> bool {
        // Neither a section nor a value keld takes.
        self.fail();
        true
    }

    fn array_open(&mut self, span: toml_parser::Span, _error: &mut dyn ErrorSink) -> bool {
        if self.array.is_some() {
            // A nested array.
            self.fail();
        } else {
            self.array = Some(ArrayItems {
                start: offset32(span.start()),
                kind: None,
                len: 0,
                option_runs: false,
            });
        }
        true
    }

    fn array_close(&mut self, span: toml_parser::Span, _error: &mut dyn ErrorSink) {
        let Some(array) = self.array.take() else {
            return self.fail();
        };
        let shape = match array.kind {
            None | Some(Item::String) => Shape::Strings,
            Some(_) => Shape::OtherArray,
        };
        let span = (array.start, offset32(span.end()));
        self.push_value(|parts| Op::Value {
            parts,
            span,
            stored: Stored::Array,
            shape,
            array_len: Some(array.len),
            option_runs: array.option_runs,
        });
    }

    fn simple_key(
        &mut self,
        span: toml_parser::Span,
        encoding: Option<Encoding>,
        error: &mut dyn ErrorSink,
    ) {
        if self.failed {
            return;
        }
        let Some(raw) = self.text.get(span.start()..span.end()) else {
            return self.fail();
        };
        let (start, end) = span32(span);
        // A bare key of the characters TOML allows in one (`A-Za-z0-9_-`) decodes to
        // itself; the decoder is asked about the others (and reports what is wrong).
        let bare = encoding.is_none()
            && !raw.is_empty()
            && raw
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
        if bare {
            self.read.parts.push(Part {
                name: Name::Written(start, end),
                span: (start, end),
            });
            return;
        }
        let mut decoded = Cow::Borrowed("");
        Raw::new_unchecked(raw, encoding, span).decode_key(&mut decoded, error);
        // Most names are written as they are: then only where is kept.
        let quoted = matches!(
            encoding,
            Some(Encoding::BasicString | Encoding::LiteralString)
        );
        let written = if quoted {
            raw.get(1..raw.len().saturating_sub(1))
                .map(|inner| (inner, start + 1, end.saturating_sub(1)))
        } else {
            Some((raw, start, end))
        };
        let name = match (&decoded, written) {
            // The decoder hands back the very text it read when it changed nothing.
            (Cow::Borrowed(name), Some((inner, start, end))) if std::ptr::eq(*name, inner) => {
                Name::Written(start, end)
            }
            _ => {
                let index = u32::try_from(self.read.decoded.len()).unwrap_or(u32::MAX);
                self.read.decoded.push(decoded.into_owned());
                Name::Decoded(index)
            }
        };
        self.read.parts.push(Part {
            name,
            span: (start, end),
        });
    }

    fn key_val_sep(&mut self, _span: toml_parser::Span, _error: &mut dyn ErrorSink) {
        let parts = self.key_start..self.parts_end();
        let Some(last) = parts.end.checked_sub(1).filter(|_| !parts.is_empty()) else {
            return self.fail();
        };
        self.option = self.check_runs
            && matches!(
                self.read
                    .name(self.text, self.read.parts[last as usize].name),
                "option" | "o"
            );
        self.key = Some(parts);
    }

    fn scalar(
        &mut self,
        span: toml_parser::Span,
        encoding: Option<Encoding>,
        error: &mut dyn ErrorSink,
    ) {
        if self.failed {
            return;
        }
        let Some(raw) = self.text.get(span.start()..span.end()) else {
            return self.fail();
        };
        let mut decoded = Cow::Borrowed("");
        let scalar = if let Some(text) = plain_string(raw, encoding) {
            decoded = Cow::Borrowed(text);
            Scalar::String
        } else {
            let kind = Raw::new_unchecked(raw, encoding, span).decode_scalar(&mut decoded, error);
            let Some(scalar) = scalar(kind, encoding, &decoded) else {
                return self.fail();
            };
            scalar
        };
        let option_runs =
            self.option && matches!(scalar, Scalar::String) && trust::option_runs(&decoded);
        if let Some(array) = &mut self.array {
            let item = match scalar {
                Scalar::String => Item::String,
                Scalar::Integer(_) => Item::Integer,
                Scalar::Float(_) => Item::Float,
                // An array of booleans.
                Scalar::Boolean(_) => return self.fail(),
            };
            if array.kind.is_some_and(|kind| kind != item) {
                // An array of mixed types.
                return self.fail();
            }
            array.kind = Some(item);
            array.len += 1;
            array.option_runs |= option_runs;
            return;
        }
        let shape = match scalar {
            Scalar::String => Shape::String,
            _ => Shape::Other,
        };
        self.push_value(|parts| Op::Value {
            parts,
            span: span32(span),
            stored: Stored::Scalar(encoding),
            shape,
            array_len: None,
            option_runs,
        });
    }

    fn comment(&mut self, span: toml_parser::Span, error: &mut dyn ErrorSink) {
        if let Some(raw) = self.source.get(span) {
            raw.decode_comment(error);
        }
    }

    fn newline(&mut self, span: toml_parser::Span, error: &mut dyn ErrorSink) {
        if let Some(raw) = self.source.get(span) {
            raw.decode_newline(error);
        }
    }

    fn error(&mut self, _span: toml_parser::Span, _error: &mut dyn ErrorSink) {
        self.fail();
    }
}

/// Checks one file's headers and keys against the tree and layers them onto it.
struct Layer<'a> {
    tree: &'a mut Tree,
    text: &'a str,
    file: u32,
    /// The table of the last header: where keys go.
    table: Id,
    check_runs: bool,
    /// Definitions that run commands: table, key name, definition.
    runs: Vec<(Id, u32, u32)>,
}

impl<'a> Layer<'a> {
    fn new(tree: &'a mut Tree, text: &'a str, file: u32, check_runs: bool) -> Self {
        Layer {
            tree,
            text,
            file,
            table: ROOT,
            check_runs,
            runs: Vec::new(),
        }
    }

    /// Layers the file; `None` at the first problem.
    fn apply(&mut self, read: &Read) -> Option<()> {
        let mut names = Vec::new();
        for op in &read.ops {
            let (Op::Header { parts, .. } | Op::Value { parts, .. }) = op;
            let parts = read.parts.get(parts.start as usize..parts.end as usize)?;
            names.clear();
            names.extend(
                parts
                    .iter()
                    .map(|part| (self.tree.intern(read.name(self.text, part.name)), part.span)),
            );
            let (&(name, key), path) = names.split_last()?;
            match op {
                Op::Header { span, .. } => {
                    let mut table = ROOT;
                    for &part in path {
                        table = self.enter(table, part, false)?;
                    }
                    self.table = self.open(table, name, *span)?;
                }
                Op::Value {
                    span,
                    stored,
                    shape,
                    array_len,
                    option_runs,
                    ..
                } => {
                    let mut table = self.table;
                    for &part in path {
                        table = self.enter(table, part, true)?;
                    }
                    let array_len = array_len.map(|len| len as usize);
                    let value = (*stored, *span, *shape, array_len, *option_runs);
                    self.value(table, name, key, value)?;
                }
            }
        }
        Some(())
    }

    /// Whether a new table `name` may be made in `table` (nesting and preset names).
    fn table_allowed(&self, table: Id, name: u32) -> bool {
        let name = self.tree.name(name);
        match self.tree.table(table).level.child(name) {
            None => false,
            Some(Level::Preset) => name == "global" || preset_name_problem(name).is_none(),
            Some(_) => true,
        }
    }

    /// Goes into table `name` of `table`, a part of a header or a dotted key before its
    /// last part; makes the table when this file has none.
    fn enter(&mut self, table: Id, (name, span): (u32, (u32, u32)), dotted: bool) -> Option<Id> {
        match self.tree.child(table, name) {
            Some(id) if self.tree.entries[id as usize].file == self.file => {
                // A dotted key may not extend a value, nor a table with a header.
                if !self.tree.is_table(id) {
                    return None;
                }
                let data = self.tree.table_mut(id);
                if dotted && data.explicit {
                    return None;
                }
                data.dotted |= dotted;
                Some(id)
            }
            existing => {
                let merged = existing.is_some_and(|id| self.tree.is_table(id));
                if !merged && !self.table_allowed(table, name) {
                    return None;
                }
                let id = merge::table(self.tree, table, name, existing, self.file, span);
                self.tree.table_mut(id).dotted = dotted;
                Some(id)
            }
        }
    }

    /// Opens the table of a `[header]`: `name` inside `table`.
    fn open(&mut self, table: Id, name: u32, span: (u32, u32)) -> Option<Id> {
        match self.tree.child(table, name) {
            Some(id) if self.tree.entries[id as usize].file == self.file => {
                // Named before in this file: only as a part of another header.
                if !self.tree.is_table(id) {
                    return None;
                }
                let data = self.tree.table_mut(id);
                if data.explicit || data.dotted {
                    return None;
                }
                data.explicit = true;
                let header = data.last_header;
                self.tree.headers[header as usize].span = span;
                Some(id)
            }
            existing => {
                let merged = existing.is_some_and(|id| self.tree.is_table(id));
                if !merged && !self.table_allowed(table, name) {
                    return None;
                }
                let id = merge::table(self.tree, table, name, existing, self.file, span);
                self.tree.table_mut(id).explicit = true;
                Some(id)
            }
        }
    }

    /// A value (stored, span, shape, array length, whether it names a program) for key
    /// `name` (written at `key`) of `table`, checked and layered onto the tree.
    fn value(
        &mut self,
        table: Id,
        name: u32,
        key: (u32, u32),
        (stored, span, shape, array_len, option_runs): (
            Stored,
            (u32, u32),
            Shape,
            Option<usize>,
            bool,
        ),
    ) -> Option<()> {
        let level = self.tree.table(table).level;
        let text = self.tree.name(name);
        match level {
            // A key outside any section.
            Level::Root => return None,
            Level::Environ if array_len.is_some() => return None,
            Level::Environ => {}
            Level::Preset | Level::Command => {
                if text.starts_with('_') && special_problem(text, shape).is_some() {
                    return None;
                }
            }
        }
        let runs = self.check_runs
            && trust::definition_runs(text, level == Level::Environ, array_len, option_runs);
        let id = merge::value(self.tree, table, name, self.file)?;
        let def = self.tree.push_def(
            id,
            Def {
                file: self.file,
                key,
                span,
                next: NONE,
                stored,
            },
        );
        if runs {
            self.runs.push((table, name, def));
        }
        Some(())
    }

    /// What in the file runs a command: of the definitions that do, the first in the
    /// order of their table path and name.
    fn runs(&self) -> Option<Runs> {
        let (path, def) = self
            .runs
            .iter()
            .map(|&(table, name, def)| {
                let mut path = self.tree.path(table);
                path.push(self.tree.name(name));
                (path, def)
            })
            .min_by(|a, b| a.0.cmp(&b.0))?;
        let (name, table) = path.split_last()?;
        let def = &self.tree.defs[def as usize];
        Some(Runs {
            table: table.join("."),
            name: (*name).to_owned(),
            key: self.tree.span(def.file, def.key),
        })
    }

    /// Layers a file read by the reference parse onto the tree.
    fn insert_legacy(&mut self, table: Id, legacy: &legacy::Table) {
        let span32 = |span: &Span| (offset32(span.range.start), offset32(span.range.end));
        for (name, node) in &legacy.entries {
            let name = self.tree.intern(name);
            match node {
                legacy::Node::Table(inner) => {
                    let span = inner.headers.first().map_or((0, 0), span32);
                    let existing = self.tree.child(table, name);
                    let id = merge::table(self.tree, table, name, existing, self.file, span);
                    self.insert_legacy(id, inner);
                }
                legacy::Node::Value(definitions) => {
                    for definition in definitions {
                        let (stored, array_len) = match &definition.value {
                            Value::String(_) => {
                                let written = definition.span.text();
                                let encoding = if written.starts_with("\"\"\"") {
                                    Encoding::MlBasicString
                                } else if written.starts_with("'''") {
                                    Encoding::MlLiteralString
                                } else if written.starts_with('"') {
                                    Encoding::BasicString
                                } else {
                                    Encoding::LiteralString
                                };
                                (Stored::Scalar(Some(encoding)), None)
                            }
                            Value::Array(items) => (Stored::Array, Some(items.len())),
                            _ => (Stored::Scalar(None), None),
                        };
                        let level = self.tree.table(table).level;
                        let runs = self.check_runs
                            && trust::definition_runs(
                                self.tree.name(name),
                                level == Level::Environ,
                                array_len,
                                trust::option_runs_in(&definition.value),
                            );
                        let Some(id) = merge::value(self.tree, table, name, self.file) else {
                            continue;
                        };
                        let def = self.tree.push_def(
                            id,
                            Def {
                                file: self.file,
                                key: span32(&definition.key),
                                span: span32(&definition.span),
                                next: NONE,
                                stored,
                            },
                        );
                        if runs {
                            self.runs.push((table, name, def));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
