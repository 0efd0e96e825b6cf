//! `registry keys`: a registry's keys, or a trusted-keys file made from them.

use serde_json::json;

use super::{registry, write_file};
use crate::cli::RegistryArg;
use crate::error::Result;
use crate::output::{self, Format};
use crate::trust;

/// Runs `registry keys`.
pub fn run(registry_arg: &RegistryArg, save: Option<&str>, format: Format) -> Result<()> {
    let registry = registry(registry_arg, None)?;
    let keys = trust::fetch(&registry)?;
    if keys.keys.is_empty() {
        return Err(crate::error::CliError::CouldNotRun(format!(
            "{}/keys lists no keys (no Ed25519 key to trust)",
            registry.api()
        )));
    }
    if let Some(path) = save {
        write_file(
            path,
            trust::render(&keys.keys, registry.api()).as_bytes(),
            false,
        )?;
        crate::errln!("saved {} key(s) to {path}", keys.keys.len());
    }
    match format {
        Format::Json => {
            let items: Vec<_> = keys
                .keys
                .iter()
                .map(|(id, key)| json!({"key_id": id.as_str(), "algorithm": "ed25519", "public_key": key.to_base64(),
                                        "dev_key": verifier::keys::is_dev_public_key(key)}))
                .collect();
            let body = json!({"signing_mode": keys.signing_mode, "active_key_id": keys.active_key_id, "items": items});
            crate::output::print_json(&body);
        }
        Format::Text => {
            crate::outln!("registry       {}", registry.api());
            crate::outln!("signing mode   {}", output::safe(&keys.signing_mode));
            crate::outln!("active key     {}", output::safe(&keys.active_key_id));
            for (id, key) in keys.keys.iter() {
                let note = if verifier::keys::is_dev_public_key(key) {
                    "  (public development key)"
                } else {
                    ""
                };
                crate::outln!("key            {id}={}{note}", key.to_base64());
            }
        }
    }
    Ok(())
}
