//! A publisher's commands: `login`, `logout`, `whoami`, `token create|list|revoke`, `namespace list|claim`,
//! `owner ID` and `yank ID@VERSION`. Tokens are read from stdin (never from the command line); the one in
//! `ANIP_REGISTRY_PUBLISH_TOKEN` wins over the stored one. Answers are printed as the registry's JSON.

use std::io::{BufRead as _, IsTerminal as _};

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::credentials::{self, Entry};
use super::split_package;
use crate::cli::RegistryArg;
use crate::client::{Registry, encode_segment};
use crate::error::{CliError, Result};

/// `--registry-url`, accepted anywhere after the command.
#[derive(Debug, Clone, Args)]
pub struct Where {
    /// The registry (`https://host` or `https://host/registry-api/v1`).
    #[arg(long, env = "ANIP_REGISTRY_URL", hide_env_values = true, global = true)]
    pub registry_url: Option<String>,
}

impl Where {
    /// The registry client.
    pub fn registry(&self) -> Result<Registry> {
        super::registry(
            &RegistryArg {
                registry_url: self.registry_url.clone(),
            },
            None,
        )
    }
}

/// A publisher's commands.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Store a publisher token (`anip_pat_…`, read from stdin) for a registry in the credentials file.
    #[command(after_help = "Examples:\n  \
        registry login --registry-url https://registry.example.com < token.txt\n  \
        printf '%s' \"$TOKEN\" | registry login --registry-url https://registry.example.com")]
    Login(Where),
    /// Forget the stored token of a registry.
    #[command(
        after_help = "Examples:\n  registry logout --registry-url https://registry.example.com"
    )]
    Logout(Where),
    /// Show the publisher and scopes of the token in use.
    #[command(
        after_help = "Examples:\n  registry whoami --registry-url https://registry.example.com"
    )]
    Whoami(Where),
    /// Mint, list and revoke the publisher's tokens (`manage:tokens`).
    #[command(after_help = "Examples:\n  \
        registry token create --label ci --operation publish:package --namespace acme\n  \
        registry token list\n  registry token revoke 123e4567-e89b-42d3-a456-426614174000")]
    Token {
        /// What to do.
        #[command(subcommand)]
        command: TokenCommand,
        #[command(flatten)]
        at: Where,
    },
    /// List or claim the publisher's namespaces.
    #[command(
        after_help = "Examples:\n  registry namespace list\n  registry namespace claim acme/tools"
    )]
    Namespace {
        /// What to do.
        #[command(subcommand)]
        command: NamespaceCommand,
        #[command(flatten)]
        at: Where,
    },
    /// Show who owns a package id (from the registry's public listing).
    #[command(
        after_help = "Examples:\n  registry owner acme/tools --registry-url https://registry.example.com"
    )]
    Owner {
        /// The package id.
        id: String,
        #[command(flatten)]
        at: Where,
    },
    /// Yank one of the publisher's versions, with a reason every reader sees (`manage:lifecycle`); --undo
    /// un-yanks it.
    #[command(after_help = "Examples:\n  \
        registry yank acme/tools@1.2.0 --reason \"CVE-2026-0001: leaks the token\"\n  \
        registry yank acme/tools@1.2.0 --undo")]
    Yank {
        /// `id@version`.
        package: String,
        /// Why (required to yank).
        #[arg(long)]
        reason: Option<String>,
        /// Un-yank instead.
        #[arg(long)]
        undo: bool,
        #[command(flatten)]
        at: Where,
    },
}

impl AccountCommand {
    /// Where this command's registry is (for the config file to fill in).
    pub fn at_mut(&mut self) -> &mut Where {
        match self {
            AccountCommand::Login(at) | AccountCommand::Logout(at) | AccountCommand::Whoami(at) => {
                at
            }
            AccountCommand::Token { at, .. }
            | AccountCommand::Namespace { at, .. }
            | AccountCommand::Owner { at, .. }
            | AccountCommand::Yank { at, .. } => at,
        }
    }
}

/// `registry token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Mint a token within the caller's own scopes; its bearer text is printed once.
    Create {
        /// A label.
        #[arg(long)]
        label: String,
        /// Operations (repeat): publish:package, publish:template, manage:tokens, manage:publisher,
        /// manage:lifecycle.
        #[arg(long = "operation", required = true)]
        operations: Vec<String>,
        /// Namespaces (repeat).
        #[arg(long = "namespace")]
        namespaces: Vec<String>,
        /// Package ids (repeat).
        #[arg(long = "package-id")]
        package_ids: Vec<String>,
        /// Template ids (repeat).
        #[arg(long = "template-id")]
        template_ids: Vec<String>,
        /// RFC 3339 expiry (default: the registry's default lifetime).
        #[arg(long)]
        expires_at: Option<String>,
    },
    /// List the publisher's tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke {
        /// The token id (a UUID).
        token_id: String,
    },
}

/// `registry namespace …`.
#[derive(Debug, Subcommand)]
pub enum NamespaceCommand {
    /// The publisher's namespaces.
    List,
    /// Claim a namespace (pending until the registry's admin verifies it; `manage:publisher`).
    Claim {
        /// The namespace.
        namespace: String,
    },
}

