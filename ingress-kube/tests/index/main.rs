//! The index, synchronously: apply objects, then assert what a snapshot routes and resolves.

#[path = "../common/mod.rs"]
mod common;

mod classes;
mod resolve;
mod tls;
mod updates;
