//! One config file parsed with `toml_edit` into a tree of its own, and checked for
//! structure the way keld always has.
//!
//! This is the reference: the fast parse ([`super::add_files`]) hands a file here
//! whenever it finds anything wrong with it, so every diagnostic (its message, its
//! file:line:column, the first problem of several) is exactly the one this parse
//! reports. A file this parse accepts is turned into the same tree the fast parse
//! would have built.

use std::collections::BTreeMap;

use toml_edit::{Document, Item, Key};

use super::Value;
use crate::error::Error;
use crate::source::{SourceText, Span};
use crate::special;

/// One definition of a key in one file.
#[derive(Debug, Clone)]
pub(crate) struct Definition {
    pub(crate) value: Value,
    /// The key as written.
    pub(crate) key: Span,
    /// The value as written.
    pub(crate) span: Span,
}

/// A table of the file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    pub(crate) entries: BTreeMap<String, Node>,
    /// Where the table is defined: its header, or where it is first named.
    pub(crate) headers: Vec<Span>,
}

/// An entry of a table.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Table(Table),
    /// The one definition of the key in the file.
    Value(Vec<Definition>),
}

/// Where in the fixed section layout a table sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// `[home]`, `[global]`
    Preset,
    /// `[home.backup]`
    Command,
    /// `[home.environ]`, `[home.backup.environ]`
    Environ,
}

/// Parses one file and checks its structure.
pub(crate) fn parse(source: &SourceText) -> Result<Table, Error> {
    let document = Document::parse(source.raw_text()).map_err(|error| {
        let range = error.span().unwrap_or(0..0);
        let span = Span::new(source, range);
        // The parser's message names what it expected, never the input text, so it
        // cannot quote a secret; the key of a duplicate is read from the masked text.
        let message = error.message().trim().to_owned();
        if message.starts_with("duplicate key") {
            let key = span
                .shown_text()
                .trim()
                .trim_matches(['"', '\''])
                .to_owned();
            Error::DuplicateKey {
                key,
                at: span.location(),
                src: span.source.clone(),
                span: span.miette(),
            }
        } else {
            Error::Syntax {
                message: message.lines().next().unwrap_or_default().to_owned(),
                at: span.location(),
                src: span.source.clone(),
                span: span.miette(),
            }
        }
    })?;
    let root = document.as_table();
    let mut table = Table::default();
    for (name, item) in root.iter() {
        let key = key_span(source, root.key(name));
        match item {
            Item::Table(section) => {
                if name != "global" {
                    check_preset_name(name, section_span(source, section, &key))?;
                }
                let place = special::Section {
                    preset: name,
                    command: None,
                };
                let converted = convert_table(source, section, name, Level::Preset, &key, place)?;
                table
                    .entries
                    .insert(name.to_owned(), Node::Table(converted));
            }
            Item::Value(toml_edit::Value::InlineTable(_)) | Item::ArrayOfTables(_) => {
                return Err(structure_error(source, name, item, &key));
            }
            Item::Value(_) => {
                return Err(Error::OutsideSection {
                    key: name.to_owned(),
                    at: key.location(),
                    src: source.clone(),
                    span: key.miette(),
                });
            }
            Item::None => {}
        }
    }
    Ok(table)
}

fn check_preset_name(name: &str, span: Span) -> Result<(), Error> {
    match super::preset_name_problem(name) {
        Some(reason) => Err(Error::InvalidSectionName {
            name: name.to_owned(),
            reason: reason.to_owned(),
            at: span.location(),
            src: span.source.clone(),
            span: span.miette(),
        }),
        None => Ok(()),
    }
}

fn key_span(source: &SourceText, key: Option<&Key>) -> Span {
    Span::new(source, key.and_then(Key::span).unwrap_or(0..0))
}

/// The header of a table, or its first key when it has no header of its own.
fn section_span(source: &SourceText, table: &toml_edit::Table, key: &Span) -> Span {
    if let Some(range) = table.span() {
        return Span::new(source, range);
    }
    let first_key = table
        .iter()
        .filter_map(|(name, _)| table.key(name).and_then(Key::span))
        .min_by_key(|range| range.start);
    first_key.map_or_else(|| key.clone(), |range| Span::new(source, range))
}

