//! Reading one config file: regular files only, of bounded size, as UTF-8 text.
//!
//! A FIFO would block a read forever and `/dev/zero` would fill memory, so a path is
//! classified before it is opened, and the open handle is checked again (the path
//! may have changed in between): only a regular file is ever read, and at most
//! [`MAX_FILE_LEN`] bytes of it.

use std::fs::FileType;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::secure::{Doubt, Opener};
use crate::source::{SourceText, Span};

/// The largest config file keld reads, in bytes (4 MiB).
pub const MAX_FILE_LEN: u64 = 4 * 1024 * 1024;

/// What a path is, symbolic links followed.
pub(crate) enum Kind {
    /// A regular file: the only kind that is read.
    Regular,
    /// Nothing there.
    Missing,
    /// A symbolic link to nothing, and where it points.
    DanglingLink(PathBuf),
    /// Something else: "a directory", "a FIFO (named pipe)", ...
    Other(&'static str),
}

/// Classifies `path` without opening it.
pub(crate) fn kind(path: &Path) -> Result<Kind, Error> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(Kind::Regular),
        Ok(meta) => Ok(Kind::Other(describe(meta.file_type()))),
        Err(error) if matches!(error.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            match std::fs::symlink_metadata(path) {
                Ok(meta) if meta.file_type().is_symlink() => Ok(Kind::DanglingLink(
                    std::fs::read_link(path).unwrap_or_default(),
                )),
                _ => Ok(Kind::Missing),
            }
        }
        Err(source) => Err(Error::Unreadable {
            path: path.to_owned(),
            source,
        }),
    }
}

/// `Err` naming what `path` is unless it is a regular file; `Ok(false)` when missing.
pub(crate) fn require_regular(path: &Path) -> Result<bool, Error> {
    match kind(path)? {
        Kind::Regular => Ok(true),
        Kind::Missing => Ok(false),
        Kind::DanglingLink(target) => Err(Error::DanglingLink {
            path: path.to_owned(),
            target,
        }),
        Kind::Other(what) => Err(Error::NotRegularFile {
            path: path.to_owned(),
            what: what.to_owned(),
        }),
    }
}

fn describe(file_type: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// The text of the config file at `path` (position `order` among the files read), and
/// why another user than root and the opener's trusted user could have written it, if
/// they could: opened and judged by secure.rs, so the judgement is about exactly the
/// file whose text keld uses, even if the path changes meanwhile.
pub(crate) fn read(
    opener: &mut Opener,
    path: &Path,
    order: usize,
) -> Result<(String, Option<Doubt>), Error> {
    let unreadable = |source| Error::Unreadable {
        path: path.to_owned(),
        source,
    };
    // Opened without waiting: opening a FIFO for reading blocks until a writer comes.
    let opened = opener.open(path).map_err(unreadable)?;
    let file = opened.file;
    let meta = file.metadata().map_err(unreadable)?;
    if !meta.is_file() {
        return Err(Error::NotRegularFile {
            path: path.to_owned(),
            what: describe(meta.file_type()).to_owned(),
        });
    }
    let too_large = || Error::TooLarge {
        path: path.to_owned(),
    };
    if meta.len() > MAX_FILE_LEN {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // One byte more than allowed tells a file that grew past the limit.
    file.take(MAX_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(too_large());
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        let valid = error.utf8_error().valid_up_to();
        // The invalid bytes become U+FFFD: the text before them, and so the
        // line and column of the first one, stay exactly as in the file.
        let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
        let source = SourceText::new(order, path.to_owned(), text);
        let span = Span::new(
            &source,
            valid..valid + char::REPLACEMENT_CHARACTER.len_utf8(),
        );
        Error::InvalidUtf8 {
            at: span.location(),
            src: source,
            span: span.miette(),
        }
    })?;
    Ok((text, opened.doubt))
}
