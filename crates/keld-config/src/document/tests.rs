//! The fast parse against the reference parse: for every file, both find a problem or
//! neither does, and files both accept make the same tree.

use std::fmt::Write as _;

use super::*;
use crate::effect::Effect;
use crate::tree::Table;

/// The tree as text: tables and keys sorted by name, with every header and definition.
fn dump(tree: &Tree) -> String {
    fn dump_table(out: &mut String, table: Table<'_>, path: &str) {
        let headers: Vec<String> = table
            .headers()
            .map(|span| format!("{}:{:?}", span.source.order(), span.range))
            .collect();
        writeln!(out, "[{path}] {}", headers.join(" ")).unwrap();
        for (name, definitions) in table.values() {
            for definition in definitions.iter() {
                writeln!(
                    out,
                    "  {name} = {:?} key {}:{:?} value {:?}",
                    definition.value(),
                    definition.order(),
                    definition.key().range,
                    definition.span().range,
                )
                .unwrap();
            }
        }
        for (name, inner) in table.tables() {
            dump_table(out, inner, &format!("{path}.{name}"));
        }
    }
    let mut out = String::new();
    dump_table(&mut out, tree.root(), "");
    out
}

type Outcome = Result<(String, Vec<Option<(String, Effect)>>), usize>;

fn sources(texts: &[&str]) -> Vec<SourceText> {
    texts
        .iter()
        .enumerate()
        .map(|(order, text)| {
            SourceText::new(order, format!("/c/{order}.toml").into(), (*text).to_owned())
        })
        .collect()
}

/// The files through the fast parse alone: `Err` names the first file it refuses.
fn fast(texts: &[&str]) -> Outcome {
    let mut tree = Tree::default();
    let mut runs = Vec::new();
    for (index, source) in sources(texts).into_iter().enumerate() {
        let read = parse(&source, &mut Buffers::default()).map_err(|()| index)?;
        let file = u32::try_from(index).unwrap();
        tree.sources.push(source.clone());
        let mut layer = Layer::new(&mut tree, source.raw_text(), file, true);
        layer.apply(&read).ok_or(index)?;
        runs.push(layer.runs().map(|runs| (runs.describe(), runs.effect)));
    }
    Ok((dump(&tree), runs))
}

/// The files through the reference parse.
fn reference(texts: &[&str]) -> Outcome {
    let mut tree = Tree::default();
    let mut runs = Vec::new();
    for (index, source) in sources(texts).into_iter().enumerate() {
        let table = legacy::parse(&source).map_err(|_| index)?;
        let found = add_legacy(&mut tree, source, &table, true);
        runs.push(found.map(|runs| (runs.describe(), runs.effect)));
    }
    Ok((dump(&tree), runs))
}

fn check(texts: &[&str]) {
    let fast = fast(texts);
    let reference = reference(texts);
    assert_eq!(fast, reference, "files: {texts:#?}");
    // And through `add_files`, which falls back to the reference parse.
    let mut tree = Tree::default();
    let mut runs = Vec::new();
    let judge = vec![true; texts.len()];
    let added = add_files(&mut tree, &sources(texts), &judge, |_, found| {
        runs.push(found.map(|found| (found.describe(), found.effect)));
        Ok(())
    })
    .map(|()| runs);
    match (added, reference) {
        (Ok(runs), Ok((dumped, expected))) => {
            assert_eq!((dump(&tree), runs), (dumped, expected), "files: {texts:#?}");
        }
        (Err(_), Err(_)) => {}
        (added, reference) => panic!("{texts:#?}: {added:?} vs {reference:?}"),
    }
}

