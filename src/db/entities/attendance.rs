//! `attendance`: a member's attendance of a training session.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "attendance")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub session_id: i64,
    pub member_id: i64,
    pub attended: bool,
    pub completed: bool,
    pub certificate_no: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::training_session::Entity",
        from = "Column::SessionId",
        to = "super::training_session::Column::Id"
    )]
    Session,
    #[sea_orm(
        belongs_to = "super::team_member::Entity",
        from = "Column::MemberId",
        to = "super::team_member::Column::Id"
    )]
    Member,
}

impl ActiveModelBehavior for ActiveModel {}
