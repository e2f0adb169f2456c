use proptest::prelude::*;

use super::{is_secret_name, mask, shown_value};

/// The masked text, or the text itself when nothing was masked.
fn shown(text: &str) -> String {
    mask(text).text.unwrap_or_else(|| text.to_owned())
}

#[test]
fn secret_names() {
    for name in [
        "RESTIC_PASSWORD",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "B2_ACCOUNT_KEY",
        "GITHUB_TOKEN",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "my_api_key",
        "api-token",
        "key",
        "Restic_Password",
        "schlüssel_key",
        "paſſword",
        "AZURE_ACCOUNT_SAS",
        "azure-sas",
    ] {
        assert!(is_secret_name(name), "{name}");
    }
    for name in [
        "RESTIC_REPOSITORY",
        "RESTIC_PASSWORD_COMMAND",
        "RESTIC_PASSWORD_FILE",
        "GOOGLE_APPLICATION_CREDENTIALS_FILE",
        "password-file",
        "password-command",
        "from-password-file",
        "key-hint",
        "from-key-hint",
        "repo",
        "HOME",
        "Schlüssel",
        "Password-File",
        "k",
    ] {
        assert!(!is_secret_name(name), "{name}");
    }
}

#[test]
fn every_value_of_a_secret_key_is_masked_but_booleans() {
    let text = "[home.environ]\nRESTIC_PASSWORD = \"abc\"\nB2_ACCOUNT_KEY = 'x\"y'\nGITHUB_TOKEN = 1234 # note\nAWS_SECRET_ACCESS_KEY = 1979-05-27\nRESTIC_REPOSITORY = \"/srv\"\n[home]\napi-token = \"abc\"\ninsecure-no-password = true\nkey = [\"a\", 'b', 7, false]\npassword-file = \"/p\"\n";
    assert_eq!(
        shown(text),
        "[home.environ]\nRESTIC_PASSWORD = \"***\"\nB2_ACCOUNT_KEY = '***'\nGITHUB_TOKEN = **** # note\nAWS_SECRET_ACCESS_KEY = **********\nRESTIC_REPOSITORY = \"/srv\"\n[home]\napi-token = \"***\"\ninsecure-no-password = true\nkey = [\"*\", '*', *, false]\npassword-file = \"/p\"\n"
    );
}

#[test]
fn url_passwords_are_masked_in_any_string() {
    let text = "[home]\nrepo = \"rest:https://u:SECRETPW@h/${p.nope}\"\n\
                other = ['sftp://ann@host/p', \"s3:https://k:p@ss:w@h:9000/b?x=1\"]\n\
                note = \"\"\"\nsee http://a:b@c/ and ftp://x:y@z\"\"\"\n\
                path = \"/srv/a:b@c\"\n";
    assert_eq!(
        shown(text),
        "[home]\nrepo = \"rest:https://u:********@h/${p.nope}\"\n\
         other = ['sftp://ann@host/p', \"s3:https://k:******@h:9000/b?x=1\"]\n\
         note = \"\"\"\nsee http://a:*@c/ and ftp://x:*@z\"\"\"\n\
         path = \"/srv/a:b@c\"\n"
    );
}

#[test]
fn a_password_without_quotes_is_masked_up_to_a_comment() {
    assert_eq!(
        shown("RESTIC_PASSWORD = correct horse battery  # note\nrepo = a b\n"),
        "RESTIC_PASSWORD = *********************  # note\nrepo = a b\n"
    );
    assert_eq!(
        shown("[h]\napi-key = \"abc\" def\r\n"),
        "[h]\napi-key = \"***\" def\r\n"
    );
}

#[test]
fn escapes_do_not_end_a_basic_string() {
    assert_eq!(
        shown("[a.environ]\nRESTIC_PASSWORD = \"a\\\"b\\\\\" # c\n"),
        "[a.environ]\nRESTIC_PASSWORD = \"******\" # c\n"
    );
}

#[test]
fn dotted_quoted_and_inline_keys_find_environ() {
    let text = "[home]\nenviron.RESTIC_PASSWORD = \"a\"\n\"environ\".\"GITHUB_TOKEN\" = 7\nenviron = { B2_ACCOUNT_KEY = \"b\", X = \"c\", AWS_ACCESS_KEY_ID = 9 }\n";
    assert_eq!(
        shown(text),
        "[home]\nenviron.RESTIC_PASSWORD = \"*\"\n\"environ\".\"GITHUB_TOKEN\" = *\nenviron = { B2_ACCOUNT_KEY = \"*\", X = \"c\", AWS_ACCESS_KEY_ID = * }\n"
    );
}

