//! The configuration file, `$XDG_CONFIG_HOME/anip-registry/config.toml` (else `~/.config/anip-registry/config.toml`;
//! `ANIP_REGISTRY_CONFIG=FILE` names another, `ANIP_REGISTRY_CONFIG=` none). Precedence: a flag, then its
//! `ANIP_REGISTRY_*` variable, then this file, then the built-in default.
//!
//! ```toml
//! registry_url = "https://registry.example.com"   # --registry-url / ANIP_REGISTRY_URL
//! trusted_keys = "keys.txt"                        # --trusted-keys / ANIP_REGISTRY_TRUSTED_KEYS (relative to this file)
//! format = "json"                                  # --format / ANIP_REGISTRY_FORMAT ("text" or "json")
//! ```
//!
//! A missing file is no configuration; an unreadable or malformed one (or an unknown key) is an error (exit 1).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cli::Command;
use crate::error::{CliError, Result};
use crate::output::Format;

/// What the file may set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Default registry URL.
    pub registry_url: Option<String>,
    /// Default trusted-keys file (a relative path is taken from the config file's directory).
    pub trusted_keys: Option<String>,
    /// Default output format.
    pub format: Option<FileFormat>,
}

/// `text` or `json`, as the file spells it.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// Aligned text.
    Text,
    /// JSON.
    Json,
}

impl From<FileFormat> for Format {
    fn from(f: FileFormat) -> Self {
        match f {
            FileFormat::Text => Format::Text,
            FileFormat::Json => Format::Json,
        }
    }
}

/// Where the config file is: `ANIP_REGISTRY_CONFIG` (empty: none), else the XDG location.
pub fn path() -> Option<PathBuf> {
    if let Some(explicit) = std::env::var_os("ANIP_REGISTRY_CONFIG") {
        return (!explicit.is_empty()).then(|| PathBuf::from(explicit));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty() && Path::new(v).is_absolute())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".config"))
        })?;
    Some(base.join("anip-registry").join("config.toml"))
}

/// Reads the config file (none when it does not exist).
pub fn load() -> Result<FileConfig> {
    let Some(path) = path() else {
        return Ok(FileConfig::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileConfig::default()),
        Err(e) => {
            return Err(CliError::CouldNotRun(format!(
                "reading the config file {}: {e}",
                path.display()
            )));
        }
    };
    let mut config: FileConfig = toml::from_str(&text).map_err(|e| {
        CliError::could_not_run(
            "invalid_config",
            format!("the config file {} is not valid", path.display()),
            vec![crate::error::Problem::text(e.message().to_owned())],
        )
    })?;
    if let (Some(keys), Some(dir)) = (&config.trusted_keys, path.parent()) {
        config.trusted_keys = Some(dir.join(keys).display().to_string());
    }
    Ok(config)
}

/// Fills what the command line and the environment left unset from `config`.
pub fn apply(config: &FileConfig, command: &mut Command) {
    let (registry, trust, format) = command.settings_mut();
    if let Some(registry_url) = registry
        && registry_url.is_none()
    {
        registry_url.clone_from(&config.registry_url);
    }
    if let Some(trust) = trust
        && trust.trusted_keys.is_none()
    {
        trust.trusted_keys.clone_from(&config.trusted_keys);
    }
    if let Some(format) = format
        && format.format.is_none()
    {
        format.format = config.format.map(Format::from);
    }
}

/// Whether the arguments, environment or config file ask for JSON output (used before the arguments parse, so a
/// usage error can still be a JSON document).
pub fn wants_json(args: &[std::ffi::OsString]) -> bool {
    let mut flag = None;
    let mut iter = args.iter().map(|a| a.to_string_lossy());
    while let Some(arg) = iter.next() {
        if arg == "--" {
            break;
        }
        if arg == "--format" {
            flag = iter.next().map(|v| v.into_owned());
        } else if let Some(value) = arg.strip_prefix("--format=") {
            flag = Some(value.to_owned());
        }
    }
    let chosen = flag
        .or_else(|| std::env::var("ANIP_REGISTRY_FORMAT").ok())
        .or_else(|| {
            load().ok()?.format.map(|f| match f {
                FileFormat::Json => "json".to_owned(),
                FileFormat::Text => "text".to_owned(),
            })
        });
    chosen.as_deref() == Some("json")
}
