//! `audit_entry`: one change, as the audit log records it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub user_id: Option<i64>,
    pub actor: String,
    pub operation: String,
    pub entity: String,
    pub entity_id: i64,
    pub unit_id: i64,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::admin_unit::Entity",
        from = "Column::UnitId",
        to = "super::admin_unit::Column::Id"
    )]
    Unit,
}

impl ActiveModelBehavior for ActiveModel {}
