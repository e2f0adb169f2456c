//! A [`Tree`] as bytes, for the cache of a large config (cache.rs), and back.
//!
//! The tree is a few flat vectors of numbers and the names, so its byte form is those
//! vectors written out in little-endian order. Reading it back checks everything the
//! tree's own code relies on, so that no byte string can make it index past a vector
//! or follow links for ever: every index is in range or `NONE`, every link points
//! forward (the tree only ever appends, so a parent comes before its tables and a
//! `next` after its own element, which also rules out cycles), every file is one of
//! the files given, every span lies within its file on character boundaries, and every
//! name is UTF-8. The texts themselves are not part of the bytes: the caller hands in
//! the files read this time, and the cache checks that they are the files the tree
//! was built from.

use std::sync::Arc;

use toml_parser::decoder::Encoding;

use super::{Def, Entry, Header, Level, NONE, Stored, TableData, Tree};
use crate::source::SourceText;

/// Appends the tree (everything but its files' texts) to `out`.
pub(crate) fn write(tree: &Tree, out: &mut Vec<u8>) {
    // Room for all of it at once, and for a checksum after it: a growing buffer
    // would be copied, page by page.
    out.reserve(
        8 + 4 * 6
            + tree.names.iter().map(|name| 4 + name.len()).sum::<usize>()
            + 24 * tree.entries.len()
            + 20 * tree.tables.len()
            + 25 * tree.defs.len()
            + 16 * tree.headers.len()
            + 12 * tree.index.len(),
    );
    let u32s = |out: &mut Vec<u8>, values: &[u32]| {
        for value in values {
            out.extend_from_slice(&value.to_le_bytes());
        }
    };
    u32s(out, &[len(tree.names.len())]);
    for name in &tree.names {
        u32s(out, &[len(name.len())]);
        out.extend_from_slice(name.as_bytes());
    }
    u32s(out, &[len(tree.entries.len())]);
    for entry in &tree.entries {
        out.extend_from_slice(&record::<24>(
            &[
                entry.name,
                entry.next,
                entry.file,
                entry.first,
                entry.last,
                entry.table,
            ],
            &[],
        ));
    }
    u32s(out, &[len(tree.tables.len())]);
    for table in &tree.tables {
        out.extend_from_slice(&record::<20>(
            &[
                table.parent,
                table.first_header,
                table.last_header,
                table.len,
            ],
            &[
                level_byte(table.level),
                u8::from(table.explicit),
                u8::from(table.dotted),
                u8::from(table.indexed),
            ],
        ));
    }
    u32s(out, &[len(tree.defs.len())]);
    for def in &tree.defs {
        out.extend_from_slice(&record::<25>(
            &[
                def.file, def.key.0, def.key.1, def.span.0, def.span.1, def.next,
            ],
            &[stored_byte(def.stored)],
        ));
    }
    u32s(out, &[len(tree.headers.len())]);
    for header in &tree.headers {
        out.extend_from_slice(&record::<16>(
            &[header.file, header.span.0, header.span.1, header.next],
            &[],
        ));
    }
    let mut index: Vec<(u64, u32)> = tree.index.iter().map(|(&key, &id)| (key, id)).collect();
    index.sort_unstable();
    u32s(out, &[len(index.len())]);
    for (key, id) in index {
        out.extend_from_slice(&key.to_le_bytes());
        u32s(out, &[id]);
    }
}

/// One element as `N` bytes: `words` little-endian, then `bytes`.
fn record<const N: usize>(words: &[u32], bytes: &[u8]) -> [u8; N] {
    let mut record = [0; N];
    for (at, word) in words.iter().enumerate() {
        record[at * 4..at * 4 + 4].copy_from_slice(&word.to_le_bytes());
    }
    record[words.len() * 4..].copy_from_slice(bytes);
    record
}

/// Where [`read`] takes the bytes from, front to back.
pub(crate) trait Source {
    /// The next `size` bytes, `None` past the end.
    fn take(&mut self, size: usize) -> Option<&[u8]>;
    /// How many bytes are left.
    fn left(&self) -> usize;
}

impl Source for &[u8] {
    fn take(&mut self, size: usize) -> Option<&[u8]> {
        let (taken, rest) = self.split_at_checked(size)?;
        *self = rest;
        Some(taken)
    }

    fn left(&self) -> usize {
        self.len()
    }
}

