//! `${section.key}`, `${NAME}` and `$$` in string values (docs/configuration.md).
//!
//! Only the values a resolution uses pass through here, so an unset variable in a
//! preset that is not being run does no harm.

use std::collections::HashMap;

use crate::Environment;
use crate::error::Error;
use crate::redact;
use crate::source::Span;
use crate::tree::{Definition, Table};
use crate::value::Value;

/// A definition a value was built from: the `section.key` a reference named, and
/// the definition it found.
#[derive(Clone)]
pub(crate) struct Traced<'a> {
    pub(crate) name: String,
    pub(crate) definition: Definition<'a>,
}

/// A value resolved earlier in this resolution.
struct Memo<'a> {
    value: Value,
    /// The number of nested values its chain spans (itself included).
    height: usize,
    /// What copying it costs ([`expanded_size`]).
    size: usize,
    /// The definitions it was built from, itself first (when tracing).
    traced: Vec<Traced<'a>>,
}

/// Resolves references against the merged files and the environment.
pub(crate) struct Interpolator<'a> {
    root: Table<'a>,
    env: &'a Environment,
    /// The values being resolved, outermost first, to detect cycles.
    stack: Vec<String>,
    /// Every `section.key` already resolved in this resolution. Without it a chain of
    /// N references costs O(N²) and `${a}${a}` doubling costs 2^depth.
    memo: HashMap<String, Memo<'a>>,
    /// The deepest `stack` length reached while resolving the current entry.
    reached: usize,
    /// How much references have copied so far in this resolution ([`expanded_size`]).
    expanded: usize,
    /// Whether to note which definitions each value is built from ([`Self::traced`]).
    tracing: bool,
    /// While tracing: for each value being resolved (as `stack`), the definitions its
    /// references have led to so far.
    traces: Vec<Vec<Traced<'a>>>,
    /// The definitions the value resolved last was built from.
    last_traced: Vec<Traced<'a>>,
}

/// How many references may be followed one inside another.
pub(crate) const MAX_REFERENCE_DEPTH: usize = 64;

/// The largest string an interpolated value may grow to, in bytes.
pub(crate) const MAX_EXPANDED_LEN: usize = 1024 * 1024;

/// The most references may copy in one resolution, in bytes ([`expanded_size`]):
/// however the values are built, one resolution's references copy no more than this.
pub(crate) const MAX_RESOLUTION_EXPANSION: usize = 16 * 1024 * 1024;

/// What each array item counts for at least, in bytes: about what one costs in memory
/// (so an array of a million empty strings is not free to copy).
const ITEM_SIZE: usize = 32;

/// How much a reference copies when it expands to `value`: its text, and
/// [`ITEM_SIZE`] more for every array item.
fn expanded_size(value: &Value) -> usize {
    match value {
        Value::String(text) => text.len(),
        Value::Array(items) => items
            .iter()
            .map(|item| ITEM_SIZE + expanded_size(item))
            .sum(),
        // At most a few dozen bytes of text.
        Value::Integer(_) | Value::Float(_) | Value::Boolean(_) => ITEM_SIZE,
    }
}

