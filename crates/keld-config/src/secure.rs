//! Opening a config file so that who could have written it is judged on the very file
//! that is read.
//!
//! Like sudo's and ssh's (`StrictModes`) checks, every component of the path is judged
//! from `/` down, and every link of a chain of symbolic links where it stands: a file
//! is only as safe as the least safe directory above it, since whoever can write a
//! directory can rename what is in it and put something else there. The walk opens
//! each directory itself (`openat`, never following a link the kernel would follow for
//! it), reads each link itself, and finally opens the file from the descriptor of the
//! directory it judged; the owner and mode of the file come from the descriptor that
//! is then read. No path is looked up twice, so swapping a link or a directory halfway
//! changes nothing that was judged.
//!
//! What makes a path doubtful (with `trusted` the one user trusted besides root):
//!
//! * a directory or the file is owned by a user who is neither root nor `trusted`;
//! * a directory is writable by its group or by others, unless it is sticky (like
//!   `/tmp`): in a sticky directory only the owner of an entry can replace it, so the
//!   entry must itself be owned by root or `trusted` (a link there, too);
//! * the file is writable by its group or by others.
//!
//! A doubt is not an error: whether it matters depends on what the file sets
//! (trust.rs). The walk fails only where a plain `open` would (a missing file, a
//! loop of links, no permission).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// Who may write a path, as far as the check cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ownership {
    pub(crate) uid: u32,
    pub(crate) mode: u32,
}

/// Why a file could have been written by someone else, and the command that fixes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Doubt {
    /// `it is writable by other users (mode 0666)`,
    /// `the directory /srv on the way to it is owned by uid 1000, ...`.
    pub(crate) problem: String,
    /// `` `chmod go-w /srv` ``
    pub(crate) fix: String,
}

/// A file opened for reading, and the first doubt about it, if any.
#[derive(Debug)]
pub(crate) struct Opened {
    pub(crate) file: File,
    pub(crate) doubt: Option<Doubt>,
}

/// What a judged path is, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Directory,
    /// A symbolic link in a sticky directory.
    Link,
    File,
}

/// The first doubtful part of the path, to be put in words once the walk knows which
/// directory holds the file.
#[derive(Debug, Clone)]
struct Found {
    part: Part,
    path: PathBuf,
    owner: Ownership,
    /// For a link: the sticky directory holding it.
    holder: Option<PathBuf>,
}

/// Whether a directory or file owned by `owner` is one `trusted` (and root) control.
fn owned_by_trusted(owner: Ownership, trusted: Option<u32>) -> bool {
    trusted.is_none_or(|trusted| owner.uid == 0 || owner.uid == trusted)
}

fn writable_by_others(owner: Ownership) -> bool {
    owner.mode & 0o022 != 0
}

fn sticky(owner: Ownership) -> bool {
    owner.mode & 0o1000 != 0
}

/// Whether a directory lets someone else change what it holds.
fn directory_doubtful(owner: Ownership, trusted: Option<u32>) -> bool {
    !owned_by_trusted(owner, trusted) || (writable_by_others(owner) && !sticky(owner))
}

/// Whether an entry of the directory `holder` (a link or the file) can be replaced by
/// someone else through the directory: in a sticky directory others can write, by the
/// entry's owner.
fn entry_replaceable(holder: Ownership, entry: Ownership, trusted: Option<u32>) -> bool {
    sticky(holder) && writable_by_others(holder) && !owned_by_trusted(entry, trusted)
}

impl Found {
    /// The doubt in words; `parent` is the directory holding the file, `via_link`
    /// whether the file was reached through a symbolic link.
    fn doubt(&self, trusted: Option<u32>, parent: &Path, via_link: bool) -> Doubt {
        let shown = self.path.display();
        let what = match self.part {
            Part::File if via_link => format!("its target {shown}"),
            Part::File => "it".to_owned(),
            Part::Directory if self.path == parent => format!("its directory {shown}"),
            Part::Directory => format!("the directory {shown} on the way to it"),
            Part::Link => format!(
                "the symbolic link {shown} on the way to it, in the sticky directory {},",
                self.holder.as_deref().unwrap_or(Path::new("/")).display()
            ),
        };
        if let Some(trusted) = trusted
            && self.owner.uid != 0
            && self.owner.uid != trusted
        {
            let fix = match self.part {
                Part::Link => {
                    format!("`rm {shown}` and make the link again as root or as uid {trusted}")
                }
                _ => format!("`chown {trusted} {shown}` (or `chown root {shown}`)"),
            };
            return Doubt {
                problem: format!(
                    "{what} is owned by uid {}, which is neither root nor you (uid {trusted})",
                    self.owner.uid
                ),
                fix,
            };
        }
        let by = match self.owner.mode & 0o022 {
            0o022 => "its group and other users",
            0o020 => "its group",
            _ => "other users",
        };
        Doubt {
            problem: format!("{what} is writable by {by} (mode {:04o})", self.owner.mode),
            fix: format!("`chmod go-w {shown}`"),
        }
    }
}