#[test]
fn chosen_files() {
    let cases: &[&[&str]] = &[
        &["[global]\nrepo = \"/r\"\n[home]\ntag = [\"a\", \"b\"]\n"],
        &["[home.backup]\nx = 1\n[home]\ny = 2\n"],
        &["[home]\ny = 2\n[home.backup]\nx = 1\n"],
        &["[home]\n[home]\n"],
        &["[home.backup]\n[home.backup]\n"],
        &["[home.backup]\n[home]\n[home]\n"],
        &["[home]\nbackup = 1\n[home.backup]\n"],
        &["[home.backup]\nx = 1\n[home]\nbackup = 2\n"],
        &["[home]\nbackup.x = 1\nbackup.y = 2\n"],
        &["[home]\nbackup.x = 1\n[home.backup]\n"],
        &["[home]\nbackup.x = 1\n[home.backup.environ]\nA = \"1\"\n"],
        &["[home.backup.environ]\nA = \"1\"\n[home]\nbackup.x = 1\n"],
        &["[home.backup]\n[home]\nbackup.x = 1\n"],
        &["home.repo = \"x\"\n[home.backup]\nx = 1\n"],
        &["home.repo = \"x\"\n[home]\n"],
        &["repo = \"x\"\n"],
        &["[home]\nenviron.A = \"1\"\nenviron.B = 2\n"],
        &["[home]\nenviron.A = [\"1\"]\n"],
        &["[home.environ.more]\n"],
        &["[home.backup.extra]\n"],
        &["[home.backup.environ.x]\n"],
        &["[home]\na.b.c = 1\n"],
        &["[\"a@b@c\"]\n"],
        &["[\"\"]\n"],
        &["[\"@\"]\n"],
        &["[\"home@\"]\nx = 1\n[\"@cloud\"]\ny = 2\n[\"home@cloud\".backup]\nz = 3\n"],
        &["[ home . backup ]\nx = 1\n[ 'home' ]\ny = 2\n"],
        &["[home]\n\"quoted key\" = 1\n'lit' = 2\n\"esc\\u0041\" = 3\n"],
        &["[home]\nx = \"\"\"\nline\n\"\"\"\ny = '''\nraw\\n'''\nz = 'lit'\nw = \"a\\tb\"\n"],
        &["[home]\nx = 1.5\ny = -0.0\nz = inf\nw = nan\nv = 1e400\n"],
        &["[home]\nx = 0x1F\ny = 0o17\nz = 0b101\nw = 1_000\nv = 99999999999999999999\n"],
        &["[home]\nx = 1979-05-27\n"],
        &["[home]\nx = {a = 1}\n"],
        &["[home]\nx = [1, \"a\"]\n"],
        &["[home]\nx = [1, 2.0]\n"],
        &["[home]\nx = [true]\n"],
        &["[home]\nx = [[1]]\n"],
        &["[home]\nx = [{a = 1}]\n"],
        &["[home]\nx = []\n_arguments = []\n_pre_hooks = []\n"],
        &["[home]\nx = [\n  1, # one\n  2,\n]\n"],
        &["[[home]]\n"],
        &["[home]\n[[home.backup]]\n"],
        &["[home]\n_workdir = 1\n"],
        &["[home]\n_arguments = \"a b\"\n_command = \"backup\"\n_workdir = \"/w\"\n"],
        &["[home]\n_arguments = [1]\n"],
        &["[home]\n_pre_hooks = \"x\"\n"],
        &["[home]\n_nope = 1\n"],
        &["[home.environ]\n_nope = 1\n"],
        &["[home]\nx = 1\nx = 2\n"],
        &["[home]\nx = 1 # comment\n# comment\r\ny = 2\r\n"],
        &["[home]\nx = 1\r"],
        &["[home]\nx = \"a\" \"b\"\n"],
        &["[home]\nx =\n"],
        &["[home\n"],
        &["\u{feff}[home]\nx = 1\n"],
        &["[home]\na+b = 1\n"],
        &["[home]\n\u{e4} = 1\n"],
        &["[h\u{f6}me]\n"],
        &["[home]\n1.5 = 2\n-_- = 3\ntrue = 4\ninf = 5\n"],
        &["[home]\na$ = 1\n"],
        &["[home]\nx = \"tab\there\"\ny = 'back\\slash'\nz = \"\u{e9}\u{1F600}\"\n"],
        &["[home]\nx = \"\u{1}\"\n"],
        &["[home]\nx = '\u{7f}'\n"],
        &["[home]\nx = \"a\\\"b\"\ny = \"\\\\\"\nz = ''\nw = \"\"\n"],
        &["[home]\nx = \"a\\x\"\n"],
        &["[home.\"\"]\n"],
        &["[home]\nx = \"\u{7f}\"\n"],
        &["[home]\n# \u{0}\n"],
        // Layering across files.
        &["[home]\nx = 1\n", "[home]\nx = 2\n"],
        &["[home]\nx = 1\n", "[home.x]\ny = 2\n", "[home]\nx = 3\n"],
        &[
            "[home.backup]\nx = 1\n",
            "[home]\nbackup = 2\n",
            "[home.backup]\ny = 3\n",
        ],
        &["[home]\nx = 1\n", "[home]\nx = 2\nx = 3\n"],
        &["[home]\nx = 1\n", "[home]\n[home]\n"],
        &["[a]\n[b]\n", "[b.backup]\n[a]\n", "[\"x@\"]\n"],
        // What runs commands.
        &["[home]\n_workdir = \"/w\"\n[a.backup]\n_pre_hooks = [\"x\"]\n"],
        &["[home]\n_pre_hooks = []\n_post_hooks = [\"y\"]\n"],
        &["[home]\noption = [\"s3.region=x\", \"sftp.command=ssh\"]\n"],
        &["[home]\no = \"rclone.program=x\"\n[home.environ]\nPATH = \"/bin\"\n"],
        &["[home.environ]\nFOO_COMMAND = \"x\"\n[a.backup.environ]\nLD_PRELOAD = \"y\"\n"],
        &["[environ]\nPATH = \"/bin\"\n"],
        &[
            "[home]\npassword-command = \"x\"\n",
            "[home]\nfrom-password-command = \"y\"\n",
        ],
        // What else a file others can write may not set.
        &["[home]\ntag = \"a\"\nrepo = \"/r\"\n"],
        &["[home]\npassword-command = false\nexclude = []\n"],
        &["[home.backup]\nstdin-from-command = true\n"],
        &["[home]\no = \"${stash.x}\"\n[stash]\ntag = \"sftp.command=x\"\n"],
        &["[home]\no = 5\n"],
        &["[home]\nfrobnicate = 1\n"],
        &["[home.restore]\nt = \"/\"\n"],
        &["[home.mount]\nallow-other = true\n"],
        &["[home.backup]\n_metrics_dir = \"/x\"\n_webhook = \"https://h/\"\n"],
        &["[home.backup]\n_schedule = \"daily\"\n[home]\n_lock = false\n"],
        &["[home]\n_success_exit_codes = [3]\n_hook_timeout = \"1m\"\n"],
        &["[home.environ]\nAWS_ACCESS_KEY_ID = \"x\"\nRCLONE_CONFIG = \"y\"\n"],
        &["[home.environ]\nRESTIC_REPOSITORY = \"x\"\n"],
        // Key names that cannot be a flag's or a variable's.
        &["[home]\n\"password-command=touch /tmp/x\" = true\n"],
        &["[home]\n'o=sftp.command=x' = true\n"],
        &["[home]\n\"\" = 1\n"],
        &["[home]\n'' = 1\n"],
        &["[home]\n\"a b\" = 1\n"],
        &["[home]\n\"a\\tb\" = 1\n"],
        &["[home]\n\"a\\u0001b\" = 1\n"],
        &["[home]\n\"a\\u007fb\" = 1\n"],
        &["[home]\n\"x\\u00a0\" = 1\n"],
        &["[home]\n\"x\\u2028\" = 1\n"],
        &["[home]\n\"\\u0085\" = 1\n"],
        &["[home.environ]\n\"A=B\" = \"1\"\n"],
        &["[home.backup.environ]\n\" PATH\" = \"1\"\n"],
        &["[home]\nbackup.\"a=b\" = 1\n"],
        &["[home]\n\"_pre hooks\" = []\n"],
        &["[home]\n\"\u{e9}t\u{e9}\" = 1\n\"-x-\" = 2\n\"a.b\" = 3\n"],
        &["[\"home x\"]\ny = 1\n[\"home x\".\"back up\"]\nz = 2\n"],
        &["[home]\nx = 1\n", "[home]\n\"x=1\" = true\n"],
        // `_command` names a restic command.
        &["[home]\n_command = \"--password-command=touch /tmp/x\"\n"],
        &["[home]\n_command = \"backup --password-command=x\"\n"],
        &["[home]\n_command = \"nightly\"\n"],
        &["[home]\n_command = \"\"\n[home.forget]\n_command = \"forget\"\n"],
        &["[home]\n_command = \"${global.c}\"\n"],
        &["[home]\n_command = 'self-update'\n"],
        &["[home]\n_command = [\"backup\"]\n"],
    ];
    for texts in cases {
        check(texts);
    }
}

