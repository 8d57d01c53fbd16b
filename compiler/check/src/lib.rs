//! `hlc-check`: the reference graph of a homelab model and the rules that check it.
//!
//! [`check`] takes a decoded [`Lab`] and returns an [`Analysis`] — the reference graph
//! ([`graph`]), the services in dependency order with their sync waves and dependents — plus every
//! finding of every rule, sorted, with the lab's `policy.severity` applied. Nothing here reads
//! files, the environment or the clock.
//!
//! Where things live:
//!
//! * [`graph`] — nodes and edges, resolution of every reference (HLC201);
//! * `deps` — topological order, waves, cycles (HLC202), in `O((V + E) log V)`;
//! * [`rules`] — one file per rule, each with its code, name, default severity, summary and
//!   documentation ([`rules::rules`] is the registry `hlc explain` reads);
//! * `user_rules` — findings of the lab's own rules (`policy.rules`, run in Nickel);
//! * `suppress` — `policy.suppress` with justification and expiry (HLC001, HLC002);
//! * `policy` — severity overrides (HLC009 for unknown codes);
//! * [`export`] — dot / mermaid / json for `hlc graph`.

#[macro_use]
pub mod rules;

pub mod codes;

mod deps;
pub mod export;
mod ext;
pub mod graph;
mod policy;
mod suppress;
mod user_rules;

pub use codes::{explain, CodeDoc};
pub use export::{to_dot, to_json, to_mermaid};
pub use ext::LabExt;
pub use graph::{Entity, LabGraph, NodeKind, Ref};
pub use rules::{rule, rules, RuleInfo};

use hlc_diag::{Diagnostic, Diagnostics};
use hlc_model::Lab;
use std::collections::BTreeMap;

/// What the checks computed about a lab, for the renderers and `hlc graph`.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    /// Every entity and every resolved reference.
    pub graph: LabGraph,
    /// Services in dependency order (dependencies first; among ready services, by name).
    /// Services in or behind a dependency cycle are missing.
    pub order: Vec<String>,
    /// Sync wave per service: 0 without dependencies, else 1 + the largest wave of its
    /// dependencies. Services in or behind a cycle have none.
    pub waves: BTreeMap<String, u32>,
    /// Per service (every service has an entry), the services that depend on it, sorted.
    pub dependents: BTreeMap<String, Vec<String>>,
}

/// Inputs of a check beyond the lab itself.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// The date suppressions' `expires` are compared with (`hlc check --date`); `None`: expiry
    /// dates are not compared. hlc never reads the clock.
    pub today: Option<hlc_model::types::Date>,
}

/// Runs the graph and every rule on a lab. All findings are returned together, sorted by source
/// position, then config path, code and message.
pub fn check(lab: &Lab) -> (Analysis, Diagnostics) {
    check_with(lab, &CheckOptions::default())
}

/// [`check`] with options: the lab's own rules' findings, then suppressions (`policy.suppress`,
/// HLC001/HLC002), then severity overrides (`policy.severity`) are applied to every finding.
pub fn check_with(lab: &Lab, options: &CheckOptions) -> (Analysis, Diagnostics) {
    let mut out: Vec<Diagnostic> = Vec::new();
    let graph = graph::build(lab, &mut out);
    let deps = deps::analyse(lab, &mut out);
    rules::duplicate_hostname::check(lab, &mut out);
    rules::duplicate_vmid::check(lab, &mut out);
    rules::duplicate_address::check(lab, &mut out);
    rules::address_outside_network::check(lab, &mut out);
    rules::overlapping_cidrs::check(lab, &mut out);
    rules::host_capacity::check(lab, &mut out);
    rules::oci_free_tier::check(lab, &mut out);
    // Proxmox defaults that bite (issue 11).
    rules::proxmox_default_datastore::check(lab, &mut out);
    rules::cdrom_slot::check(lab, &mut out);
    rules::guest_agent_without_extension::check(lab, &mut out);
    rules::admin_service_public::check(lab, &mut out);
    rules::access_without_sso::check(lab, &mut out);
    rules::published_internal::check(lab, &mut out);
    rules::unjustified_ingress::check(lab, &mut out);
    // Edge and identity (issue 7).
    rules::tunnel_unknown_service::check(lab, &mut out);
    rules::tunnel_unreachable_origin::check(lab, &mut out);
    rules::published_without_tunnel::check(lab, &mut out);
    rules::tunnel_routes_unpublished::check(lab, &mut out);
    rules::access_admits_everyone::check(lab, &mut out);
    rules::inbound_port_on_cloud_node::check(lab, &mut out);
    // Kubernetes apps (issue 6).
    rules::chart_version_unpinned::check(lab, &mut out);
    rules::port_mismatch::check(lab, &mut out);
    rules::namespace_collision::check(lab, &mut out);
    rules::shared_namespace::check(lab, &mut out);
    rules::cluster_requests::check(lab, &mut out);
    // Talos (issue 5).
    rules::talos_version_unsupported::check(lab, &mut out);
    rules::talos_kubernetes_incompatible::check(lab, &mut out);
    rules::talos_even_control_planes::check(lab, &mut out);
    rules::talos_endpoint::check(lab, &mut out);
    rules::talos_install_image::check(lab, &mut out);
    // Resilience (issue 12).
    rules::backup_retention_exceeds_lifecycle::check(lab, &mut out);
    rules::lifecycle_deletes_backup_repository::check(lab, &mut out);
    rules::stateful_without_backup::check(lab, &mut out);
    rules::invalid_backup_schedule::check(lab, &mut out);
    rules::backup_store_over_quota::check(lab, &mut out);
    rules::status_checker_inside_cluster::check(lab, &mut out);
    rules::backup_gap::check(lab, &mut out);
    rules::backup_cannot_run::check(lab, &mut out);
    user_rules::findings(lab, &mut out);
    suppress::apply(lab, options.today, &mut out);
    policy::apply(lab, &mut out);
    out.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    let analysis = Analysis {
        graph,
        order: deps.order,
        waves: deps.waves,
        dependents: deps.dependents,
    };
    (analysis, Diagnostics(out))
}

type SortKey<'a> = (Option<(u32, u32, u32)>, Option<&'a str>, &'a str, &'a str);

fn sort_key(d: &Diagnostic) -> SortKey<'_> {
    (
        d.span.map(|s| (s.file.0, s.start, s.end)),
        d.path.as_deref(),
        d.code.as_str(),
        d.message.as_str(),
    )
}
