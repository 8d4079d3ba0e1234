//! Importing a commune's member list.

use std::io::Read;

use async_graphql::{Context, Object, Result, SimpleObject, Upload};

use super::apply;
use crate::authz::{Access, Resource};
use crate::domain::member_import::{self, Sheet};
use crate::error::AppError;
use crate::graphql::loaders::{Loaders, load_error};
use crate::graphql::types::Team;

/// What an import added.
#[derive(SimpleObject)]
pub struct MemberImport {
    pub added: i64,
    pub teams: Vec<ImportedTeam>,
}

/// Members added to one team.
#[derive(SimpleObject)]
pub struct ImportedTeam {
    pub team: Team,
    pub village_code: String,
    pub added: i64,
}

#[derive(Default)]
pub struct ImportMutations;

/// Uploads read at once; the rest wait their turn, for a while.
static PARSING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
const PARSING_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// How many files the request carried: an `Upload` naming another is refused (the engine
/// would index past its list).
#[derive(Clone, Copy, Debug)]
pub struct UploadCount(pub usize);

/// Reads an uploaded file whole, up to its cap, and parses it.
fn read_upload(upload: async_graphql::UploadValue) -> Result<Sheet, AppError> {
    let mut bytes = Vec::new();
    upload
        .content
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| AppError::Internal(e.into()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(AppError::bad_input("file", "the file is larger than 2 MiB"));
    }
    Sheet::read(Some(&upload.filename), &bytes)
}

/// Uploads larger than this are refused before reading further.
const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

#[Object]
impl ImportMutations {
    /// Adds the members listed in a CSV or XLSX file (a GraphQL multipart upload) to the
    /// active teams of their villages under `unitCode`. Columns: Họ và tên, Thôn (the
    /// village's name or code), Vai trò, Lực lượng, and optionally Số điện thoại, Năm sinh,
    /// Giới tính. A file with any bad row is refused whole, every bad row listed in
    /// `extensions.rows`.
    async fn import_team_members(
        &self,
        ctx: &Context<'_>,
        unit_code: String,
        file: Upload,
    ) -> Result<MemberImport> {
        // Who may import is settled before anything is read.
        ctx.data_opt::<Access>()
            .ok_or(AppError::Unauthenticated)?
            .write(Resource::Member)?;
        // A placeholder naming a file the request did not carry.
        let sent = ctx.data_opt::<UploadCount>().map_or(0, |n| n.0);
        if file.0 >= sent {
            return Err(AppError::bad_input("file", "no file was sent").into());
        }
        let upload = file
            .value(ctx)
            .map_err(|_| AppError::bad_input("file", "no file was sent"))?;
        // Reading and parsing are slow, blocking work: off the async workers, a few at a time,
        // and before the write transaction opens, so no other writer waits on them.
        let sheet = {
            let _turn = tokio::time::timeout(PARSING_WAIT, PARSING.acquire())
                .await
                .map_err(|_| AppError::RateLimited {
                    retry_after_secs: 5,
                    message: "other files are being read: try again in a moment".to_owned(),
                })?
                .map_err(|e| AppError::Internal(e.into()))?;
            tokio::task::spawn_blocking(move || read_upload(upload))
                .await
                .map_err(|e| AppError::Internal(e.into()))??
        };
        let report = apply(ctx, Resource::Member, move |tx, grant| {
            Box::pin(async move { member_import::import(tx, grant, &unit_code, &sheet).await })
        })
        .await?;
        let loaders = Loaders::of(ctx);
        let mut teams = Vec::new();
        for t in report.teams {
            let team = loaders
                .teams
                .load_one(t.team_id)
                .await
                .map_err(load_error)?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("imported team vanished")))?;
            teams.push(ImportedTeam {
                team: Team(team),
                village_code: t.village_code,
                added: t.added as i64,
            });
        }
        Ok(MemberImport {
            added: report.added as i64,
            teams,
        })
    }
}
