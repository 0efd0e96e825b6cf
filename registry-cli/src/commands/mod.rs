//! The commands, and what they share: package arguments, registry URLs, trusted keys and file writing.

pub mod account;
pub mod admin;
pub mod credentials;
pub mod discover;
pub mod docs;
pub mod keys;
pub mod log;
pub mod log_audit;
pub mod log_audit_check;
pub mod log_audit_records;
pub mod publish;
pub mod resolve;
pub mod rules;
pub mod verify;
pub mod verify_all;
pub mod verify_all_log;
pub mod versions;

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;

use crate::cli::{RegistryArg, TrustArgs};
use crate::client::Registry;
use crate::error::{CliError, Result};
use crate::output;
use crate::trust::{self, RegistryKeys, TrustedKeys};

/// `ID@VERSION` with an exact SemVer version (commands that change one version: yank, lifecycle). Errors: usage.
pub fn split_package(package: &str) -> Result<(String, String)> {
    match versions::split(package, false)? {
        (id, versions::Spec::Exact(version)) => Ok((id, version)),
        _ => Err(CliError::Usage(format!(
            "{package:?}: this command changes one exact version (<id>@<version>), not `latest` or a range"
        ))),
    }
}

/// `id@spec` → the id and what it asks for, read before anything else (a bad spec is a usage error, exit 64).
pub fn spec(package: &str) -> Result<(String, versions::Spec)> {
    versions::split(package, false)
}

/// The exact version `spec` names for `id` on `registry` (an exact version as it is; `latest` and SemVer
/// requirements chosen from the registry's list of versions, see [`versions`]).
pub fn pick(
    registry: &Registry,
    kind: rules::Kind,
    (id, spec): (String, versions::Spec),
) -> Result<(String, String)> {
    let version = versions::choose(registry, kind, &id, &spec)?;
    Ok((id, version))
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
