//! `registry-keygen`: makes a fresh Ed25519 signing key pair for the ANIP trust registry, printed as environment
//! lines or JSON, or written to a new mode-0600 file.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use time::OffsetDateTime;
use time::macros::format_description;
use verifier::keys::{KeyId, SigningKey};

/// Makes a fresh Ed25519 signing key pair for the ANIP trust registry.
#[derive(Debug, Parser)]
#[command(
    name = "registry-keygen",
    version,
    long_about = "Makes a fresh Ed25519 signing key pair for the ANIP trust registry from 32 bytes of the operating \
                  system's random number generator.\n\nBy default prints four lines: ANIP_REGISTRY_KEY_ID, \
                  ANIP_REGISTRY_ED25519_PRIVATE_KEY (base64 of the 32-byte seed), a comment and \
                  ANIP_REGISTRY_EXTRA_PUBLIC_KEYS (<key_id>=<base64 public key>, for rotation lists). The output \
                  contains the private key: keep it secret.",
    after_help = "Examples:\n  registry-keygen --key-id anip-registry-2026-q3 --out registry.env\n  \
                  registry-keygen --json\n\nGo-style single-dash flags (-key-id, -json, -out, -help) are accepted too."
)]
struct Args {
    /// Key id: non-empty, at most 128 bytes, no ':', ',', '=', whitespace or control characters.
    /// [default: registry-<UTC yyyymmdd-HHMMSS>-<8 hex digits of the public key's SHA-256>]
    #[arg(long, value_name = "ID")]
    key_id: Option<String>,
    /// Print one JSON object instead of environment lines.
    #[arg(long)]
    json: bool,
    /// Write the output to this new file (mode 0600; an existing file is never overwritten) instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse_from(go_style_args(std::env::args_os()));
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // A closed stderr is no reason to panic (`eprintln!` would).
            let _ = writeln!(std::io::stderr(), "registry-keygen: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Rewrites Go `flag`-style `-key-id`, `-json`, `-out` and `-help` (also with `=value`) to their `--` forms.
fn go_style_args(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut past_end = false;
    args.enumerate()
        .map(|(index, arg)| {
            if index == 0 || past_end {
                return arg;
            }
            if arg == "--" {
                past_end = true;
                return arg;
            }
            let go_style = arg
                .to_str()
                .and_then(|text| text.strip_prefix('-'))
                .and_then(|rest| rest.split('=').next())
                .is_some_and(|name| matches!(name, "key-id" | "json" | "out" | "help"));
            if go_style {
                let mut long = std::ffi::OsString::from("-");
                long.push(&arg);
                long
            } else {
                arg
            }
        })
        .collect()
}

/// Generates the key and emits it as `args` ask.
fn run(args: &Args) -> Result<(), String> {
    let key = generate(args.key_id.as_deref())?;
    let text = if args.json {
        render_json(&key)?
    } else {
        render_env(&key)
    };
    match &args.out {
        Some(path) => {
            write_new_file(path, &text)?;
            let _ = writeln!(
                std::io::stderr(),
                "wrote key {} to {} (mode 0600); public entry: {}",
                key.key_id(),
                path.display(),
                public_entry(&key)
            );
            Ok(())
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| format!("cannot write to stdout: {e}"))
        }
    }
}

/// `registry-<UTC yyyymmdd-HHMMSS>-<first 8 hex digits of SHA-256(public key)>`: ANIP's timestamp id, made
/// unique to the key (ANIP's clients pin a registry by key id alone, so two installations whose keys were made in the
/// same second must not share one).
fn default_key_id(public_key: &verifier::keys::PublicKey) -> Result<String, String> {
    let stamp = OffsetDateTime::now_utc()
        .format(format_description!(
            "[year][month][day]-[hour][minute][second]"
        ))
        .map_err(|e| format!("cannot format the current time: {e}"))?;
    let digest = verifier::canonical::sha256_hex(&public_key.to_bytes());
    let hex = &digest[verifier::canonical::SHA256_PREFIX.len()..][..8];
    Ok(format!("registry-{stamp}-{hex}"))
}

/// A key pair from 32 bytes of the OS random number generator, with `key_id` or the default id.
fn generate(key_id: Option<&str>) -> Result<SigningKey, String> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| format!("cannot read the OS random number generator: {e}"))?;
    let invalid = |e: verifier::FormatError| format!("invalid --key-id: {}", e.message);
    let key_id = match key_id {
        Some(id) => KeyId::new(id).map_err(invalid)?,
        None => {
            let probe = SigningKey::from_seed(KeyId::new("registry").map_err(invalid)?, &seed);
            KeyId::new(&default_key_id(&probe.public_key())?).map_err(invalid)?
        }
    };
    let key = SigningKey::from_seed(key_id, &seed);
    seed.fill(0);
    Ok(key)
}

/// `<key_id>=<base64 public key>`, one entry of `ANIP_REGISTRY_EXTRA_PUBLIC_KEYS`.
fn public_entry(key: &SigningKey) -> String {
    format!("{}={}", key.key_id(), key.public_key().to_base64())
}

/// The four environment lines.
fn render_env(key: &SigningKey) -> String {
    format!(
        "ANIP_REGISTRY_KEY_ID={}\nANIP_REGISTRY_ED25519_PRIVATE_KEY={}\n# Public verification key for rotation lists:\n\
         ANIP_REGISTRY_EXTRA_PUBLIC_KEYS={}\n",
        key.key_id(),
        key.seed_base64(),
        public_entry(key)
    )
}

/// One 2-space-indented JSON object with sorted keys and a trailing newline.
fn render_json(key: &SigningKey) -> Result<String, String> {
    // Keys are written in sorted order, so the text is sorted with or without serde_json's `preserve_order`.
    let value = serde_json::json!({
        "algorithm": "ed25519",
        "extra_public_entry": public_entry(key),
        "key_id": key.key_id().as_str(),
        "private_key": key.keypair_base64(),
        "private_key_seed": key.seed_base64(),
        "public_key": key.public_key().to_base64(),
    });
    let text =
        serde_json::to_string_pretty(&value).map_err(|e| format!("cannot render JSON: {e}"))?;
    Ok(text + "\n")
}

/// Writes `text` to a file that must not exist yet, created with mode 0600; removes it again if writing fails.
fn write_new_file(path: &Path, text: &str) -> Result<(), String> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                format!(
                    "{} already exists; refusing to overwrite it",
                    path.display()
                )
            }
            _ => format!("cannot create {}: {e}", path.display()),
        })?;
    let written = file
        .set_permissions(std::fs::Permissions::from_mode(0o600))
        .and_then(|()| file.write_all(text.as_bytes()))
        .and_then(|()| file.sync_all());
    if let Err(e) = written {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(format!("cannot write {}: {e}", path.display()));
    }
    Ok(())
}