/// The tree written by [`write`], read from `bytes`, over the files `sources`; `None`
/// when the bytes are not such a tree for these files. All the bytes are read.
pub(crate) fn read(bytes: &mut impl Source, sources: Vec<SourceText>) -> Option<Tree> {
    let mut reader = Reader { bytes };
    let mut tree = Tree {
        sources,
        ..Tree::default()
    };
    tree.names.clear();
    tree.name_ids.clear();
    tree.entries.clear();
    tree.tables.clear();
    let count = reader.count(4)?;
    tree.names.reserve(count);
    for _ in 0..count {
        let size = reader.count(1)?;
        let name: Arc<str> = Arc::from(std::str::from_utf8(reader.take(size)?).ok()?);
        let id = len(tree.names.len());
        tree.names.push(Arc::clone(&name));
        if tree.name_ids.insert(name, id).is_some() {
            return None;
        }
    }
    let count = reader.count(24)?;
    tree.entries.reserve(count);
    for _ in 0..count {
        let [name, next, file, first, last, table] = words(&reader.array::<24>()?);
        tree.entries.push(Entry {
            name,
            next,
            file,
            first,
            last,
            table,
        });
    }
    let count = reader.count(20)?;
    tree.tables.reserve(count);
    for _ in 0..count {
        let record = reader.array::<20>()?;
        let [parent, first_header, last_header, len] = words(&record);
        let [level, explicit, dotted, indexed] = [record[16], record[17], record[18], record[19]];
        tree.tables.push(TableData {
            parent,
            first_header,
            last_header,
            len,
            level: level_of(level)?,
            explicit: flag(explicit)?,
            dotted: flag(dotted)?,
            indexed: flag(indexed)?,
        });
    }
    let count = reader.count(25)?;
    tree.defs.reserve(count);
    for _ in 0..count {
        let record = reader.array::<25>()?;
        let [file, key_start, key_end, start, end, next] = words(&record);
        tree.defs.push(Def {
            file,
            key: (key_start, key_end),
            span: (start, end),
            next,
            stored: stored_of(record[24])?,
        });
    }
    let count = reader.count(16)?;
    tree.headers.reserve(count);
    for _ in 0..count {
        let [file, start, end, next] = words(&reader.array::<16>()?);
        tree.headers.push(Header {
            file,
            span: (start, end),
            next,
        });
    }
    let count = reader.count(12)?;
    tree.index.reserve(count);
    for _ in 0..count {
        let record = reader.array::<12>()?;
        let [low, high, id] = words(&record);
        let key = u64::from(low) | (u64::from(high) << 32);
        if tree.index.insert(key, id).is_some() {
            return None;
        }
    }
    (reader.bytes.left() == 0 && sound(&tree)).then_some(tree)
}

/// Whether every index, link, file and span of `tree` is one its code can follow (see
/// the module documentation).
fn sound(tree: &Tree) -> bool {
    let (entries, defs, headers) = (
        len(tree.entries.len()),
        len(tree.defs.len()),
        len(tree.headers.len()),
    );
    let names = len(tree.names.len());
    let texts: Vec<&str> = tree.sources.iter().map(SourceText::raw_text).collect();
    let files = len(texts.len());
    // `NONE`, or an index below `bound`; for a link, also past `from`.
    let within = |value: u32, bound: u32| value == NONE || value < bound;
    let forward =
        |value: u32, from: u32, bound: u32| value == NONE || (value > from && value < bound);
    let span_ok = |file: u32, (start, end): (u32, u32)| {
        texts.get(file as usize).is_some_and(|text| {
            start <= end
                && text.is_char_boundary(start as usize)
                && text.is_char_boundary(end as usize)
        })
    };
    // The root: the first entry, a table of the top level with no parent.
    let root_ok = tree.entries.first().is_some_and(|root| {
        tree.tables
            .get(root.table as usize)
            .is_some_and(|table| table.parent == NONE && table.level == Level::Root)
    });
    if !root_ok {
        return false;
    }
    for (id, entry) in (0..).zip(&tree.entries) {
        let links = within(entry.name, names)
            && forward(entry.next, id, entries)
            && within(entry.file, files);
        let rest = if entry.table == NONE {
            within(entry.first, defs) && within(entry.last, defs)
        } else {
            forward(entry.first, id, entries)
                && forward(entry.last, id, entries)
                && tree.tables.get(entry.table as usize).is_some_and(|table| {
                    // Only the root has no parent; a parent is a table made earlier.
                    (table.parent == NONE && id == 0)
                        || (table.parent < id && tree.entries[table.parent as usize].table != NONE)
                })
        };
        if !(links && rest) {
            return false;
        }
    }
    for table in &tree.tables {
        if !(within(table.first_header, headers) && within(table.last_header, headers)) {
            return false;
        }
    }
    for (index, def) in (0..).zip(&tree.defs) {
        if !(forward(def.next, index, defs)
            && span_ok(def.file, def.key)
            && span_ok(def.file, def.span))
        {
            return false;
        }
    }
    for (index, header) in (0..).zip(&tree.headers) {
        if !(forward(header.next, index, headers) && span_ok(header.file, header.span)) {
            return false;
        }
    }
    tree.index.values().all(|&id| id < entries)
}

/// The first `N` little-endian `u32`s of `record`.
fn words<const N: usize>(record: &[u8]) -> [u32; N] {
    std::array::from_fn(|index| {
        let at = index * 4;
        u32::from_le_bytes([record[at], record[at + 1], record[at + 2], record[at + 3]])
    })
}

/// A length as the tree counts: below 2^32 (the tree's own code makes sure).
fn len(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(NONE)
}

