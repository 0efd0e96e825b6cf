//! The commands, and what they share: package arguments, registry URLs, trusted keys and file writing.

pub mod keys;
pub mod log;
pub mod log_audit;
pub mod publish;
pub mod resolve;
pub mod verify;
pub mod verify_all;

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;

use crate::cli::{RegistryArg, TrustArgs};
use crate::client::Registry;
use crate::error::{CliError, Result};
use crate::output;
use crate::trust::{self, RegistryKeys, TrustedKeys};

/// Splits `id@version` at the last `@`; the version must be one the registry accepts (the verifier's one SemVer
/// rule: a number beyond `u64` is `version_out_of_range`).
pub fn split_package(package: &str) -> Result<(String, String)> {
    match package.rsplit_once('@') {
        Some((id, version)) if !id.is_empty() && !version.is_empty() => {
            verifier::version::parse(version).map_err(|e| {
                CliError::CouldNotRun(format!(
                    "{package:?}: {version:?} is not a SemVer 2.0 version ({}: {e})",
                    e.code()
                ))
            })?;
            Ok((id.to_owned(), version.to_owned()))
        }
        _ => Err(CliError::CouldNotRun(format!(
            "{package:?} is not <id>@<version>"
        ))),
    }
}

/// The registry from `--registry-url` / `ANIP_REGISTRY_URL`, or `fallback` (a lock's URL).
pub fn registry(arg: &RegistryArg, fallback: Option<&str>) -> Result<Registry> {
    match arg
        .registry_url
        .as_deref()
        .or(fallback)
        .filter(|u| !u.trim().is_empty())
    {
        Some(url) => Registry::new(url),
        None => Err(CliError::CouldNotRun(
            "no registry: pass --registry-url or set ANIP_REGISTRY_URL".to_owned(),
        )),
    }
}

/// The keys to trust: the pinned file, else the registry's own list (with a warning).
pub fn trusted_keys(args: &TrustArgs, registry_keys: &RegistryKeys) -> Result<TrustedKeys> {
    match &args.trusted_keys {
        Some(path) => Ok(TrustedKeys {
            keys: trust::read_file(path)?,
            pinned: true,
        }),
        None => {
            output::warn("no --trusted-keys: trusting the keys the registry lists about itself");
            Ok(TrustedKeys {
                keys: registry_keys.keys.clone(),
                pinned: false,
            })
        }
    }
}

/// Writes `contents` to a new file with mode 0600 (refusing to overwrite), or replaces it when `replace`.
pub fn write_file(path: &str, contents: &[u8], replace: bool) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).mode(0o600);
    if replace {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options
        .open(path)
        .map_err(|e| CliError::CouldNotRun(format!("writing {path}: {e}")))?;
    file.write_all(contents)
        .map_err(|e| CliError::CouldNotRun(format!("writing {path}: {e}")))
}
