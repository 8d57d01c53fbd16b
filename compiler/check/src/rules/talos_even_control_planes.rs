//! HLC703 talos-even-control-planes: a cluster has an even number of control-plane nodes.

use hlc_diag::Diagnostic;
use hlc_model::{Lab, Role};

rule! {
    code: "HLC703",
    name: "talos-even-control-planes",
    severity: Warning,
    summary: "a cluster has an even number of control-plane nodes (etcd quorum gains nothing)",
    doc: r#"# HLC703 talos-even-control-planes

**What.** A cluster declares an even number (2, 4, …) of machines with `role = 'controlplane`.

**Why.** Each control plane runs an etcd member and etcd needs a majority to work: 2 members
tolerate no failure (like 1) but double the chance that one fails and stops the cluster; 4
tolerate one failure, like 3. An even count costs a node and buys nothing.

**Example.**

```nickel
machines.cp-1 = { cluster = "prod", role = 'controlplane, … },
machines.cp-2 = { cluster = "prod", role = 'controlplane, … },
```

**Fix.** Use 1 (a lab), 3 or 5 control planes; make the extra node a worker.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (name, c) in &lab.clusters {
        let cps: Vec<&str> = lab
            .machines
            .iter()
            .filter(|(_, m)| m.cluster.as_ref().is_some_and(|x| &x.value == name))
            .filter(|(_, m)| {
                m.role
                    .as_ref()
                    .is_some_and(|r| r.value == Role::Controlplane)
            })
            .map(|(n, _)| n.as_str())
            .collect();
        if cps.is_empty() || cps.len() % 2 == 1 {
            continue;
        }
        let mut d = INFO
            .diag(format!(
                "cluster `{name}` has {} control-plane nodes ({}): an even count adds no etcd fault tolerance",
                cps.len(),
                cps.join(", ")
            ))
            .with_path(c.origin.path.clone())
            .with_span(c.origin.span)
            .with_help(format!(
                "use {} or {} control planes (make one a worker)",
                cps.len() - 1,
                cps.len() + 1
            ));
        for n in &cps {
            let m = &lab.machines[*n];
            d = d.with_label(
                m.role.as_ref().and_then(|r| r.span),
                format!("`{n}` is a control plane"),
            );
        }
        out.push(d);
    }
}
