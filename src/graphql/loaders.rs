//! DataLoaders: nested fields of a page are fetched in one statement per kind of relation,
//! whatever the page size. A fresh set is made for every request.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::{Context, ErrorExtensions};

use crate::authz::Scope;
use crate::cache::{Cache, ChildResultsKey};
use crate::db::Db;
use crate::domain::committees::CommitteeMember;
use crate::domain::teams::{Member, Team};
use crate::domain::training::{self, Attendance, Session};
use crate::domain::units::{self, Unit};
use crate::domain::{CommitteeId, MemberId, SessionId, TeamId, UnitId};
use crate::domain::{relations, totals};
use crate::error::AppError;

pub type LoadError = Arc<AppError>;

macro_rules! loader {
    ($name:ident, $key:ty, $value:ty, $fetch:path) => {
        pub struct $name(Db);

        impl Loader<$key> for $name {
            type Value = $value;
            type Error = LoadError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $value>, LoadError> {
                $fetch(&self.0.conn, keys).await.map_err(Arc::new)
            }
        }
    };
}

loader!(UnitById, UnitId, Unit, units::by_ids);
loader!(TeamById, TeamId, Team, relations::teams);
/// Members are shared, not copied, by every field that shows them.
pub struct MembersByTeam(Db);

impl Loader<TeamId> for MembersByTeam {
    type Value = Vec<Arc<Member>>;
    type Error = LoadError;

    async fn load(&self, keys: &[TeamId]) -> Result<HashMap<TeamId, Vec<Arc<Member>>>, LoadError> {
        let found = relations::team_members(&self.0.conn, keys)
            .await
            .map_err(Arc::new)?;
        Ok(found
            .into_iter()
            .map(|(team, members)| (team, members.into_iter().map(Arc::new).collect()))
            .collect())
    }
}
loader!(
    CommitteeMembers,
    CommitteeId,
    Vec<CommitteeMember>,
    relations::committee_members
);
loader!(SessionById, SessionId, Session, relations::sessions);
/// Attendees counted within the caller's reach of attendance records.
pub struct AttendeeCount(Db, Scope);

impl Loader<SessionId> for AttendeeCount {
    type Value = i64;
    type Error = LoadError;

    async fn load(&self, keys: &[SessionId]) -> Result<HashMap<SessionId, i64>, LoadError> {
        training::attendee_counts(&self.0.conn, &self.1, keys)
            .await
            .map_err(Arc::new)
    }
}
loader!(
    AttendanceByMember,
    MemberId,
    Vec<Attendance>,
    relations::attendance
);

/// A child of a total whose results for a month are asked: every child of the same total
/// (the same parent, day and period) is answered by one statement.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChildResults {
    /// The parent's path on `day` (the child's path less its last segment).
    pub parent: String,
    /// The parent, for today's results (kept in the cache under it); none for the country.
    pub parent_id: Option<UnitId>,
    pub day: Option<chrono::NaiveDate>,
    /// Checked by `totals::parse_period`.
    pub period: String,
    pub child: UnitId,
}

pub struct ChildResultsLoader(Db, Arc<Cache>);

/// Children's results read in one statement: under one parent, on one day, for one period.
type ChildGroup<'k> = (&'k str, Option<UnitId>, Option<chrono::NaiveDate>, &'k str);

impl Loader<ChildResults> for ChildResultsLoader {
    type Value = totals::ResultTotals;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[ChildResults],
    ) -> Result<HashMap<ChildResults, totals::ResultTotals>, LoadError> {
        let mut groups: HashMap<ChildGroup<'_>, Vec<&ChildResults>> = HashMap::new();
        for key in keys {
            groups
                .entry((&key.parent, key.parent_id, key.day, &key.period))
                .or_default()
                .push(key);
        }
        let mut out = HashMap::new();
        for ((parent, parent_id, day, period), keys) in groups {
            let read = totals::results_by_child(&self.0.conn, parent, day, period);
            // Today's, under a unit: kept in the cache until something under it changes.
            let found = match (parent_id, day) {
                (Some(unit), None) => self
                    .1
                    .get_or_compute(&ChildResultsKey(unit, period.to_owned()), read)
                    .await
                    .map_err(Arc::new)?,
                _ => Arc::new(read.await.map_err(Arc::new)?),
            };
            for key in keys {
                let value =
                    found
                        .get(&key.child.0)
                        .cloned()
                        .unwrap_or_else(|| totals::ResultTotals {
                            period: key.period.clone(),
                            ..Default::default()
                        });
                out.insert(key.clone(), value);
            }
        }
        Ok(out)
    }
}

