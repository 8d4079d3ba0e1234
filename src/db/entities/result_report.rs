//! `result_report`: a team's monthly report of the five basic skills' results.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "result_report")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub team_id: i64,
    pub period: String,
    pub households_reached: i32,
    pub vneid_activations: i32,
    pub online_applications: i32,
    pub cashless_accounts: i32,
    pub ecommerce_accounts: i32,
    pub state: String,
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
