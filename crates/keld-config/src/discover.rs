//! Which config files are read, in ascending priority (docs/configuration.md, "Config files").

use std::ffi::OsStr;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::file::{self, Kind};
use crate::values::expand_home_path;
use crate::{Environment, LoadOptions, Warning};

/// The files to read, lowest priority first, and what was odd on the way.
#[derive(Debug, Default)]
pub(crate) struct Discovered {
    pub(crate) files: Vec<PathBuf>,
    pub(crate) warnings: Vec<Warning>,
}

/// Finds the config files: system dirs, the user dir, `KELD_CONFIG_PATHS`; or only
/// the explicit file (`--config`, then `KELD_CONFIG_FILE`).
///
/// The variables are paths, taken as they are: a value that is not UTF-8 names the
/// file (or directory) it spells, never another one.
pub(crate) fn discover(env: &Environment, options: &LoadOptions) -> Result<Discovered, Error> {
    let home = env.home.as_deref();
    let explicit = options.config_file.clone().or_else(|| env.config_file());
    if let Some(path) = explicit {
        // Named explicitly, so anything but a regular file is an error that says
        // what is there instead (a dangling link included).
        return if file::require_regular(&path)? {
            Ok(Discovered {
                files: vec![path],
                warnings: Vec::new(),
            })
        } else {
            Err(Error::ConfigFileMissing { path })
        };
    }

    let mut found = Discovered::default();
    for dir in &options.system_dirs {
        config_dir(dir, &mut found.files)?;
    }
    let xdg = env
        .var_os("XDG_CONFIG_HOME")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .or_else(|| home.map(|home| home.join(".config")));
    if let Some(xdg) = xdg {
        config_dir(&xdg.join("keld"), &mut found.files)?;
    }
    if let Some(paths) = env.var_os("KELD_CONFIG_PATHS") {
        for entry in split_paths(&paths).filter(|entry| !entry.is_empty()) {
            extra_path(entry, home, &mut found)?;
        }
    }
    Ok(found)
}

/// The `:`-separated entries of a list of paths, as they are.
fn split_paths(paths: &OsStr) -> impl Iterator<Item = &OsStr> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        paths
            .as_bytes()
            .split(|&byte| byte == b':')
            .map(OsStr::from_bytes)
    }
    #[cfg(not(unix))]
    {
        paths
            .to_str()
            .unwrap_or_default()
            .split(':')
            .map(OsStr::new)
    }
}

/// `DIR/config.toml`, then `DIR/conf.d/*.toml` sorted by name; missing ones skipped.
///
/// A dangling link counts as missing. `config.toml` that is no regular file is an
/// error; a `conf.d` entry that is none is skipped, like a glob match would be.
fn config_dir(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), Error> {
    let main = dir.join("config.toml");
    match file::kind(&main)? {
        Kind::Regular => files.push(main),
        Kind::Missing | Kind::DanglingLink(_) => {}
        Kind::Other(what) => {
            return Err(Error::NotRegularFile {
                path: main,
                what: what.to_owned(),
            });
        }
    }
    let conf_d = dir.join("conf.d");
    let entries = match std::fs::read_dir(&conf_d) {
        Ok(entries) => entries,
        Err(error) if matches!(error.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Ok(());
        }
        Err(source) => {
            return Err(Error::Unreadable {
                path: conf_d,
                source,
            });
        }
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::Unreadable {
            path: conf_d.clone(),
            source,
        })?;
        let path = entry.path();
        // The directory entry's type costs no system call; only a link is followed.
        let regular = || match entry.file_type() {
            Ok(kind) if kind.is_file() => Ok(true),
            Ok(kind) if !kind.is_symlink() => Ok(false),
            _ => file::kind(&path).map(|kind| matches!(kind, Kind::Regular)),
        };
        if path.extension().is_some_and(|ext| ext == "toml") && regular()? {
            names.push(path);
        }
    }
    names.sort();
    files.extend(names);
    Ok(())
}

/// One `KELD_CONFIG_PATHS` entry: a file, or a glob whose matches are sorted. A file
/// is any path; a pattern must be UTF-8 (patterns are text).
fn extra_path(entry: &OsStr, home: Option<&Path>, found: &mut Discovered) -> Result<(), Error> {
    let path = expand_home_path(entry, home);
    let pattern = path
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .any(|byte| matches!(byte, b'*' | b'?' | b'['));
    if !pattern {
        let expanded = path.display().to_string();
        let missing = match file::kind(&path)? {
            Kind::Regular => {
                found.files.push(path);
                return Ok(());
            }
            Kind::Missing => "does not exist".to_owned(),
            Kind::DanglingLink(target) => format!(
                "is a symbolic link to {}, which does not exist",
                target.display()
            ),
            Kind::Other(what) => {
                return Err(Error::NotRegularFile {
                    path,
                    what: what.to_owned(),
                });
            }
        };
        found.warnings.push(Warning {
            message: format!("config file {expanded} (from KELD_CONFIG_PATHS) {missing}"),
            help: Some("remove the entry from KELD_CONFIG_PATHS or create the file".into()),
            origin: None,
        });
        return Ok(());
    }
    let Some(expanded) = path.to_str() else {
        return Err(Error::NotUtf8Variable {
            name: "KELD_CONFIG_PATHS".to_owned(),
            help: format!(
                "the entry {} holds `*`, `?` or `[`, so it is a pattern, and a pattern must \
                 be UTF-8 text: name the files one by one, or use UTF-8 names",
                path.display()
            ),
        });
    };
    let matches = glob::glob(expanded).map_err(|error| Error::InvalidGlob {
        pattern: entry.to_string_lossy().into_owned(),
        message: error.msg.to_owned(),
    })?;
    let mut paths = Vec::new();
    for path in matches {
        match path {
            Ok(path) if path.is_file() => paths.push(path),
            Ok(_) => {}
            Err(error) => {
                let path = error.path().to_owned();
                return Err(Error::Unreadable {
                    path,
                    source: error.into(),
                });
            }
        }
    }
    paths.sort();
    found.files.extend(paths);
    Ok(())
}
