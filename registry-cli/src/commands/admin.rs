//! `registry admin …`: the registry admin's routes (publishers, namespaces, artifacts, version lifecycle, abuse
//! reports, the audit trail) with the admin token from `ANIP_REGISTRY_ADMIN_TOKEN` (never from the command line).
//! Answers are printed as the registry's JSON.

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::account::{Where, answer, print_json};
use super::split_package;
use crate::client::{Registry, encode_segment};
use crate::error::{CliError, Result};

/// Listing filters.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Substring of the id.
    #[arg(long)]
    pub search: Option<String>,
    /// Exact status.
    #[arg(long)]
    pub status: Option<String>,
    /// Page size (1–100, default 25).
    #[arg(long)]
    pub limit: Option<u32>,
    /// Rows to skip.
    #[arg(long)]
    pub offset: Option<u32>,
}

impl ListArgs {
    fn query(&self) -> String {
        let mut pairs = Vec::new();
        for (key, value) in [("search", &self.search), ("status", &self.status)] {
            if let Some(v) = value {
                pairs.push(format!("{key}={}", encode_segment(v)));
            }
        }
        for (key, value) in [("limit", self.limit), ("offset", self.offset)] {
            if let Some(v) = value {
                pairs.push(format!("{key}={v}"));
            }
        }
        if pairs.is_empty() {
            String::new()
        } else {
            format!("?{}", pairs.join("&"))
        }
    }
}

