//! The command-line interface: one clap struct, examples in every `--help`.

use clap::{Args, Parser, Subcommand};

use crate::output::Format;

/// `registry`: publish, resolve, verify and inspect ANIP packages on a trust registry.
#[derive(Debug, Parser)]
#[command(
    name = "registry",
    version = crate::VERSION,
    about,
    after_help = "Exit codes: 0 success, 1 could not run, 2 a trust or rule check failed, 3 the registry's \
                  transparency log forked (a checkpoint not provably consistent with one seen before; the evidence \
                  is printed), 64 a usage error.\n\
                  Defaults: a flag, else its ANIP_REGISTRY_* variable, else $XDG_CONFIG_HOME/anip-registry/config.toml\n\
                  (registry_url, trusted_keys, format), else the built-in default."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// A PEM file of CA certificates to trust for https registries, besides the built-in Mozilla roots (the system
    /// store is not read): for a registry or mirror behind a private CA.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "ANIP_REGISTRY_CA_FILE"
    )]
    pub ca_file: Option<String>,
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
    #[arg(long, value_name = "FILE", env = "ANIP_REGISTRY_TRUSTED_KEYS")]
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

/// How to print.
#[derive(Debug, Clone, Args)]
pub struct FormatArg {
    /// Output format: `text` or `json` (one JSON document on stdout, failures included). Default: the config
    /// file's `format`, else `text`.
    #[arg(long, value_enum, env = "ANIP_REGISTRY_FORMAT")]
    pub format: Option<Format>,
}

