//! The 1 July 2025 reorganisation, from the official files bundled with the binary, and the
//! demo's own decisions for the villages those files leave open.
//!
//! The decisions are an assumption of the demo, not an official fact (the official table does
//! not say which village of a split commune went where, nor where the communes merged away
//! before its date went):
//! - a commune missing from the table sends all its villages where the nearest commune before
//!   it (by code) in the same old district went, or the nearest after it when it is the first;
//! - a commune the table splits between several new communes sends the first half of its
//!   villages (by code) to the first of them, the rest to the others in turn;
//! - a commune flagged as partly merged with a single new commune sends its villages there.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use crate::db::query;
use crate::domain::reorganise::{self, Files, Options, Outcome, ReorganiseError};
use crate::domain::units::AdminLevel;

/// The tree in force since 1 July 2025 (34 provinces, 3,321 communes).
pub const UNITS_2025_CSV: &str = include_str!("data/admin_units_2025.csv");
/// The official table from the communes of 30 June 2025 to those of 1 July 2025.
pub const REORG_2025_CSV: &str = include_str!("data/reorg_2025.csv");

pub fn effective_2025() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 1).expect("a valid date")
}

#[derive(FromQueryResult)]
struct Village {
    code: String,
    commune: String,
    district: Option<String>,
}

/// The demo's decisions (`code,new_code`) for the open villages of the database that the
/// official table leaves open.
pub async fn demo_decisions(conn: &impl ConnectionTrait) -> Result<String, DbErr> {
    let mut table: HashMap<&str, Vec<(&str, bool)>> = HashMap::new();
    for line in REORG_2025_CSV.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() == 6 {
            table.entry(f[0]).or_default().push((f[1], f[5] == "true"));
        }
    }
    let (commune, district) = (Alias::new("commune"), Alias::new("district"));
    let select = Query::select()
        .expr_as(Expr::col((Units, U::Code)), "code")
        .expr_as(Expr::col((commune.clone(), U::Code)), "commune")
        .expr_as(Expr::col((district.clone(), U::Code)), "district")
        .from(Units)
        .join_as(
            sea_orm::JoinType::InnerJoin,
            Units,
            commune.clone(),
            Expr::col((commune.clone(), U::Id)).equals((Units, U::ParentId)),
        )
        .join_as(
            sea_orm::JoinType::LeftJoin,
            Units,
            district.clone(),
            Expr::col((district.clone(), U::Id)).equals((commune.clone(), U::ParentId)),
        )
        .and_where(Expr::col((Units, U::Level)).eq(AdminLevel::Village.as_str()))
        .and_where(Expr::col((Units, U::ValidTo)).is_null())
        .and_where(Expr::col((commune, U::ValidTo)).is_null())
        .order_by((Units, U::Code), Order::Asc)
        .to_owned();
    let villages: Vec<Village> = query::all(conn, &select).await?;

    let mut by_commune: HashMap<&str, Vec<&Village>> = HashMap::new();
    let mut communes_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for village in &villages {
        let list = by_commune.entry(village.commune.as_str()).or_default();
        if list.is_empty() {
            let district = village.district.as_deref().unwrap_or_default();
            communes_of
                .entry(district)
                .or_default()
                .push(village.commune.as_str());
        }
        list.push(village);
    }
    let mut out = String::from("code,new_code\n");
    let mut communes: Vec<&&str> = by_commune.keys().collect();
    communes.sort();
    for commune in communes {
        let list = &by_commune[*commune];
        match table.get(*commune) {
            Some(rows) if rows.len() > 1 => {
                let half = list.len().div_ceil(2);
                for (i, village) in list.iter().enumerate() {
                    let to = if i < half {
                        rows[0].0
                    } else {
                        rows[1 + (i - half) % (rows.len() - 1)].0
                    };
                    out.push_str(&format!("{},{to}\n", village.code));
                }
            }
            Some(rows) if rows[0].1 => out.push_str(&format!("{commune},{}\n", rows[0].0)),
            Some(_) => {}
            None => {
                let district = list[0].district.as_deref().unwrap_or_default();
                let commune: &str = commune;
                let mapped: Vec<&str> = communes_of
                    .get(district)
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(|c| table.contains_key(c))
                    .collect();
                let before = mapped.iter().copied().filter(|c| *c < commune).max();
                let nearest =
                    before.or_else(|| mapped.iter().copied().filter(|c| *c > commune).min());
                if let Some(nearest) = nearest {
                    out.push_str(&format!("{commune},{}\n", table[nearest][0].0));
                }
            }
        }
    }
    Ok(out)
}

/// The demo's decisions for its villages, as [`demo_decisions`] makes them from the demo
/// before the reorganisation (a test keeps the two equal): what `seed --demo` applies, and
/// what `reorganise --villages` reads in the README's example.
pub const DEMO_VILLAGES_2025_CSV: &str = include_str!("data/demo_villages_2025.csv");

/// Applies the 1 July 2025 reorganisation to the database's provinces with `decisions`
/// (`code,new_code`) for the villages the official table leaves open, or else the demo's rules.
pub async fn apply_2025(
    conn: &sea_orm::DatabaseConnection,
    decisions: Option<&str>,
    dry_run: bool,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Outcome, ReorganiseError> {
    let villages = match decisions {
        Some(text) => text.to_owned(),
        None => demo_decisions(conn).await?,
    };
    let files = Files {
        tree: UNITS_2025_CSV.to_owned(),
        mapping: REORG_2025_CSV.to_owned(),
        villages: Some(villages),
    };
    let options = Options {
        effective_on: effective_2025(),
        title: Some("Sắp xếp đơn vị hành chính từ 1/7/2025".to_owned()),
        accept_defaults: false,
        dry_run,
    };
    reorganise::run(conn, &files, &options, progress).await
}
