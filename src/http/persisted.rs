//! Persisted operations. Two ways, which may be combined:
//!
//! - **Automatic persisted queries** (Apollo's protocol): a client sends only the SHA-256 of its
//!   document in `extensions.persistedQuery`; an unknown hash answers
//!   `PERSISTED_QUERY_NOT_FOUND`, and the client sends the document with its hash once, which
//!   registers it for every replica (through Redis when it is configured). Only signed-in
//!   callers register documents.
//! - **Trusted documents** (`TRUSTED_DOCUMENTS=FILE`): a manifest of the operations the
//!   frontends send; callers other than administrators may run those only, by hash or by
//!   text. Nothing else reaches the engine: the narrowest surface a public GraphQL API can
//!   have.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use axum::http::StatusCode;
use sha2::{Digest, Sha256};

use super::wire::Refused;
use crate::cache::RedisStore;

/// How long a registered document is kept in Redis after it was last registered.
const SHARED_TTL: Duration = Duration::from_secs(24 * 3600);
/// Longer documents run but are not registered: a frontend's operations are well under.
const MAX_REGISTERED_BYTES: usize = 8 * 1024;
/// Documents registered in Redis per day, by every replica together: past it, documents still
/// run but are not kept, so signed-in callers inventing documents cannot fill Redis.
const MAX_REGISTERED_PER_DAY: u64 = 10_000;
/// The memory this replica's copy of registered documents may take, in bytes of text.
const LOCAL_BYTES: u64 = 16 * 1024 * 1024;

pub struct PersistedOperations {
    shared: Option<RedisStore>,
    local: moka::future::Cache<String, Arc<str>>,
    trusted: Option<HashMap<String, Arc<str>>>,
}

/// What a request said of persistence, once its document is known.
pub struct Persisted {
    /// The document's SHA-256, in lowercase hex.
    pub hash: String,
    /// The client sent both the document and its hash: register it.
    pub to_register: bool,
}

/// Why a request's persisted document could not be had.
pub enum Unresolved {
    /// The hash alone was sent, and no document is known by it: not an HTTP failure, the
    /// client sends the document with its hash next.
    Unknown,
    /// The persisted-query extension itself is wrong.
    Refused(Refused),
}

/// The SHA-256 of a document's text, as clients compute it: lowercase hex.
pub fn hash_of(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        use std::fmt::Write;
        let _ = write!(out, "{byte:02x}");
    }
    out
}

impl PersistedOperations {
    pub fn new(shared: Option<RedisStore>, trusted: Option<HashMap<String, Arc<str>>>) -> Self {
        PersistedOperations {
            shared,
            local: moka::future::Cache::builder()
                .weigher(|_: &String, text: &Arc<str>| {
                    u32::try_from(text.len() + 64).unwrap_or(u32::MAX)
                })
                .max_capacity(LOCAL_BYTES)
                .time_to_idle(Duration::from_secs(3600))
                .build(),
            trusted,
        }
    }

    pub fn trusted_only(&self) -> bool {
        self.trusted.is_some()
    }

    /// Whether the manifest lists this document.
    pub fn is_trusted(&self, hash: &str) -> bool {
        self.trusted.as_ref().is_some_and(|t| t.contains_key(hash))
    }

    /// Fills in the document of a request that sent only its hash, and checks the hash of one
    /// that sent both. `Ok(None)`: the request did not use persisted queries.
    pub async fn resolve(
        &self,
        request: &mut async_graphql::Request,
    ) -> Result<Option<Persisted>, Unresolved> {
        let Some(hash) = requested_hash(request).map_err(Unresolved::Refused)? else {
            return Ok(None);
        };
        if request.query.is_empty() {
            let Some(text) = self.find(&hash).await else {
                return Err(Unresolved::Unknown);
            };
            request.query = text.to_string();
            return Ok(Some(Persisted {
                hash,
                to_register: false,
            }));
        }
        if hash_of(&request.query) != hash {
            return Err(Unresolved::Refused(
                Refused::new(
                    StatusCode::BAD_REQUEST,
                    "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query",
                )
                .field("extensions"),
            ));
        }
        Ok(Some(Persisted {
            hash,
            to_register: true,
        }))
    }

    async fn find(&self, hash: &str) -> Option<Arc<str>> {
        if let Some(text) = self.trusted.as_ref().and_then(|t| t.get(hash)) {
            return Some(text.clone());
        }
        if let Some(text) = self.local.get(hash).await {
            return Some(text);
        }
        let text: String = self.shared.as_ref()?.get(&shared_key(hash)).await?;
        // What Redis holds is checked as a client's document would be.
        if hash_of(&text) != hash {
            tracing::warn!(
                hash,
                "a persisted document under the wrong hash was ignored"
            );
            return None;
        }
        let text: Arc<str> = text.into();
        self.local.insert(hash.to_owned(), text.clone()).await;
        Some(text)
    }