/// Brackets nested tens of thousands deep: both parses refuse the file without
/// following them (the fast one does not enter a value keld does not take; the
/// reference one stops at `toml_edit`'s recursion limit).
#[test]
fn deeply_nested_files() {
    let texts = [
        format!("[home]\nx = {}\n", "[".repeat(70_000)),
        format!("[home]\nx = {}{}\n", "[".repeat(70_000), "]".repeat(70_000)),
        format!("[home]\nx = {}\n", "{a=".repeat(100_000)),
        format!("[home]\nx = [{}\n", "{a=[".repeat(40_000)),
        format!("[home]\nx = [1, {}]\n", "[".repeat(70_000)),
        format!("{}\n", "[".repeat(70_000)),
        format!("[[{}\n", "[".repeat(70_000)),
        "[home]\nx = [[[[[[[[1]]]]]]]]\n".to_owned(),
    ];
    for text in &texts {
        check(&[text]);
        assert!(reference(&[text]).is_err());
    }
}

/// xorshift64*: small, deterministic.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        usize::try_from(self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64).unwrap()
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Random files of lines made from a few names, so that they collide often.
#[test]
fn random_files() {
    const TABLES: &[&str] = &[
        "a",
        "b",
        "\"a\"",
        "global",
        "environ",
        "a.backup",
        "a.environ",
        "b.backup",
        "a.backup.environ",
        "a.x.y",
        "\"p@\"",
        "\"@s\"",
        "\"p@s\"",
        "a.b.c.d",
        "a . backup",
    ];
    const KEYS: &[&str] = &[
        "x",
        "y",
        "backup",
        "environ",
        "_workdir",
        "_pre_hooks",
        "_arguments",
        "_zz",
        "_command",
        "\"a=b\"",
        "\"\"",
        "\"a b\"",
        "PATH",
        "X_COMMAND",
        "option",
        "backup.x",
        "environ.X",
        "backup.environ.X",
        "x.y",
        "\"x\"",
        "'y'",
    ];
    const VALUES: &[&str] = &[
        "1",
        "\"s\"",
        "'lit'",
        "true",
        "1.5",
        "[\"a\", \"b\"]",
        "[]",
        "[1, 2]",
        "[1, \"a\"]",
        "[true]",
        "{ a = 1 }",
        "1979-05-27",
        "\"sftp.command=x\"",
        "\"\"\"\nml\n\"\"\"",
        "[\n\"a\", # c\n]",
        "\"a\\nb\"",
        "[[1]]",
        "0x10",
        "inf",
        "\"backup\"",
        "\"--repo=x\"",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..4000 {
        let files = 1 + rng.below(3);
        let texts: Vec<String> = (0..files)
            .map(|_| {
                let mut text = String::new();
                for _ in 0..rng.below(7) {
                    match rng.below(10) {
                        0..=2 => writeln!(text, "[{}]", rng.pick(TABLES)).unwrap(),
                        3 => writeln!(text, "[[{}]]", rng.pick(TABLES)).unwrap(),
                        4 => text.push_str("# comment\n"),
                        _ => writeln!(text, "{} = {}", rng.pick(KEYS), rng.pick(VALUES)).unwrap(),
                    }
                }
                text
            })
            .collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        check(&texts);
    }
}

/// Files large enough to be read on several threads (when there are cores for them).
fn large_files(broken: &[usize]) -> Vec<String> {
    let mut texts = vec![String::new(); 24];
    for n in 0..600 {
        let file = n % texts.len();
        write!(
            texts[file],
            "[p{n}]\ntag = [\"{n}\", \"t\"]\n_workdir = \"/w{n}\"\n[p{n}.environ]\nB2_ACCOUNT_KEY = \"k{n}\"\n"
        )
        .unwrap();
        for command in ["backup", "check"] {
            let file = (n + 1) % texts.len();
            write!(
                texts[file],
                "[p{n}.{command}]\nexclude = \"\"\"\n*.tmp\n\"\"\"\nverbose = 2\n"
            )
            .unwrap();
        }
    }
    for &file in broken {
        texts[file].push_str("[dup]\n[dup]\n");
    }
    texts
}

#[test]
fn files_read_on_several_threads_layer_in_order() {
    let texts = large_files(&[]);
    assert!(texts.iter().map(String::len).sum::<usize>() > PARALLEL_BYTES);
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    check(&texts);
}

#[test]
fn the_first_file_with_a_problem_is_reported() {
    let texts = large_files(&[7, 3, 19]);
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut layered = Vec::new();
    let error = add_files(&mut Tree::default(), &sources(&texts), &[], |index, _| {
        layered.push(index);
        Ok(())
    })
    .unwrap_err();
    assert!(format!("{error:?}").contains("/c/3.toml"), "{error:?}");
    assert_eq!(layered, [0, 1, 2]);
}

/// Names written as they read are kept as places in the file, not copied.
#[test]
fn names_written_plainly_are_not_copied() {
    let source = &sources(&["[home]\nx = 1\n\"q\" = 2\n'l' = 3\n\"e\\u0041\" = 4\n"])[0];
    let read = parse(source, &mut Buffers::default()).unwrap();
    let names: Vec<(&str, bool)> = read
        .parts
        .iter()
        .map(|part| {
            let written = matches!(part.name, Name::Written(..));
            (read.name(source.raw_text(), part.name), written)
        })
        .collect();
    assert_eq!(
        names,
        [
            ("home", true),
            ("x", true),
            ("q", true),
            ("l", true),
            ("eA", false)
        ]
    );
}
