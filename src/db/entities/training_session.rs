//! `training_session`: a training session, organised by a unit.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "training_session")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organizer_unit_id: i64,
    pub title: String,
    pub topic: Option<String>,
    pub format: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: Option<DateTimeUtc>,
    pub location: Option<String>,
    pub link: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::admin_unit::Entity",
        from = "Column::OrganizerUnitId",
        to = "super::admin_unit::Column::Id"
    )]
    Organizer,
}

impl ActiveModelBehavior for ActiveModel {}
