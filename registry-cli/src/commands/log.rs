//! `registry log checkpoint|verify|proof|audit`: the registry's transparency log from the command line.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use verifier::tlog::proof::encode_hash;
use verifier::tlog::{Policy, TlogProof, VerifiedCheckpoint};

use super::{registry, split_package, trusted_keys};
use crate::check::fetch;
use crate::cli::{FormatArg, RegistryArg, TrustArgs};
use crate::client::Registry;
use crate::error::{CliError, Result};
use crate::log_check::{self, LogTrust};
use crate::output::Format;
use crate::trust;

impl LogAction {
    /// The registry, trust and format settings of this subcommand, for the config file to fill in.
    pub fn settings_mut(
        &mut self,
    ) -> (
        Option<&mut Option<String>>,
        Option<&mut TrustArgs>,
        Option<&mut FormatArg>,
    ) {
        match self {
            LogAction::Checkpoint {
                registry,
                trust,
                format,
            }
            | LogAction::Audit {
                registry,
                trust,
                format,
                ..
            } => (Some(&mut registry.registry_url), Some(trust), Some(format)),
            LogAction::Verify { format, .. } => (None, None, Some(format)),
            LogAction::Proof {
                registry, trust, ..
            } => (Some(&mut registry.registry_url), Some(trust), None),
        }
    }
}

/// `registry log …`.
#[derive(Debug, Args)]
pub struct LogCommand {
    /// What to do with the log.
    #[command(subcommand)]
    pub action: LogAction,
}

/// The log subcommands.
#[derive(Debug, Subcommand)]
pub enum LogAction {
    /// Fetch the current signed checkpoint, verify it and prove it consistent with the newest one seen (exit 3 on a
    /// fork), and remember it.
    #[command(after_help = "Examples:\n  \
        registry log checkpoint --registry-url https://registry.example.com --trusted-keys keys.txt")]
    Checkpoint {
        #[command(flatten)]
        registry: RegistryArg,
        #[command(flatten)]
        trust: TrustArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Verify a C2SP tlog-proof offline: the entry file is at its index under a checkpoint that passes the policy.
    #[command(after_help = "Examples:\n  \
        registry log verify acme-1.0.0.tlog-proof --entry acme-1.0.0.entry --log-policy registry.policy")]
    Verify {
        /// The `.tlog-proof` file.
        proof: String,
        /// The entry bytes (as the log holds them).
        #[arg(long, value_name = "FILE")]
        entry: String,
        /// The C2SP tlog-policy file (log keys, witnesses, quorum).
        #[arg(long, value_name = "FILE")]
        log_policy: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Check a version's inclusion and write its tlog-proof and entry (`<out>.tlog-proof`, `<out>.entry`), or add
    /// them to a bundle file (`--bundle`), for offline checks.
    #[command(after_help = "Examples:\n  \
        registry log proof acme/search@1.0.0 --registry-url https://registry.example.com --out acme-1.0.0\n  \
        registry log proof acme/search@1.0.0 --bundle acme-1.0.0.anip-package.json")]
    Proof {
        /// `id@version`.
        package: String,
        #[command(flatten)]
        registry: RegistryArg,
        /// Write `<OUT>.tlog-proof` and `<OUT>.entry`.
        #[arg(long, value_name = "OUT", required_unless_present = "bundle")]
        out: Option<String>,
        /// Add the proof to this bundle file (its `transparency_log` member), rewriting it.
        #[arg(long, value_name = "FILE")]
        bundle: Option<String>,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Download the whole log, recompute its tree, and check every entry against what the registry serves.
    #[command(after_help = "Examples:\n  \
        registry log audit --registry-url https://registry.example.com --trusted-keys keys.txt --jobs 16")]
    Audit {
        #[command(flatten)]
        registry: RegistryArg,
        #[command(flatten)]
        trust: TrustArgs,
        /// How many downloads and checks run at once (1–64), over as many reused connections.
        #[arg(long, value_name = "N", default_value_t = 16,
              value_parser = clap::value_parser!(u16).range(1..=crate::client::MAX_POOLED_CONNECTIONS as i64))]
        jobs: u16,
        /// Read each version's own receipt and record routes (the ones consumers fetch) instead of a bundle's
        /// receipts and records at once (`/log/receipts`, `/log/records`): two requests per version.
        #[arg(long)]
        receipt_routes: bool,
        /// Read each package version's own record route instead of a bundle's records at once (`/log/records`);
        /// receipts still a bundle at a time: one request per version.
        #[arg(long, conflicts_with = "receipt_routes")]
        record_routes: bool,
        #[command(flatten)]
        format: FormatArg,
    },
}

/// Runs `registry log …`.
pub fn run(command: &LogCommand) -> Result<()> {
    match &command.action {
        LogAction::Checkpoint {
            registry: registry_arg,
            trust: trust_args,
            format,
        } => {
            let (registry, trust) = connect(registry_arg, trust_args)?;
            let verified = log_check::current_checkpoint(&registry, &trust)?;
            let consistency = log_check::consistent_with_seen(&registry, &verified)?;
            print_checkpoint(&verified, &consistency, format.get());
            Ok(())
        }
        LogAction::Verify {
            proof,
            entry,
            log_policy,
            format,
        } => verify(proof, entry, log_policy, format.get()),
        LogAction::Proof {
            package,
            registry: registry_arg,
            out,
            bundle,
            trust: trust_args,
        } => proof(
            package,
            registry_arg,
            trust_args,
            out.as_deref(),
            bundle.as_deref(),
        ),
        LogAction::Audit {
            registry: registry_arg,
            trust: trust_args,
            jobs,
            receipt_routes,
            record_routes,
            format,
        } => {
            use super::log_audit::Reads;
            let (registry, trust) = connect(registry_arg, trust_args)?;
            let jobs = usize::from(*jobs);
            let reads = match (receipt_routes, record_routes) {
                (true, _) => Reads::Routes,
                (_, true) => Reads::RecordRoutes,
                _ => Reads::Bulk,
            };
            super::log_audit::run(&registry, &trust, (jobs, reads), format.get())
        }
    }
}

/// The registry and how its log is trusted (the log must exist).
pub fn connect(registry_arg: &RegistryArg, trust_args: &TrustArgs) -> Result<(Registry, LogTrust)> {
    let registry = registry(registry_arg, None)?;
    let registry_keys = trust::fetch(&registry)?;
    let trusted = trusted_keys(trust_args, &registry_keys)?;
    let trust = log_check::log_trust(&registry_keys, &trusted, trust_args.log_policy.as_deref())?
        .ok_or_else(|| {
        CliError::CouldNotRun(format!(
            "{} announces no transparency log (no \"log\" in /keys); pass --log-policy to name one",
            registry.api()
        ))
    })?;
    Ok((registry, trust))
}

/// A verified checkpoint as JSON.
pub fn checkpoint_json(verified: &VerifiedCheckpoint) -> Value {
    json!({
        "origin": verified.checkpoint.origin,
        "tree_size": verified.checkpoint.size,
        "root_hash": encode_hash(&verified.checkpoint.root),
        "log_key": verified.log_key,
        "cosignatures": verified.cosignatures.iter()
            .map(|c| json!({"name": c.name, "timestamp": c.timestamp})).collect::<Vec<_>>(),
        "checkpoint": verified.signed.to_text(),
    })
}

fn print_checkpoint(verified: &VerifiedCheckpoint, consistency: &str, format: Format) {
    match format {
        Format::Json => {
            let mut body = checkpoint_json(verified);
            body["consistency"] = Value::String(consistency.to_owned());
            crate::output::print_json(&body);
        }
        Format::Text => {
            crate::out!("{}", crate::output::safe(&verified.signed.to_text()));
            crate::errln!(
                "verified: {} entries, signed by {}, {} cosignature(s); {consistency}",
                verified.checkpoint.size,
                verified.log_key,
                verified.cosignatures.len()
            );
        }
    }
}

fn read(path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| CliError::CouldNotRun(format!("reading {path}: {e}")))
}

