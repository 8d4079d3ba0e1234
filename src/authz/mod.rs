//! Who may see what. [`Scope`] is the set of administrative subtrees a caller may read; every
//! finder in `domain` takes one and turns it into an indexed SQL condition.

mod scope;

pub use scope::Scope;

/// What the current request may read, attached to each GraphQL request.
#[derive(Clone, Debug)]
pub struct Access {
    pub read: Scope,
    /// Whether personal fields (phone, birth year) resolve or answer `null`.
    pub personal_data: bool,
}

impl Access {
    /// Full read access. Used by the command line and, until sign-in is required, by the API.
    pub fn unrestricted() -> Access {
        Access {
            read: Scope::All,
            personal_data: true,
        }
    }
}
