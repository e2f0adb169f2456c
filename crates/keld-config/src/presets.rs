//! Preset names, the sections a preset applies, and which presets are runnable (docs/configuration.md).

use std::collections::{BTreeMap, BTreeSet};

use crate::tree::Table;
use crate::{PresetInfo, PresetKind, SectionLocation};

/// The kind of a top-level table name (never `global`).
pub(crate) fn kind_of(name: &str) -> PresetKind {
    match name.split_once('@') {
        None => PresetKind::Plain,
        Some((_, "")) => PresetKind::Prefix,
        Some(("", _)) => PresetKind::Suffix,
        Some(_) => PresetKind::Split,
    }
}

/// Top-level tables a preset applies, lowest priority first (after `global`):
/// `home@cloud` → `@cloud`, `home@`, `home@cloud`.
pub(crate) fn chain(preset: &str) -> Vec<String> {
    match preset.split_once('@') {
        None => vec![preset.to_owned()],
        Some((prefix, "")) => vec![format!("{prefix}@")],
        Some(("", suffix)) => vec![format!("@{suffix}")],
        Some((prefix, suffix)) => vec![
            format!("@{suffix}"),
            format!("{prefix}@"),
            preset.to_owned(),
        ],
    }
}

/// Every section path of a resolution, lowest priority first: each table of the
/// chain, followed by its command section.
pub(crate) fn section_paths(preset: Option<&str>, command: &str) -> Vec<Vec<String>> {
    let tables = std::iter::once("global".to_owned()).chain(preset.map(chain).unwrap_or_default());
    let mut paths = Vec::new();
    for table in tables {
        paths.push(vec![table.clone()]);
        if !command.is_empty() {
            paths.push(vec![table, command.to_owned()]);
        }
    }
    paths
}

/// The names of the top-level tables but `global`, sorted.
fn preset_names(root: Table<'_>) -> impl Iterator<Item = &str> {
    root.tables()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| *name != "global")
}

/// Runnable presets (plain, full split, prefix × suffix), sorted by name.
pub(crate) fn runnable(root: Table<'_>) -> Vec<String> {
    let mut names = BTreeSet::new();
    let (mut prefixes, mut suffixes) = (Vec::new(), Vec::new());
    for name in preset_names(root) {
        match kind_of(name) {
            PresetKind::Prefix => prefixes.push(name),
            PresetKind::Suffix => suffixes.push(name),
            _ => {
                names.insert(name.to_owned());
            }
        }
    }
    for prefix in &prefixes {
        for suffix in &suffixes {
            names.insert(format!("{prefix}{}", &suffix[1..]));
        }
    }
    names.into_iter().collect()
}

/// Every preset name with its kind and defining sections, sorted by name.
pub(crate) fn infos(root: Table<'_>) -> Vec<PresetInfo> {
    let mut infos: Vec<PresetInfo> = preset_names(root)
        .map(|name| {
            let kind = kind_of(name);
            PresetInfo {
                name: name.to_owned(),
                kind,
                runnable: !matches!(kind, PresetKind::Prefix | PresetKind::Suffix),
                sections: Vec::new(),
            }
        })
        .collect();
    let defined: BTreeSet<String> = infos.iter().map(|info| info.name.clone()).collect();
    for name in runnable(root) {
        if !defined.contains(&name) {
            infos.push(PresetInfo {
                name,
                kind: PresetKind::Combination,
                runnable: true,
                sections: Vec::new(),
            });
        }
    }
    // Locations per top-level table, computed once: combinations share their halves.
    let locations: BTreeMap<&str, Vec<SectionLocation>> = root
        .tables()
        .into_iter()
        .filter(|(name, _)| *name != "global")
        .map(|(name, table)| {
            let mut found = Vec::new();
            collect_locations(table, name, &mut found);
            (name, found)
        })
        .collect();
    for info in &mut infos {
        info.sections = chain(&info.name)
            .iter()
            .filter_map(|table| locations.get(table.as_str()))
            .flatten()
            .cloned()
            .collect();
    }
    infos.sort_by(|a, b| a.name.cmp(&b.name));
    infos
}

/// Where `table` (named `section`) and every table inside it (its command and `environ`
/// sections) are defined, the table itself first, then its sub-tables by name.
fn collect_locations(table: Table<'_>, section: &str, found: &mut Vec<SectionLocation>) {
    found.extend(table.headers().map(|header| SectionLocation {
        section: section.to_owned(),
        file: header.source.path().to_owned(),
        line: header.source.line_column(header.range.start).0,
    }));
    for (name, inner) in table.tables() {
        collect_locations(inner, &format!("{section}.{name}"), found);
    }
}

/// Preset names for an "unknown preset" message, nearest to `wanted` first.
pub(crate) fn nearest(root: Table<'_>, wanted: &str) -> Vec<String> {
    let mut names: Vec<String> = preset_names(root).map(str::to_owned).collect();
    names.extend(runnable(root));
    names.sort();
    names.dedup();
    names.sort_by(|a, b| {
        let (da, db) = (
            strsim::jaro_winkler(wanted, a),
            strsim::jaro_winkler(wanted, b),
        );
        db.total_cmp(&da).then_with(|| a.cmp(b))
    });
    names
}
