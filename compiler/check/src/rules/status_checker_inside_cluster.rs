//! HLC806 status-checker-inside-cluster: every status checker of some hostnames runs where the
//! services behind them run.

use hlc_diag::Diagnostic;
use hlc_model::Lab;
use std::collections::BTreeMap;

rule! {
    code: "HLC806",
    name: "status-checker-inside-cluster",
    severity: Warning,
    summary: "hostnames are status-checked only from inside the cluster that serves them",
    doc: r#"# HLC806 status-checker-inside-cluster

**What.** The lab declares status checkers (`monitoring.status.checkers`: services running a
blackbox exporter or Uptime Kuma), and for some public or access hostnames every checker runs
in the same place (cluster, machine or host) as the service behind the hostname.

**Why.** A status page that lives in the cluster it watches goes down with it: when the
cluster, its node or its tunnel fails, the checker is down too, and nobody is told. At least
one checker of every hostname must run somewhere else (another cluster, another site).

**Example.** Uptime Kuma in the `cloud` cluster as the only checker of `status`, `home` and
`auth`, which the `cloud` cluster serves.

**Fix.** Add a checker that runs elsewhere (e.g. a blackbox exporter in the other cluster:
`monitoring.status.checkers.blackbox-exporter = 'blackbox`), or move the checker.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let checkers = &lab.monitoring.checkers;
    if checkers.is_empty() {
        return;
    }
    // Where each checker runs (unknown checkers are HLC201, reported elsewhere).
    let places: BTreeMap<&str, (&'static str, &str)> = checkers
        .keys()
        .filter_map(|c| {
            let s = lab.services.get(c)?;
            Some((
                c.as_str(),
                (s.placement.kind(), s.placement.name().as_str()),
            ))
        })
        .collect();
    if places.is_empty() {
        return;
    }
    // Place → hostnames watched only from there.
    let mut inside: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for (_, s) in lab.status_targets() {
        let here = (s.placement.kind(), s.placement.name().as_str());
        if places.values().all(|p| *p == here) {
            if let Some(fqdn) = lab.fqdn(s) {
                inside.entry(here).or_default().push(fqdn.to_string());
            }
        }
    }
    for ((kind, place), hosts) in inside {
        let local: Vec<&str> = places
            .iter()
            .filter(|(_, p)| **p == (kind, place))
            .map(|(c, _)| *c)
            .collect();
        let first = local.first().copied().unwrap_or_default();
        let span = checkers.get(first).and_then(|c| c.span);
        out.push(
            INFO.diag(format!(
                "{} {} checked only from inside {kind} `{place}`, which serves {}: when `{place}` is down, so is every check ({})",
                hosts.join(", "),
                if hosts.len() == 1 { "is" } else { "are" },
                if hosts.len() == 1 { "it" } else { "them" },
                local.join(", ")
            ))
            .with_path(format!("{}.{first}", lab.monitoring.checkers_path))
            .with_span(span)
            .with_help(format!(
                "add a status checker that runs outside {kind} `{place}` (e.g. a blackbox exporter in another cluster), or move `{first}` there"
            )),
        );
    }
}