impl FormatArg {
    /// The chosen format (`text` when none was chosen).
    pub fn get(&self) -> Format {
        self.format.unwrap_or(Format::Text)
    }
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
    /// Publish a publish request, an exported `.anip-package.json` bundle or a starter template (the kind is read
    /// from the file, or forced with --template). Every publish-time rule is checked first.
    #[command(after_help = "Examples:\n  \
        registry publish request.json --registry-url https://registry.example.com --token $TOKEN\n  \
        registry publish request.json --dry-run      # check it and ask whether the version is free\n  \
        registry publish starter.json --template --token $TOKEN\n  \
        registry publish gtm-0.4.5.anip-package.json --output request.json   # write the request, send nothing")]
    Publish {
        /// The publish request, bundle or template request.
        file: String,
        #[command(flatten)]
        registry: RegistryArg,
        /// Publish bearer token.
        #[arg(long, env = "ANIP_REGISTRY_PUBLISH_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Write the exact request to FILE for offline review instead of sending it (refused when the registry would
        /// reject it, unless --force).
        #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
        output: Option<String>,
        /// With --output: write the request even when it breaks a publish rule.
        #[arg(long, requires = "output")]
        force: bool,
        /// Check every publish-time rule and ask the registry whether the version is free; publish nothing.
        #[arg(long)]
        dry_run: bool,
        /// The file is a starter template request (`POST /templates`), whatever it looks like.
        #[arg(long)]
        template: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Check a publish request, bundle or template request against every publish-time rule, offline. Exit 0 when
    /// it passes, 2 when it breaks a rule (each problem with its JSON path).
    #[command(after_help = "Examples:\n  \
        registry check request.json\n  \
        registry check gtm-0.4.5.anip-package.json --format json\n  \
        registry check starter.json --template")]
    Check {
        /// The file to check.
        file: String,
        /// The file is a starter template request, whatever it looks like.
        #[arg(long)]
        template: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Resolve a package through a pinned lock, as a generator does in CI: verify everything, compare with the
    /// lock, and only then write the record.
    #[command(after_help = "Examples:\n  \
        registry resolve work-items@1.2.0 --registry-url https://registry.example.com \\\n    \
        --lock-file anip.lock.json --write-lock --out package.json     # first time: create the lock\n  \
        registry resolve work-items@1.2.0 --lock-file anip.lock.json --out package.json   # later: must match\n  \
        registry resolve work-items@^1.2 --lock-file anip.lock.json --update-lock --out package.json   # move on")]
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
        /// Re-resolve and rewrite the lock when it no longer matches (for example after `ID@^1` moved on), only after
        /// every other check passed; prints what changed.
        #[arg(long)]
        update_lock: bool,
        /// Where to write the verified package record (default: stdout).
        #[arg(long, value_name = "FILE")]
        out: Option<String>,
        #[command(flatten)]
        trust: TrustArgs,
        #[command(flatten)]
        format: FormatArg,
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
        #[command(flatten)]
        format: FormatArg,
    },
    /// A publisher's commands (login, whoami, tokens, namespaces, owner, yank).
    #[command(flatten)]
    Account(crate::commands::account::AccountCommand),
    /// The registry admin's commands (token from ANIP_REGISTRY_ADMIN_TOKEN).
    #[command(after_help = "Examples:\n  \
        registry admin publisher create acme --name \"Acme Inc.\" --namespace acme\n  \
        registry admin artifact transfer package acme/tools --to beta\n  \
        registry admin lifecycle acme/tools@1.0.0 takedown --reason legal\n  \
        registry admin audit --after 0")]
    Admin {
        /// What to do.
        #[command(subcommand)]
        command: crate::commands::admin::AdminCommand,
        #[command(flatten)]
        at: crate::commands::account::Where,
    },
    /// The registry's transparency log: its checkpoint, offline proofs, a full audit.
    Log(crate::commands::log::LogCommand),
    /// Keep a verified static copy of a registry in a folder (served by any static file server, or read with
    /// `--registry-url file:///DIR`): every entry of its log checked before anything is written.
    #[command(after_help = "Examples:\n  \
        registry mirror --from https://registry.example.com --to ./mirror --trusted-keys keys.txt\n  \
        registry verify pkg@1.2.0 --registry-url file://$PWD/mirror --trusted-keys keys.txt\n\
        Exit codes: 2 the origin is inconsistent (the folder is left as it was), 3 its log forked.")]
    Mirror {
        /// The origin registry's URL.
        #[arg(long, value_name = "URL")]
        from: String,
        /// The mirror folder (created when missing; a later run adds what the log added).
        #[arg(long, value_name = "DIR")]
        to: String,
        /// Versions fetched and checked at once.
        #[arg(long, default_value_t = default_jobs(), value_parser = clap::value_parser!(u16).range(1..=64))]
        jobs: u16,
        #[command(flatten)]
        trust: TrustArgs,
        #[command(flatten)]
        format: FormatArg,
    },
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
        #[command(flatten)]
        format: FormatArg,
    },
    /// Search the registry (ids, names, descriptions, capabilities and publishers) and list matching versions.
    #[command(after_help = "Examples:\n  \
        registry search work-items --registry-url https://registry.example.com\n  \
        registry search github --template --limit 5 --format json")]
    Search {
        /// The text to look for.
        text: String,
        #[command(flatten)]
        registry: RegistryArg,
        /// Search starter templates instead of packages.
        #[arg(long)]
        template: bool,
        /// The most versions listed (1-1000).
        #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show a package's versions, latest, lifecycle and owner, and the digests of one version (`ID` or
    /// `ID@latest`: the latest; `ID@VERSION`; `ID@^1.2`: the highest usable match).
    #[command(after_help = "Examples:\n  \
        registry info work-items --registry-url https://registry.example.com\n  \
        registry info work-items@1.2.0 --format json\n  \
        registry info work-items@^1.2\n  \
        registry info github-fronting-starter --template")]
    Info {
        /// `ID`, `ID@VERSION`, `ID@latest` or `ID@<SemVer requirement>`.
        package: String,
        #[command(flatten)]
        registry: RegistryArg,
        /// A starter template instead of a package.
        #[arg(long)]
        template: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell) on stdout.
    #[command(after_help = "Examples:\n  \
        registry completions bash > ~/.local/share/bash-completion/completions/registry\n  \
        registry completions zsh > ~/.zfunc/_registry")]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff, generated from these definitions) on stdout, or write every command's page.
    #[command(after_help = "Examples:\n  \
        registry man > registry.1 && man ./registry.1\n  \
        registry man --out-dir /usr/local/share/man/man1   # registry.1, registry-publish.1, ...")]
    Man {
        /// Write `registry.1` and one page per command (`registry-publish.1`, …) into DIR instead.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<String>,
    },
}

impl Command {
    /// The registry URL, trust and format settings this command has, for the config file to fill in.
    pub fn settings_mut(
        &mut self,
    ) -> (
        Option<&mut Option<String>>,
        Option<&mut TrustArgs>,
        Option<&mut FormatArg>,
    ) {
        match self {
            Command::Publish {
                registry, format, ..
            } => (Some(&mut registry.registry_url), None, Some(format)),
            Command::Check { format, .. } => (None, None, Some(format)),
            Command::Resolve {
                registry,
                trust,
                format,
                ..
            }
            | Command::Verify {
                registry,
                trust,
                format,
                ..
            } => (Some(&mut registry.registry_url), Some(trust), Some(format)),
            Command::Mirror { trust, format, .. } => (None, Some(trust), Some(format)),
            Command::Keys {
                registry, format, ..
            }
            | Command::Search {
                registry, format, ..
            }
            | Command::Info {
                registry, format, ..
            } => (Some(&mut registry.registry_url), None, Some(format)),
            Command::Account(account) => (Some(&mut account.at_mut().registry_url), None, None),
            Command::Admin { at, .. } => (Some(&mut at.registry_url), None, None),
            Command::Log(log) => log.action.settings_mut(),
            Command::Completions { .. } | Command::Man { .. } => (None, None, None),
        }
    }

    /// The output format chosen for this command (`text` for commands without one).
    pub fn format(&mut self) -> Format {
        self.settings_mut().2.map_or(Format::Text, |f| f.get())
    }
}