/// Keeps the first doubtful part found: the one nearest `/`.
fn note(found: &mut Option<Found>, candidate: Found) {
    if found.is_none() {
        *found = Some(candidate);
    }
}

/// How many symbolic links one path may pass through (as Linux allows).
const MAX_LINKS: usize = 40;

/// Opens config files one after the other, each as [`Opener::open`] says.
///
/// Files read together mostly share a directory (a `conf.d`). The opener keeps the
/// descriptor of the directory that held the last file, with what the walk to it found:
/// a file whose path reaches the same directory by the same components is opened from
/// that descriptor, and only the file itself is judged anew. The descriptor is the
/// directory judged on the way to the last file, and no name is looked up again, so the
/// judgement stands as it did for that file: a directory that anyone else could change
/// was already found doubtful then, and the doubt is carried to every file in it.
pub(crate) struct Opener {
    trusted: Option<u32>,
    #[cfg(target_os = "linux")]
    held: Option<linux::Held>,
}

impl Opener {
    /// An opener that trusts root and `trusted` (see the module documentation).
    pub(crate) fn new(trusted: Option<u32>) -> Self {
        Opener {
            trusted,
            #[cfg(target_os = "linux")]
            held: None,
        }
    }

    /// Opens `path` for reading, judging every directory and link on the way and the
    /// file itself (see the module documentation). A relative path is taken from the
    /// working directory, whose own path is judged too.
    pub(crate) fn open(&mut self, path: &Path) -> io::Result<Opened> {
        #[cfg(target_os = "linux")]
        {
            linux::open(path, self.trusted, &mut self.held)
        }
        #[cfg(not(target_os = "linux"))]
        {
            open_elsewhere(path, self.trusted)
        }
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::OsString;
    use std::fs::File;
    use std::io;
    use std::os::fd::OwnedFd;
    use std::path::{Component, Path, PathBuf};

    use nix::errno::Errno;
    use nix::fcntl::{OFlag, openat, readlinkat};
    use nix::sys::stat::{FileStat, Mode, SFlag, fstat};

    use super::{
        Found, MAX_LINKS, Opened, Ownership, Part, directory_doubtful, entry_replaceable, note,
        owned_by_trusted, writable_by_others,
    };

    /// The directory that held the last file opened, reached by `route`.
    pub(super) struct Held {
        /// The components of the absolute path before the file's name, as written.
        route: PathBuf,
        dir: OwnedFd,
        /// The directory's path as the walk reached it (links followed).
        shown: PathBuf,
        /// The first doubtful part on the way to the directory.
        found: Option<Found>,
        via_link: bool,
    }

    fn owner(stat: &FileStat) -> Ownership {
        Ownership {
            uid: stat.st_uid,
            mode: stat.st_mode & 0o7777,
        }
    }

    fn kind(stat: &FileStat) -> SFlag {
        SFlag::from_bits_truncate(stat.st_mode & SFlag::S_IFMT.bits())
    }

    /// How a file is opened: for reading, never following a link the kernel would
    /// follow for it, without waiting (a FIFO would wait for a writer).
    fn file_flags() -> OFlag {
        OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC
    }

    /// Judges the file just opened as `fd`, named `shown`, with the doubt `found` on the
    /// way to its directory `parent`.
    fn judged(
        fd: OwnedFd,
        shown: PathBuf,
        mut found: Option<Found>,
        trusted: Option<u32>,
        parent: &Path,
        via_link: bool,
    ) -> io::Result<Opened> {
        let stat = fstat(&fd)?;
        let file_owner = owner(&stat);
        let is_file = kind(&stat) == SFlag::S_IFREG;
        if !owned_by_trusted(file_owner, trusted) || (is_file && writable_by_others(file_owner)) {
            note(
                &mut found,
                Found {
                    part: Part::File,
                    path: shown,
                    owner: file_owner,
                    holder: None,
                },
            );
        }
        let doubt = found.map(|found| found.doubt(trusted, parent, via_link));
        Ok(Opened {
            file: File::from(fd),
            doubt,
        })
    }

    /// [`super::Opener::open`] on Linux: from the held directory when the path goes
    /// through it, else a walk from `/`.
    pub(super) fn open(
        path: &Path,
        trusted: Option<u32>,
        held: &mut Option<Held>,
    ) -> io::Result<Opened> {
        let absolute = if path.is_absolute() {
            path.to_owned()
        } else {
            std::env::current_dir()?.join(path)
        };
        let mut components = absolute.components();
        let name = match components.next_back() {
            Some(Component::Normal(name)) => Some(name.to_owned()),
            _ => None,
        };
        let route = components.as_path();
        if let (Some(name), Some(held)) = (&name, held.as_ref())
        && held.route == route
        // Anything but a file opened directly (a link, a missing file) is left to the
        // walk, which says what it is.
        && let Ok(fd) = openat(&held.dir, name.as_os_str(), file_flags(), Mode::empty())
        {
            let shown = held.shown.join(name);
            return judged(
                fd,
                shown,
                held.found.clone(),
                trusted,
                &held.shown,
                held.via_link,
            );
        }
        let route = name.is_some().then(|| route.to_owned());
        walk(&absolute, trusted, route, held)
    }

    /// Walks `absolute` from `/` (see the module documentation); when the file is opened
    /// directly in the directory `route` leads to, that directory is kept in `held`.
    fn walk(
        absolute: &Path,
        trusted: Option<u32>,
        route: Option<PathBuf>,
        held: &mut Option<Held>,
    ) -> io::Result<Opened> {
        /// A path component still to walk.
        enum Step {
            Root,
            Parent,
            Name(OsString),
        }
        fn push_components(steps: &mut Vec<Step>, path: &Path) {
            // `steps` is walked from its end.
            for component in path.components().rev() {
                match component {
                    Component::RootDir | Component::Prefix(_) => steps.push(Step::Root),
                    Component::CurDir => {}
                    Component::ParentDir => steps.push(Step::Parent),
                    Component::Normal(name) => steps.push(Step::Name(name.to_owned())),
                }
            }
        }
        let mut steps = Vec::new();
        push_components(&mut steps, absolute);

        let open_root = || -> io::Result<(OwnedFd, Ownership)> {
            let fd = nix::fcntl::open(
                "/",
                OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                Mode::empty(),
            )?;
            let stat = fstat(&fd)?;
            Ok((fd, owner(&stat)))
        };
        // The directories walked into, outermost first: descriptor, owner, path as reached.
        let (root, root_owner) = open_root()?;
        let mut dirs: Vec<(OwnedFd, Ownership, PathBuf)> =
            vec![(root, root_owner, PathBuf::from("/"))];
        let mut found: Option<Found> = None;
        if directory_doubtful(root_owner, trusted) {
            note(
                &mut found,
                Found {
                    part: Part::Directory,
                    path: PathBuf::from("/"),
                    owner: root_owner,
                    holder: None,
                },
            );
        }
        let mut links = 0;
        let mut via_link = false;
        // Whether the name last in the path turned out to be a link.
        let mut last_was_link = false;
        while let Some(step) = steps.pop() {
            let name = match step {
                Step::Root => {
                    dirs.truncate(1);
                    continue;
                }
                Step::Parent => {
                    if dirs.len() > 1 {
                        dirs.pop();
                    }
                    continue;
                }
                Step::Name(name) => name,
            };
            let last = steps.is_empty();
            let (dir, dir_owner, dir_path) = dirs.last().expect("the root stays");
            let dir_owner = *dir_owner;
            let shown = dir_path.join(&name);
            if last {
                match openat(dir, name.as_os_str(), file_flags(), Mode::empty()) {
                    Ok(fd) => {
                        let parent = dir_path.clone();
                        let opened = judged(fd, shown, found.clone(), trusted, &parent, via_link);
                        if let (Some(route), false, Ok(_)) = (route, last_was_link, &opened)
                            && let Some((dir, _, _)) = dirs.pop()
                        {
                            *held = Some(Held {
                                route,
                                dir,
                                shown: parent,
                                found,
                                via_link,
                            });
                        }
                        return opened;
                    }
                    // A symbolic link: read below.
                    Err(Errno::ELOOP) => last_was_link = true,
                    Err(error) => return Err(error.into()),
                }
            }
            let fd = openat(
                dir,
                name.as_os_str(),
                OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                Mode::empty(),
            )?;
            let stat = fstat(&fd)?;
            let entry = owner(&stat);
            match kind(&stat) {
                SFlag::S_IFLNK => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(Errno::ELOOP.into());
                    }
                    if entry_replaceable(dir_owner, entry, trusted) {
                        note(
                            &mut found,
                            Found {
                                part: Part::Link,
                                path: shown.clone(),
                                owner: entry,
                                holder: Some(dir_path.clone()),
                            },
                        );
                    }
                    // The link as opened, not its name looked up again.
                    let target = readlinkat(&fd, "")?;
                    push_components(&mut steps, Path::new(&target));
                    via_link = true;
                }
                SFlag::S_IFDIR => {
                    if directory_doubtful(entry, trusted) {
                        note(
                            &mut found,
                            Found {
                                part: Part::Directory,
                                path: shown.clone(),
                                owner: entry,
                                holder: None,
                            },
                        );
                    }
                    dirs.push((fd, entry, shown));
                }
                _ => return Err(Errno::ENOTDIR.into()),
            }
        }
        // The path names a directory (`/`, `a/..`): open it, so that the caller says what
        // it is.
        let (dir, _, _) = dirs.last().expect("the root stays");
        let fd = openat(
            dir,
            ".",
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Opened {
            file: File::from(fd),
            doubt: None,
        })
    }
}

