//! Graph exports for `hlc graph`: Graphviz dot, Mermaid and JSON. Output is deterministic:
//! nodes sorted by kind then name, edges by source, target and label; each export ends with a
//! newline.

use crate::graph::{Entity, NodeKind};
use crate::Analysis;
use hlc_model::Lab;
use petgraph::visit::EdgeRef;
use serde_json::json;

struct Edge<'a> {
    from: &'a Entity,
    to: &'a Entity,
    label: &'a str,
}

fn sorted(a: &Analysis) -> (Vec<&Entity>, Vec<Edge<'_>>) {
    let g = &a.graph.graph;
    let mut nodes: Vec<&Entity> = g.node_weights().collect();
    nodes.sort_by(|x, y| (x.kind, &x.name).cmp(&(y.kind, &y.name)));
    let mut edges: Vec<Edge> = g
        .edge_references()
        .filter_map(|e| {
            Some(Edge {
                from: g.node_weight(e.source())?,
                to: g.node_weight(e.target())?,
                label: e.weight().label,
            })
        })
        .collect();
    edges.sort_by(|x, y| {
        (x.from.kind, &x.from.name, x.to.kind, &x.to.name, x.label).cmp(&(
            y.from.kind,
            &y.from.name,
            y.to.kind,
            &y.to.name,
            y.label,
        ))
    });
    edges.dedup_by(|x, y| x.from == y.from && x.to == y.to && x.label == y.label);
    (nodes, edges)
}

fn id(e: &Entity) -> String {
    format!("{}:{}", e.kind.as_str(), e.name)
}

fn shape(k: NodeKind) -> &'static str {
    match k {
        NodeKind::Site => "folder",
        NodeKind::Host => "box3d",
        NodeKind::Network => "hexagon",
        NodeKind::Machine => "box",
        NodeKind::Cluster => "component",
        NodeKind::Service => "ellipse",
        NodeKind::Secret => "note",
        NodeKind::SecretStore => "cylinder",
        NodeKind::Group | NodeKind::User => "oval",
        NodeKind::Identity => "diamond",
    }
}

/// Escapes a string for a double-quoted dot ID.
fn dot_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// Graphviz dot. Services carry their sync wave.
pub fn to_dot(lab: &Lab, a: &Analysis) -> String {
    let (nodes, edges) = sorted(a);
    let mut s = format!("digraph {} {{\n  rankdir=LR;\n", dot_str(&lab.name.value));
    for n in nodes {
        let mut label = format!("{}\n{}", n.kind.as_str(), n.name);
        if n.kind == NodeKind::Service {
            if let Some(w) = a.waves.get(&n.name) {
                label.push_str(&format!("\nwave {w}"));
            }
        }
        s.push_str(&format!(
            "  {} [label={}, shape={}];\n",
            dot_str(&id(n)),
            dot_str(&label),
            shape(n.kind)
        ));
    }
    for e in edges {
        s.push_str(&format!(
            "  {} -> {} [label={}];\n",
            dot_str(&id(e.from)),
            dot_str(&id(e.to)),
            dot_str(e.label)
        ));
    }
    s.push_str("}\n");
    s
}

/// Mermaid flowchart. Node IDs are `n0`, `n1`… in sorted order (Mermaid IDs cannot hold every
/// character a name can); labels carry kind and name.
pub fn to_mermaid(_lab: &Lab, a: &Analysis) -> String {
    let (nodes, edges) = sorted(a);
    let mut s = String::from("flowchart LR\n");
    let mut ids = std::collections::BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        ids.insert((n.kind, n.name.as_str()), format!("n{i}"));
        let label = format!("{}: {}", n.kind.as_str(), n.name).replace('"', "#quot;");
        s.push_str(&format!("  n{i}[\"{label}\"]\n"));
    }
    for e in edges {
        if let (Some(f), Some(t)) = (
            ids.get(&(e.from.kind, e.from.name.as_str())),
            ids.get(&(e.to.kind, e.to.name.as_str())),
        ) {
            s.push_str(&format!("  {f} -->|{}| {t}\n", e.label));
        }
    }
    s
}

/// JSON: `{nodes: [{id, kind, name}], edges: [{from, to, label}], services: {order, waves,
/// dependents}}`.
pub fn to_json(_lab: &Lab, a: &Analysis) -> String {
    let (nodes, edges) = sorted(a);
    let v = json!({
        "nodes": nodes.iter().map(|n| json!({
            "id": id(n),
            "kind": n.kind.as_str(),
            "name": n.name,
        })).collect::<Vec<_>>(),
        "edges": edges.iter().map(|e| json!({
            "from": id(e.from),
            "to": id(e.to),
            "label": e.label,
        })).collect::<Vec<_>>(),
        "services": {
            "order": a.order,
            "waves": a.waves,
            "dependents": a.dependents,
        },
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}
