//! Relative links in the READMEs point at files that exist.

use std::fs;

use super::repo_root;

/// Relative link targets in a Markdown file: the `path` of every `[text](path)`.
fn relative_links(markdown: &str) -> Vec<String> {
    markdown
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(target, _)| target))
        .filter(|target| !target.contains("://") && !target.starts_with('#'))
        .map(|target| target.split('#').next().unwrap_or(target).to_owned())
        .collect()
}

#[test]
fn readmes_link_only_to_files_that_exist() {
    for page in ["README.md", "examples/README.md", "docs/README.md"] {
        let path = repo_root().join(page);
        let text = fs::read_to_string(&path).expect("read page");
        let links = relative_links(&text);
        assert!(!links.is_empty(), "{page}: no links found");
        let base = path.parent().expect("page directory");
        let broken: Vec<&String> = links
            .iter()
            .filter(|link| !base.join(link).exists())
            .collect();
        assert!(
            broken.is_empty(),
            "{page} links to missing files: {broken:?}"
        );
    }
}
