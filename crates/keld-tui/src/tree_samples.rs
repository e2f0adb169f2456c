//! restic `ls --json` output for tests and benchmarks.

/// `restic ls --json` output for `/data/dNNN/fNNN` with the given shape, for tests.
pub(crate) fn sample_listing(dirs: usize, files_per_dir: usize) -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        r#"{"time":"2026-11-26T11:00:47Z","tree":"aa","paths":["/data"],"hostname":"h","id":"ab","short_id":"ab","struct_type":"snapshot"}"#,
    );
    out.push('\n');
    out.push_str(
        r#"{"name":"data","type":"dir","path":"/data","mode":2147484141,"struct_type":"node"}"#,
    );
    out.push('\n');
    for dir in 0..dirs {
        let _ = writeln!(
            out,
            r#"{{"name":"d{dir:03}","type":"dir","path":"/data/d{dir:03}","struct_type":"node"}}"#
        );
        for file in 0..files_per_dir {
            let _ = writeln!(
                out,
                r#"{{"name":"f{file:04}","type":"file","path":"/data/d{dir:03}/f{file:04}","size":{size},"struct_type":"node"}}"#,
                size = dir * 1000 + file
            );
        }
    }
    out
}

/// Output of restic 0.14.0 `ls --json` for a small snapshot.
pub(crate) const SAMPLE_LISTING: &str = concat!(
    r#"{"time":"2026-11-26T11:00:47.494942485Z","tree":"0af2","paths":["/rr/src"],"hostname":"vm","username":"root","tags":["daily"],"id":"503b58b8","short_id":"503b58b8","struct_type":"snapshot"}"#,
    "\n",
    r#"{"name":"rr","type":"dir","path":"/rr","uid":0,"gid":0,"mode":2147484141,"permissions":"drwxr-xr-x","mtime":"2026-11-26T11:00:45.718548033Z","struct_type":"node"}"#,
    "\n",
    r#"{"name":"src","type":"dir","path":"/rr/src","uid":0,"gid":0,"mode":2147484141,"permissions":"drwxr-xr-x","mtime":"2026-11-26T11:00:45.702548032Z","struct_type":"node"}"#,
    "\n",
    r#"{"name":"a","type":"dir","path":"/rr/src/a","mode":2147484141,"struct_type":"node"}"#,
    "\n",
    r#"{"name":"b","type":"dir","path":"/rr/src/a/b","mode":2147484141,"struct_type":"node"}"#,
    "\n",
    r#"{"name":"y.txt","type":"file","path":"/rr/src/a/b/y.txt","size":3,"mode":420,"mtime":"2026-11-26T10:59:12.5+01:00","struct_type":"node"}"#,
    "\n",
    r#"{"name":"link","type":"symlink","path":"/rr/src/a/link","mode":134218239,"struct_type":"node"}"#,
    "\n",
    r#"{"name":"x.txt","type":"file","path":"/rr/src/a/x.txt","size":3,"mode":420,"mtime":"2026-11-20T08:05:00Z","struct_type":"node"}"#,
    "\n",
    r#"{"name":"c","type":"dir","path":"/rr/src/c","mode":2147484141,"struct_type":"node"}"#,
    "\n",
    r#"{"name":"z","type":"file","path":"/rr/src/c/z","size":2,"mode":420,"struct_type":"node"}"#,
    "\n",
);