fn level_byte(level: Level) -> u8 {
    match level {
        Level::Root => 0,
        Level::Preset => 1,
        Level::Command => 2,
        Level::Environ => 3,
    }
}

fn level_of(byte: u8) -> Option<Level> {
    Some(match byte {
        0 => Level::Root,
        1 => Level::Preset,
        2 => Level::Command,
        3 => Level::Environ,
        _ => return None,
    })
}

fn flag(byte: u8) -> Option<bool> {
    match byte {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

fn stored_byte(stored: Stored) -> u8 {
    match stored {
        Stored::Array => 0,
        Stored::Scalar(None) => 1,
        Stored::Scalar(Some(Encoding::LiteralString)) => 2,
        Stored::Scalar(Some(Encoding::BasicString)) => 3,
        Stored::Scalar(Some(Encoding::MlLiteralString)) => 4,
        Stored::Scalar(Some(Encoding::MlBasicString)) => 5,
    }
}

fn stored_of(byte: u8) -> Option<Stored> {
    Some(match byte {
        0 => Stored::Array,
        1 => Stored::Scalar(None),
        2 => Stored::Scalar(Some(Encoding::LiteralString)),
        3 => Stored::Scalar(Some(Encoding::BasicString)),
        4 => Stored::Scalar(Some(Encoding::MlLiteralString)),
        5 => Stored::Scalar(Some(Encoding::MlBasicString)),
        _ => return None,
    })
}

/// Reads the byte form from the front.
struct Reader<'a, S> {
    bytes: &'a mut S,
}

impl<S: Source> Reader<'_, S> {
    fn take(&mut self, size: usize) -> Option<&[u8]> {
        self.bytes.take(size)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    /// A count of elements of at least `size` bytes each: no more than the bytes left
    /// can hold, so that a wrong count cannot reserve memory the bytes do not back.
    fn count(&mut self, size: usize) -> Option<usize> {
        let count = self.u32()? as usize;
        (count <= self.bytes.left() / size).then_some(count)
    }
}

#[cfg(test)]
mod tests {
    use super::{read, write};
    use crate::fixture;
    use crate::source::SourceText;
    use crate::{Config, Source};

    /// The 50-file benchmark config, parsed.
    fn large() -> Config {
        crate::parsed_fixture(fixture::texts(&[]))
    }

    fn bytes_of(config: &Config) -> Vec<u8> {
        let mut bytes = Vec::new();
        write(&config.root, &mut bytes);
        bytes
    }

    fn sources(config: &Config) -> Vec<SourceText> {
        config.root.sources.clone()
    }

    /// A tree read back is the tree written, down to the last link and index entry.
    #[test]
    fn a_tree_reads_back_as_written() {
        for config in [
            large(),
            Config::from_sources([Source {
                path: "/c.toml".into(),
                text: "[\"a b\"]\nrepo = '/r'\n[\"a b\".backup]\n'lit' = 2\n[\"home@\"]\n\
                       [\"@nas\".environ]\nK = \"\"\"\nv\n\"\"\"\n"
                    .to_owned(),
            }])
            .expect("valid"),
        ] {
            let bytes = bytes_of(&config);
            let tree = read(&mut bytes.as_slice(), sources(&config)).expect("reads back");
            let (a, b) = (&config.root, &tree);
            assert_eq!(a.names, b.names);
            assert_eq!(a.entries, b.entries);
            assert_eq!(a.tables, b.tables);
            assert_eq!(a.defs, b.defs);
            assert_eq!(a.headers, b.headers);
            assert_eq!(a.index, b.index);
            assert_eq!(a.name_ids, b.name_ids);
        }
    }

    /// Whatever the bytes, reading them never panics and never hangs: a byte changed
    /// anywhere, or the bytes cut short anywhere, is refused or read as a tree whose
    /// links all lead somewhere.
    #[test]
    fn damaged_bytes_are_refused_or_harmless() {
        let config = Config::from_sources([Source {
            path: "/c.toml".into(),
            text: "[home]\nrepo = '/r'\n[home.backup]\ntag = ['a', 'b']\n[home.environ]\n\
                   K = 'v'\n[\"x@\"]\n[\"@y\".check]\nread-data = true\n"
                .to_owned(),
        }])
        .expect("valid");
        let bytes = bytes_of(&config);
        let mut refused = 0;
        for at in 0..bytes.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut damaged = bytes.clone();
                damaged[at] ^= flip;
                match read(&mut damaged.as_slice(), sources(&config)) {
                    None => refused += 1,
                    Some(tree) => {
                        // Every table's entries can be walked.
                        let _ = tree.root().tables();
                    }
                }
            }
            assert!(
                read(&mut &bytes[..at], sources(&config)).is_none(),
                "cut at {at}"
            );
        }
        assert!(refused > bytes.len(), "most damage is refused: {refused}");
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(read(&mut longer.as_slice(), sources(&config)).is_none());
    }
}
