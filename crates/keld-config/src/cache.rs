//! The merged tree of a large config, kept between runs.
//!
//! Parsing and merging dozens of files takes milliseconds; a run that finds the very
//! files it read last time takes their tree from the cache instead. Only the tree is
//! kept (the layout of tables, keys and definitions, names, and where each is written),
//! never a value: values are decoded from the files read this time when a resolution
//! uses them, and every line a diagnostic quotes comes from those files too.
//!
//! A cached tree is used only when
//!
//! * the files are the same files, in the same order, with the same texts (paths,
//!   lengths and a hash of each text are compared), read by the same program (the
//!   executable's device, inode, size and modification time are part of the key, so a
//!   new keld never reads an old one's tree);
//! * no file read could have been written by someone else (a file that the trust check
//!   has to judge is always parsed, so that the check runs on it);
//! * the cache file is judged like a config file (secure.rs), belongs to root or the
//!   trusted user, nobody else could have written it, and its own checksum holds;
//! * its tree passes the checks of `tree::bytes`, which keep any byte string from
//!   leading the tree's code astray.
//!
//! Anything else is a miss: the files are parsed as always, and the tree is written
//! back (to a private file renamed into place, so that a reader sees a whole file or
//! none). A cache that cannot be read or written costs nothing but the parse.

use std::fs;
use std::hash::Hasher;
use std::io::{Read, Write};

use std::path::{Path, PathBuf};
use tree::bytes::Source as _;

use crate::secure::Opener;
use crate::source::SourceText;
use crate::tree::{self, FxHasher, Tree};

/// Below this many bytes of config in all, the files are parsed every time: that is
/// quicker than reading a cache.
pub(crate) const CACHED_BYTES: usize = 64 * 1024;

/// The largest cache file read.
const MAX_CACHE_LEN: u64 = 256 * 1024 * 1024;

/// What a cache file starts with; the number changes with the byte form of the tree.
const MAGIC: &[u8] = b"keld config tree 1\n";

fn hash(bytes: &[u8]) -> u64 {
    let mut hasher = FxHasher::default();
    hasher.write(bytes);
    hasher.write_usize(bytes.len());
    hasher.finish()
}

/// The program reading the cache, as the key has it: changes whenever it is rebuilt
/// or replaced.
fn program() -> Vec<u8> {
    let mut key = Vec::new();
    #[cfg(unix)]
    if let Ok(meta) = std::env::current_exe().and_then(fs::metadata) {
        use std::os::unix::fs::MetadataExt;
        for number in [
            meta.dev(),
            meta.ino(),
            meta.size(),
            meta.mtime().cast_unsigned(),
            meta.mtime_nsec().cast_unsigned(),
        ] {
            key.extend_from_slice(&number.to_le_bytes());
        }
    }
    key
}

/// The key of the tree of `sources`: everything it depends on.
fn key(sources: &[SourceText]) -> Vec<u8> {
    let mut key = MAGIC.to_vec();
    key.extend_from_slice(env!("CARGO_PKG_VERSION").as_bytes());
    key.push(0);
    key.extend_from_slice(&program());
    key.extend_from_slice(&(sources.len() as u64).to_le_bytes());
    for source in sources {
        let path = source.path().as_os_str().as_encoded_bytes();
        key.extend_from_slice(&(path.len() as u64).to_le_bytes());
        key.extend_from_slice(path);
        let text = source.raw_text().as_bytes();
        key.extend_from_slice(&(text.len() as u64).to_le_bytes());
        key.extend_from_slice(&hash(text).to_le_bytes());
    }
    key
}

/// The cache file for this list of files: one per list, so that two configs used in
/// turn do not evict each other.
fn file(dir: &Path, sources: &[SourceText]) -> PathBuf {
    let mut paths = FxHasher::default();
    for source in sources {
        paths.write(source.path().as_os_str().as_encoded_bytes());
        paths.write_u8(0);
    }
    dir.join(format!("config-{:016x}.tree", paths.finish()))
}

