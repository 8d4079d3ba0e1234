//! Writing a decided reorganisation, in the caller's transaction: the record, new units, the
//! shapes that end, closed units, continuing units in their new shape, villages in their new
//! place, lineage, and committees of closed units closed on the date.

use chrono::NaiveDate;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{BinOper, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use super::plan::{NextShape, Plan};
use crate::db::bulk::{insert_rows, sync_identity};
use crate::db::entities::admin_unit::{self, Column as U, Entity as Units};
use crate::db::entities::steering_committee::{Column as C, Entity as Committees};
use crate::db::entities::{audit_entry, reorganisation, unit_lineage, unit_shape};
use crate::db::query;
use crate::text::fold;

/// Ids per `IN (…)` list.
const CHUNK: usize = 5_000;

pub(super) async fn apply(
    txn: &impl ConnectionTrait,
    plan: &Plan,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<i64, DbErr> {
    let on = plan.effective_on;
    let report = &plan.report;
    let record = reorganisation::ActiveModel {
        effective_on: Set(on),
        title: Set(report.title.clone()),
        units_opened: Set(count(report.opened.len())),
        units_closed: Set(count(report.closed.len())),
        units_reshaped: Set(count(report.reshaped.len())),
        villages_moved: Set(count(report.villages_moved)),
        assignments_changed: Set(count(report.assignments.len())),
        report: Set(serde_json::to_string(report).map_err(|e| DbErr::Custom(e.to_string()))?),
        ..Default::default()
    };
    let id = reorganisation::Entity::insert(record)
        .exec(txn)
        .await?
        .last_insert_id;

    let shapes = plan.reshaped.iter().chain(&plan.villages);
    insert_rows(txn, shapes.map(|s| ended(s, on, id)).collect()).await?;
    progress(&format!(
        "kept {} earlier shapes",
        plan.reshaped.len() + plan.villages.len()
    ));

    insert_rows(
        txn,
        plan.opened
            .iter()
            .map(|u| admin_unit::ActiveModel {
                id: Set(u.id),
                code: Set(u.row_code.clone()),
                name: Set(u.name.clone()),
                name_folded: Set(fold(&u.name)),
                level: Set(u.level.as_str().to_owned()),
                division_type: Set(u.division_type.clone()),
                parent_id: Set(u.parent_id),
                path: Set(u.path.clone()),
                valid_from: Set(on),
                valid_to: Set(None),
            })
            .collect(),
    )
    .await?;
    sync_identity::<Units>(txn).await?;
    progress(&format!("opened {} units", plan.opened.len()));

    for ids in plan.closed.chunks(CHUNK) {
        let close = Query::update()
            .table(Units)
            .value(U::ValidTo, on)
            .and_where(Expr::col(U::Id).is_in(ids.iter().copied()))
            .to_owned();
        query::execute(txn, &close).await?;
    }
    progress(&format!("closed {} units", plan.closed.len()));

    for shape in &plan.reshaped {
        let update = Query::update()
            .table(Units)
            .value(U::Name, shape.name.clone())
            .value(U::NameFolded, fold(&shape.name))
            .value(U::DivisionType, shape.division_type.clone())
            .value(U::ParentId, shape.parent_id)
            .value(U::Path, shape.path.clone())
            .value(U::ValidFrom, on)
            .and_where(Expr::col(U::Id).eq(shape.old.id))
            .to_owned();
        query::execute(txn, &update).await?;
    }
    progress(&format!(
        "{} units continue in a new shape",
        plan.reshaped.len()
    ));

    // Villages, a statement per new commune: path = the commune's new path || id || '/'.
    let mut by_parent: std::collections::BTreeMap<i64, (String, Vec<i64>)> = Default::default();
    for village in &plan.villages {
        let parent = village.parent_id.unwrap_or_default();
        let prefix = village
            .path
            .strip_suffix(&format!("{}/", village.old.id))
            .unwrap_or_default()
            .to_owned();
        by_parent
            .entry(parent)
            .or_insert_with(|| (prefix, Vec::new()))
            .1
            .push(village.old.id);
    }
    for (parent, (prefix, ids)) in &by_parent {
        for ids in ids.chunks(CHUNK) {
            let path = Expr::val(prefix.clone())
                .binary(BinOper::Custom("||"), Expr::col(U::Id).cast_as("TEXT"))
                .binary(BinOper::Custom("||"), Expr::val("/"));
            let update = Query::update()
                .table(Units)
                .value(U::ParentId, *parent)
                .value(U::Path, path)
                .value(U::ValidFrom, on)
                .and_where(Expr::col(U::Id).is_in(ids.iter().copied()))
                .to_owned();
            query::execute(txn, &update).await?;
        }
    }
    progress(&format!(
        "{} villages in their new place",
        plan.villages.len()
    ));

    insert_rows(
        txn,
        plan.lineage
            .iter()
            .map(|(from, to)| unit_lineage::ActiveModel {
                predecessor_id: Set(*from),
                successor_id: Set(*to),
                effective_on: Set(on),
                reorganisation_id: Set(Some(id)),
                ..Default::default()
            })
            .collect(),
    )
    .await?;

    close_committees(txn, plan, on).await?;
    Ok(id)
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The shape that ends on `on`, as `unit_shape` keeps it.
fn ended(shape: &NextShape, on: NaiveDate, reorganisation: i64) -> unit_shape::ActiveModel {
    let old = &shape.old;
    unit_shape::ActiveModel {
        unit_id: Set(old.id),
        name: Set(old.name.clone()),
        division_type: Set(old.division_type.clone()),
        parent_id: Set(old.parent_id),
        path: Set(old.path.clone()),
        valid_from: Set(old.valid_from),
        valid_to: Set(on),
        reorganisation_id: Set(Some(reorganisation)),
        ..Default::default()
    }
}

/// Committees of closed units close on the date, each change in the audit log.
async fn close_committees(
    txn: &impl ConnectionTrait,
    plan: &Plan,
    on: NaiveDate,
) -> Result<(), DbErr> {
    if plan.committees_closed.is_empty() {
        return Ok(());
    }
    let select = Query::select()
        .columns([C::Id, C::UnitId])
        .from(Committees)
        .and_where(Expr::col(C::Id).is_in(plan.committees_closed.iter().copied()))
        .to_owned();
    let rows = query::rows(txn, &select).await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get("", "id")?;
        let unit: i64 = row.try_get("", "unit_id")?;
        entries.push(audit_entry::ActiveModel {
            at: Set(chrono::Utc::now()),
            user_id: Set(None),
            actor: Set(crate::authz::Actor::command_line().name),
            operation: Set("reorganise".to_owned()),
            entity: Set("committee".to_owned()),
            entity_id: Set(id),
            unit_id: Set(unit),
            before_json: Set(Some(r#"{"dissolvedOn":null}"#.to_owned())),
            after_json: Set(Some(format!(r#"{{"dissolvedOn":"{on}"}}"#))),
            ..Default::default()
        });
    }
    for ids in plan.committees_closed.chunks(CHUNK) {
        let close = Query::update()
            .table(Committees)
            .value(C::DissolvedOn, on)
            .value(C::Version, Expr::col(C::Version).add(1))
            .value(C::UpdatedAt, chrono::Utc::now())
            .and_where(Expr::col(C::Id).is_in(ids.iter().copied()))
            .to_owned();
        query::execute(txn, &close).await?;
    }
    insert_rows(txn, entries).await
}
