//! HLC803 stateful-without-backup: a service with persistent storage is backed up by no policy.

use hlc_diag::Diagnostic;
use hlc_model::{Lab, Placement};
use std::collections::BTreeSet;

rule! {
    code: "HLC803",
    name: "stateful-without-backup",
    severity: Warning,
    summary: "a service with persistent storage is not backed up, and nobody said why",
    doc: r#"# HLC803 stateful-without-backup

**What.** A service placed in a cluster declares `persistence`, but no backup covers it: it has no
`backup` of its own and no `backups.policies.<name>` of its cluster includes its namespace (a
policy without `namespaces` includes every namespace of the cluster's services except
`kube-system`).

**Why.** A persistent volume is state you cannot re-create from git. "Automatic backups" is one
of the lab's principles; a volume nobody decided about is usually a volume nobody backs up.

**Example.** `authentik-postgresql = { cluster = "cloud", persistence = "1GiB", … }` with no
policy for namespace `identity`.

**Fix.** Give the service `backup = {}` (the lab-wide `backups.defaults` apply), or include its
namespace in a policy of its cluster. If its data is disposable (metrics, caches), record the
decision: `backup = { enabled = false, reason = "…" }`.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let covered: BTreeSet<&str> = lab
        .backup_plans()
        .iter()
        .flat_map(|p| p.services.clone())
        .collect();
    for (name, s) in &lab.services {
        let (Some(size), Placement::Cluster(cluster)) = (&s.persistence, &s.placement) else {
            continue;
        };
        if covered.contains(name.as_str()) {
            continue;
        }
        if s.backup.as_ref().is_some_and(|b| !b.enabled.value) {
            continue;
        }
        let d = &lab.backups.defaults;
        let when = hlc_model::resilience::Schedule::parse(&d.schedule.value)
            .map(|s| s.describe())
            .unwrap_or_else(|_| format!("`{}`", d.schedule.value));
        out.push(
            INFO.diag(format!(
                "service `{name}` keeps {} of persistent data in cluster `{}`, but no backup policy covers it",
                size.value, cluster.value
            ))
            .with_path(format!("{}.persistence", s.origin.path))
            .with_span(size.span)
            .with_help(format!(
                "add `backup = {{}}` to it (the lab defaults: {when}, kept {}), or include namespace `{}` in a policy of cluster `{}`; if the data is disposable, say so: `backup = {{ enabled = false, reason = \"…\" }}`",
                d.retention.value, s.namespace.value, cluster.value
            )),
        );
    }
}