/// The tree of `sources` from the cache in `dir`, if it holds it (see the module
/// documentation); `trusted` as for the config files.
pub(crate) fn load(dir: &Path, trusted: Option<u32>, sources: &[SourceText]) -> Option<Tree> {
    let opened = Opener::new(trusted).open(&file(dir, sources)).ok()?;
    let meta = opened.file.metadata().ok()?;
    if opened.doubt.is_some() || !meta.is_file() || meta.len() > MAX_CACHE_LEN {
        return None;
    }
    let body = usize::try_from(meta.len().checked_sub(8)?).ok()?;
    let mut stream = Stream::new(opened.file, body);
    let key = key(sources);
    if stream.take(key.len())? != key.as_slice() {
        return None;
    }
    let tree = tree::bytes::read(&mut stream, sources.to_vec())?;
    let mut checksum = [0; 8];
    stream.file.read_exact(&mut checksum).ok()?;
    stream.hasher.write_usize(body);
    (stream.hasher.finish() == u64::from_le_bytes(checksum)).then_some(tree)
}

/// How much of the cache file is read at a time.
const BLOCK: usize = 64 * 1024;

/// The cache file read a block at a time, into the same memory (a buffer for the
/// whole file would cost a page fault per 4 KiB), and its body hashed as it comes.
struct Stream {
    file: fs::File,
    /// Bytes read: those not yet taken are `buffer[at..end]`.
    buffer: Vec<u8>,
    at: usize,
    end: usize,
    /// Bytes of the body still in the file.
    unread: usize,
    hasher: FxHasher,
}

impl Stream {
    fn new(file: fs::File, body: usize) -> Self {
        Stream {
            file,
            buffer: vec![0; 2 * BLOCK],
            at: 0,
            end: 0,
            unread: body,
            hasher: FxHasher::default(),
        }
    }
}

impl Stream {
    /// Reads blocks until `size` bytes are there to take.
    #[inline(never)]
    fn fill(&mut self, size: usize) -> Option<()> {
        while self.end - self.at < size {
            if self.unread == 0 {
                return None;
            }
            self.buffer.copy_within(self.at..self.end, 0);
            self.end -= self.at;
            self.at = 0;
            // Blocks of a multiple of eight bytes: hashed one after the other, they
            // hash as the whole body would at once (`hash`).
            let block = self.unread.min(BLOCK);
            if self.buffer.len() < self.end + block {
                self.buffer.resize(self.end + block, 0);
            }
            let read = &mut self.buffer[self.end..self.end + block];
            self.file.read_exact(read).ok()?;
            self.hasher.write(read);
            self.end += block;
            self.unread -= block;
        }
        Some(())
    }
}

impl tree::bytes::Source for Stream {
    #[inline]
    fn take(&mut self, size: usize) -> Option<&[u8]> {
        if self.end - self.at < size {
            self.fill(size)?;
        }
        let taken = self.buffer.get(self.at..self.at + size)?;
        self.at += size;
        Some(taken)
    }

    fn left(&self) -> usize {
        self.end - self.at + self.unread
    }
}