/// The loaders of one request.
pub struct Loaders {
    pub units: DataLoader<UnitById, HashMapCache>,
    /// Teams by id, unscoped: only for relations of rows already found in scope.
    pub teams: DataLoader<TeamById, HashMapCache>,
    pub team_members: DataLoader<MembersByTeam, HashMapCache>,
    pub committee_members: DataLoader<CommitteeMembers, HashMapCache>,
    pub sessions: DataLoader<SessionById, HashMapCache>,
    pub attendee_counts: DataLoader<AttendeeCount, HashMapCache>,
    pub attendance: DataLoader<AttendanceByMember, HashMapCache>,
    pub child_results: DataLoader<ChildResultsLoader, HashMapCache>,
}

impl Loaders {
    /// `attendance` is the caller's read scope of attendance records: counts stay inside it.
    pub fn new(db: &Db, cache: Arc<Cache>, attendance: Scope) -> Loaders {
        // Cached for the request's lifetime: a prefetched batch then serves every nested field.
        fn make<L: Send + Sync + 'static>(loader: L) -> DataLoader<L, HashMapCache> {
            DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
        }
        Loaders {
            units: make(UnitById(db.clone())),
            teams: make(TeamById(db.clone())),
            team_members: make(MembersByTeam(db.clone())),
            committee_members: make(CommitteeMembers(db.clone())),
            sessions: make(SessionById(db.clone())),
            attendee_counts: make(AttendeeCount(db.clone(), attendance)),
            attendance: make(AttendanceByMember(db.clone())),
            child_results: make(ChildResultsLoader(db.clone(), cache)),
        }
    }

    pub fn of<'a>(ctx: &Context<'a>) -> &'a Loaders {
        ctx.data_unchecked::<Loaders>()
    }
}

/// The value `loader` holds for `key`, if any, a failure as the client sees it.
pub async fn one<K, L>(
    loader: &DataLoader<L, HashMapCache>,
    key: K,
) -> async_graphql::Result<Option<L::Value>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    L: Loader<K, Error = LoadError>,
{
    loader.load_one(key).await.map_err(load_error)
}

/// Loads, in one batch, the values of `keys` when the selection asks for `field`: a page then
/// costs the same statements whatever its size (without it the loaders would still batch, but a
/// slow moment could split a batch in two). Nothing when the field is not asked for.
pub async fn prime<K, L>(
    selection: &async_graphql::Lookahead<'_>,
    field: &str,
    loader: &DataLoader<L, HashMapCache>,
    keys: impl IntoIterator<Item = K>,
) -> async_graphql::Result<std::collections::HashMap<K, L::Value>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    L: Loader<K, Error = LoadError>,
{
    if !selection.field(field).exists() {
        return Ok(Default::default());
    }
    loader.load_many(keys).await.map_err(load_error)
}

/// Like [`one`], for a relation every row has: a missing value is an internal error saying
/// which (`what`).
pub async fn required<K, L>(
    loader: &DataLoader<L, HashMapCache>,
    key: K,
    what: &str,
) -> async_graphql::Result<L::Value>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    L: Loader<K, Error = LoadError>,
{
    one(loader, key)
        .await?
        .ok_or_else(|| async_graphql::Error::new(what))
}

/// A loader failure as the client sees it.
pub fn load_error(err: LoadError) -> async_graphql::Error {
    err.as_ref().extend()
}
