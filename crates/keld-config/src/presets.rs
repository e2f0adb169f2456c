//! Preset names, the sections a preset applies, and which presets are runnable
//! (docs/configuration.md).
//!
//! Split presets combine every prefix half (`home@`) with every suffix half (`@nas`),
//! so a config with a thousand of each has a million runnable presets. Nothing here
//! spells the combinations out unless asked to ([`Presets::combinations`] is lazy):
//! listing, counting, completing and choosing a default cost time and memory in
//! proportion to the sections, not their product.

mod listing;

use std::collections::BTreeMap;

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

/// The presets a config defines, and how its split halves combine.
///
/// ```
/// use keld_config::{Config, Source};
///
/// let config = Config::from_sources([Source {
///     path: "keld.toml".into(),
///     text: "[work]\n[\"home@\"]\n[\"db@\"]\n[\"@nas\"]\n[\"@usb\"]\n".into(),
/// }])?;
/// let presets = config.presets();
/// assert_eq!(presets.defined().len(), 5);
/// assert_eq!(presets.combination_count(), 4);
/// assert_eq!(presets.runnable_count(), 5);
/// let names: Vec<String> = presets.runnable_names().collect();
/// assert_eq!(names, ["db@nas", "db@usb", "home@nas", "home@usb", "work"]);
/// assert_eq!(presets.complete("home@"), ["home@", "home@nas", "home@usb"]);
/// assert_eq!(presets.complete("d"), ["db@", "db@nas", "db@usb"]);
/// # Ok::<(), keld_config::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Presets {
    /// Every top-level table but `global`, sorted by name, with its sections.
    defined: Vec<PresetInfo>,
    /// Indices into `defined` of the prefix halves, by name.
    prefixes: Vec<usize>,
    /// Indices into `defined` of the suffix halves, by name.
    suffixes: Vec<usize>,
}

impl Presets {
    /// The presets from the merged tables.
    pub(crate) fn of(root: Table<'_>) -> Self {
        let mut defined: Vec<PresetInfo> = root
            .tables()
            .into_iter()
            .filter(|(name, _)| *name != "global")
            .map(|(name, table)| {
                let kind = kind_of(name);
                let mut sections = Vec::new();
                collect_locations(table, name, &mut sections);
                PresetInfo {
                    name: name.to_owned(),
                    kind,
                    runnable: !matches!(kind, PresetKind::Prefix | PresetKind::Suffix),
                    sections,
                }
            })
            .collect();
        defined.sort_by(|a, b| a.name.cmp(&b.name));
        let indices = |kind: PresetKind| -> Vec<usize> {
            (0..defined.len())
                .filter(|&index| defined[index].kind == kind)
                .collect()
        };
        let prefixes = indices(PresetKind::Prefix);
        let suffixes = indices(PresetKind::Suffix);
        // A full split preset's sections come after those of its halves, as a
        // resolution applies them.
        let splits: Vec<usize> = (0..defined.len())
            .filter(|&index| defined[index].kind == PresetKind::Split)
            .collect();
        if !splits.is_empty() {
            let by_name: BTreeMap<String, Vec<SectionLocation>> = defined
                .iter()
                .map(|info| (info.name.clone(), info.sections.clone()))
                .collect();
            for index in splits {
                let info = &mut defined[index];
                info.sections = chain(&info.name)
                    .iter()
                    .filter_map(|table| by_name.get(table))
                    .flatten()
                    .cloned()
                    .collect();
            }
        }
        Self {
            defined,
            prefixes,
            suffixes,
        }
    }

    /// Every preset and half the config defines as a table of its own (plain, split,
    /// prefix, suffix), sorted by name. Combinations are not among them.
    pub fn defined(&self) -> &[PresetInfo] {
        &self.defined
    }

    /// Whether the config defines no preset at all.
    pub fn is_empty(&self) -> bool {
        self.defined.is_empty()
    }

    /// The prefix halves (`home@`), sorted by name.
    pub fn prefixes(&self) -> impl Iterator<Item = &PresetInfo> {
        self.prefixes.iter().map(|&index| &self.defined[index])
    }

    /// The suffix halves (`@nas`), sorted by name.
    pub fn suffixes(&self) -> impl Iterator<Item = &PresetInfo> {
        self.suffixes.iter().map(|&index| &self.defined[index])
    }

    /// The name a prefix and a suffix form: `home@` and `@nas` → `home@nas`.
    fn combine(prefix: &str, suffix: &str) -> String {
        format!("{prefix}{}", &suffix[1..])
    }

