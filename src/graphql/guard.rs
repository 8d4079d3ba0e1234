//! Cheap looks at an operation before the engine works on it.
//!
//! The engine's parser and validator recurse over the document: a list value nested a few
//! thousand levels deep overflows a worker's stack and aborts the process, and fragments that
//! spread each other twice make validation exponential. Two linear passes refuse such
//! documents in microseconds, for any caller: [`scan`] over the text, before parsing, for size,
//! tokens and nesting (all the parser's recursion needs); [`check_document`] over the parsed
//! document, before validation, for aliases, fragments and their expansion. The second counts
//! on the engine's own parse rather than on a second reading of the text, so that no quirk of
//! the engine's lexer (it reads `fragmentF0` as `fragment F0`) can make the two disagree.
//!
//! Upstream: the unbounded recursion over values is in async-graphql-parser 7.2 (the engine's
//! depth limit is checked after parsing and covers selections only). No report of it was found
//! upstream; the report to file, with its reproduction, is `docs/upstream/async-graphql-values.md`.

mod document;

pub use document::{check_document, check_variables};

/// What one document may hold. The defaults leave every operation a frontend or a GraphQL tool
/// sends (the standard introspection query included) far inside.
#[derive(Clone, Copy, Debug)]
pub struct DocumentLimits {
    /// Bytes of the operation's text.
    pub max_bytes: usize,
    /// Lexical tokens (names, punctuation, literals).
    pub max_tokens: usize,
    /// Brackets of any kind open at once: selection sets, argument lists, list and object
    /// values. Also the deepest a variable's value may nest.
    pub max_depth: usize,
    /// Fields given an alias.
    pub max_aliases: usize,
    /// Fragment definitions.
    pub max_fragments: usize,
    /// Field selections once every fragment spread is replaced by its fragment.
    pub max_expanded_fields: u64,
    /// Fields nested in fields, through fragments, outside introspection: what recursive
    /// abuse through `parent` and `children` would need. The schema's own description
    /// (`__schema`, `__type`) nests `ofType` to describe `[String!]!` and is not counted.
    pub max_data_depth: usize,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        DocumentLimits {
            max_bytes: 64 * 1024,
            max_tokens: 15_000,
            max_depth: 64,
            max_aliases: 100,
            max_fragments: 100,
            max_expanded_fields: 5_000,
            max_data_depth: 12,
        }
    }
}

/// A document refused by the scan, with the limit it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Which limit: `size`, `tokens`, `depth`, `aliases`, `fragments`, `expansion`,
    /// `dataDepth`.
    pub limit: &'static str,
    pub message: String,
}

fn refused(limit: &'static str, message: String) -> Refused {
    Refused { limit, message }
}

/// What the scan saw, for the callers that decide on more than the limits.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Shape {
    pub tokens: usize,
    pub depth: usize,
    pub aliases: usize,
    pub fragments: usize,
    pub expanded_fields: u64,
    /// Fields nested in fields outside introspection, fragments spread.
    pub data_depth: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Token<'a> {
    Name(&'a str),
    /// One of `! $ & ( ) : = @ [ ] { | }` or `...`.
    Punct(&'a str),
    /// A number or a string: its text does not matter here.
    Literal,
    /// A character GraphQL does not know; the engine reports it.
    Other,
}

/// Splits GraphQL text into tokens, skipping white space, commas and comments.
struct Lexer<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer { text, at: 0 }
    }

    fn skip_ignored(&mut self) {
        let bytes = self.text.as_bytes();
        while self.at < bytes.len() {
            match bytes[self.at] {
                b' ' | b'\t' | b'\n' | b'\r' | b',' => self.at += 1,
                b'#' => {
                    while self.at < bytes.len()
                        && bytes[self.at] != b'\n'
                        && bytes[self.at] != b'\r'
                    {
                        self.at += 1;
                    }
                }
                // A byte-order mark is ignored like white space.
                0xEF if self.text[self.at..].starts_with('\u{feff}') => self.at += 3,
                _ => break,
            }
        }
    }

    /// Moves past a string starting at the current quote. An unterminated one runs to the end.
    fn skip_string(&mut self) {
        let rest = &self.text[self.at..];
        if let Some(body) = rest.strip_prefix("\"\"\"") {
            let mut i = 0;
            let b = body.as_bytes();
            while i < b.len() {
                if b[i..].starts_with(b"\\\"\"\"") {
                    i += 4;
                } else if b[i..].starts_with(b"\"\"\"") {
                    self.at += 3 + i + 3;
                    return;
                } else {
                    i += 1;
                }
            }
            self.at = self.text.len();
            return;
        }
        let b = self.text.as_bytes();
        let mut i = self.at + 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => {
                    self.at = i + 1;
                    return;
                }
                b'\n' | b'\r' => break,
                _ => i += 1,
            }
        }
        self.at = i.min(b.len());
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        self.skip_ignored();
        let bytes = self.text.as_bytes();
        let start = self.at;
        let &first = bytes.get(start)?;
        let token = match first {
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                let mut end = start + 1;
                while end < bytes.len()
                    && (bytes[end] == b'_' || bytes[end].is_ascii_alphanumeric())
                {
                    end += 1;
                }
                self.at = end;
                Token::Name(&self.text[start..end])
            }
            b'-' | b'0'..=b'9' => {
                let mut end = start + 1;
                while end < bytes.len()
                    && (bytes[end].is_ascii_alphanumeric()
                        || matches!(bytes[end], b'.' | b'+' | b'-'))
                {
                    end += 1;
                }
                self.at = end;
                Token::Literal
            }
            b'"' => {
                self.skip_string();
                Token::Literal
            }
            b'.' if self.text[start..].starts_with("...") => {
                self.at += 3;
                Token::Punct("...")
            }
            b'!' | b'$' | b'&' | b'(' | b')' | b':' | b'=' | b'@' | b'[' | b']' | b'{' | b'|'
            | b'}' => {
                self.at += 1;
                Token::Punct(&self.text[start..start + 1])
            }
            _ => {
                let width = self.text[start..].chars().next().map_or(1, char::len_utf8);
                self.at += width;
                Token::Other
            }
        };
        Some(token)
    }
}

/// Scans `text` for what could overflow the parser's stack or cost it much, refusing it when
/// it breaks a limit: its size, its tokens, and brackets of any kind open at once.
pub fn scan(text: &str, limits: &DocumentLimits) -> Result<Shape, Refused> {
    if text.len() > limits.max_bytes {
        return Err(refused(
            "size",
            format!(
                "the document has {} bytes; at most {} are accepted",
                text.len(),
                limits.max_bytes
            ),
        ));
    }
    let mut shape = Shape::default();
    let mut open: usize = 0;
    for token in Lexer::new(text) {
        shape.tokens += 1;
        if shape.tokens > limits.max_tokens {
            return Err(refused(
                "tokens",
                format!("the document has more than {} tokens", limits.max_tokens),
            ));
        }
        match token {
            Token::Punct("{" | "[" | "(") => {
                open += 1;
                shape.depth = shape.depth.max(open);
                if open > limits.max_depth {
                    return Err(refused(
                        "depth",
                        format!(
                            "the document nests more than {} levels of brackets",
                            limits.max_depth
                        ),
                    ));
                }
            }
            Token::Punct("}" | "]" | ")") => open = open.saturating_sub(1),
            _ => {}
        }
    }
    Ok(shape)
}

#[cfg(test)]
mod tests;
