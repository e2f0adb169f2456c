//! Parsing, expansion and selection of snapshot file trees.

use super::*;

fn names(tree: &FileTree) -> Vec<String> {
    tree.rows()
        .iter()
        .map(|&row| {
            let view = tree.row_view(row);
            format!("{}{}", "  ".repeat(view.depth.into()), view.name)
        })
        .collect()
}

#[test]
fn lone_directories_open_and_cursor_lands_on_the_first_choice() {
    let tree = FileTree::parse(SAMPLE_LISTING).expect("valid listing");
    assert_eq!(tree.len(), 9);
    assert_eq!(names(&tree), ["rr", "  src", "    a", "    c"]);
    assert_eq!(tree.cursor(), 2, "on `a`");
}

#[test]
fn expand_and_collapse_only_touch_visible_rows() {
    let mut tree = FileTree::parse(SAMPLE_LISTING).expect("valid listing");
    tree.expand();
    assert_eq!(
        names(&tree),
        [
            "rr",
            "  src",
            "    a",
            "      b",
            "      link",
            "      x.txt",
            "    c"
        ]
    );
    tree.move_cursor(1);
    tree.expand();
    assert_eq!(names(&tree)[4], "        y.txt");
    // Left on a file goes to its parent; Left again closes it.
    tree.move_cursor(1);
    tree.collapse();
    assert_eq!(tree.row_view(tree.rows()[tree.cursor()]).name, "b");
    tree.collapse();
    assert_eq!(names(&tree).len(), 7);
    // Closing `a` hides an open `b`; opening `a` again shows `b` still open.
    tree.expand();
    assert_eq!(names(&tree).len(), 8);
    tree.move_cursor(-1);
    tree.collapse();
    assert_eq!(names(&tree), ["rr", "  src", "    a", "    c"]);
    tree.expand();
    assert_eq!(names(&tree).len(), 8, "b kept its open state");
    assert_eq!(names(&tree)[4], "        y.txt");
}

#[test]
fn tri_state_and_minimal_includes() {
    let mut tree = FileTree::parse(SAMPLE_LISTING).expect("valid listing");
    assert_eq!(tree.selection(), Selection::Nothing);
    tree.expand(); // open a
    tree.move_cursor(2); // link
    tree.toggle();
    let rr = tree.rows()[0].node;
    let a = tree.rows()[2].node;
    assert_eq!(tree.check(a), Check::Partial);
    assert_eq!(tree.check(rr), Check::Partial);
    assert_eq!(
        tree.selection(),
        Selection::Paths(vec!["/rr/src/a/link".into()])
    );
    // Selecting the rest of `a` collapses the includes into `/rr/src/a`.
    tree.move_cursor(-1); // b
    tree.toggle();
    tree.move_cursor(2); // x.txt
    tree.toggle();
    assert_eq!(tree.check(a), Check::All);
    assert_eq!(tree.selection(), Selection::Paths(vec!["/rr/src/a".into()]));
    // Adding `c` selects everything: a full restore.
    tree.move_cursor(1);
    tree.toggle();
    assert_eq!(tree.selection(), Selection::Everything);
    // Space on a fully selected directory clears it.
    tree.move_cursor(-4); // a
    tree.toggle();
    assert_eq!(tree.check(a), Check::None);
    assert_eq!(tree.selection(), Selection::Paths(vec!["/rr/src/c".into()]));
}

#[test]
fn toggle_all_selects_then_clears() {
    let mut tree = FileTree::parse(SAMPLE_LISTING).expect("valid listing");
    tree.toggle_all();
    assert_eq!(tree.selection(), Selection::Everything);
    tree.toggle_all();
    assert_eq!(tree.selection(), Selection::Nothing);
}

#[test]
fn missing_parents_are_made_up_and_filled_in_later() {
    let listing = concat!(
        r#"{"name":"f","type":"file","path":"/x/y/f","size":1}"#,
        "\n",
        r#"{"name":"y","type":"dir","path":"/x/y"}"#,
        "\n",
        r#"{"name":"empty","type":"dir","path":"/x/empty"}"#,
        "\n",
    );
    let mut tree = FileTree::parse(listing).expect("valid listing");
    assert_eq!(names(&tree), ["x", "  y", "  empty"]);
    tree.cursor_to_end(true);
    tree.toggle();
    assert_eq!(
        tree.selection(),
        Selection::Paths(vec!["/x/empty".into()]),
        "an empty directory is selectable on its own"
    );
}

#[test]
fn bad_lines_name_their_number() {
    let err = FileTree::parse("{\"struct_type\":\"snapshot\"}\nnot json\n")
        .expect_err("line 2 is broken");
    assert!(matches!(err, ListingError::Json { line: 2, .. }), "{err:?}");
    let err =
        FileTree::parse("{\"type\":\"file\",\"name\":\"f\"}\n").expect_err("a node needs a path");
    assert_eq!(err, ListingError::NoPath { line: 1 });
}

#[test]
fn include_patterns_escape_glob_characters() {
    assert_eq!(include_pattern("/a/b c/d"), "/a/b c/d");
    assert_eq!(include_pattern("/x/[v1]*?.txt"), r"/x/\[v1\]\*\?.txt");
    assert_eq!(include_pattern(r"/back\slash"), r"/back\\slash");
}

#[test]
fn hundred_thousand_entries_build_expand_and_select() {
    let listing = sample_listing(100, 1000);
    let started = std::time::Instant::now();
    let mut tree = FileTree::parse(&listing).expect("valid listing");
    let parsed = started.elapsed();
    assert_eq!(tree.len(), 1 + 100 + 100_000);
    assert_eq!(tree.rows().len(), 101, "only /data is opened");
    let started = std::time::Instant::now();
    tree.toggle_all();
    tree.toggle_all();
    // From the bottom up, so each opened directory stays below the cursor.
    tree.cursor_to_end(true);
    for _ in 0..100 {
        tree.expand();
        tree.move_cursor(-1);
    }
    let flattened = started.elapsed();
    assert_eq!(tree.rows().len(), 101 + 100_000);
    tree.cursor_to_end(true);
    tree.toggle();
    assert_eq!(
        tree.selection(),
        Selection::Paths(vec!["/data/d099/f0999".into()])
    );
    eprintln!("100,000 entries: parse {parsed:?}, select all twice + expand all {flattened:?}");
}