enum Piece<'t> {
    Text(&'t str),
    Reference(&'t str),
}

impl<'a> Interpolator<'a> {
    /// With `tracing`, every resolved value remembers which definitions its
    /// references led to ([`Self::traced`]); it costs time, and is needed only when
    /// some file must not be trusted with every setting (trust.rs).
    pub(crate) fn new(root: Table<'a>, env: &'a Environment, tracing: bool) -> Self {
        Self {
            root,
            env,
            stack: Vec::new(),
            memo: HashMap::new(),
            reached: 0,
            expanded: 0,
            tracing,
            traces: Vec::new(),
            last_traced: Vec::new(),
        }
    }

    /// The definitions that references in the value resolved last led to, each once,
    /// however indirectly (empty unless tracing). The value's own definition is not
    /// among them.
    pub(crate) fn traced(&self) -> &[Traced<'a>] {
        &self.last_traced
    }

    /// Notes, while tracing, that the value being resolved was built from `traced`.
    fn trace(&mut self, traced: &[Traced<'a>]) {
        if let Some(current) = self.traces.last_mut() {
            for item in traced {
                if !current
                    .iter()
                    .any(|known| known.definition.is(item.definition))
                {
                    current.push(item.clone());
                }
            }
        }
    }

    /// Counts `value` as copied by `reference` (in `definition`); an error once the
    /// resolution has copied more than [`MAX_RESOLUTION_EXPANSION`].
    fn count(
        &mut self,
        value: &Value,
        reference: &str,
        definition: Definition<'_>,
    ) -> Result<(), Error> {
        self.add(expanded_size(value), reference, definition)
    }

    /// Counts `size` bytes as copied by `reference` (see [`Self::count`]).
    fn add(
        &mut self,
        size: usize,
        reference: &str,
        definition: Definition<'_>,
    ) -> Result<(), Error> {
        self.expanded = self.expanded.saturating_add(size);
        if self.expanded <= MAX_RESOLUTION_EXPANSION {
            return Ok(());
        }
        let span = reference_span(definition, &format!("${{{reference}}}"));
        Err(Error::InvalidReference {
            message: format!(
                "references expand to more than {} MiB in all, at ${{{}}}",
                MAX_RESOLUTION_EXPANSION / (1024 * 1024),
                shown(&span, reference)
            ),
            help: format!(
                "one resolution may copy at most {} MiB of values through references (an \
                 array item counts {ITEM_SIZE} bytes at least); refer to large values, \
                 arrays above all, fewer times",
                MAX_RESOLUTION_EXPANSION / (1024 * 1024)
            ),
            at: span.location(),
            src: span.source.clone(),
            span: span.miette(),
        })
    }

    /// The value of `definition` (key `key` of `section`) with references resolved.
    pub(crate) fn resolve(
        &mut self,
        section: &str,
        key: &str,
        definition: Definition<'a>,
    ) -> Result<Value, Error> {
        self.stack.push(format!("{section}.{key}"));
        self.reached = self.reached.max(self.stack.len());
        if self.tracing {
            self.traces.push(Vec::new());
        }
        let result = self.value(&definition.value(), definition);
        self.stack.pop();
        if self.tracing {
            self.last_traced = self.traces.pop().unwrap_or_default();
        }
        result
    }

    fn value(&mut self, value: &Value, definition: Definition<'_>) -> Result<Value, Error> {
        match value {
            Value::String(text) => self.string(text, definition),
            Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => {
                        let resolved = self.string(text, definition)?;
                        let text = self.scalar(&resolved, text, definition)?;
                        Ok(Value::String(text))
                    }
                    other => Ok(other.clone()),
                })
                .collect::<Result<_, _>>()
                .map(Value::Array),
            other => Ok(other.clone()),
        }
    }

    fn string(&mut self, text: &str, definition: Definition<'_>) -> Result<Value, Error> {
        if !text.contains('$') {
            return Ok(Value::String(text.to_owned()));
        }
        let pieces = split(text).map_err(|(message, help, reference)| {
            let span = reference_span(definition, reference);
            Error::InvalidReference {
                message: message.to_owned(),
                help: help.to_owned(),
                at: span.location(),
                src: span.source.clone(),
                span: span.miette(),
            }
        })?;
        if let [Piece::Reference(reference)] = pieces.as_slice() {
            return self.reference(reference, definition);
        }
        let mut out = String::with_capacity(text.len());
        for piece in &pieces {
            match piece {
                Piece::Text(literal) => out.push_str(literal),
                Piece::Reference(reference) => {
                    let value = self.reference(reference, definition)?;
                    out.push_str(&self.scalar(&value, reference, definition)?);
                    if out.len() > MAX_EXPANDED_LEN {
                        let span = reference_span(definition, &format!("${{{reference}}}"));
                        return Err(Error::InvalidReference {
                            message: format!(
                                "value grows larger than {} MiB with ${{{}}} expanded",
                                MAX_EXPANDED_LEN / (1024 * 1024),
                                shown(&span, reference)
                            ),
                            help: "a value built from references may hold at most 1 MiB; \
                                   check for references that repeat a value many times over"
                                .to_owned(),
                            at: span.location(),
                            src: span.source.clone(),
                            span: span.miette(),
                        });
                    }
                }
            }
        }
        Ok(Value::String(out))
    }

    fn scalar(
        &self,
        value: &Value,
        reference: &str,
        definition: Definition<'_>,
    ) -> Result<String, Error> {
        value.scalar_text().ok_or_else(|| {
            let span = reference_span(definition, &format!("${{{reference}}}"));
            Error::InvalidReference {
                message: format!("${{{reference}}} is an array and cannot be part of a longer string"),
                help: "use the reference as the whole value to keep the array, or point it at a string"
                    .to_owned(),
                at: span.location(),
                src: span.source.clone(),
                span: span.miette(),
            }
        })
    }

    /// The value `reference` (in `definition`) expands to, counted against the
    /// resolution's limit ([`MAX_RESOLUTION_EXPANSION`]) before it is copied.
    fn reference(&mut self, reference: &str, definition: Definition<'_>) -> Result<Value, Error> {
        let span = || reference_span(definition, &format!("${{{reference}}}"));
        let Some((section, key)) = reference.rsplit_once('.') else {
            return self.variable(reference, definition);
        };
        let table = self.root.table_at(section.split('.'));
        let target = table.and_then(|table| table.definitions(key)?.last());
        let Some(target) = target else {
            let span = span();
            let help = if span.is_secret() {
                SECRET_REFERENCE_HELP.to_owned()
            } else {
                missing_help(table, section, key)
            };
            return Err(Error::MissingReference {
                reference: shown(&span, reference),
                help,
                at: span.location(),
                src: span.source.clone(),
                span: span.miette(),
            });
        };
        if self.stack.iter().any(|entry| entry == reference) {
            let span = span();
            let start = self
                .stack
                .iter()
                .position(|entry| entry == reference)
                .unwrap_or(0);
            let mut chain: Vec<&str> = self.stack[start..].iter().map(String::as_str).collect();
            chain.push(reference);
            return Err(Error::ReferenceCycle {
                reference: reference.to_owned(),
                chain: chain.join(" -> "),
                at: span.location(),
                src: span.source.clone(),
                span: span.miette(),
            });
        }
        if !is_interpolated(section, key) {
            let value = target.value();
            self.count(&value, reference, definition)?;
            if self.tracing {
                self.trace(&[Traced {
                    name: reference.to_owned(),
                    definition: target,
                }]);
            }
            return Ok(value);
        }
        // This reference is the `depth`-th one followed from the outermost value.
        let depth = self.stack.len();
        let too_deep = || {
            let span = span();
            Error::InvalidReference {
                message: format!("reference chain deeper than {MAX_REFERENCE_DEPTH}"),
                help: format!(
                    "${{{reference}}} leads through more than {MAX_REFERENCE_DEPTH} references, \
                     one inside another; refer to the final value directly"
                ),
                at: span.location(),
                src: span.source.clone(),
                span: span.miette(),
            }
        };
        if let Some(memo) = self.memo.get(reference) {
            // A value resolved earlier counts as deep as it was then, so the
            // limit does not depend on the order values are resolved in.
            if depth + memo.height - 1 > MAX_REFERENCE_DEPTH {
                return Err(too_deep());
            }
            let (height, size) = (memo.height, memo.size);
            self.reached = self.reached.max(depth + height);
            self.add(size, reference, definition)?;
            let memo = &self.memo[reference];
            let value = memo.value.clone();
            if self.tracing {
                let traced = memo.traced.clone();
                self.trace(&traced);
            }
            return Ok(value);
        }
        if depth > MAX_REFERENCE_DEPTH {
            return Err(too_deep());
        }
        let outer = std::mem::replace(&mut self.reached, 0);
        let value = self.resolve(section, key, target);
        let reached = std::mem::replace(&mut self.reached, outer);
        let value = value?;
        self.reached = self.reached.max(reached);
        let size = expanded_size(&value);
        self.add(size, reference, definition)?;
        let traced = if self.tracing {
            let mut traced = vec![Traced {
                name: reference.to_owned(),
                definition: target,
            }];
            traced.extend(std::mem::take(&mut self.last_traced));
            self.trace(&traced);
            traced
        } else {
            Vec::new()
        };
        self.memo.insert(
            reference.to_owned(),
            Memo {
                value: value.clone(),
                height: reached - depth,
                size,
                traced,
            },
        );
        Ok(value)
    }

    /// The environment variable `name`, referred to in `definition`.
    fn variable(&mut self, name: &str, definition: Definition<'_>) -> Result<Value, Error> {
        let span = || reference_span(definition, &format!("${{{name}}}"));
        if let Some(value) = self.env.vars.get(name) {
            let value = Value::String(value.clone());
            self.count(&value, name, definition)?;
            return Ok(value);
        }
        let span = span();
        let shown_name = if is_identifier(name) {
            name.to_owned()
        } else {
            shown(&span, name)
        };
        if self.env.non_utf8_vars.contains_key(name) {
            return Err(Error::NotUtf8Value {
                name: format!("environment variable {shown_name}"),
                help: format!(
                    "config values are text, and {shown_name} is not UTF-8: set it to UTF-8 \
                     text, or write the value into the config"
                ),
                at: span.location(),
                src: span.source.clone(),
                span: span.miette(),
            });
        }
        Err(Error::UnsetVariable {
            name: shown_name,
            at: span.location(),
            src: span.source.clone(),
            span: span.miette(),
        })
    }
}

