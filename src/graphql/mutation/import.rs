//! Importing a commune's member list.

use std::io::Read;

use async_graphql::{Context, Object, Result, SimpleObject, Upload};

use super::apply;
use crate::authz::{Access, Resource};
use crate::domain::MemberId;
use crate::domain::member_import::{self, Sheet};
use crate::error::AppError;
use crate::graphql::loaders::{Loaders, load_error};
use crate::graphql::types::Team;

/// What an import added (or, as a preview, would add), kept and refused.
#[derive(SimpleObject)]
pub struct MemberImport {
    /// Whether this was a preview: nothing was written.
    pub dry_run: bool,
    pub added: i64,
    pub teams: Vec<ImportedTeam>,
    /// Rows naming someone already on the team (the same name, and the same birth year or
    /// phone number): kept as they are, not added again.
    pub kept: Vec<KeptRow>,
    /// Bad rows. Only a preview lists them here: an import with any is refused whole, with
    /// the same rows in `extensions.rows`.
    pub refused: Vec<RefusedRow>,
}

/// A row of the file naming a member already on the team.
#[derive(SimpleObject)]
pub struct KeptRow {
    /// The line (CSV) or row (spreadsheet), counting the header as 1.
    pub line: i64,
    pub village_code: String,
    pub member_id: MemberId,
    pub full_name: String,
}

/// A bad row of the file, and what is wrong with it.
#[derive(SimpleObject)]
pub struct RefusedRow {
    pub line: i64,
    /// The column at fault, by its header, when there is one.
    pub column: Option<String>,
    pub message: String,
}

/// Members added to one team.
#[derive(SimpleObject)]
pub struct ImportedTeam {
    pub team: Team,
    pub village_code: String,
    pub added: i64,
}

impl From<crate::error::RowProblem> for RefusedRow {
    fn from(row: crate::error::RowProblem) -> RefusedRow {
        RefusedRow {
            line: row.line as i64,
            column: row.column,
            message: row.message,
        }
    }
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
    /// Giới tính, and `Mã thôn` (the village's code, which names it even where several villages
    /// share a name). CSV files may be separated by commas, semicolons or tabs, in UTF-8 (with
    /// or without a byte-order mark) or UTF-16. Someone already on the team (the same name,
    /// and the same birth year or phone number) is kept, not added again. A file with any bad
    /// row is refused whole, every bad row listed in `extensions.rows`; `dryRun: true` writes
    /// nothing and answers what would be added, kept and refused.
    async fn import_team_members(
        &self,
        ctx: &Context<'_>,
        unit_code: String,
        file: Upload,
        dry_run: Option<bool>,
    ) -> Result<MemberImport> {
        let mode = if dry_run == Some(true) {
            member_import::Mode::Preview
        } else {
            member_import::Mode::Write
        };
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
            let read = tokio::task::spawn_blocking(move || read_upload(upload))
                .await
                .map_err(|e| AppError::Internal(e.into()))?;
            match read {
                Ok(sheet) => sheet,
                // A preview lists a file's bad rows instead of refusing it.
                Err(AppError::InvalidRows(rows)) if mode == member_import::Mode::Preview => {
                    return Ok(MemberImport {
                        dry_run: true,
                        added: 0,
                        teams: Vec::new(),
                        kept: Vec::new(),
                        refused: rows.into_iter().map(RefusedRow::from).collect(),
                    });
                }
                Err(other) => return Err(other.into()),
            }
        };
        let report = apply(ctx, Resource::Member, move |tx, grant| {
            Box::pin(
                async move { member_import::import(tx, grant, &unit_code, &sheet, mode).await },
            )
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
            dry_run: mode == member_import::Mode::Preview,
            added: report.added as i64,
            teams,
            kept: report
                .kept
                .into_iter()
                .map(|k| KeptRow {
                    line: k.line as i64,
                    village_code: k.village_code,
                    member_id: k.member_id,
                    full_name: k.full_name,
                })
                .collect(),
            refused: report.refused.into_iter().map(RefusedRow::from).collect(),
        })
    }
}