/// Elsewhere the file and the directory holding it are judged (by the open
/// descriptor, and by path).
#[cfg(all(unix, not(target_os = "linux")))]
fn open_elsewhere(path: &Path, trusted: Option<u32>) -> io::Result<Opened> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};

    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)?;
    let meta = file.metadata()?;
    let file_owner = Ownership {
        uid: meta.uid(),
        mode: meta.mode() & 0o7777,
    };
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut found = None;
    if !owned_by_trusted(file_owner, trusted) || (meta.is_file() && writable_by_others(file_owner))
    {
        found = Some(Found {
            part: Part::File,
            path: path.to_owned(),
            owner: file_owner,
            holder: None,
        });
    } else if let Ok(dir) = std::fs::metadata(&parent) {
        let dir_owner = Ownership {
            uid: dir.uid(),
            mode: dir.mode() & 0o7777,
        };
        if directory_doubtful(dir_owner, trusted) {
            found = Some(Found {
                part: Part::Directory,
                path: parent.clone(),
                owner: dir_owner,
                holder: None,
            });
        }
    }
    let doubt = found.map(|found| found.doubt(trusted, &parent, false));
    Ok(Opened { file, doubt })
}

/// Without Unix permissions there is nothing to judge.
#[cfg(not(unix))]
fn open_elsewhere(path: &Path, _trusted: Option<u32>) -> io::Result<Opened> {
    Ok(Opened {
        file: File::open(path)?,
        doubt: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(uid: u32, mode: u32) -> Ownership {
        Ownership { uid, mode }
    }

    /// Opening files one after the other with one [`Opener`] (which keeps the directory
    /// that held the last file) judges each exactly as a walk of its own from `/` does:
    /// the same text, the same doubt or the same error, in every layout below.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_held_directory_judges_as_a_fresh_walk() {
        use std::fs;
        use std::io::Read;
        use std::os::unix::fs::{PermissionsExt, symlink};

        let temp = tempfile::tempdir().expect("temp dir");
        let base = temp.path();
        let mode = |path: &Path, mode: u32| {
            fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
        };
        let write = |path: &Path, text: &str, file_mode: u32| {
            fs::write(path, text).expect("write");
            mode(path, file_mode);
        };
        for (dir, dir_mode) in [("private", 0o700), ("open", 0o777), ("sticky", 0o1777)] {
            let dir = base.join(dir);
            fs::create_dir(&dir).expect("mkdir");
            mode(&dir, dir_mode);
            write(&dir.join("a.toml"), "a", 0o600);
            write(&dir.join("b.toml"), "b", 0o666);
            write(&dir.join("c.toml"), "c", 0o644);
            symlink(dir.join("a.toml"), dir.join("link-a.toml")).expect("symlink");
            symlink(base.join("private/c.toml"), dir.join("link-out.toml")).expect("symlink");
            fs::create_dir(dir.join("sub")).expect("mkdir");
            mode(&dir.join("sub"), 0o755);
            write(&dir.join("sub/d.toml"), "d", 0o600);
        }
        symlink(base.join("open"), base.join("private/to-open")).expect("symlink");
        symlink(base.join("private"), base.join("open/to-private")).expect("symlink");
        let names = [
            "private/a.toml",
            "private/b.toml",
            "private/link-a.toml",
            "private/c.toml",
            "private/missing.toml",
            "private/c.toml",
            "private/link-out.toml",
            "private/sub",
            "private/sub/d.toml",
            "private/to-open/a.toml",
            "private/to-open/b.toml",
            "private/to-open/link-a.toml",
            "private/to-open/c.toml",
            "open/a.toml",
            "open/c.toml",
            "open/link-out.toml",
            "open/to-private/a.toml",
            "open/to-private/c.toml",
            "open/sub/d.toml",
            "sticky/a.toml",
            "sticky/link-a.toml",
            "sticky/b.toml",
            "sticky/../private/a.toml",
            "private/./c.toml",
            "private/sub/../a.toml",
        ];
        let judged = |opened: io::Result<Opened>| match opened {
            Ok(mut opened) => {
                let mut text = String::new();
                let read = opened.file.read_to_string(&mut text).map(|_| text);
                Ok((read.map_err(|error| error.kind()), opened.doubt))
            }
            Err(error) => Err(error.kind()),
        };
        for trusted in [Some(1000), Some(0), None] {
            let mut opener = Opener::new(trusted);
            for name in names {
                let path = base.join(name);
                let shared = judged(opener.open(&path));
                let fresh = judged(Opener::new(trusted).open(&path));
                assert_eq!(shared, fresh, "{name} (trusted {trusted:?})");
            }
        }
        // A file reached by the held directory's route but gone since: the walk says so.
        let mut opener = Opener::new(Some(0));
        opener.open(&base.join("private/a.toml")).expect("opens");
        fs::remove_file(base.join("private/c.toml")).expect("rm");
        let error = opener
            .open(&base.join("private/c.toml"))
            .expect_err("removed");
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn directories_and_entries() {
        let me = Some(1000);
        assert!(!directory_doubtful(owner(0, 0o755), me));
        assert!(!directory_doubtful(owner(1000, 0o700), me));
        assert!(directory_doubtful(owner(1001, 0o700), me));
        assert!(directory_doubtful(owner(0, 0o775), me));
        assert!(directory_doubtful(owner(0, 0o757), me));
        // A sticky directory protects its entries from all but their owners.
        assert!(!directory_doubtful(owner(0, 0o1777), me));
        assert!(entry_replaceable(owner(0, 0o1777), owner(1001, 0o777), me));
        assert!(!entry_replaceable(owner(0, 0o1777), owner(1000, 0o777), me));
        assert!(!entry_replaceable(owner(0, 0o1777), owner(0, 0o777), me));
        assert!(!entry_replaceable(owner(0, 0o755), owner(1001, 0o777), me));
        // Without a trusted uid only the modes count.
        assert!(!directory_doubtful(owner(4242, 0o755), None));
        assert!(!entry_replaceable(
            owner(0, 0o1777),
            owner(4242, 0o777),
            None
        ));
    }

    #[test]
    fn doubts_in_words() {
        let parent = Path::new("/etc/keld");
        let found = |part, path: &str, owner| Found {
            part,
            path: PathBuf::from(path),
            owner,
            holder: Some(PathBuf::from("/tmp")),
        };
        let doubt = found(Part::File, "/etc/keld/c.toml", owner(1000, 0o666)).doubt(
            Some(1000),
            parent,
            false,
        );
        assert_eq!(
            doubt.problem,
            "it is writable by its group and other users (mode 0666)"
        );
        assert_eq!(doubt.fix, "`chmod go-w /etc/keld/c.toml`");
        let doubt = found(Part::Directory, "/etc/keld", owner(4242, 0o755)).doubt(
            Some(1000),
            parent,
            false,
        );
        assert_eq!(
            doubt.problem,
            "its directory /etc/keld is owned by uid 4242, which is neither root nor you (uid 1000)"
        );
        let doubt =
            found(Part::Directory, "/etc", owner(0, 0o775)).doubt(Some(1000), parent, false);
        assert_eq!(
            doubt.problem,
            "the directory /etc on the way to it is writable by its group (mode 0775)"
        );
        let doubt =
            found(Part::Link, "/tmp/l", owner(4242, 0o777)).doubt(Some(1000), parent, false);
        assert!(doubt.problem.starts_with(
            "the symbolic link /tmp/l on the way to it, in the sticky directory /tmp, is owned by uid 4242"
        ));
        assert!(doubt.fix.starts_with("`rm /tmp/l`"));
        let doubt =
            found(Part::File, "/srv/c.toml", owner(0, 0o602)).doubt(Some(1000), parent, true);
        assert_eq!(
            doubt.problem,
            "its target /srv/c.toml is writable by other users (mode 0602)"
        );
    }
}
