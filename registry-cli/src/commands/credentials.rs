//! The credentials file `registry login` writes: one publisher token per registry API URL, JSON
//! (`{"registries": {"<api url>": {"token": "anip_pat_…"}}}`), mode 0600, replaced atomically. Its place:
//! `ANIP_REGISTRY_CREDENTIALS`, else `$XDG_CONFIG_HOME/anip-registry/credentials.json`, else
//! `~/.config/anip-registry/credentials.json`. `ANIP_REGISTRY_PUBLISH_TOKEN` always wins over it.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::client::Registry;
use crate::error::{CliError, Result};

/// One registry's entry.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Entry {
    /// The bearer token (never printed).
    pub token: String,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Entry(<redacted>)")
    }
}

/// The file's contents.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Credentials {
    /// Entries by registry API URL.
    #[serde(default)]
    pub registries: BTreeMap<String, Entry>,
}

fn fail(what: String) -> CliError {
    CliError::CouldNotRun(what)
}

/// Where the credentials file is.
pub fn path() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("ANIP_REGISTRY_CREDENTIALS").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|p| !p.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })
        .ok_or_else(|| {
            fail("no place for credentials: set ANIP_REGISTRY_CREDENTIALS or HOME".into())
        })?;
    Ok(config.join("anip-registry").join("credentials.json"))
}

/// The file's contents (empty when it does not exist).
pub fn load() -> Result<Credentials> {
    let path = path()?;
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| fail(format!("{}: not a credentials file ({e})", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Credentials::default()),
        Err(e) => Err(fail(format!("reading {}: {e}", path.display()))),
    }
}

/// Replaces the file with `credentials` (mode 0600, written to a temporary file then renamed into place).
pub fn save(credentials: &Credentials) -> Result<PathBuf> {
    let path = path()?;
    let dir = path
        .parent()
        .ok_or_else(|| fail(format!("{}: no directory", path.display())))?;
    std::fs::create_dir_all(dir).map_err(|e| fail(format!("creating {}: {e}", dir.display())))?;
    let temporary = dir.join(format!(".credentials.{}.tmp", std::process::id()));
    let text = serde_json::to_vec_pretty(credentials).map_err(|e| fail(e.to_string()))?;
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .and_then(|mut file| {
            // An existing temporary file keeps its mode on open: set it again.
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            file.write_all(&text)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temporary, &path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(fail(format!("writing {}: {e}", path.display())));
    }
    Ok(path)
}

/// The token to use with `registry`: `ANIP_REGISTRY_PUBLISH_TOKEN` (or `--token`) when given, else the stored
/// one; `None` when there is neither.
pub fn token_for(registry: &Registry, given: Option<&str>) -> Result<Option<String>> {
    if let Some(token) = given.filter(|t| !t.trim().is_empty()) {
        return Ok(Some(token.trim().to_owned()));
    }
    if path().is_err() {
        return Ok(None);
    }
    Ok(load()?
        .registries
        .get(registry.api())
        .map(|e| e.token.clone()))
}
