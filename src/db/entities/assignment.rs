//! `assignment`: a role an account holds at a unit (or, for team leaders, at a team).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "assignment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub role: String,
    pub unit_id: Option<i64>,
    pub team_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::app_user::Entity",
        from = "Column::UserId",
        to = "super::app_user::Column::Id"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::admin_unit::Entity",
        from = "Column::UnitId",
        to = "super::admin_unit::Column::Id"
    )]
    Unit,
}

impl ActiveModelBehavior for ActiveModel {}
