//! The crate's one error type: every failure knows its HTTP status and stable `code`, and never sends internal
//! text to a client (the cause is logged once, with the request id).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use verifier::validate::Rejection;

/// Everything that can go wrong in the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is unusable (startup only).
    #[error("configuration: {0}")]
    Config(String),
    /// An I/O failure at startup (binding, files).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A malformed request: 400 with a stable code and, where known, the JSON path.
    #[error("{message}")]
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// Message for the client.
        message: String,
        /// Extra members of the error body.
        context: Map<String, Value>,
    },
    /// A well-formed package that breaks a rule: 400 `invalid_package` with every problem.
    #[error("{0}")]
    InvalidPackage(Rejection),
    /// Missing or wrong credentials, or publishing disabled: 401.
    #[error("{message}")]
    Unauthorized {
        /// Stable code.
        code: &'static str,
        /// Message for the client.
        message: String,
    },
    /// Authenticated or not, this is not allowed here: 403.
    #[error("{message}")]
    Forbidden {
        /// Stable code.
        code: &'static str,
        /// Message for the client.
        message: String,
    },
    /// Nothing there: 404.
    #[error("{message}")]
    NotFound {
        /// Stable code.
        code: &'static str,
        /// Message for the client.
        message: String,
    },
    /// The version exists with other content: 409 with the stored digests.
    #[error("{message}")]
    Conflict {
        /// What exists already.
        message: &'static str,
        /// The stored version's identity and digests.
        context: Map<String, Value>,
    },
    /// Withdrawn by its lifecycle: 410.
    #[error("{message}")]
    Gone {
        /// Stable code.
        code: &'static str,
        /// Message for the client.
        message: String,
        /// Identity and lifecycle.
        context: Map<String, Value>,
    },
    /// A refusal with its own status, stable code and context (ownership, scopes, taken names).
    #[error("{message}")]
    Refused {
        /// HTTP status.
        status: StatusCode,
        /// Stable code.
        code: &'static str,
        /// Message for the client.
        message: String,
        /// Extra members of the error body.
        context: Map<String, Value>,
    },
    /// Body over the limit: 413.
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The store cannot be reached or failed: 503, never an empty answer.
    #[error("store unavailable: {0}")]
    StoreUnavailable(String),
    /// The store lacks tables or columns this binary needs (migrations not applied): 503 `migrations_pending`.
    #[error("store migrations pending: {0}")]
    MigrationsPending(String),
    /// The request took longer than the server allows: 503.
    #[error("request timed out")]
    Timeout,
    /// A bug or an unexpected failure: 500, cause logged only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// A 400 with `code` and `message`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Error::BadRequest {
            code,
            message: message.into(),
            context: Map::new(),
        }
    }

    /// A 404 with `code` and `message`.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Error::NotFound {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest { .. } | Error::InvalidPackage(_) => StatusCode::BAD_REQUEST,
            Error::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Error::Forbidden { .. } => StatusCode::FORBIDDEN,
            Error::NotFound { .. } => StatusCode::NOT_FOUND,
            Error::Conflict { .. } => StatusCode::CONFLICT,
            Error::Gone { .. } => StatusCode::GONE,
            Error::Refused { status, .. } => *status,
            Error::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::StoreUnavailable(_) | Error::MigrationsPending(_) | Error::Timeout => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Error::Config(_) | Error::Io { .. } | Error::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadRequest { code, .. }
            | Error::Unauthorized { code, .. }
            | Error::Forbidden { code, .. }
            | Error::NotFound { code, .. }
            | Error::Gone { code, .. }
            | Error::Refused { code, .. } => code,
            Error::InvalidPackage(_) => "invalid_package",
            Error::Conflict { .. } => "version_exists",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::StoreUnavailable(_) => "store_unavailable",
            Error::MigrationsPending(_) => "migrations_pending",
            Error::Timeout => "request_timeout",
            Error::Config(_) | Error::Io { .. } | Error::Internal(_) => "internal_error",
        }
    }

    /// The JSON body: `{"error", "code", ...context}`. Internal causes are never included.
    pub fn body(&self) -> Value {
        let (message, context) = match self {
            Error::BadRequest {
                message, context, ..
            }
            | Error::Gone {
                message, context, ..
            }
            | Error::Refused {
                message, context, ..
            } => (message.clone(), context.clone()),
            Error::InvalidPackage(rejection) => {
                let mut context = Map::new();
                context.insert("problems".into(), json!(rejection.problems));
                if rejection.truncated {
                    context.insert("truncated".into(), Value::Bool(true));
                }
                (rejection.to_string(), context)
            }
            Error::Unauthorized { message, .. }
            | Error::Forbidden { message, .. }
            | Error::NotFound { message, .. } => (message.clone(), Map::new()),
            Error::Conflict { message, context } => ((*message).to_owned(), context.clone()),
            Error::PayloadTooLarge { limit } => {
                let mut context = Map::new();
                context.insert("limit_bytes".into(), json!(limit));
                (self.to_string(), context)
            }
            Error::StoreUnavailable(_) => (
                "the registry's store is unavailable; try again".to_owned(),
                Map::new(),
            ),
            Error::MigrationsPending(_) => (
                "the registry's store has migrations pending (run `registry-server migrate`)"
                    .to_owned(),
                Map::new(),
            ),
            Error::Timeout => (
                "the request took too long; try again".to_owned(),
                Map::new(),
            ),
            Error::Config(_) | Error::Io { .. } | Error::Internal(_) => {
                ("internal error".to_owned(), Map::new())
            }
        };
        let mut body = Map::new();
        body.insert("error".into(), Value::String(message));
        body.insert("code".into(), Value::from(self.code()));
        body.extend(context);
        Value::Object(body)
    }
}

impl From<sqlx::Error> for Error {
    /// Connection, pool and I/O failures (and Postgres's connection-class and shutdown codes, SQLite's busy and
    /// locked) mean the store is unavailable: 503. A missing table or column (Postgres 42P01/42703, SQLite "no
    /// such table/column") means the schema lags this binary: 503 `migrations_pending`. Anything else is a bug or
    /// bad data on our side: 500.
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            let code = db.code().unwrap_or_default();
            let message = db.message();
            if matches!(code.as_ref(), "42P01" | "42703")
                || message.starts_with("no such table")
                || message.starts_with("no such column")
            {
                return Error::MigrationsPending(e.to_string());
            }
        }
        let unavailable = match &e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => true,
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                code.starts_with("08")
                    || code.starts_with("57P")
                    || code.starts_with("53")
                    || matches!(code.as_ref(), "5" | "6" | "261" | "262" | "517")
            }
            _ => false,
        };
        if unavailable {
            Error::StoreUnavailable(e.to_string())
        } else {
            Error::Internal(format!("store: {e}"))
        }
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Error::StoreUnavailable(format!("migrations: {e}"))
    }
}

impl From<verifier::FormatError> for Error {
    fn from(e: verifier::FormatError) -> Self {
        let mut context = Map::new();
        context.insert("path".into(), Value::String(e.at.clone()));
        Error::BadRequest {
            code: e.kind.code(),
            message: format!("invalid request body: {e}"),
            context,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // The cause goes to the log (the request span carries the request id), never to the client.
            tracing::error!(code = self.code(), cause = %self, "request failed");
        }
        let mut response = (status, Json(self.body())).into_response();
        response.extensions_mut().insert(ErrorCode(self.code()));
        response
    }
}

/// The error code of a response, for metrics and logs.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);
