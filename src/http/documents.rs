//! Operations already parsed, remembered by their text within a bound on memory.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::parser::types::ExecutableDocument;

/// Operations already parsed, by their text. Parsing is a fair part of answering a small
/// query, and a frontend sends the same few operations over and over; the engine still
/// validates each request against the schema.
#[derive(Clone)]
pub struct Documents {
    parsed: moka::sync::Cache<String, Remembered>,
}

#[derive(Clone)]
struct Remembered {
    document: Arc<ExecutableDocument>,
    /// What the entry is taken to hold in memory, in bytes.
    weight: u32,
}

/// Longer operations are parsed every time rather than kept (a frontend's are well under).
const MAX_REMEMBERED_OPERATION: usize = 8 * 1024;

/// The memory the remembered operations may take, in bytes, as estimated by [`weight`].
const REMEMBERED_BYTES: u64 = 32 * 1024 * 1024;

/// A parsed operation's memory: its text, and a few hundred bytes for each token (a field,
/// its name, position and empty argument and directive lists). `{ a a a … }` of 8 KiB parses
/// to about 1 MiB: weighing the text alone let such operations fill far more than the cap.
fn weight(text: &str, tokens: usize) -> u32 {
    u32::try_from(text.len().saturating_add(tokens.saturating_mul(320))).unwrap_or(u32::MAX)
}

impl Documents {
    pub fn new() -> Documents {
        Documents {
            parsed: moka::sync::Cache::builder()
                .weigher(|_: &String, remembered: &Remembered| remembered.weight)
                .max_capacity(REMEMBERED_BYTES)
                .time_to_idle(Duration::from_secs(3600))
                .build(),
        }
    }

    /// Gives `request` its parsed operation, from memory when the same text was seen before,
    /// and returns it. A syntax error is left for the engine to report. `tokens` is what the
    /// guard counted.
    pub(super) fn parse(
        &self,
        request: &mut async_graphql::Request,
        tokens: usize,
    ) -> Option<Arc<ExecutableDocument>> {
        let remember = request.query.len() <= MAX_REMEMBERED_OPERATION;
        if remember && let Some(remembered) = self.parsed.get(&request.query) {
            request.set_parsed_query(ExecutableDocument::clone(&remembered.document));
            return Some(remembered.document);
        }
        let document = Arc::new(request.parsed_query().ok()?.clone());
        if remember {
            let remembered = Remembered {
                document: document.clone(),
                weight: weight(&request.query, tokens),
            };
            self.parsed.insert(request.query.clone(), remembered);
        }
        Some(document)
    }
}

impl Default for Documents {
    fn default() -> Self {
        Documents::new()
    }
}
