//! `steering-gateway user …`: accounts and their assignments, managed on the server. Passwords
//! are read from standard input, never from arguments.

use anyhow::Context;
use clap::Subcommand;

use sea_orm::DatabaseConnection;

use super::cli_error;
use crate::authz::{Actor, Role};
use crate::db::Db;
use crate::domain::users::roles::{self, RoleAt, RoleChange};
use crate::domain::{TeamId, users};

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account; the password is the first line of standard input.
    Add {
        username: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List accounts and their assignments.
    List,
    /// Give an account a role: ADMIN, LEADER, OFFICER or TEAM_LEADER.
    Assign {
        /// The account's name.
        username: String,
        /// ADMIN, LEADER, OFFICER or TEAM_LEADER.
        role: String,
        /// The unit's official code; omit for ADMIN of the whole country.
        unit_code: Option<String>,
        /// For TEAM_LEADER: the id of the team led.
        #[arg(long)]
        team: Option<i64>,
        /// Make this the account's only role: every other one is taken away in the same
        /// change (an officer moved to another commune).
        #[arg(long)]
        replace: bool,
    },
    /// Take a role away from an account; its other roles stay. A role held at a unit closed by
    /// a reorganisation is named by that unit's code.
    Unassign {
        /// The account's name.
        username: String,
        /// ADMIN, LEADER, OFFICER or TEAM_LEADER.
        role: String,
        /// The unit's official code; omit for ADMIN of the whole country.
        unit_code: Option<String>,
        /// For TEAM_LEADER: the id of the team led.
        #[arg(long)]
        team: Option<i64>,
    },
    /// Show the changes of an account's roles: when, by whom, before and after.
    History {
        /// The account's name.
        username: String,
    },
    /// Stop an account from signing in; its tokens stop working at once.
    Disable { username: String },
    /// Allow a disabled account to sign in again.
    Enable { username: String },
    /// Replace an account's password with the first line of standard input.
    SetPassword { username: String },
}

pub(super) async fn run(db: &Db, command: UserCommand) -> anyhow::Result<()> {
    let conn = &db.conn;
    match command {
        UserCommand::Add {
            username,
            display_name,
        } => {
            let hash = crate::auth::hash_password(&read_password()?)?;
            users::create(conn, &username, display_name.as_deref(), &hash)
                .await
                .map_err(cli_error)?;
            let username = users::normalise_username(&username).map_err(cli_error)?;
            println!("created {username}");
        }
        UserCommand::List => list(conn).await?,
        UserCommand::Assign {
            username,
            role,
            unit_code,
            team,
            replace,
        } => {
            let change = if replace {
                RoleChange::Replace
            } else {
                RoleChange::Add
            };
            change_roles(db, &username, &role, unit_code, team, change).await?
        }
        UserCommand::Unassign {
            username,
            role,
            unit_code,
            team,
        } => change_roles(db, &username, &role, unit_code, team, RoleChange::Remove).await?,
        UserCommand::History { username } => {
            for entry in roles::history(conn, &username).await.map_err(cli_error)? {
                println!(
                    "{}\t{}\t{}\t{} -> {}",
                    entry.at.format("%Y-%m-%d %H:%M:%S UTC"),
                    entry.actor,
                    entry.operation,
                    entry.before_json.as_deref().unwrap_or("[]"),
                    entry.after_json.as_deref().unwrap_or("[]"),
                );
            }
        }
        UserCommand::Disable { username } => {
            users::set_active(conn, &username, false)
                .await
                .map_err(cli_error)?;
            println!("disabled {username}");
        }
        UserCommand::Enable { username } => {
            users::set_active(conn, &username, true)
                .await
                .map_err(cli_error)?;
            println!("enabled {username}");
        }
        UserCommand::SetPassword { username } => {
            let hash = crate::auth::hash_password(&read_password()?)?;
            users::set_password_hash(conn, &username, &hash)
                .await
                .map_err(cli_error)?;
            println!("password changed for {username}");
        }
    }
    Ok(())
}

/// Where an assignment holds, as the command line says it.
fn held(unit_code: Option<&str>, team: Option<i64>) -> String {
    match (unit_code, team) {
        (_, Some(team)) => format!("of team {team}"),
        (Some(code), None) => format!("at {code}"),
        (None, None) => "of the whole country".to_owned(),
    }
}

/// One line per account: its name, whether it may sign in, and its roles.
async fn list(conn: &DatabaseConnection) -> anyhow::Result<()> {
    let all = users::list(conn).await.map_err(cli_error)?;
    let ids: Vec<_> = all.iter().map(|u| u.id).collect();
    let assignments = users::assignments_of(conn, &ids).await.map_err(cli_error)?;
    for user in all {
        let roles: Vec<String> = assignments
            .iter()
            .filter(|a| a.user_id == user.id)
            .map(|a| {
                let team = a.team_id.map(|t| t.0);
                format!("{} {}", a.role.as_str(), held(a.unit_code.as_deref(), team))
            })
            .collect();
        let state = if user.active { "active" } else { "disabled" };
        println!("{}\t{state}\t{}", user.username, roles.join(", "));
    }
    Ok(())
}

async fn change_roles(
    db: &Db,
    username: &str,
    role: &str,
    unit_code: Option<String>,
    team: Option<i64>,
    change: RoleChange,
) -> anyhow::Result<()> {
    let role: Role = role
        .trim()
        .to_uppercase()
        .parse()
        .map_err(|_| anyhow::anyhow!("role must be ADMIN, LEADER, OFFICER or TEAM_LEADER"))?;
    let at = RoleAt {
        role,
        unit_code: unit_code.clone(),
        team: team.map(TeamId),
    };
    let (user, after) = roles::change(db, &Actor::command_line(), username, change, &at)
        .await
        .map_err(cli_error)?;
    let what = match change {
        RoleChange::Remove => "is no longer",
        RoleChange::Add | RoleChange::Replace => "is",
    };
    println!(
        "{} {what} {} {}",
        user.username,
        role.as_str(),
        held(unit_code.as_deref(), team)
    );
    let roles: Vec<String> = after
        .iter()
        .map(|a| {
            let team = a.team_id.map(|t| t.0);
            format!("{} {}", a.role.as_str(), held(a.unit_code.as_deref(), team))
        })
        .collect();
    println!(
        "{}'s roles: {}",
        user.username,
        if roles.is_empty() {
            "none".to_owned()
        } else {
            roles.join(", ")
        }
    );
    Ok(())
}

/// The first line of standard input, checked against the password rules.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    crate::auth::validate_new_password(&password).map_err(cli_error)?;
    Ok(password)
}
