//! What a client sent, kept to name the variable or input field of a value the engine refused.

use std::collections::HashMap;

use async_graphql::Value;
use async_graphql::parser::types::{ExecutableDocument, Selection};

/// What a client sent, kept to name the field of a value the engine could not parse.
pub struct Sent {
    pub query: String,
    pub operation_name: Option<String>,
    pub variables: async_graphql::Variables,
    /// The document as parsed, when it parsed.
    pub document: Option<std::sync::Arc<ExecutableDocument>>,
    /// Read from the document once, for a request that failed.
    names: std::sync::OnceLock<Names>,
}

#[derive(Default)]
struct Names {
    /// The short strings of the variables and of the document's arguments, each with the name
    /// of the entry holding it.
    strings: Vec<(String, String)>,
    /// The variable each of `strings` came from, if any.
    origins: Vec<Option<String>>,
    /// Each variable, by the argument or input field it is given for.
    variables: HashMap<String, String>,
}

/// Longer strings are no date, enum or code: they are not looked at.
const NAMED_VALUE_CHARS: usize = 64;

impl Sent {
    pub fn new(
        request: &async_graphql::Request,
        document: Option<std::sync::Arc<ExecutableDocument>>,
    ) -> Sent {
        Sent {
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
            variables: request.variables.clone(),
            document,
            names: std::sync::OnceLock::new(),
        }
    }

    pub fn strings(&self) -> &[(String, String)] {
        &self.names().strings
    }

    fn names(&self) -> &Names {
        self.names.get_or_init(|| {
            let mut found = Vec::new();
            let mut origins = Vec::new();
            // Each value with the entry holding it and the variable it came from.
            let mut pending: Vec<(Option<String>, Value, Option<String>)> = Vec::new();
            // Where each variable is used: the argument or input field it is given for.
            let mut uses: HashMap<String, String> = HashMap::new();
            if let Some(document) = self.document.as_deref().cloned() {
                let mut sets: Vec<_> = document
                    .operations
                    .iter()
                    .map(|(_, op)| op.node.selection_set.node.clone())
                    .chain(
                        document
                            .fragments
                            .values()
                            .map(|f| f.node.selection_set.node.clone()),
                    )
                    .collect();
                while let Some(set) = sets.pop() {
                    for selection in set.items {
                        match selection.node {
                            Selection::Field(field) => {
                                for (name, value) in field.node.arguments {
                                    literal_strings(
                                        name.node.to_string(),
                                        value.node,
                                        &mut pending,
                                        &mut uses,
                                    );
                                }
                                sets.push(field.node.selection_set.node);
                            }
                            Selection::InlineFragment(inline) => {
                                sets.push(inline.node.selection_set.node);
                            }
                            Selection::FragmentSpread(_) => {}
                        }
                    }
                }
            }
            pending.extend(self.variables.iter().map(|(name, value)| {
                let key = uses.get(name.as_str()).cloned().unwrap_or(name.to_string());
                (Some(key), value.clone(), Some(name.to_string()))
            }));
            while let Some((key, value, origin)) = pending.pop() {
                match value {
                    Value::String(text) if text.chars().count() <= NAMED_VALUE_CHARS => {
                        if let Some(key) = key {
                            found.push((key, text));
                            origins.push(origin);
                        }
                    }
                    Value::Object(fields) => pending.extend(
                        fields
                            .into_iter()
                            .map(|(k, v)| (Some(k.to_string()), v, origin.clone())),
                    ),
                    Value::List(items) => {
                        pending.extend(items.into_iter().map(|v| (key.clone(), v, origin.clone())));
                    }
                    _ => {}
                }
            }
            let variables = uses
                .into_iter()
                .map(|(variable, key)| (key, variable))
                .collect();
            Names {
                strings: found,
                origins,
                variables,
            }
        })
    }
}

/// Gathers the constant parts of an argument's value under the names they are given for, and
/// notes under which name each variable is used.
fn literal_strings(
    key: String,
    value: async_graphql_value::Value,
    pending: &mut Vec<(Option<String>, Value, Option<String>)>,
    uses: &mut HashMap<String, String>,
) {
    use async_graphql_value::Value as Parsed;
    // The guard bounded the nesting of values: this recursion is shallow.
    match value {
        Parsed::Variable(name) => {
            uses.insert(name.to_string(), key);
        }
        Parsed::Object(fields) => {
            for (name, value) in fields {
                literal_strings(name.to_string(), value, pending, uses);
            }
        }
        Parsed::List(items) => {
            for value in items {
                literal_strings(key.clone(), value, pending, uses);
            }
        }
        other => {
            if let Some(value) = other.into_const() {
                pending.push((Some(key), value, None));
            }
        }
    }
}

/// The field a scalar or enum that failed to parse was given for. The engine names an
/// argument (`Invalid value for argument "input.foundedOn"`) or only the input type (`Failed
/// to parse "Date": "0000-01-01" … (occurred while parsing "CreateTeamInput")`); then the
/// field is the entry, in the variables or the document's arguments, holding a value the
/// message quotes.
pub(super) fn field_of_bad_value(message: &str, sent: &Sent) -> Option<String> {
    if let Some(rest) = message.strip_prefix("Invalid value for argument \"") {
        let path = rest.split('"').next()?;
        // `input.role`, and `input` alone for a missing field: `field "fullName" of type …`
        // names the missing one.
        if !path.contains('.')
            && let Some(missing) = rest.split("field \"").nth(1)
        {
            return missing.split('"').next().map(str::to_owned);
        }
        return path.rsplit('.').next().map(str::to_owned);
    }
    // Every piece of the message between two quotes, once.
    let quoted: std::collections::HashSet<&str> = message.split('"').skip(1).step_by(2).collect();
    sent.strings()
        .iter()
        .find(|(_, value)| quoted.contains(value.as_str()))
        .map(|(key, _)| key.clone())
}

/// The variable that gave a value the engine could not take: `$input` for `Invalid value for
/// argument "input.role"` when the document says `input: $input`, or the variable holding the
/// value a `Failed to parse` message quotes.
pub(super) fn variable_of_bad_argument(message: &str, sent: &Sent) -> Option<String> {
    let names = sent.names();
    if let Some(rest) = message.strip_prefix("Invalid value for argument \"") {
        let argument = rest.split('"').next()?.split('.').next()?;
        return names.variables.get(argument).cloned();
    }
    // `Failed to parse "Date": "2020-13-01" …`: the variable holding the quoted value.
    let quoted: std::collections::HashSet<&str> = message.split('"').skip(1).step_by(2).collect();
    names
        .strings
        .iter()
        .zip(&names.origins)
        .find(|((_, value), _)| quoted.contains(value.as_str()))
        .and_then(|(_, origin)| origin.clone())
}