/// The admin's commands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create, list and change publishers.
    Publisher {
        /// What to do.
        #[command(subcommand)]
        command: PublisherCommand,
    },
    /// List namespaces, change their status, transfer them.
    Namespace {
        /// What to do.
        #[command(subcommand)]
        command: NamespaceCommand,
    },
    /// List owned artifacts, change their status, transfer them.
    Artifact {
        /// What to do.
        #[command(subcommand)]
        command: ArtifactCommand,
    },
    /// Set a package version's lifecycle: active, deprecated, superseded, yanked or takedown.
    Lifecycle {
        /// `id@version`.
        package: String,
        /// The new status.
        status: String,
        /// Why (required for every status but active).
        #[arg(long)]
        reason: Option<String>,
        /// The replacement, `id@version`.
        #[arg(long)]
        replacement: Option<String>,
    },
    /// File, list, resolve and act on abuse reports.
    Report {
        /// What to do.
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Page through the audit trail, oldest first.
    Audit {
        /// Events after this position (`seq`).
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// Page size (1–500).
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

/// `registry admin publisher …`.
#[derive(Debug, Subcommand)]
pub enum PublisherCommand {
    /// Create a publisher with namespaces; its first token is printed once (`bearer_token`).
    Create {
        /// Publisher id.
        id: String,
        /// individual, organization or official.
        #[arg(long = "type", default_value = "organization")]
        kind: String,
        /// Shown name.
        #[arg(long)]
        name: String,
        /// Namespaces (repeat).
        #[arg(long = "namespace")]
        namespaces: Vec<String>,
    },
    /// List publishers.
    List(ListArgs),
    /// Set a publisher's status (active, pending_review, suspended) and trust level.
    Status {
        /// Publisher id.
        id: String,
        /// The status.
        status: String,
        /// unverified, verified or official.
        #[arg(long)]
        trust_level: Option<String>,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
}

/// `registry admin namespace …`.
#[derive(Debug, Subcommand)]
pub enum NamespaceCommand {
    /// List namespaces.
    List(ListArgs),
    /// Set a namespace's status (pending_verification, active, reserved, suspended, rejected).
    Status {
        /// The namespace.
        namespace: String,
        /// The status.
        status: String,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Give a namespace (and what was claimed in it) to another publisher.
    Transfer {
        /// The namespace.
        namespace: String,
        /// The receiving publisher.
        #[arg(long)]
        to: String,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
}

/// `registry admin artifact …`.
#[derive(Debug, Subcommand)]
pub enum ArtifactCommand {
    /// List owned artifacts.
    List(ListArgs),
    /// Set an artifact's status (active, transferred, suspended).
    Status {
        /// package or template.
        kind: String,
        /// The id.
        id: String,
        /// The status.
        status: String,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Give an artifact to another publisher.
    Transfer {
        /// package or template.
        kind: String,
        /// The id.
        id: String,
        /// The receiving publisher.
        #[arg(long)]
        to: String,
        /// One of its namespaces covering the id.
        #[arg(long, default_value = "")]
        namespace: String,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
}

/// `registry admin report …`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// File a report about a package, template, publisher or namespace.
    Create {
        /// package, template, publisher or namespace.
        kind: String,
        /// The reported id.
        id: String,
        /// Category (malware, impersonation, spam, …).
        #[arg(long)]
        category: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// How to reach the reporter.
        #[arg(long, default_value = "")]
        contact: String,
    },
    /// List reports.
    List(ListArgs),
    /// Set a report's status (open, reviewing, resolved, rejected).
    Status {
        /// Report id.
        id: String,
        /// The status.
        status: String,
        /// How it was resolved.
        #[arg(long, default_value = "")]
        resolution: String,
    },
    /// Suspend the report's target (no new versions) and mark the report reviewing.
    Takedown {
        /// Report id.
        id: String,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
}

fn admin(registry: &Registry, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
    let token = std::env::var("ANIP_REGISTRY_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| {
            CliError::CouldNotRun(
                "set ANIP_REGISTRY_ADMIN_TOKEN to the registry's admin token".into(),
            )
        })?;
    let body = body.map(|b| b.to_string().into_bytes());
    answer(
        &format!("{method} {path}"),
        registry.send(method, path, body.as_deref(), Some(token.trim()))?,
    )
}

/// Runs `registry admin …`.
pub fn run(command: &AdminCommand, at: &Where) -> Result<()> {
    let registry = at.registry()?;
    let r = &registry;
    let value = match command {
        AdminCommand::Publisher { command } => match command {
            PublisherCommand::Create {
                id,
                kind,
                name,
                namespaces,
            } => admin(
                r,
                "POST",
                "/admin/publishers",
                Some(json!({"publisher_id": id,
                "publisher_type": kind, "display_name": name, "namespaces": namespaces})),
            ),
            PublisherCommand::List(list) => admin(
                r,
                "GET",
                &format!("/admin/publishers{}", list.query()),
                None,
            ),
            PublisherCommand::Status {
                id,
                status,
                trust_level,
                reason,
            } => admin(
                r,
                "PATCH",
                &format!("/admin/publishers/{}/status", encode_segment(id)),
                Some(json!({"status": status, "trust_level": trust_level, "reason": reason})),
            ),
        },
        AdminCommand::Namespace { command } => match command {
            NamespaceCommand::List(list) => admin(
                r,
                "GET",
                &format!("/admin/namespaces{}", list.query()),
                None,
            ),
            NamespaceCommand::Status {
                namespace,
                status,
                reason,
            } => admin(
                r,
                "PATCH",
                &format!("/admin/namespaces/{namespace}"),
                Some(json!({"status": status, "reason": reason})),
            ),
            NamespaceCommand::Transfer {
                namespace,
                to,
                reason,
            } => admin(
                r,
                "POST",
                &format!("/admin/namespace-transfer/{namespace}"),
                Some(json!({"target_publisher_id": to, "reason": reason})),
            ),
        },
        AdminCommand::Artifact { command } => match command {
            ArtifactCommand::List(list) => {
                admin(r, "GET", &format!("/admin/artifacts{}", list.query()), None)
            }
            ArtifactCommand::Status {
                kind,
                id,
                status,
                reason,
            } => admin(
                r,
                "PATCH",
                &format!("/admin/artifact-status/{}/{id}", encode_segment(kind)),
                Some(json!({"status": status, "reason": reason})),
            ),
            ArtifactCommand::Transfer {
                kind,
                id,
                to,
                namespace,
                reason,
            } => admin(
                r,
                "POST",
                &format!("/admin/artifact-transfer/{}/{id}", encode_segment(kind)),
                Some(
                    json!({"target_publisher_id": to, "target_namespace": namespace, "reason": reason}),
                ),
            ),
        },
        AdminCommand::Lifecycle {
            package,
            status,
            reason,
            replacement,
        } => {
            let (id, version) = split_package(package)?;
            let mut body = json!({"status": status, "reason": reason.clone().unwrap_or_default()});
            if let Some(replacement) = replacement {
                let (rid, rversion) = split_package(replacement)?;
                body["replacement_package_id"] = json!(rid);
                body["replacement_package_version"] = json!(rversion);
            }
            let path = Registry::package_path(&id, &version, "/lifecycle");
            admin(r, "PATCH", &format!("/admin{path}"), Some(body))
        }
        AdminCommand::Report { command } => match command {
            ReportCommand::Create {
                kind,
                id,
                category,
                reason,
                contact,
            } => admin(
                r,
                "POST",
                "/admin/abuse-reports",
                Some(json!({"target_kind": kind, "target_id": id,
                "category": category, "reason": reason, "reporter_contact": contact})),
            ),
            ReportCommand::List(list) => admin(
                r,
                "GET",
                &format!("/admin/abuse-reports{}", list.query()),
                None,
            ),
            ReportCommand::Status {
                id,
                status,
                resolution,
            } => admin(
                r,
                "PATCH",
                &format!("/admin/abuse-reports/{}/status", encode_segment(id)),
                Some(json!({"status": status, "resolution": resolution})),
            ),
            ReportCommand::Takedown { id, reason } => admin(
                r,
                "POST",
                &format!("/admin/abuse-reports/{}/takedown", encode_segment(id)),
                Some(json!({"reason": reason})),
            ),
        },
        AdminCommand::Audit { after, limit } => admin(
            r,
            "GET",
            &format!("/admin/audit?after={after}&limit={limit}"),
            None,
        ),
    }?;
    print_json(&value);
    Ok(())
}