/// Prints `value` as indented JSON on stdout.
pub fn print_json(value: &Value) {
    crate::outln!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// The answer, or the registry's refusal as an error (exit 1).
pub fn answer(
    what: &str,
    result: std::result::Result<Value, crate::client::ApiFailure>,
) -> Result<Value> {
    result.map_err(|f| CliError::CouldNotRun(format!("{what} refused: {}", f.describe())))
}

/// The publisher token for `registry`: the environment's, else the stored one; exit 1 without either.
fn token(registry: &Registry) -> Result<String> {
    let given = std::env::var("ANIP_REGISTRY_PUBLISH_TOKEN").ok();
    credentials::token_for(registry, given.as_deref())?.ok_or_else(|| {
        CliError::CouldNotRun(format!(
            "no token for {}: run `registry login` or set ANIP_REGISTRY_PUBLISH_TOKEN",
            registry.api()
        ))
    })
}

fn me(registry: &Registry, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
    let token = token(registry)?;
    let body = body.map(|b| b.to_string().into_bytes());
    answer(
        &format!("{method} {path}"),
        registry.send(method, path, body.as_deref(), Some(&token))?,
    )
}

/// The token to log in with: typed on the terminal without echo (`rpassword`), else the first line of stdin.
fn read_token() -> Result<String> {
    let stdin = std::io::stdin();
    let line = if stdin.is_terminal() {
        crate::err!("publisher token (anip_pat_…, not shown): ");
        let typed = rpassword::read_password().map_err(|e| {
            CliError::CouldNotRun(format!("reading the token from the terminal: {e}"))
        });
        crate::errln!("");
        typed?
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::CouldNotRun(format!("reading the token from stdin: {e}")))?;
        line
    };
    let token = line.trim().to_owned();
    if token.is_empty() {
        return Err(CliError::CouldNotRun(
            "no token on stdin (the token is never taken from the command line)".into(),
        ));
    }
    Ok(token)
}

/// Runs a publisher command.
pub fn run(command: &AccountCommand) -> Result<()> {
    match command {
        AccountCommand::Login(at) => {
            let registry = at.registry()?;
            let token = read_token()?;
            let who = answer(
                "checking the token",
                registry.send("GET", "/me/publisher", None, Some(&token))?,
            )?;
            let mut stored = credentials::load()?;
            stored
                .registries
                .insert(registry.api().to_owned(), Entry { token });
            let path = credentials::save(&stored)?;
            crate::errln!(
                "logged in to {} as {} (token stored in {})",
                registry.api(),
                who["publisher"]["publisher_id"].as_str().unwrap_or("?"),
                path.display()
            );
            Ok(())
        }
        AccountCommand::Logout(at) => {
            let registry = at.registry()?;
            let mut stored = credentials::load()?;
            if stored.registries.remove(registry.api()).is_some() {
                credentials::save(&stored)?;
                crate::errln!("logged out of {}", registry.api());
            } else {
                crate::errln!("no stored token for {}", registry.api());
            }
            Ok(())
        }
        AccountCommand::Whoami(at) => {
            print_json(&me(&at.registry()?, "GET", "/me/publisher", None)?);
            Ok(())
        }
        AccountCommand::Token { command, at } => {
            let registry = at.registry()?;
            let value = match command {
                TokenCommand::Create {
                    label,
                    operations,
                    namespaces,
                    package_ids,
                    template_ids,
                    expires_at,
                } => {
                    let mut body = json!({"label": label, "scopes": {"operations": operations,
                        "namespaces": namespaces, "package_ids": package_ids, "template_ids": template_ids}});
                    if let Some(at) = expires_at {
                        body["expires_at"] = json!(at);
                    }
                    me(&registry, "POST", "/me/tokens", Some(body))?
                }
                TokenCommand::List => me(&registry, "GET", "/me/tokens", None)?,
                TokenCommand::Revoke { token_id } => me(
                    &registry,
                    "DELETE",
                    &format!("/me/tokens/{}", encode_segment(token_id)),
                    None,
                )?,
            };
            print_json(&value);
            Ok(())
        }
        AccountCommand::Namespace { command, at } => {
            let registry = at.registry()?;
            let value = match command {
                NamespaceCommand::List => me(&registry, "GET", "/me/namespaces", None)?,
                NamespaceCommand::Claim { namespace } => me(
                    &registry,
                    "POST",
                    "/me/namespaces",
                    Some(json!({"namespace": namespace})),
                )?,
            };
            print_json(&value);
            Ok(())
        }
        AccountCommand::Owner { id, at } => {
            let registry = at.registry()?;
            let listing = answer("GET /publications", registry.get("/publications")?)?;
            let row = listing["items"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|row| row["package_id"] == id.as_str())
                .ok_or_else(|| {
                    CliError::CouldNotRun(format!("no package {id:?} on the registry"))
                })?;
            print_json(&json!({"package_id": id, "publisher": row.get("publisher")}));
            Ok(())
        }
        AccountCommand::Yank {
            package,
            reason,
            undo,
            at,
        } => {
            let (id, version) = split_package(package)?;
            let body = if *undo {
                json!({"status": "active", "reason": reason.clone().unwrap_or_default()})
            } else {
                let reason = reason
                    .clone()
                    .filter(|r| !r.trim().is_empty())
                    .ok_or_else(|| {
                        CliError::CouldNotRun("a yank needs --reason (readers see it)".into())
                    })?;
                json!({"status": "yanked", "reason": reason})
            };
            let path = format!("{}/lifecycle", Registry::package_path(&id, &version, "")).replacen(
                "/packages/",
                "/me/packages/",
                1,
            );
            print_json(&me(&at.registry()?, "PATCH", &path, Some(body))?);
            Ok(())
        }
    }
}
