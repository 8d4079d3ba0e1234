//! The one error type of the application and the stable codes clients see.
//!
//! Domain code returns [`AppError`]; the GraphQL layer turns it into an error whose
//! `extensions.code` is one of the codes the README lists ("For frontend developers") and, for bad input or conflicts, whose
//! `extensions.field` names the offending field. Internal errors are logged here, once, and the
//! client gets a plain message without details.

use async_graphql::ErrorExtensions;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

///
/// It deliberately does not implement `Display`: async-graphql converts any displayable error
/// into a bare message, which would drop the code. The explicit `From` below keeps it.
#[derive(Debug)]
pub enum AppError {
    Unauthenticated,
    /// A failed sign-in; the same answer whether the user exists or not.
    WrongCredentials,
    Forbidden,
    /// Refused for a reason the caller can act on (`extensions.reason`): a rule of the
    /// programme, not a place outside their area.
    ForbiddenBecause(&'static str),
    /// Deliberately carries no detail beyond the kind of object: an id outside the caller's scope
    /// must answer exactly as a missing id does.
    NotFound(&'static str),
    BadUserInput {
        field: String,
        message: String,
    },
    Conflict {
        field: String,
        message: String,
        /// The id of the row the change clashes with, when there is one (the village's active
        /// team, the team's leader, the month's report).
        existing: Option<String>,
    },
    /// Too many attempts, or too many at once: try again after this many seconds.
    RateLimited {
        retry_after_secs: u64,
        message: String,
    },
    /// Several fields of one input are wrong: each, in the order the input lists them (one
    /// alone is a [`AppError::BadUserInput`]).
    BadFields(Vec<(String, String)>),
    /// A file refused as a whole: every bad row, by line number.
    InvalidRows(Vec<RowProblem>),
    Internal(anyhow::Error),
}

/// One bad row of an uploaded file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RowProblem {
    /// The line (CSV) or row (spreadsheet) number, counting the header as 1.
    pub line: u64,
    /// The column at fault, by its header, when there is one.
    pub column: Option<String>,
    pub message: String,
}

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Conflict {
            field: field.into(),
            message: message.into(),
            existing: None,
        }
    }

    /// A clash with a row the caller may look up: its id goes in `extensions.existingId`.
    pub fn conflict_with(
        field: impl Into<String>,
        message: impl Into<String>,
        existing: i64,
    ) -> Self {
        AppError::Conflict {
            field: field.into(),
            message: message.into(),
            existing: Some(existing.to_string()),
        }
    }

    /// The message a client sees; internal details are never part of it.
    pub fn message(&self) -> String {
        match self {
            AppError::Unauthenticated => "authentication required".to_owned(),
            AppError::WrongCredentials => "wrong username or password".to_owned(),
            AppError::Forbidden => "not allowed".to_owned(),
            AppError::ForbiddenBecause(reason) => format!("not allowed: {reason}"),
            AppError::NotFound(what) => format!("{what} not found"),
            AppError::BadUserInput { field, message }
            | AppError::Conflict { field, message, .. } => format!("{field}: {message}"),
            AppError::BadFields(fields) => {
                let each: Vec<String> = fields.iter().map(|(f, m)| format!("{f}: {m}")).collect();
                format!("{} fields are wrong: {}", fields.len(), each.join("; "))
            }
            AppError::InvalidRows(rows) => {
                let lines: std::collections::BTreeSet<u64> = rows.iter().map(|r| r.line).collect();
                let problems = if rows.len() == lines.len() {
                    String::new()
                } else {
                    format!(" ({} problems)", rows.len())
                };
                format!(
                    "file: {} bad row{}{problems}, nothing was imported; first: line {}: {}",
                    lines.len(),
                    if lines.len() == 1 { "" } else { "s" },
                    rows.first().map_or(0, |r| r.line),
                    rows.first().map_or("", |r| r.message.as_str())
                )
            }
            AppError::RateLimited { message, .. } => message.clone(),
            AppError::Internal(_) => "internal error".to_owned(),
        }
    }

    /// For command-line use: the message, or the internal error with its causes.
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            AppError::Internal(inner) => inner,
            other => anyhow::anyhow!(other.message()),
        }
    }

    /// The stable machine code, as the README lists them.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "UNAUTHENTICATED",
            // Not UNAUTHENTICATED: a client that signs out on that code would do so on a
            // mistyped password at its sign-in form.
            AppError::WrongCredentials => "BAD_CREDENTIALS",
            AppError::Forbidden | AppError::ForbiddenBecause(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::BadUserInput { .. } | AppError::BadFields(_) | AppError::InvalidRows(_) => {
                "BAD_USER_INPUT"
            }
            AppError::Conflict { .. } => "CONFLICT",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::Internal(_) => "INTERNAL",
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        AppError::Internal(err)
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        AppError::Internal(anyhow::Error::new(err))
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.extend()
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        if let AppError::Internal(inner) = self {
            tracing::error!(error = ?inner, "internal error");
        }
        async_graphql::Error::new(self.message()).extend_with(|_, ext| {
            ext.set("code", self.code());
            if let AppError::BadUserInput { field, .. } | AppError::Conflict { field, .. } = self {
                ext.set("field", field.as_str());
            }
            if let AppError::Conflict {
                existing: Some(id), ..
            } = self
            {
                ext.set("existingId", id.as_str());
            }
            if let AppError::ForbiddenBecause(reason) = self {
                ext.set("reason", *reason);
            }
            if let AppError::RateLimited {
                retry_after_secs, ..
            } = self
            {
                ext.set("retryAfter", *retry_after_secs);
            }
            if let AppError::BadFields(fields) = self {
                if let Some((first, _)) = fields.first() {
                    ext.set("field", first.as_str());
                }
                let each: Vec<serde_json::Value> = fields
                    .iter()
                    .map(|(field, message)| serde_json::json!({ "field": field, "message": message }))
                    .collect();
                if let Ok(value) = async_graphql::Value::from_json(serde_json::json!(each)) {
                    ext.set("fields", value);
                }
            }
            if let AppError::InvalidRows(rows) = self {
                ext.set("field", "file");
                if let Ok(value) = async_graphql::Value::from_json(serde_json::json!(rows)) {
                    ext.set("rows", value);
                }
            }
        })
    }
}