/// Help for a missing reference inside a secret value, which must not be quoted.
const SECRET_REFERENCE_HELP: &str = "the value is secret, so the reference is not shown; a reference is ${section.key}, or ${NAME} for an environment variable, and `$${` is a literal `${`";

/// Text taken from a value, for an error message: masked when its place in the value
/// is secret (a secret value, or the password of a URL), because a password may
/// contain `${` by chance. (A reference that exists is a key path or variable name,
/// never part of a secret, so only the references that point to nothing need this.)
fn shown(span: &Span, text: &str) -> String {
    if span.is_secret() {
        redact::stars(text)
    } else {
        text.to_owned()
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`: the shape of a variable name, which is shown even in a
/// secret value; other text between `${` and `}` might be part of the secret.
fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Hooks and `*_COMMAND` values are shell text: `${VAR}` there is the shell's.
pub(crate) fn is_interpolated(section: &str, key: &str) -> bool {
    let environ = section == "environ" || section.ends_with(".environ");
    !(matches!(key, "_pre_hooks" | "_post_hooks") || (environ && key.ends_with("_COMMAND")))
}

fn missing_help(table: Option<Table<'_>>, section: &str, key: &str) -> String {
    let Some(table) = table else {
        return format!(
            "there is no section [{section}]; a reference is ${{section.key}}, or ${{NAME}} for an environment variable"
        );
    };
    let nearest = table
        .values()
        .into_iter()
        .map(|(name, _)| (strsim::jaro_winkler(key, name), name))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match nearest {
        Some((_, name)) => format!("did you mean ${{{section}.{name}}}?"),
        None => format!("section [{section}] has no value named {key:?}"),
    }
}

/// Splits text into literal pieces and references; `Err` = (message, help, offending text).
fn split(text: &str) -> Result<Vec<Piece<'_>>, (&'static str, &'static str, &str)> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        let after = &rest[dollar + 1..];
        if let Some(escaped) = after.strip_prefix('$') {
            pieces.push(Piece::Text(&rest[..=dollar]));
            rest = escaped;
        } else if let Some(inner) = after.strip_prefix('{') {
            if dollar > 0 {
                pieces.push(Piece::Text(&rest[..dollar]));
            }
            let Some(end) = inner.find('}') else {
                return Err((
                    "unterminated reference: `${` without `}`",
                    "close the reference with `}`, or write `$${` for a literal `${`",
                    &rest[dollar..],
                ));
            };
            let reference = &inner[..end];
            if reference.trim().is_empty() || reference.starts_with('.') || reference.ends_with('.')
            {
                return Err((
                    "empty or incomplete reference",
                    "write ${section.key} for a config value or ${NAME} for an environment variable",
                    &rest[dollar..dollar + end + 3],
                ));
            }
            pieces.push(Piece::Reference(reference));
            rest = &inner[end + 1..];
        } else {
            pieces.push(Piece::Text(&rest[..=dollar]));
            rest = after;
        }
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// The reference's own text inside the value, or the whole value when it cannot be
/// found literally (an escape sequence in between).
fn reference_span(definition: Definition<'_>, needle: &str) -> Span {
    let span = definition.span();
    match span.text().find(needle) {
        Some(offset) => {
            let start = span.range.start + offset;
            Span::new(&span.source, start..start + needle.len())
        }
        None => span,
    }
}
