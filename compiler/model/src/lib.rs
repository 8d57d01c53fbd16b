//! The typed homelab model.
//!
//! `configs/main.ncl` evaluates (through the library's `Lab` contract, which supplies defaults
//! and rejects unknown fields) to one record; [`decode`] turns it into a [`Lab`]. Values that have
//! a shape of their own — addresses, CIDRs, hostnames, sizes, CPU counts, versions, dates — are
//! parsed into the types of [`types`], so a `Lab` cannot hold an invalid one. Every decode error
//! is a diagnostic with a stable code, the config path and the `.ncl` span that set the value.
//!
//! The Nickel contracts check structure (types, enums, closed records, defaults); the value-level
//! checks live here because Rust can say precisely what is wrong ("host bits set: did you mean
//! 10.0.1.0/24") and does it in linear time, where Nickel contracts are the slowest part of
//! evaluation.
//!
//! Decoding does not resolve references between entities (a machine's `host`, a service's
//! `depends_on`): that is the graph's job in `hlc-check`.

pub mod app;
pub mod decode;
mod model;
pub mod policy;
pub mod resilience;
pub mod types;

pub use decode::Sp;
pub use model::*;
pub use policy::{Suppression, UserFinding, UserRule};
