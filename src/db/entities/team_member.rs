//! `team_member`: a member of a team; those who left keep their row with `left_on` set.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "team_member")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub team_id: i64,
    pub full_name: String,
    pub role: String,
    pub affiliation: String,
    pub phone: Option<String>,
    pub gender: Option<String>,
    pub birth_year: Option<i32>,
    pub joined_on: Option<Date>,
    pub left_on: Option<Date>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::team::Entity",
        from = "Column::TeamId",
        to = "super::team::Column::Id"
    )]
    Team,
}

impl ActiveModelBehavior for ActiveModel {}