    /// Whether `name` is defined as a table of its own.
    fn is_defined(&self, name: &str) -> bool {
        self.defined
            .binary_search_by(|info| info.name.as_str().cmp(name))
            .is_ok()
    }

    /// How many prefix × suffix combinations there are that are not also defined as
    /// a table of their own (those are counted among [`Presets::defined`]).
    pub fn combination_count(&self) -> usize {
        let defined_splits = self
            .defined
            .iter()
            .filter(|info| {
                info.kind == PresetKind::Split
                    && info.name.split_once('@').is_some_and(|(prefix, suffix)| {
                        self.is_defined(&format!("{prefix}@"))
                            && self.is_defined(&format!("@{suffix}"))
                    })
            })
            .count();
        self.prefixes.len() * self.suffixes.len() - defined_splits
    }

    /// The combinations (those not defined as a table of their own), in name order,
    /// made one at a time, each with the sections of its halves.
    pub fn combinations(&self) -> impl Iterator<Item = PresetInfo> + '_ {
        self.prefixes().flat_map(move |prefix| {
            self.suffixes().filter_map(move |suffix| {
                let name = Self::combine(&prefix.name, &suffix.name);
                (!self.is_defined(&name)).then(|| combination(name, prefix, suffix))
            })
        })
    }

    /// How many runnable presets there are: plain and full split presets, and the
    /// combinations.
    pub fn runnable_count(&self) -> usize {
        self.defined.iter().filter(|info| info.runnable).count() + self.combination_count()
    }

    /// Every preset, the defined ones and the combinations, sorted by name, made one
    /// at a time (a million combinations never sit in memory together).
    pub fn all(&self) -> impl Iterator<Item = PresetInfo> + '_ {
        // Combinations come out sorted (prefix, then suffix); merge the defined
        // presets into them.
        let mut defined = self.defined.iter().peekable();
        let mut combinations = self.combinations().peekable();
        std::iter::from_fn(move || match (defined.peek(), combinations.peek()) {
            (Some(a), Some(b)) if a.name <= b.name => defined.next().cloned(),
            (_, Some(_)) => combinations.next(),
            (Some(_), None) => defined.next().cloned(),
            (None, None) => None,
        })
    }

    /// Every runnable preset's name, sorted, made one at a time.
    pub fn runnable_names(&self) -> impl Iterator<Item = String> + '_ {
        self.all()
            .filter(|info| info.runnable)
            .map(|info| info.name)
    }

    /// The sections of preset `name`, whatever its kind (a combination's too).
    pub fn info(&self, name: &str) -> Option<PresetInfo> {
        if let Ok(index) = self
            .defined
            .binary_search_by(|info| info.name.as_str().cmp(name))
        {
            return Some(self.defined[index].clone());
        }
        let (prefix, suffix) = name.split_once('@')?;
        let (prefix, suffix) = (format!("{prefix}@"), format!("@{suffix}"));
        let find = |half: &str| {
            self.defined
                .binary_search_by(|info| info.name.as_str().cmp(half))
                .ok()
                .map(|index| &self.defined[index])
        };
        Some(combination(name.to_owned(), find(&prefix)?, find(&suffix)?))
    }

    /// Shell completion for `--preset`: the runnable names and halves that start with
    /// `partial`, sorted. With at most [`Presets::COMPLETED_COMBINATIONS`]
    /// combinations they are all candidates; with more, a combination is offered
    /// only once its whole prefix is typed (`home@` then TAB), so the answer stays
    /// about as long as the config.
    pub fn complete(&self, partial: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .defined
            .iter()
            .filter(|info| info.name.starts_with(partial))
            .map(|info| info.name.clone())
            .collect();
        if self.combination_count() <= Self::COMPLETED_COMBINATIONS {
            names.extend(
                self.combinations()
                    .map(|info| info.name)
                    .filter(|name| name.starts_with(partial)),
            );
        } else if let Some((prefix, typed_suffix)) = partial.split_once('@')
            && !prefix.is_empty()
            && self.is_defined(&format!("{prefix}@"))
        {
            names.extend(
                self.suffixes()
                    .filter(|suffix| suffix.name[1..].starts_with(typed_suffix))
                    .map(|suffix| Self::combine(&format!("{prefix}@"), &suffix.name)),
            );
        }
        names.sort();
        names.dedup();
        names
    }

    /// Up to this many combinations, [`Presets::complete`] offers them all.
    pub const COMPLETED_COMBINATIONS: usize = 200;

    /// Names for an "unknown preset" message, nearest to `wanted` first, at most
    /// `count`: the defined names, and the combinations of the three halves nearest
    /// to each part of `prefix@suffix`.
    pub(crate) fn nearest(&self, wanted: &str, count: usize) -> Vec<String> {
        let similarity = |name: &str| strsim::jaro_winkler(wanted, name);
        let mut candidates: Vec<String> =
            self.defined.iter().map(|info| info.name.clone()).collect();
        // Combinations are too many to rank them all: take those of the halves
        // nearest to each part of the name (or to the whole name, without an `@`).
        let (prefix, suffix) = wanted.split_once('@').unwrap_or((wanted, wanted));
        let best = |halves: Vec<&PresetInfo>, part: &str| -> Vec<String> {
            let mut halves: Vec<(f64, &str)> = halves
                .into_iter()
                .map(|half| (strsim::jaro_winkler(part, &half.name), half.name.as_str()))
                .collect();
            halves.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
            halves
                .into_iter()
                .take(3)
                .map(|(_, name)| name.to_owned())
                .collect()
        };
        for prefix in best(self.prefixes().collect(), &format!("{prefix}@")) {
            for suffix in best(self.suffixes().collect(), &format!("@{suffix}")) {
                candidates.push(Self::combine(&prefix, &suffix));
            }
        }
        candidates.sort();
        candidates.dedup();
        candidates.sort_by(|a, b| {
            similarity(b)
                .total_cmp(&similarity(a))
                .then_with(|| a.cmp(b))
        });
        candidates.truncate(count);
        candidates
    }
}

