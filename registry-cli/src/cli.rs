//! The command-line interface: one clap struct, examples in every `--help`.

use clap::{Args, Parser, Subcommand};

use crate::output::Format;

/// `registry`: publish, resolve, verify and inspect ANIP packages on a trust registry.
#[derive(Debug, Parser)]
#[command(
    name = "registry",
    version,
    about,
    after_help = "Exit codes: 0 success, 2 a trust check failed, 1 could not run; 3 the registry's transparency \
                  log forked (a checkpoint not provably consistent with one seen before; the evidence is printed)."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the registry is.
#[derive(Debug, Clone, Args)]
pub struct RegistryArg {
    /// The registry (`https://host` or `https://host/registry-api/v1`). Credentials in it
    /// (`https://user:password@host`) are sent as HTTP Basic auth (a publish `--token` takes their place) and are
    /// never printed or written into a file.
    #[arg(long, env = "ANIP_REGISTRY_URL", hide_env_values = true)]
    pub registry_url: Option<String>,
}

/// How to trust and judge.
#[derive(Debug, Clone, Args)]
pub struct TrustArgs {
    /// Pinned keys (`key_id=base64` lines, as `registry keys --save` writes). Without it the registry's own `/keys`
    /// are trusted, with a warning.
    #[arg(long, value_name = "FILE")]
    pub trusted_keys: Option<String>,
    /// Require the registry's signing mode; `production` also refuses receipts signed with the public dev key.
    #[arg(long, value_enum, value_name = "MODE")]
    pub require_mode: Option<RequiredMode>,
    /// Accept legacy receipts (signed before the execution signature existed), reported as warnings.
    #[arg(long)]
    pub allow_legacy: bool,
    /// Accept yanked versions.
    #[arg(long)]
    pub allow_yanked: bool,
    /// A C2SP tlog-policy file (log keys, witnesses, quorum) every log checkpoint must pass. Without it the log is
    /// trusted under the trusted keys (or the registry's own `/keys` log block).
    #[arg(long, value_name = "FILE")]
    pub log_policy: Option<String>,
}

/// `verify --all`'s default parallelism: four per core (most of a check is waiting for the registry), 4 to 16.
pub fn default_jobs() -> u16 {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    u16::try_from((cores * 4).clamp(4, 16)).unwrap_or(16)
}

/// A signing mode a caller can require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RequiredMode {
    /// Development (the public dev key is allowed).
    Dev,
    /// Production: a real key, and never the public dev key.
    Production,
}

impl RequiredMode {
    /// `dev` or `production`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequiredMode::Dev => "dev",
            RequiredMode::Production => "production",
        }
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Publish a publish request or an exported `.anip-package.json` bundle.
    #[command(after_help = "Examples:\n  \
        registry publish request.json --registry-url https://registry.example.com --token $TOKEN\n  \
        registry publish gtm-0.4.5.anip-package.json --output request.json   # write the request, send nothing")]
    Publish {
        /// The publish request or bundle.
        file: String,
        #[command(flatten)]
        registry: RegistryArg,
        /// Publish bearer token.
        #[arg(long, env = "ANIP_REGISTRY_PUBLISH_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Write the exact request to FILE for offline review instead of sending it.
        #[arg(long, value_name = "FILE")]
        output: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Resolve a package through a pinned lock, as a generator does in CI: verify everything, compare with the
    /// lock, and only then write the record.
    #[command(after_help = "Examples:\n  \
        registry resolve work-items@1.2.0 --registry-url https://registry.example.com \\\n    \
        --lock-file anip.lock.json --write-lock --out package.json     # first time: create the lock\n  \
        registry resolve work-items@1.2.0 --lock-file anip.lock.json --out package.json   # later: must match")]
    Resolve {
        /// `id@version` (split at the last `@`).
        package: String,
        #[command(flatten)]
        registry: RegistryArg,
        /// The lock file to compare against (and to create with --write-lock).
        #[arg(long, value_name = "FILE")]
        lock_file: String,
        /// Create the lock file when it does not exist yet.
        #[arg(long)]
        write_lock: bool,
        /// Where to write the verified package record (default: stdout).
        #[arg(long, value_name = "FILE")]
        out: Option<String>,
        #[command(flatten)]
        trust: TrustArgs,
        /// Output format of the report (on stderr when the record goes to stdout).
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Verify a package on a registry, every package (--all), a bundle file or a lock file.
    #[command(after_help = "Examples:\n  \
        registry verify work-items@1.2.0 --registry-url https://registry.example.com --trusted-keys keys.txt\n  \
        registry verify --all --registry-url https://registry.example.com --require-mode production\n  \
        registry verify --bundle gtm-0.4.3.anip-package.json --trusted-keys keys.txt --allow-legacy --format json\n  \
        registry verify --lock-file anip.lock.json\n  \
        registry verify --template github-fronting-starter@0.2.0 --registry-url https://registry.example.com")]
    Verify {
        /// `id@version` on the registry.
        package: Option<String>,
        #[command(flatten)]
        registry: RegistryArg,
        /// Every version the registry lists.
        #[arg(long, conflicts_with_all = ["package", "bundle", "lock_file"])]
        all: bool,
        /// A bundle file (`.anip-package.json`), offline.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["package", "lock_file"])]
        bundle: Option<String>,
        /// With --bundle and no --trusted-keys: accept the keys the bundle carries (they prove nothing alone).
        #[arg(long, requires = "bundle")]
        trust_bundle_keys: bool,
        /// A template version on the registry (`id@version`): its digests and signed template receipt.
        #[arg(long, value_name = "ID@VERSION", conflicts_with_all = ["package", "bundle", "lock_file", "all"])]
        template: Option<String>,
        /// A lock file: its package is resolved from its registry and compared with it.
        #[arg(long, value_name = "FILE", conflicts_with = "package")]
        lock_file: Option<String>,
        /// With --all: how many versions are fetched and checked at once (1–64), over as many reused connections.
        #[arg(long, value_name = "N", default_value_t = default_jobs(), requires = "all",
              value_parser = clap::value_parser!(u16).range(1..=crate::client::MAX_POOLED_CONNECTIONS as i64))]
        jobs: u16,
        #[command(flatten)]
        trust: TrustArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// The registry's transparency log: its checkpoint, offline proofs, a full audit.
    Log(crate::commands::log::LogCommand),
    /// Show a registry's keys, or save them as a trusted-keys file.
    #[command(after_help = "Examples:\n  \
        registry keys --registry-url https://registry.example.com\n  \
        registry keys --registry-url https://registry.example.com --save trusted-keys.txt")]
    Keys {
        #[command(flatten)]
        registry: RegistryArg,
        /// Write the keys to FILE in the trusted-keys format (a new file).
        #[arg(long, value_name = "FILE")]
        save: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}
