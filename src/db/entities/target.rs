//! `target`: a target set for a unit, a period and an indicator.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "target")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_id: i64,
    pub set_by_unit_id: Option<i64>,
    pub period: String,
    pub indicator: String,
    pub target_value: i64,
    pub version: i32,
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
