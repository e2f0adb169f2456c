//! Which config files are read, in ascending priority (docs/configuration.md, "Config files").

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::file::{self, Kind};
use crate::values::expand_home;
use crate::{Environment, LoadOptions, Warning};

/// The files to read, lowest priority first, and what was odd on the way.
#[derive(Debug, Default)]
pub(crate) struct Discovered {
    pub(crate) files: Vec<PathBuf>,
    pub(crate) warnings: Vec<Warning>,
}

/// Finds the config files: system dirs, the user dir, `KELD_CONFIG_PATHS`; or only
/// the explicit file (`--config`, then `KELD_CONFIG_FILE`).
pub(crate) fn discover(env: &Environment, options: &LoadOptions) -> Result<Discovered, Error> {
    let home = env.home.as_deref();
    let explicit = options.config_file.clone().or_else(|| {
        env.vars
            .get("KELD_CONFIG_FILE")
            .filter(|value| !value.is_empty())
            .map(|value| PathBuf::from(expand_home(value, home)))
    });
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
        .vars
        .get("XDG_CONFIG_HOME")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .or_else(|| home.map(|home| home.join(".config")));
    if let Some(xdg) = xdg {
        config_dir(&xdg.join("keld"), &mut found.files)?;
    }
    if let Some(paths) = env.vars.get("KELD_CONFIG_PATHS") {
        for entry in paths.split(':').filter(|entry| !entry.is_empty()) {
            extra_path(entry, home, &mut found)?;
        }
    }
    Ok(found)
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

/// One `KELD_CONFIG_PATHS` entry: a file, or a glob whose matches are sorted.
fn extra_path(entry: &str, home: Option<&Path>, found: &mut Discovered) -> Result<(), Error> {
    let expanded = expand_home(entry, home);
    if !expanded.contains(['*', '?', '[']) {
        let path = PathBuf::from(&expanded);
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
    let matches = glob::glob(&expanded).map_err(|error| Error::InvalidGlob {
        pattern: entry.to_owned(),
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
