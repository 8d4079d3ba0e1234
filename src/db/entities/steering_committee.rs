//! `steering_committee`: a steering committee for digital transformation, at one unit.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "steering_committee")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_id: i64,
    pub name: String,
    pub decision_no: Option<String>,
    pub founded_on: Option<Date>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub dissolved_on: Option<Date>,
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
