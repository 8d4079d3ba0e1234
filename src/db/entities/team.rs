//! `team`: a community digital technology team, serving a village or a commune.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "team")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_id: i64,
    pub name: String,
    pub name_folded: String,
    pub decision_no: Option<String>,
    pub founded_on: Option<Date>,
    pub status: String,
    pub dissolved_on: Option<Date>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
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