/// The combination `name` of `prefix` and `suffix`: the suffix's sections, then the
/// prefix's, as a resolution applies them.
fn combination(name: String, prefix: &PresetInfo, suffix: &PresetInfo) -> PresetInfo {
    PresetInfo {
        name,
        kind: PresetKind::Combination,
        runnable: true,
        sections: suffix
            .sections
            .iter()
            .chain(&prefix.sections)
            .cloned()
            .collect(),
    }
}

/// Where `table` (named `section`) and every table inside it (its command and `environ`
/// sections) are defined, the table itself first, then its sub-tables by name.
fn collect_locations(table: Table<'_>, section: &str, found: &mut Vec<SectionLocation>) {
    found.extend(table.headers().map(|header| SectionLocation {
        section: section.to_owned(),
        file: header.source.path().to_owned(),
        line: header.source.line_column(header.range.start).0,
    }));
    let mut inner_section = String::with_capacity(section.len() + 16);
    for (name, inner) in table.tables() {
        inner_section.clear();
        inner_section.push_str(section);
        inner_section.push('.');
        inner_section.push_str(name);
        collect_locations(inner, &inner_section, found);
    }
}

#[cfg(test)]
mod tests {
    use crate::{Config, Source};

    fn presets(text: &str) -> super::Presets {
        Config::from_sources([Source {
            path: "/c.toml".into(),
            text: text.to_owned(),
        }])
        .unwrap()
        .presets()
    }

    #[test]
    fn a_defined_split_preset_is_not_a_combination_too() {
        let presets = presets("[\"home@\"]\n[\"@nas\"]\n[\"@usb\"]\n[\"home@nas\".backup]\n[x]\n");
        assert_eq!(presets.combination_count(), 1);
        let names: Vec<String> = presets.runnable_names().collect();
        assert_eq!(names, ["home@nas", "home@usb", "x"]);
        let info = presets.info("home@usb").unwrap();
        assert_eq!(info.kind, crate::PresetKind::Combination);
        let sections: Vec<&str> = info.sections.iter().map(|s| s.section.as_str()).collect();
        assert_eq!(sections, ["@usb", "home@"]);
        assert!(presets.info("nope@usb").is_none());
    }

    #[test]
    fn a_thousand_halves_each_cost_nothing_until_asked() {
        let mut text = String::new();
        for n in 0..1000 {
            text.push_str(&format!("[\"p{n}@\"]\n[\"@s{n}\"]\n"));
        }
        let presets = presets(&text);
        assert_eq!(presets.combination_count(), 1_000_000);
        assert_eq!(presets.runnable_count(), 1_000_000);
        assert_eq!(presets.complete("p7@s99").len(), 11, "s99, s990..s999");
        assert_eq!(presets.runnable_names().nth(1), Some("p0@s1".to_owned()));
        let near = presets.nearest("p7@s9x", 5);
        assert_eq!(near.len(), 5);
        assert_eq!(near[0], "p7@s9", "{near:?}");
        assert!(
            near.iter()
                .all(|name| name.starts_with("p7") && name.contains("@s9")),
            "{near:?}"
        );
    }
}
