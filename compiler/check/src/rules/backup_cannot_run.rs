//! HLC808 backup-cannot-run: a backup policy has no store, or its cluster runs no backup agent;
//! unknown clusters, stores, sites, secrets and checkers are HLC201.

use crate::rules::unknown_reference;
use hlc_diag::Diagnostic;
use hlc_model::resilience::{StoreKind, BACKUP_AGENT_CHART};
use hlc_model::{Lab, SiteKind};
use std::collections::BTreeSet;

rule! {
    code: "HLC808",
    name: "backup-cannot-run",
    severity: Error,
    summary: "a backup policy has no store, or no backup agent runs in its cluster",
    doc: r#"# HLC808 backup-cannot-run

**What.** A backup policy (`backups.policies.<name>` or a service's `backup`) resolves to no
store (neither it nor `backups.defaults` sets `store`), or its cluster runs no backup agent (no
service there installs the `velero` chart, e.g. with `hlc.modules.velero {}`). An `'oci` store
whose `site` is not an OCI site is reported here too.

**Why.** hlc renders a Velero `Schedule` into the cluster's tree; without Velero there, or
without a `BackupStorageLocation` to write to, nothing runs — and nothing complains.

**Example.**

```text
error[HLC808]: backup policy `prod-daily` runs in cluster `prod`, where no backup agent runs
```

**Fix.** Set `store` (or `backups.defaults.store`), and install Velero in the cluster. The names
a policy uses (cluster, store) are checked like every reference (HLC201).
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let clusters = || lab.clusters.keys().map(|k| k.as_str());
    let stores = || lab.backups.stores.keys().map(|k| k.as_str());
    if let Some(s) = &lab.backups.defaults.store {
        if !lab.backups.stores.contains_key(s.as_str()) {
            out.push(unknown_reference::report(
                "`backups.defaults.store`",
                "backup stores",
                "backups.stores",
                s,
                "backups.defaults.store",
                stores(),
            ));
        }
    }
    for plan in lab.backup_plans() {
        let cluster_known = lab.clusters.contains_key(plan.cluster.as_str());
        if plan.release.is_none() && !cluster_known {
            out.push(unknown_reference::report(
                &format!("backup policy `{}`", plan.name),
                "clusters",
                "clusters",
                plan.cluster,
                &format!("{}.cluster", plan.path),
                clusters(),
            ));
        }
        match &plan.store {
            None => out.push(
                INFO.diag(format!("backup policy `{}` has no store", plan.name))
                    .with_path(plan.path.clone())
                    .with_span(plan.origin.span)
                    .with_help("set `store = \"<store>\"` on it, or `backups.defaults.store` for every policy"),
            ),
            Some(st) if !lab.backups.stores.contains_key(st.value.as_str()) => {
                if !st.path.starts_with("backups.defaults") {
                    out.push(unknown_reference::report(
                        &format!("backup policy `{}`", plan.name),
                        "backup stores",
                        "backups.stores",
                        st.value,
                        &st.path,
                        stores(),
                    ));
                }
            }
            Some(_) => {}
        }
        if cluster_known && lab.backup_agent(plan.cluster.as_str()).is_none() {
            out.push(
                INFO.diag(format!(
                    "backup policy `{}` runs in cluster `{}`, where no backup agent runs",
                    plan.name, plan.cluster.value
                ))
                .with_path(if plan.release.is_some() { plan.path.clone() } else { format!("{}.cluster", plan.path) })
                .with_span(if plan.release.is_some() { plan.origin.span } else { plan.cluster.span })
                .with_help(format!(
                    "install Velero in cluster `{}` (a service with `app = hlc.modules.velero {{}}`, chart `{BACKUP_AGENT_CHART}`)",
                    plan.cluster.value
                )),
            );
        }
    }
    for (name, store) in &lab.backups.stores {
        let Some(site) = &store.site else { continue };
        match lab.sites.get(site.as_str()) {
            None => out.push(unknown_reference::report(
                &format!("backup store `{name}`"),
                "sites",
                "sites",
                site,
                &format!("{}.site", store.origin.path),
                lab.sites.keys().map(|k| k.as_str()),
            )),
            Some(s) if store.kind.value == StoreKind::Oci && s.kind.value != SiteKind::Oci => out.push(
                INFO.diag(format!(
                    "backup store `{name}` is an 'oci bucket, but site `{}` is not an OCI site",
                    site.value
                ))
                .with_path(format!("{}.site", store.origin.path))
                .with_span(site.span)
                .with_help("name the OCI site whose Terraform creates the bucket, or use `kind = 's3` for a bucket managed elsewhere"),
            ),
            Some(_) => {}
        }
    }
    let secrets = || lab.secrets.keys().map(|k| k.as_str());
    for (name, r) in &lab.monitoring.receivers {
        if !lab.secrets.contains_key(r.url_secret.as_str()) {
            out.push(unknown_reference::report(
                &format!("receiver `{name}`"),
                "secrets",
                "secrets",
                &r.url_secret,
                &format!("{}.url_secret", r.origin.path),
                secrets(),
            ));
        }
    }
    let services: BTreeSet<&str> = lab.services.keys().map(|k| k.as_str()).collect();
    for (name, kind) in &lab.monitoring.checkers {
        if !services.contains(name.as_str()) {
            let as_sp = hlc_model::Sp::new(name.clone(), kind.span);
            out.push(unknown_reference::report(
                "`monitoring.status.checkers`",
                "services",
                "services",
                &as_sp,
                &format!("{}.{name}", lab.monitoring.checkers_path),
                services.iter().copied(),
            ));
        }
    }
}
