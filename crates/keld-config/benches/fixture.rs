//! The 50-file benchmark config: 50 files, 4,000 sections, 1,000 presets.
//!
//! One generator for every measurement of a large config: keld-config's benchmark
//! (`benches/resolve.rs`, `mod fixture;`) parses it from memory, and `cargo xtask
//! bench` (`#[path]` to this file) writes it to disk and times the real `keld` on it.
//!
//! There are 800 plain presets `pN`, 100 prefixes `whatN@` and 100 suffixes `@whereN`
//! (10,000 prefix × suffix combinations). Each preset has its own table, an `environ`
//! table with a `_COMMAND` variable, and three command sections (`backup`, `forget`,
//! `check`) with a pre-hook, spread over other files, so merging, file precedence,
//! interpolation (`${global.base}`), multi-line values, `~` expansion and counting
//! flags are all exercised. Every file defines hooks and `_COMMAND`s, so every file is
//! checked for permissions when keld reads it from disk.

/// How many files the config is spread over.
pub(crate) const FILES: usize = 50;
/// Plain presets; the halves are added on top so the total is 1,000.
const PLAIN: usize = 800;
const PREFIXES: usize = 100;
const SUFFIXES: usize = 100;
const COMMANDS: [&str; 3] = ["backup", "forget", "check"];

/// The name of file `n` (of [`FILES`]): `00.toml` .. `49.toml`, so a `conf.d` sorts
/// them in the order [`texts`] gives them.
pub(crate) fn file_name(n: usize) -> String {
    format!("{n:02}.toml")
}

/// The texts of the [`FILES`] files, lowest priority first.
///
/// The presets named in `quiet` (as written in `-p`: `what99@`, `@where3`, `p7`)
/// start nothing when they run: their `environ` table has a plain variable where the
/// others have `B2_ACCOUNT_KEY_COMMAND = "pass show b2/N"` (it is
/// `B2_ACCOUNT_KEY_FILE = "/run/keys/b2/N"`), and their command sections have
/// `_pre_hooks = []` where the others have `_pre_hooks = ["echo pre N"]`. Every
/// other line is the same, so the config keeps its size and shape, and every file
/// still holds hooks and `_COMMAND`s of other presets.
pub(crate) fn texts(quiet: &[&str]) -> Vec<String> {
    let mut texts = vec![String::new(); FILES];
    texts[0].push_str(
        "[global]\nrepo = \"/srv/restic\"\nbase = \"/data\"\n[global.environ]\n\
         RESTIC_CACHE_DIR = \"~/.cache/restic\"\n",
    );
    let names = (0..PLAIN)
        .map(|n| format!("p{n}"))
        .chain((0..PREFIXES).map(|n| format!("what{n}@")))
        .chain((0..SUFFIXES).map(|n| format!("@where{n}")));
    for (index, name) in names.enumerate() {
        let runs = !quiet.contains(&name.as_str());
        // A name with `@` must be quoted as a TOML key.
        let name = if name.contains('@') {
            format!("\"{name}\"")
        } else {
            name
        };
        let key = if runs {
            format!("B2_ACCOUNT_KEY_COMMAND = \"pass show b2/{index}\"")
        } else {
            format!("B2_ACCOUNT_KEY_FILE = \"/run/keys/b2/{index}\"")
        };
        let table = &mut texts[index % FILES];
        table.push_str(&format!(
            "[{name}]\ntag = [\"{index}\", \"t\"]\npassword-file = \"${{global.base}}/pass-{index}\"\n\
             _workdir = \"~/w{index}\"\n[{name}.environ]\nB2_ACCOUNT_ID = \"id{index}\"\n{key}\n"
        ));
        let hooks = if runs {
            format!("[\"echo pre {index}\"]")
        } else {
            "[]".to_owned()
        };
        for (offset, command) in COMMANDS.iter().enumerate() {
            let file = &mut texts[(index + offset + 1) % FILES];
            file.push_str(&format!(
                "[{name}.{command}]\nexclude = \"\"\"\n*.tmp\n*.cache\n\"\"\"\nhost = \"h{index}\"\n\
                 one-file-system = true\nverbose = 2\n_arguments = [\"/home/{index}\", \"~/x\"]\n\
                 _pre_hooks = {hooks}\n"
            ));
        }
    }
    texts
}
