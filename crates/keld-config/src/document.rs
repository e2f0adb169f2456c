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
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};

use toml_parser::decoder::Encoding;
use toml_parser::parser::EventReceiver;
use toml_parser::{ErrorSink, ParseError, Raw};

use crate::decode::{Scalar, decode, plain_scalar, scalar};
use crate::effect::Effect;
use crate::error::Error;
use crate::merge;
use crate::source::{SourceText, Span};
use crate::special;
use crate::tree::{Def, Id, Level, NONE, ROOT, Stored, Tree};
use crate::trust;

mod legacy;

pub(crate) use crate::value::Value;

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

/// What is wrong with the name of a key (a flag, a variable or one of keld's keys), if
/// anything. The name becomes a restic flag or an environment variable's name, so it
/// can hold neither `=` (`"password-command=x" = true` would be a flag with a value of
/// its own) nor whitespace or control characters, and it is not empty.
pub(crate) fn key_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("the name is empty")
    } else if name.contains('=') {
        Some("a name holds no `=`")
    } else if name.chars().any(char::is_whitespace) {
        Some("a name holds no whitespace")
    } else if name.chars().any(char::is_control) {
        Some("a name holds no control characters")
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

/// What in a file a file others can write may not set (see trust.rs): a definition's
/// table path, key name, where the key is written and what it decides.
pub(crate) struct Runs {
    table: String,
    name: String,
    key: Span,
    pub(crate) effect: Effect,
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
/// its position and, for the files `judge` marks, the first thing in it that a file
/// others can write may not set, if anything (trust.rs); an error from `after` stops
/// the loading there.
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
    judge: &[bool],
    mut after: impl FnMut(usize, Option<Runs>) -> Result<(), Error>,
) -> Result<(), Error> {
    let judged = |index: usize| judge.get(index).copied().unwrap_or(false);
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
            let read = parse(source, &mut buffers);
            let found = add_read(tree, source, read.as_ref(), judged(index))?;
            buffers.reads.extend(read);
            after(index, found)?;
        }
        return Ok(());
    }
    // The files read and layered, handed back for the next files to be read into.
    let spare: Mutex<Vec<Read>> = Mutex::new(Vec::new());
    let spare_read = || spare.lock().ok().and_then(|mut spare| spare.pop());
    // The files no thread has taken yet. Helpers take them from the front, in the
    // order they are layered; the layering thread, while the file it needs next is
    // still being read, takes one from the back, so that it never competes for the
    // files it needs soonest (and takes the next one itself if nobody has).
    let untaken: Mutex<Range<usize>> = Mutex::new(0..sources.len());
    let stop = AtomicBool::new(false);
    let take_front = || {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        untaken.lock().ok()?.next()
    };
    let take_for = |needed: usize| {
        let mut untaken = untaken.lock().ok()?;
        if untaken.start == needed {
            untaken.next()
        } else {
            untaken.next_back()
        }
    };
    std::thread::scope(|scope| {
        // Bounded, loosely: a helper stays a few files ahead of the layering (which
        // reads a file of its own now and then) rather than take fresh memory for every
        // file; each file read and not yet layered costs page faults.
        let (sender, receiver) = mpsc::sync_channel(4);
        for _ in 0..helpers {
            let sender = sender.clone();
            scope.spawn(move || {
                let mut buffers = Buffers::default();
                while let Some(index) = take_front() {
                    buffers.reads.extend(spare_read());
                    let read = parse(&sources[index], &mut buffers);
                    if sender.send((index, read)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let mut buffers = Buffers::default();
        let mut ready: Vec<Option<Result<Read, ()>>> = sources.iter().map(|_| None).collect();
        let mut layer_all = || {
            for (index, source) in sources.iter().enumerate() {
                let read = loop {
                    if let Some(read) = ready[index].take() {
                        break read;
                    }
                    // What has come meanwhile; then a file to read while waiting; then
                    // the wait.
                    let (done, read) = match receiver.try_recv() {
                        Ok(done) => done,
                        Err(_) => match take_for(index) {
                            Some(mine) => {
                                buffers.reads.extend(spare_read());
                                (mine, parse(&sources[mine], &mut buffers))
                            }
                            // Every file is taken: this one by a helper.
                            None => receiver.recv().unwrap_or_else(|_| {
                                // The helpers stopped without it.
                                (index, parse(source, &mut buffers))
                            }),
                        },
                    };
                    ready[done] = Some(read);
                };
                let found = add_read(tree, source, read.as_ref(), judged(index))?;
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
        let read = parse(earlier, &mut buffers);
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
    /// `array_len` is the number of items of an array.
    Value {
        parts: Range<u32>,
        span: (u32, u32),
        stored: Stored,
        shape: Shape,
        array_len: Option<u32>,
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
fn parse(source: &SourceText, buffers: &mut Buffers) -> Result<Read, ()> {
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
        array: None,
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
    array: Option<ArrayItems>,
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

    // Entering a value that keld does not take (an inline table, a nested array) is
    // refused: the parser then skips it without descending into it, so however deeply
    // a file nests brackets, the parse never recurses more than one level.
    fn inline_table_open(&mut self, _span: toml_parser::Span, _error: &mut dyn ErrorSink) -> bool {
        // Neither a section nor a value keld takes.
        self.fail();
        false
    }

    fn array_open(&mut self, span: toml_parser::Span, _error: &mut dyn ErrorSink) -> bool {
        if self.failed || self.array.is_some() {
            // A nested array.
            self.fail();
            return false;
        }
        self.array = Some(ArrayItems {
            start: offset32(span.start()),
            kind: None,
            len: 0,
        });
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
        if parts.is_empty() {
            return self.fail();
        }
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
        let scalar = if let Some(scalar) = plain_scalar(raw, encoding) {
            scalar
        } else {
            let mut decoded = Cow::Borrowed("");
            let kind = Raw::new_unchecked(raw, encoding, span).decode_scalar(&mut decoded, error);
            let Some(scalar) = scalar(kind, encoding, &decoded) else {
                return self.fail();
            };
            scalar
        };
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
    /// Whether to judge what the file sets (trust.rs).
    judge: bool,
    /// Definitions a file others can write may not make: table, key name, definition,
    /// what it decides.
    runs: Vec<(Id, u32, u32, Effect)>,
}

impl<'a> Layer<'a> {
    fn new(tree: &'a mut Tree, text: &'a str, file: u32, judge: bool) -> Self {
        Layer {
            tree,
            text,
            file,
            table: ROOT,
            judge,
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
                    ..
                } => {
                    let mut table = self.table;
                    for &part in path {
                        table = self.enter(table, part, true)?;
                    }
                    let array_len = array_len.map(|len| len as usize);
                    let value = (*stored, *span, *shape, array_len);
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

    /// A value (stored, span, shape, array length) for key `name` (written at `key`) of
    /// `table`, checked and layered onto the tree.
    fn value(
        &mut self,
        table: Id,
        name: u32,
        key: (u32, u32),
        (stored, span, shape, array_len): (Stored, (u32, u32), Shape, Option<usize>),
    ) -> Option<()> {
        let level = self.tree.table(table).level;
        let text = self.tree.name(name);
        // Printable ASCII other than `=` needs no closer look (one pass over the name).
        let plain = !text.is_empty()
            && text
                .bytes()
                .all(|byte| matches!(byte, b'!'..=b'~') && byte != b'=');
        if !plain && key_name_problem(text).is_some() {
            return None;
        }
        match level {
            // A key outside any section.
            Level::Root => return None,
            Level::Environ if array_len.is_some() => return None,
            Level::Environ => {}
            Level::Preset | Level::Command => {
                if text.starts_with('_') && !self.special_ok(table, text, stored, span, shape) {
                    return None;
                }
            }
        }
        let effect = if self.judge {
            let value =
                decode(self.text, stored, span).unwrap_or_else(|| Value::String(String::new()));
            trust::definition_effect(text, level == Level::Environ, &value)
        } else {
            None
        };
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
        if let Some(effect) = effect {
            self.runs.push((table, name, def, effect));
        }
        Some(())
    }

    /// Whether keld's own key `name` with this value may stand in `table`. Judged by
    /// the value's shape where that says it all; otherwise the value is decoded and
    /// checked as the table of keld's keys says (`special.rs`). A `false` hands the
    /// file to the full parse, which gives the diagnostic.
    fn special_ok(
        &self,
        table: Id,
        name: &str,
        stored: Stored,
        span: (u32, u32),
        shape: Shape,
    ) -> bool {
        let Some(key) = special::lookup(name) else {
            return false;
        };
        if key.place == special::Place::Any {
            match key.kind {
                special::Kind::StringOrStrings => {
                    return matches!(shape, Shape::String | Shape::Strings);
                }
                special::Kind::Strings => return shape == Shape::Strings,
                _ => {}
            }
        }
        let path = self.tree.path(table);
        let section = special::Section {
            preset: path.first().copied().unwrap_or_default(),
            command: path.get(1).copied(),
        };
        let value = decode(self.text, stored, span).unwrap_or_else(|| Value::String(String::new()));
        special::check(name, &value, section).is_ok()
    }

    /// What in the file runs a command: of the definitions that do, the first in the
    /// order of their table path and name.
    fn runs(&self) -> Option<Runs> {
        let (path, def) = self
            .runs
            .iter()
            .map(|&(table, name, def, effect)| {
                let mut path = self.tree.path(table);
                path.push(self.tree.name(name));
                (path, (def, effect))
            })
            .min_by(|a, b| a.0.cmp(&b.0))?;
        let (def, effect) = def;
        let (name, table) = path.split_last()?;
        let def = &self.tree.defs[def as usize];
        Some(Runs {
            table: table.join("."),
            name: (*name).to_owned(),
            key: self.tree.span(def.file, def.key),
            effect,
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
                        let stored = match &definition.value {
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
                                Stored::Scalar(Some(encoding))
                            }
                            Value::Array(_) => Stored::Array,
                            _ => Stored::Scalar(None),
                        };
                        let level = self.tree.table(table).level;
                        let effect = if self.judge {
                            trust::definition_effect(
                                self.tree.name(name),
                                level == Level::Environ,
                                &definition.value,
                            )
                        } else {
                            None
                        };
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
                        if let Some(effect) = effect {
                            self.runs.push((table, name, def, effect));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
