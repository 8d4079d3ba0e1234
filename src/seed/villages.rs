//! Villages (thôn, buôn, tổ dân phố): the official list stops at communes, so the generator
//! adds 8 to 20 under each.

use sea_orm::ConnectionTrait;

use super::Commune;
use super::names;
use super::rng::Rng;
use crate::db::bulk::{insert_rows, next_id, sync_identity};

use crate::db::entities::admin_unit::{self, Entity as Units};
use crate::text::fold;
use sea_orm::ActiveValue::Set;

pub(super) struct Village {
    pub id: i64,
    /// Index into the province's communes.
    pub commune: usize,
    pub name: String,
    /// A buôn: an Ê Đê village, whose people mostly carry Ê Đê names.
    pub is_buon: bool,
}

/// Generates and writes the villages of `communes`.
pub(super) async fn generate(
    txn: &impl ConnectionTrait,
    rng: &mut Rng,
    communes: &[Commune],
) -> anyhow::Result<Vec<Village>> {
    let valid_from = super::default_valid_from();
    // Villages: thôn and buôn in a xã, tổ dân phố in a phường or thị trấn; 8 to 20 each.
    let mut villages: Vec<Village> = Vec::new();
    let mut rows = Vec::new();
    let mut id = next_id::<Units>(txn).await?;
    for (ci, commune) in communes.iter().enumerate() {
        let count = rng.range(8, 20) as usize;
        let rural = commune.division_type == "xã";
        let buon_count = if rural {
            rng.range(0, count as i64 / 3) as usize
        } else {
            0
        };
        let mut used = Vec::new();
        for n in 1..=count {
            let (name, kind, is_buon) = if !rural {
                (format!("Tổ dân phố {n}"), "tổ dân phố", false)
            } else if n > count - buon_count {
                match names::buon(rng, &mut used) {
                    Some(name) => (name, "buôn", true),
                    None => (format!("Thôn {n}"), "thôn", false),
                }
            } else {
                (format!("Thôn {n}"), "thôn", false)
            };
            rows.push(admin_unit::ActiveModel {
                id: Set(id),
                code: Set(format!("{}.{n:02}", commune.code)),
                name: Set(name.clone()),
                name_folded: Set(fold(&name)),
                level: Set("VILLAGE".to_owned()),
                division_type: Set(kind.to_owned()),
                parent_id: Set(Some(commune.id)),
                path: Set(format!("{}{id}/", commune.path)),
                valid_from: Set(valid_from),
                ..Default::default()
            });
            villages.push(Village {
                id,
                commune: ci,
                name,
                is_buon,
            });
            id += 1;
        }
    }
    insert_rows(txn, rows).await?;
    sync_identity::<Units>(txn).await?;
    Ok(villages)
}
