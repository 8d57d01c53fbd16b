//! The rules: one file per rule, each holding its [`RuleInfo`] (stable code, kebab-case name,
//! default severity, one-line summary) and its documentation as a `DOC` constant. The same text is
//! the rustdoc of that constant and what `hlc explain CODE` prints, so it is written once.
//!
//! Codes: `HLC0xx` are about the policy itself (suppressions, overrides), `HLC2xx` about references and identity
//! (unknown names, cycles, duplicates), `HLC3xx` about addressing, capacity and Proxmox VM
//! hardware defaults (`HLC31x`), `HLC4xx` about exposure and authentication (`HLC45x`:
//! Kubernetes apps — charts, ports, namespaces, requests), `HLC7xx` Talos, `HLC8xx` resilience
//! (backups, monitoring, status checks). Decode errors (`HLC1xx`, and `HLC800` for durations)
//! belong to `hlc-model`.

use hlc_diag::{Diagnostic, Severity};

/// Declares a rule's documentation and registry entry in one place.
macro_rules! rule {
    (
        code: $code:literal,
        name: $name:literal,
        severity: $sev:ident,
        summary: $summary:literal,
        doc: $doc:literal $(,)?
    ) => {
        #[doc = $doc]
        pub const DOC: &str = $doc;

        /// This rule's registry entry.
        pub const INFO: $crate::rules::RuleInfo = $crate::rules::RuleInfo {
            code: $code,
            name: $name,
            severity: hlc_diag::Severity::$sev,
            summary: $summary,
            doc: DOC,
        };
    };
}

pub mod access_admits_everyone;
pub mod access_without_sso;
pub mod address_outside_network;
pub mod admin_service_public;
pub mod cdrom_slot;
pub mod dependency_cycle;
pub mod duplicate_address;
pub mod duplicate_hostname;
pub mod duplicate_vmid;
pub mod expired_suppression;
pub mod guest_agent_without_extension;
pub mod host_capacity;
pub mod inbound_port_on_cloud_node;
pub mod oci_free_tier;
pub mod overlapping_cidrs;
pub mod proxmox_default_datastore;
pub mod published_internal;
pub mod published_without_tunnel;
pub mod tunnel_routes_unpublished;
pub mod tunnel_unknown_service;
pub mod tunnel_unreachable_origin;
pub mod unjustified_ingress;
pub mod unknown_reference;
pub mod unknown_rule_code;
pub mod unused_suppression;
// Kubernetes apps (issue 6).
pub mod chart_version_unpinned;
pub mod cluster_requests;
pub mod namespace_collision;
pub mod port_mismatch;
pub mod shared_namespace;
// Talos (issue 5).
pub mod talos_endpoint;
pub mod talos_even_control_planes;
pub mod talos_install_image;
pub mod talos_kubernetes_incompatible;
pub mod talos_version_unsupported;
// Resilience (issue 12).
pub mod backup_cannot_run;
pub mod backup_gap;
pub mod backup_retention_exceeds_lifecycle;
pub mod backup_store_over_quota;
pub mod invalid_backup_schedule;
pub mod lifecycle_deletes_backup_repository;
pub mod stateful_without_backup;
pub mod status_checker_inside_cluster;

/// What `hlc explain` and the policy know about a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    /// Stable code, e.g. `HLC204`.
    pub code: &'static str,
    /// Stable kebab-case name, e.g. `duplicate-vmid`.
    pub name: &'static str,
    /// Severity unless `policy.severity` overrides it.
    pub severity: Severity,
    /// One line: what the rule reports.
    pub summary: &'static str,
    /// The full documentation (markdown): what, why, example, fix.
    pub doc: &'static str,
}

impl RuleInfo {
    /// A finding of this rule with its default severity.
    pub fn diag(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.code, message).with_severity(self.severity)
    }
}

static RULES: [RuleInfo; 43] = [
    unused_suppression::INFO,
    expired_suppression::INFO,
    unknown_rule_code::INFO,
    unknown_reference::INFO,
    dependency_cycle::INFO,
    duplicate_hostname::INFO,
    duplicate_vmid::INFO,
    duplicate_address::INFO,
    address_outside_network::INFO,
    overlapping_cidrs::INFO,
    host_capacity::INFO,
    oci_free_tier::INFO,
    proxmox_default_datastore::INFO,
    cdrom_slot::INFO,
    guest_agent_without_extension::INFO,
    admin_service_public::INFO,
    access_without_sso::INFO,
    published_internal::INFO,
    unjustified_ingress::INFO,
    tunnel_unknown_service::INFO,
    tunnel_unreachable_origin::INFO,
    published_without_tunnel::INFO,
    tunnel_routes_unpublished::INFO,
    access_admits_everyone::INFO,
    inbound_port_on_cloud_node::INFO,
    // Kubernetes apps (issue 6).
    chart_version_unpinned::INFO,
    port_mismatch::INFO,
    namespace_collision::INFO,
    cluster_requests::INFO,
    shared_namespace::INFO,
    // Talos (issue 5).
    talos_version_unsupported::INFO,
    talos_kubernetes_incompatible::INFO,
    talos_even_control_planes::INFO,
    talos_endpoint::INFO,
    talos_install_image::INFO,
    // Resilience (issue 12).
    backup_retention_exceeds_lifecycle::INFO,
    lifecycle_deletes_backup_repository::INFO,
    stateful_without_backup::INFO,
    invalid_backup_schedule::INFO,
    backup_store_over_quota::INFO,
    status_checker_inside_cluster::INFO,
    backup_gap::INFO,
    backup_cannot_run::INFO,
];

/// Every rule, sorted by code.
pub fn rules() -> &'static [RuleInfo] {
    &RULES
}

/// A rule by code (`HLC204`, case-insensitive) or by name (`duplicate-vmid`).
pub fn rule(code_or_name: &str) -> Option<&'static RuleInfo> {
    RULES
        .iter()
        .find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name == code_or_name)
}
