//! steering-gateway: the GraphQL gateway for Vietnam's digital-transformation steering committees
//! and community digital technology teams (Tổ công nghệ số cộng đồng).
//!
//! The binary in `main.rs` is a thin shell over this library, so that the integration tests build
//! exactly the application that production runs.

pub mod app;
pub mod auth;
pub mod authz;
pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod hooks;
pub mod http;
pub mod scalars;
pub mod seed;
pub mod telemetry;
pub mod text;

#[path = "../migrations/mod.rs"]
pub mod migrations;

pub use error::{AppError, Result};