/// Writes the tree of `sources` to the cache in `dir`, as well as it can: a cache
/// that cannot be written is no error.
pub(crate) fn store(dir: &Path, sources: &[SourceText], tree: &Tree) {
    if create_private_dir(dir).is_err() {
        return;
    }
    let path = file(dir, sources);
    let mut bytes = key(sources);
    tree::bytes::write(tree, &mut bytes);
    let checksum = hash(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    let mut private = path.clone().into_os_string();
    private.push(format!(".{}", std::process::id()));
    let private = PathBuf::from(private);
    // Left behind by an earlier process of the same number that was stopped mid-way.
    let _ = fs::remove_file(&private);
    let written = create_private_file(&private)
        .and_then(|mut file| file.write_all(&bytes))
        .and_then(|()| fs::rename(&private, &path));
    if written.is_err() {
        let _ = fs::remove_file(&private);
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn create_private_file(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    use super::{CACHED_BYTES, file, load, store};
    use crate::source::SourceText;
    use crate::{Config, fixture};

    /// `texts` as the files of `/etc/keld/conf.d`, and parsed.
    fn large(texts: Vec<String>) -> (Vec<SourceText>, Config) {
        let config = crate::parsed_fixture(texts);
        (config.root.sources.clone(), config)
    }

    fn mode(path: &std::path::Path) -> u32 {
        fs::metadata(path).expect("stat").permissions().mode() & 0o7777
    }

    #[test]
    fn a_stored_tree_is_found_again_for_the_same_files_only() {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = temp.path().join("cache/keld");
        let (sources, config) = large(fixture::texts(&[]));
        assert!(sources.iter().map(|s| s.raw_text().len()).sum::<usize>() >= CACHED_BYTES);
        assert!(
            load(&dir, Some(0), &sources).is_none(),
            "nothing stored yet"
        );
        store(&dir, &sources, &config.root);
        assert_eq!(mode(&dir), 0o700);
        let cached = file(&dir, &sources);
        assert_eq!(mode(&cached), 0o600);
        assert_eq!(
            fs::read_dir(&dir).expect("ls").count(),
            1,
            "no file left behind"
        );
        let tree = load(&dir, Some(0), &sources).expect("found");
        assert_eq!(tree.entries, config.root.entries);
        assert_eq!(tree.defs, config.root.defs);

        // One character of one file changed: the same cache file, another key.
        let mut texts = fixture::texts(&[]);
        texts[7] = texts[7].replacen("tmp", "tmq", 1);
        let (changed, _) = large(texts);
        assert_eq!(file(&dir, &changed), cached);
        assert!(load(&dir, Some(0), &changed).is_none());
        // The same texts under other names: another cache file.
        let (mut renamed, _) = large(fixture::texts(&[]));
        renamed.swap(0, 1);
        assert_ne!(file(&dir, &renamed), cached);
        assert!(load(&dir, Some(0), &renamed).is_none());
    }

    #[test]
    fn a_damaged_or_doubtful_cache_is_not_used() {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = temp.path().join("keld");
        let (sources, config) = large(fixture::texts(&[]));
        store(&dir, &sources, &config.root);
        let cached = file(&dir, &sources);
        let bytes = fs::read(&cached).expect("read");
        for at in [0, 100, bytes.len() / 2, bytes.len() - 9, bytes.len() - 1] {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x20;
            fs::write(&cached, &damaged).expect("write");
            assert!(load(&dir, Some(0), &sources).is_none(), "byte {at} changed");
        }
        fs::write(&cached, &bytes[..bytes.len() - 1]).expect("write");
        assert!(load(&dir, Some(0), &sources).is_none(), "cut short");
        fs::write(&cached, &bytes).expect("write");
        assert!(load(&dir, Some(0), &sources).is_some(), "whole again");
        // Others could have written it.
        fs::set_permissions(&cached, fs::Permissions::from_mode(0o666)).expect("chmod");
        assert!(
            load(&dir, Some(0), &sources).is_none(),
            "writable by others"
        );
        fs::set_permissions(&cached, fs::Permissions::from_mode(0o600)).expect("chmod");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).expect("chmod");
        assert!(
            load(&dir, Some(0), &sources).is_none(),
            "in a directory others write"
        );
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).expect("chmod");
        // Owned by someone else than the trusted user (and root).
        let me = nix::unistd::geteuid().as_raw();
        assert!(load(&dir, Some(me), &sources).is_some());
        if me == 0 {
            std::os::unix::fs::chown(&cached, Some(4242), None).expect("chown");
            assert!(load(&dir, Some(0), &sources).is_none(), "owned by uid 4242");
        }
        // A directory where the file should be: nothing read, nothing broken.
        fs::remove_file(&cached).expect("rm");
        fs::create_dir(&cached).expect("mkdir");
        assert!(load(&dir, Some(0), &sources).is_none());
        store(&dir, &sources, &config.root);
        assert!(
            cached.is_dir(),
            "a cache that cannot be written is left alone"
        );
    }
}