    /// Keeps a document sent with its hash (one that validated), for this replica and,
    /// through Redis, the others: within a size and a daily number.
    pub async fn register(&self, persisted: &Persisted, text: &str) {
        if text.len() > MAX_REGISTERED_BYTES || self.local.contains_key(&persisted.hash) {
            return;
        }
        if let Some(shared) = &self.shared {
            let day = chrono::Utc::now().format("%Y%m%d");
            let today = shared
                .count(
                    &format!("apq:day:{day}"),
                    Duration::from_secs(2 * 24 * 3600),
                )
                .await;
            if today.is_none_or(|n| n > MAX_REGISTERED_PER_DAY) {
                if today.is_some() {
                    tracing::warn!("persisted documents: today's registrations are used up");
                }
                return;
            }
            shared
                .set(&shared_key(&persisted.hash), &text, SHARED_TTL)
                .await;
        }
        self.local
            .insert(persisted.hash.clone(), Arc::from(text))
            .await;
    }
}

fn shared_key(hash: &str) -> String {
    format!("apq:{hash}")
}

/// The hash in `extensions.persistedQuery`, checked: `{"version": 1, "sha256Hash": "<64 hex>"}`.
fn requested_hash(request: &async_graphql::Request) -> Result<Option<String>, Refused> {
    use async_graphql::Value;
    let Some(persisted) = request.extensions.get("persistedQuery") else {
        return Ok(None);
    };
    let bad = |message: &str| {
        Refused::new(
            StatusCode::BAD_REQUEST,
            format!("extensions.persistedQuery {message}"),
        )
        .field("extensions")
    };
    let Value::Object(fields) = persisted else {
        return Err(bad("must be {\"version\": 1, \"sha256Hash\": \"…\"}"));
    };
    match fields.get("version") {
        Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
        _ => {
            return Err(
                Refused::new(StatusCode::BAD_REQUEST, "PersistedQueryNotSupported")
                    .field("extensions")
                    .code("PERSISTED_QUERY_NOT_SUPPORTED"),
            );
        }
    }
    match fields.get("sha256Hash") {
        Some(Value::String(hash))
            if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(Some(hash.to_ascii_lowercase()))
        }
        _ => Err(bad("needs sha256Hash, 64 hexadecimal digits")),
    }
}

/// Reads a manifest of trusted documents: Apollo's persisted query manifest (`{"format":
/// "apollo-persisted-query-manifest", "operations": [{"id", "body", …}]}`) or a plain object
/// of hash to document (as GraphQL Code Generator's client preset writes). Every hash must be
/// the document's SHA-256.
pub fn read_manifest(path: &Path) -> anyhow::Result<HashMap<String, Arc<str>>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read TRUSTED_DOCUMENTS {}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("TRUSTED_DOCUMENTS {} is not JSON", path.display()))?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    match &json {
        serde_json::Value::Object(map) if map.contains_key("operations") => {
            let Some(operations) = map["operations"].as_array() else {
                bail!("TRUSTED_DOCUMENTS: `operations` must be a list");
            };
            for (i, operation) in operations.iter().enumerate() {
                let (Some(id), Some(body)) = (operation["id"].as_str(), operation["body"].as_str())
                else {
                    bail!("TRUSTED_DOCUMENTS: operation {i} needs `id` and `body`");
                };
                pairs.push((id.to_owned(), body.to_owned()));
            }
        }
        serde_json::Value::Object(map) => {
            for (id, body) in map {
                let Some(body) = body.as_str() else {
                    bail!("TRUSTED_DOCUMENTS: the document of {id} is not a string");
                };
                pairs.push((id.clone(), body.to_owned()));
            }
        }
        _ => bail!("TRUSTED_DOCUMENTS must be a JSON object"),
    }
    let mut trusted = HashMap::new();
    for (id, body) in pairs {
        let id = id
            .strip_prefix("sha256:")
            .unwrap_or(&id)
            .to_ascii_lowercase();
        if hash_of(&body) != id {
            bail!("TRUSTED_DOCUMENTS: {id} is not the SHA-256 of its document");
        }
        trusted.insert(id, Arc::from(body));
    }
    if trusted.is_empty() {
        bail!("TRUSTED_DOCUMENTS lists no operation");
    }
    Ok(trusted)
}

/// The Apollo persisted query manifest of the given documents: one entry per document, named
/// by its operations (a document may hold several, chosen by `operationName`), as the
/// `trusted-documents` command prints it.
pub fn manifest(documents: &[(String, String)]) -> anyhow::Result<serde_json::Value> {
    let mut operations = Vec::new();
    for (file, body) in documents {
        let parsed =
            async_graphql::parser::parse_query(body).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
        // The kind of the document's first operation by place (the parser keeps operations
        // in a map, whose order is not the document's).
        let Some((_, first)) = parsed.operations.iter().min_by_key(|(_, op)| op.pos) else {
            bail!("{file}: no operation");
        };
        let kind = first.node.ty.to_string();
        // In the order the document defines them.
        let mut named: Vec<_> = parsed
            .operations
            .iter()
            .filter_map(|(name, op)| Some((op.pos, name?.to_string())))
            .collect();
        named.sort();
        let name = named
            .into_iter()
            .map(|(_, name)| name)
            .collect::<Vec<_>>()
            .join(",");
        operations.push(serde_json::json!({
            "id": hash_of(body),
            "name": name,
            "type": kind,
            "body": body,
        }));
    }
    Ok(serde_json::json!({
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": operations,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_lowercase_hex_sha256() {
        assert_eq!(
            hash_of("{ __typename }"),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
    }
}