#[test]
fn multi_line_strings_keep_their_line_breaks() {
    let text = "[h.environ]\nRESTIC_PASSWORD = \"\"\"\nab\r\ncd\"\"\"\"\nX = '''\nopen'''\n";
    assert_eq!(
        shown(text),
        "[h.environ]\nRESTIC_PASSWORD = \"\"\"\n**\r\n***\"\"\"\nX = '''\nopen'''\n"
    );
}

#[test]
fn broken_values_do_not_hide_the_lines_after_them() {
    // An unterminated string, an unclosed array, an unterminated multi-line string
    // and an unclosed inline table each end where the next line starts over.
    let text = "[h.environ]\nA = \"open\nRESTIC_PASSWORD = \"p1\"\nB = [\"x\",\nGITHUB_TOKEN = 12\n[h.environ]\nC = \"\"\"never closed\nB2_ACCOUNT_KEY = 'p2'\nD = { E = 1,\n[other.environ]\nAWS_SECRET_ACCESS_KEY = \"p3\"\n";
    assert_eq!(
        shown(text),
        "[h.environ]\nA = \"open\nRESTIC_PASSWORD = \"**\"\nB = [\"x\",\nGITHUB_TOKEN = **\n[h.environ]\nC = \"\"\"never closed\nB2_ACCOUNT_KEY = '**'\nD = { E = 1,\n[other.environ]\nAWS_SECRET_ACCESS_KEY = \"**\"\n"
    );
}

#[test]
fn unterminated_secret_string_is_masked_to_the_end_of_its_line() {
    assert_eq!(
        shown("[h.environ]\nRESTIC_PASSWORD = \"päss\nX = 1\n"),
        "[h.environ]\nRESTIC_PASSWORD = \"*****\nX = 1\n"
    );
}

#[test]
fn nothing_secret_means_no_copy() {
    let masked = mask("[home]\nrepo = \"/srv\"\n[home.environ]\nRESTIC_REPOSITORY = \"x\"\n");
    assert!(masked.text.is_none());
    assert!(masked.ranges.is_empty());
}

#[test]
fn overlaps_finds_spans_touching_a_secret() {
    let text = "[h.environ]\nRESTIC_PASSWORD = \"abc\"\nX = \"d\"\n";
    let masked = mask(text);
    let value = text.find("abc").expect("value is in the text");
    assert!(masked.overlaps(&(value - 1..value + 4)));
    assert!(masked.overlaps(&(value + 1..value + 1)));
    assert!(!masked.overlaps(&(0..value - 1)));
    let other = text.find("\"d\"").expect("value is in the text");
    assert!(!masked.overlaps(&(other..other + 3)));
}

/// A key as written, and whether its values are secret.
const KEYS: [(&str, bool); 11] = [
    ("RESTIC_PASSWORD", true),
    ("AWS_SECRET_ACCESS_KEY", true),
    ("api-token", true),
    ("\"GITHUB_TOKEN\"", true),
    ("environ.B2_ACCOUNT_KEY", true),
    ("RESTIC_PASSWORD_COMMAND", false),
    ("password-file", false),
    ("key-hint", false),
    ("repo", false),
    ("RESTIC_REPOSITORY", false),
    ("_arguments", false),
];

const HEADERS: [&str; 5] = [
    "[home]",
    "[home.environ]",
    "[home.backup.environ]",
    "[global.backup]",
    "[\"a@b\".environ]",
];

/// One line of a generated file.
#[derive(Debug, Clone)]
enum Line {
    Header(usize),
    /// Key index, string content as written, basic (`"`) or literal (`'`) quotes.
    String(usize, String, bool),
    /// Key index and a bare integer.
    Number(usize, i64),
    /// Key index and a boolean, which is never masked.
    Boolean(usize, bool),
    Comment(String),
}

fn written_basic(content: &str) -> String {
    content
        .chars()
        .map(|c| match c {
            '"' => "\\\"".to_owned(),
            '\\' => "\\\\".to_owned(),
            c if c.is_control() => format!("\\u{:04X}", u32::from(c)),
            c => c.to_string(),
        })
        .collect()
}

fn line() -> impl Strategy<Value = Line> {
    let content = "[^\n\r]{0,12}";
    prop_oneof![
        (0..HEADERS.len()).prop_map(Line::Header),
        (0..KEYS.len(), content, any::<bool>()).prop_map(|(key, text, basic)| {
            let written = if basic {
                written_basic(&text)
            } else {
                text.replace(['\'', '\u{7f}'], "x")
                    .chars()
                    .filter(|c| !c.is_control() || *c == '\t')
                    .collect()
            };
            Line::String(key, written, basic)
        }),
        (0..KEYS.len(), any::<i64>()).prop_map(|(key, n)| Line::Number(key, n)),
        (0..KEYS.len(), any::<bool>()).prop_map(|(key, b)| Line::Boolean(key, b)),
        "[^\n\r]{0,12}".prop_map(Line::Comment),
    ]
}