fn verify(proof: &str, entry: &str, policy: &str, format: Format) -> Result<()> {
    let text = String::from_utf8(read(proof)?)
        .map_err(|_| CliError::CouldNotRun(format!("{proof}: not UTF-8")))?;
    let parsed =
        TlogProof::parse(&text).map_err(|e| CliError::CheckFailed(format!("{proof}: {e}")))?;
    let policy = Policy::parse(&String::from_utf8_lossy(&read(policy)?))
        .map_err(|e| CliError::CouldNotRun(format!("{policy}: {e}")))?;
    let verified = parsed
        .verify(&read(entry)?, &policy)
        .map_err(|e| CliError::CheckFailed(format!("{proof}: {e} ({})", e.code())))?;
    match format {
        Format::Json => {
            let mut body = checkpoint_json(&verified);
            body["index"] = json!(parsed.index);
            body["status"] = json!("verified");
            crate::output::print_json(&body);
        }
        Format::Text => crate::outln!(
            "verified: entry {} is in the checkpoint of size {} of {}",
            parsed.index,
            verified.checkpoint.size,
            crate::output::safe(&verified.checkpoint.origin)
        ),
    }
    Ok(())
}

fn proof(
    package: &str,
    registry_arg: &RegistryArg,
    trust_args: &TrustArgs,
    out: Option<&str>,
    bundle: Option<&str>,
) -> Result<()> {
    let (id, version) = split_package(package)?;
    let (registry, trust) = connect(registry_arg, trust_args)?;
    let fetched = fetch(&registry, &id, &version, true)?;
    let mut checks = verifier::report::Checks::default();
    let found = log_check::check_package(&registry, &fetched, &trust, &mut checks)?;
    let failures: Vec<String> = checks
        .failures()
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    let Some(found) = found.filter(|_| failures.is_empty()) else {
        return Err(CliError::CheckFailed(format!(
            "{id}@{version}: {}",
            failures.join("; ")
        )));
    };
    let entry = verifier::tlog::Entry::from_record(&fetched.receipt, &fetched.record)
        .and_then(|e| e.to_bytes())
        .map_err(|e| CliError::CouldNotRun(e.to_string()))?;
    if let Some(out) = out {
        super::write_file(
            &format!("{out}.tlog-proof"),
            found.tlog_proof.as_bytes(),
            true,
        )?;
        super::write_file(&format!("{out}.entry"), &entry, true)?;
        crate::errln!(
            "wrote {out}.tlog-proof and {out}.entry (entry {})",
            found.log_index
        );
    }
    if let Some(path) = bundle {
        let mut value = verifier::json::parse_strict(&read(path)?)
            .map_err(|e| CliError::CouldNotRun(format!("{path}: {e}")))?;
        let Some(root) = value.as_object_mut() else {
            return Err(CliError::CouldNotRun(format!("{path}: not a JSON object")));
        };
        root.insert(
            crate::commands::verify::BUNDLE_LOG_MEMBER.to_owned(),
            json!({"log_index": found.log_index, "log_entry": B64.encode(&entry),
                   "tlog_proof": found.tlog_proof}),
        );
        let mut bytes =
            serde_json::to_vec_pretty(&value).map_err(|e| CliError::CouldNotRun(e.to_string()))?;
        bytes.push(b'\n');
        super::write_file(path, &bytes, true)?;
        crate::errln!("added the log proof (entry {}) to {path}", found.log_index);
    }
    Ok(())
}