fn convert_table(
    source: &SourceText,
    table: &toml_edit::Table,
    path: &str,
    level: Level,
    key: &Span,
    section: special::Section<'_>,
) -> Result<Table, Error> {
    let mut converted = Table {
        entries: BTreeMap::new(),
        headers: vec![section_span(source, table, key)],
    };
    for (name, item) in table.iter() {
        let key = key_span(source, table.key(name));
        let full = format!("{path}.{name}");
        let node = match item {
            Item::Table(sub) => {
                let sub_level = match (level, name) {
                    (Level::Preset | Level::Command, "environ") => Level::Environ,
                    (Level::Preset, _) => Level::Command,
                    _ => {
                        let span = section_span(source, sub, &key);
                        return Err(Error::NestedTooDeep {
                            table: full,
                            at: span.location(),
                            src: source.clone(),
                            span: span.miette(),
                        });
                    }
                };
                let sub_section = special::Section {
                    preset: section.preset,
                    command: (sub_level == Level::Command)
                        .then_some(name)
                        .or(section.command),
                };
                Node::Table(convert_table(
                    source,
                    sub,
                    &full,
                    sub_level,
                    &key,
                    sub_section,
                )?)
            }
            Item::Value(value) => {
                let definition = convert_entry(source, name, &full, value, level, key, section)?;
                Node::Value(vec![definition])
            }
            Item::ArrayOfTables(_) => return Err(structure_error(source, &full, item, &key)),
            Item::None => continue,
        };
        converted.entries.insert(name.to_owned(), node);
    }
    Ok(converted)
}

fn convert_entry(
    source: &SourceText,
    name: &str,
    full: &str,
    value: &toml_edit::Value,
    level: Level,
    key: Span,
    section: special::Section<'_>,
) -> Result<Definition, Error> {
    let span = Span::new(source, value.span().unwrap_or_else(|| key.range.clone()));
    let unsupported = |what: &str, help: &str| Error::UnsupportedValue {
        key: full.to_owned(),
        what: what.to_owned(),
        help: help.to_owned(),
        at: span.location(),
        src: source.clone(),
        span: span.miette(),
    };
    if let Some(reason) = super::key_name_problem(name) {
        return Err(Error::InvalidKeyName {
            key: name.to_owned(),
            reason: reason.to_owned(),
            at: key.location(),
            src: source.clone(),
            span: key.miette(),
        });
    }
    let converted = convert_value(value).map_err(|what| {
        let help = if what == "an inline table" {
            "a sub-table is a section of its own: write it as a [section.name] header"
        } else {
            "use a string, number, boolean, or an array of strings or numbers"
        };
        unsupported(what, help)
    })?;
    if level == Level::Environ {
        if matches!(converted, Value::Array(_)) {
            return Err(unsupported(
                "an array",
                "an environment variable holds one string, number or boolean",
            ));
        }
    } else if name.starts_with('_') {
        special::check(name, &converted, section).map_err(|problem| match problem {
            special::Problem::Unknown(help) => Error::UnknownSpecialKey {
                key: name.to_owned(),
                help,
                at: key.location(),
                src: source.clone(),
                span: key.miette(),
            },
            special::Problem::Type(what, help) | special::Problem::Invalid(what, help) => {
                unsupported(&what, &help)
            }
            special::Problem::Misplaced(help) => Error::MisplacedKey {
                key: name.to_owned(),
                help,
                at: key.location(),
                src: source.clone(),
                span: key.miette(),
            },
        })?;
    }
    Ok(Definition {
        value: converted,
        key,
        span,
    })
}

/// Converts a TOML value; `Err` describes an unsupported one.
fn convert_value(value: &toml_edit::Value) -> Result<Value, &'static str> {
    Ok(match value {
        toml_edit::Value::String(text) => Value::String(text.value().clone()),
        toml_edit::Value::Integer(number) => Value::Integer(*number.value()),
        toml_edit::Value::Float(number) => Value::Float(*number.value()),
        toml_edit::Value::Boolean(flag) => Value::Boolean(*flag.value()),
        toml_edit::Value::Datetime(_) => return Err("a date-time"),
        toml_edit::Value::InlineTable(_) => return Err("an inline table"),
        toml_edit::Value::Array(array) => {
            let items = array
                .iter()
                .map(|item| match item {
                    toml_edit::Value::Array(_) => Err("a nested array"),
                    toml_edit::Value::Boolean(_) => Err("an array of booleans"),
                    other => convert_value(other),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let same_kind = items
                .windows(2)
                .all(|pair| std::mem::discriminant(&pair[0]) == std::mem::discriminant(&pair[1]));
            if !same_kind {
                return Err("an array of mixed types");
            }
            Value::Array(items)
        }
    })
}

fn structure_error(source: &SourceText, name: &str, item: &Item, key: &Span) -> Error {
    let range = item.span().unwrap_or_else(|| key.range.clone());
    let span = Span::new(source, range);
    let (what, help) = match item {
        Item::ArrayOfTables(_) => (
            "an array of tables",
            "keld sections are plain tables: write [name], not [[name]]",
        ),
        _ => (
            "an inline table",
            "write the section as a [name] header with one key per line",
        ),
    };
    Error::UnsupportedValue {
        key: name.to_owned(),
        what: what.to_owned(),
        help: help.to_owned(),
        at: span.location(),
        src: source.clone(),
        span: span.miette(),
    }
}