/// The file and the text it must show: built line by line from the rule itself.
fn file_and_expected(lines: &[Line]) -> (String, String) {
    let mut text = String::new();
    let mut expected = String::new();
    for line in lines {
        let (written, shown) = match line {
            Line::Header(index) => (HEADERS[*index].to_owned(), HEADERS[*index].to_owned()),
            Line::String(key, content, basic) => {
                let (name, hide) = KEYS[*key];
                let quote = if *basic { '"' } else { '\'' };
                let shown = if hide {
                    "*".repeat(content.len())
                } else {
                    content.clone()
                };
                (
                    format!("{name} = {quote}{content}{quote} # {content}"),
                    format!("{name} = {quote}{shown}{quote} # {content}"),
                )
            }
            Line::Number(key, number) => {
                let (name, hide) = KEYS[*key];
                let written = number.to_string();
                let shown = if hide {
                    "*".repeat(written.len())
                } else {
                    written.clone()
                };
                (format!("{name} = {written}"), format!("{name} = {shown}"))
            }
            Line::Boolean(key, flag) => {
                let line = format!("{} = {flag}", KEYS[*key].0);
                (line.clone(), line)
            }
            Line::Comment(comment) => (format!("# {comment}"), format!("# {comment}")),
        };
        text.push_str(&written);
        text.push('\n');
        expected.push_str(&shown);
        expected.push('\n');
    }
    (text, expected)
}

proptest! {
    /// Masking changes exactly the string values on secret lines, nothing else.
    #[test]
    fn only_secret_values_change(lines in prop::collection::vec(line(), 0..20)) {
        let (text, expected) = file_and_expected(&lines);
        let masked = shown(&text);
        prop_assert_eq!(masked.len(), text.len());
        prop_assert_eq!(&masked, &expected);
    }

    /// Any text at all: same length, same line breaks, only `*` written, no panic.
    #[test]
    fn any_text_keeps_its_shape(text in "(?s)[\"'\\[\\]{}=#.,\\\\a-zA-Z_ \t\r\nä€😀0-9]{0,80}") {
        let masked = mask(&text);
        let shown = masked.text.clone().unwrap_or_else(|| text.clone());
        prop_assert_eq!(shown.len(), text.len());
        let mut previous_end = 0;
        for range in &masked.ranges {
            prop_assert!(range.start >= previous_end && range.start < range.end);
            prop_assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
            previous_end = range.end;
        }
        for (index, (old, new)) in text.bytes().zip(shown.bytes()).enumerate() {
            let inside = masked.ranges.iter().any(|range| range.contains(&index));
            if inside {
                prop_assert_eq!(new, b'*');
                prop_assert!(old != b'\n' && old != b'\r');
            } else {
                prop_assert_eq!(new, old);
            }
        }
    }
}

/// Keys as a file may write them: secret and open names, quoted, dotted.
fn written_key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "repo",
        "password",
        "RESTIC_PASSWORD",
        "RESTIC_PASSWORD_FILE",
        "\"api-token\"",
        "'db_secret'",
        "x.password",
        "tag",
        "\"pass\\u0077ord\"",
    ])
    .prop_map(str::to_owned)
}

/// Values as a file may write them: every kind of string, arrays, bare words.
fn written_value() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "\"plain\"",
        "\"rest:https://ann:hunter2@host/repo\"",
        "'s3://key:secret@example.com/b'",
        "\"\"\"\nline one\nrest:http://u:p@h/\n\"\"\"",
        "'''\nhunter2\n'''",
        "[\"a\", \"sftp://u:pw@h/x\", 'c']",
        "[\n  \"x\",\n  \"y\",\n]",
        "42",
        "true",
        "\"with \\\" escape # not a comment\"",
    ])
    .prop_map(str::to_owned)
}

proptest! {
    /// A value masked alone with its key shows exactly as it does in its whole file's
    /// masked copy, wherever it stands in the file.
    #[test]
    fn a_value_masked_alone_shows_as_in_its_file(
        pairs in prop::collection::vec((written_key(), written_value()), 1..12),
    ) {
        let mut text = String::from("# a config\n[home]\n");
        let mut ranges = Vec::new();
        for (index, (key, value)) in pairs.iter().enumerate() {
            if index % 4 == 3 {
                text.push_str(&format!("[home.c{index}]\n"));
            }
            text.push_str(key);
            text.push_str(" = ");
            ranges.push(text.len()..text.len() + value.len());
            text.push_str(value);
            text.push_str("  # note\n");
        }
        let masked = shown(&text);
        for ((key, value), range) in pairs.iter().zip(ranges) {
            prop_assert_eq!(shown_value(key, value), &masked[range]);
        }
    }
}
