//! Values decoded from a config file's text: where a value is written and how it is
//! stored (a scalar in some encoding, or an array) give its [`Value`].

use std::borrow::Cow;
use std::ops::Range;

use toml_parser::decoder::{Encoding, ScalarKind};
use toml_parser::parser::EventReceiver;
use toml_parser::{ErrorSink, Raw};

use crate::value::Value;

/// What a definition's value is; its text is decoded from the file when used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stored {
    /// A string (how it is quoted), number or boolean (`None`).
    Scalar(Option<Encoding>),
    Array,
}

/// The value stored as `stored` at `span` of `text`.
pub(crate) fn decode(text: &str, stored: Stored, span: (u32, u32)) -> Option<Value> {
    let (start, end) = (span.0 as usize, span.1 as usize);
    match stored {
        Stored::Scalar(encoding) => scalar_value(text, start..end, encoding),
        Stored::Array => text
            .get(start..end)
            .map(|text| Value::Array(array_items(text))),
    }
}

/// A scalar value as `toml_edit` takes it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scalar {
    String,
    Integer(i64),
    Float(f64),
    Boolean(bool),
}

/// What `decode_scalar` found, as `toml_edit` takes it; `None` for what it refuses (a
/// number out of range) or keld does (a date-time).
pub(crate) fn scalar(
    kind: ScalarKind,
    encoding: Option<Encoding>,
    decoded: &str,
) -> Option<Scalar> {
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
pub(crate) fn plain_string(raw: &str, encoding: Option<Encoding>) -> Option<&str> {
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

/// What a scalar written as `raw` is, when that is plain to see: a string without
/// escapes (one-line or multi-line), `true`, `false`, or a small decimal integer.
/// `None` for anything else, which the decoder reads (and reports what is wrong with).
pub(crate) fn plain_scalar(raw: &str, encoding: Option<Encoding>) -> Option<Scalar> {
    if plain_string(raw, encoding).is_some() {
        return Some(Scalar::String);
    }
    let multi_line = |quote: &str, escapes: bool| {
        let inner = raw.strip_prefix(quote)?.strip_suffix(quote)?;
        let bytes = inner.as_bytes();
        // Tabs and line breaks (`\r` only before `\n`) are the control characters a
        // multi-line string may hold; a basic one has no escapes either.
        let plain = bytes.iter().enumerate().all(|(index, &byte)| match byte {
            b'\t' | b'\n' => true,
            b'\r' => bytes.get(index + 1) == Some(&b'\n'),
            b'\\' => !escapes,
            0x7f => false,
            byte => byte >= 0x20,
        });
        plain.then_some(Scalar::String)
    };
    match encoding {
        Some(Encoding::MlBasicString) => multi_line("\"\"\"", true),
        Some(Encoding::MlLiteralString) => multi_line("'''", false),
        Some(_) => None,
        None => match raw {
            "true" => Some(Scalar::Boolean(true)),
            "false" => Some(Scalar::Boolean(false)),
            _ => {
                let digits = raw.strip_prefix(['+', '-']).unwrap_or(raw);
                let decimal = !digits.is_empty()
                    && digits.len() <= 18
                    && digits.bytes().all(|byte| byte.is_ascii_digit())
                    && (digits == "0" || !digits.starts_with('0'));
                decimal.then(|| raw.parse().ok().map(Scalar::Integer))?
            }
        },
    }
}

/// The scalar written at `range` of `text`.
pub(crate) fn scalar_value(
    text: &str,
    range: Range<usize>,
    encoding: Option<Encoding>,
) -> Option<Value> {
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
pub(crate) fn array_items(text: &str) -> Vec<Value> {
    struct Items<'s> {
        text: &'s str,
        items: Vec<Value>,
        /// Whether the array itself has been entered: nothing inside it is (a stored
        /// array holds no arrays or tables), so the parser never recurses.
        entered: bool,
    }
    impl EventReceiver for Items<'_> {
        fn array_open(&mut self, _span: toml_parser::Span, _error: &mut dyn ErrorSink) -> bool {
            !std::mem::replace(&mut self.entered, true)
        }
        fn inline_table_open(
            &mut self,
            _span: toml_parser::Span,
            _error: &mut dyn ErrorSink,
        ) -> bool {
            false
        }
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
        entered: false,
    };
    toml_parser::parser::parse_value(&tokens, &mut items, &mut ());
    items.items
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use proptest::prelude::*;
    use toml_parser::decoder::Encoding;
    use toml_parser::{ErrorSink, ParseError, Raw, Span};

    use super::{Scalar, plain_scalar, scalar};

    struct Errors(usize);

    impl ErrorSink for Errors {
        fn report_error(&mut self, _error: ParseError) {
            self.0 += 1;
        }
    }

    /// What the decoder makes of `raw`, when it finds nothing wrong.
    fn decoded(raw: &str, encoding: Option<Encoding>) -> Option<Scalar> {
        let mut errors = Errors(0);
        let mut text = Cow::Borrowed("");
        let span = Span::new_unchecked(0, raw.len());
        let kind = Raw::new_unchecked(raw, encoding, span).decode_scalar(&mut text, &mut errors);
        if errors.0 > 0 {
            return None;
        }
        scalar(kind, encoding, &text)
    }

    fn same(a: Option<Scalar>, b: Option<Scalar>) -> bool {
        match (a, b) {
            (Some(Scalar::String), Some(Scalar::String)) => true,
            (Some(Scalar::Integer(a)), Some(Scalar::Integer(b))) => a == b,
            (Some(Scalar::Boolean(a)), Some(Scalar::Boolean(b))) => a == b,
            _ => false,
        }
    }

    /// Whatever `plain_scalar` calls plain, the decoder reads the same way, without a
    /// problem.
    fn agrees(raw: &str, encoding: Option<Encoding>) -> Result<(), TestCaseError> {
        if let Some(plain) = plain_scalar(raw, encoding) {
            let full = decoded(raw, encoding);
            prop_assert!(same(Some(plain), full), "{raw:?} {encoding:?}: {full:?}");
        }
        Ok(())
    }

    #[test]
    fn plain_scalars_are_seen_at_a_glance() {
        let none = None;
        assert!(matches!(
            plain_scalar("true", none),
            Some(Scalar::Boolean(true))
        ));
        assert!(matches!(
            plain_scalar("-42", none),
            Some(Scalar::Integer(-42))
        ));
        assert!(plain_scalar("042", none).is_none());
        assert!(plain_scalar("1_000", none).is_none());
        assert!(plain_scalar("9999999999999999999", none).is_none());
        let ml = Some(Encoding::MlBasicString);
        assert!(plain_scalar("\"\"\"\n*.tmp\r\n\"\"\"", ml).is_some());
        assert!(plain_scalar("\"\"\"a\\tb\"\"\"", ml).is_none());
        assert!(plain_scalar("\"\"\"a\rb\"\"\"", ml).is_none());
        assert!(plain_scalar("'''a\\tb'''", Some(Encoding::MlLiteralString)).is_some());
        for (raw, encoding) in [
            ("true", none),
            ("-42", none),
            ("0", none),
            ("+7", none),
            ("\"\"\"\n*.tmp\r\n\"\"\"", ml),
            ("'''a\\tb'''", Some(Encoding::MlLiteralString)),
        ] {
            agrees(raw, encoding).unwrap();
        }
    }

    proptest! {
        #[test]
        fn bare_words_agree(raw in "[-+]?[0-9a-z_.]{0,20}") {
            agrees(&raw, None)?;
        }

        #[test]
        fn multi_line_strings_agree(inner in "(?s)[a-z \t\r\n\\\\\"'\x00-\x1f\x7fé]{0,24}") {
            agrees(&format!("\"\"\"{inner}\"\"\""), Some(Encoding::MlBasicString))?;
            agrees(&format!("'''{inner}'''"), Some(Encoding::MlLiteralString))?;
        }
    }
}
