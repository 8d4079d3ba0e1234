//! `committee_member`: a member of a steering committee.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "committee_member")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub committee_id: i64,
    pub full_name: String,
    pub position: String,
    pub title: Option<String>,
    pub sort_order: i32,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::steering_committee::Entity",
        from = "Column::CommitteeId",
        to = "super::steering_committee::Column::Id"
    )]
    Committee,
}

impl ActiveModelBehavior for ActiveModel {}
