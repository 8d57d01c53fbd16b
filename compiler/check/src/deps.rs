//! Service dependency order: a deterministic topological order, a sync wave per service, the
//! dependents of each service, and the cycles (HLC202) — all in `O((V + E) log V)`.
//!
//! * Services are numbered by name (the model's maps are sorted), and a dependency is resolved by
//!   binary search in that sorted list; unknown names are HLC201 and skipped here.
//! * The order is Kahn's algorithm taking the smallest name among the ready services first, so it
//!   is stable and readable. A service's wave is 0 without dependencies, else one more than the
//!   largest wave of its dependencies.
//! * Cycles are the strongly connected components (Kosaraju, via petgraph — iterative, so a
//!   10,000-deep chain cannot overflow the stack) with more than one
//!   service or a self-dependency. Services in a cycle, or depending on one, have no wave and are
//!   not in the order.

use crate::rules::dependency_cycle;
use hlc_diag::Diagnostic;
use hlc_model::Lab;
use petgraph::graph::{DiGraph, NodeIndex};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

/// The result of the dependency analysis.
#[derive(Clone, Debug, Default)]
pub(crate) struct DepOrder {
    pub order: Vec<String>,
    pub waves: BTreeMap<String, u32>,
    pub dependents: BTreeMap<String, Vec<String>>,
}

pub(crate) fn analyse(lab: &Lab, out: &mut Vec<Diagnostic>) -> DepOrder {
    let names: Vec<&str> = lab.services.keys().map(String::as_str).collect();
    let n = names.len();
    // deps[i]: (dependency index, index of the entry in depends_on), deduplicated by target.
    let mut deps: Vec<Vec<(usize, usize)>> = Vec::with_capacity(n);
    for s in lab.services.values() {
        let mut d: Vec<(usize, usize)> = s
            .depends_on
            .iter()
            .enumerate()
            .filter_map(|(e, name)| names.binary_search(&name.as_str()).ok().map(|t| (t, e)))
            .collect();
        d.sort_unstable();
        d.dedup_by_key(|p| p.0);
        deps.push(d);
    }
    let mut rev: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, d) in deps.iter().enumerate() {
        for &(t, _) in d {
            rev[t].push(i);
        }
    }

    // Cycles.
    let mut g: DiGraph<(), ()> = DiGraph::with_capacity(n, deps.iter().map(Vec::len).sum());
    for _ in 0..n {
        g.add_node(());
    }
    for (i, d) in deps.iter().enumerate() {
        for &(t, _) in d {
            g.add_edge(NodeIndex::new(i), NodeIndex::new(t), ());
        }
    }
    let mut comp = vec![usize::MAX; n];
    let sccs = petgraph::algo::kosaraju_scc(&g);
    let mut cyclic: Vec<Vec<usize>> = Vec::new();
    for (c, scc) in sccs.iter().enumerate() {
        for v in scc {
            comp[v.index()] = c;
        }
        let self_loop = scc.len() == 1
            && scc
                .first()
                .is_some_and(|v| deps[v.index()].iter().any(|&(t, _)| t == v.index()));
        if scc.len() > 1 || self_loop {
            let mut members: Vec<usize> = scc.iter().map(|v| v.index()).collect();
            members.sort_unstable();
            cyclic.push(members);
        }
    }
    cyclic.sort_unstable();
    for members in &cyclic {
        if let Some((cycle, entries)) = shortest_cycle(members, &deps, &comp) {
            let cyc: Vec<&str> = cycle.iter().map(|&i| names[i]).collect();
            if let Some(d) = dependency_cycle::report(lab, &cyc, &entries) {
                out.push(d);
            }
        }
    }

    // Order and waves.
    let mut indeg: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut ready: BinaryHeap<Reverse<usize>> = indeg
        .iter()
        .enumerate()
        .filter(|(_, d)| **d == 0)
        .map(|(i, _)| Reverse(i))
        .collect();
    let mut wave: Vec<Option<u32>> = vec![None; n];
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(i)) = ready.pop() {
        let w = deps[i]
            .iter()
            .filter_map(|&(t, _)| wave[t])
            .max()
            .map_or(0, |m| m.saturating_add(1));
        wave[i] = Some(w);
        order.push(i);
        for &j in &rev[i] {
            indeg[j] -= 1;
            if indeg[j] == 0 {
                ready.push(Reverse(j));
            }
        }
    }

    DepOrder {
        order: order.iter().map(|&i| names[i].to_string()).collect(),
        waves: names
            .iter()
            .zip(&wave)
            .filter_map(|(n, w)| w.map(|w| (n.to_string(), w)))
            .collect(),
        dependents: names
            .iter()
            .zip(&rev)
            .map(|(n, r)| {
                (
                    n.to_string(),
                    r.iter().map(|&j| names[j].to_string()).collect(),
                )
            })
            .collect(),
    }
}

/// The shortest cycle through the smallest member of a strongly connected component, by
/// breadth-first search inside the component. Returns the services in dependency order and, for
/// each, the `depends_on` entry leading to the next.
fn shortest_cycle(
    members: &[usize],
    deps: &[Vec<(usize, usize)>],
    comp: &[usize],
) -> Option<(Vec<usize>, Vec<usize>)> {
    let start = *members.first()?;
    let c = comp[start];
    // parent[v] = (predecessor, entry index in the predecessor's depends_on)
    let mut parent: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &(t, e) in &deps[v] {
            if comp[t] != c {
                continue;
            }
            if t == start {
                // Reconstruct start → … → v, then v → start closes it.
                let mut path = vec![v];
                let mut entries = vec![e];
                let mut cur = v;
                while cur != start {
                    let &(p, pe) = parent.get(&cur)?;
                    path.push(p);
                    entries.push(pe);
                    cur = p;
                }
                path.reverse();
                entries.reverse();
                // entries[i] leads from path[i] to path[i + 1]; the last one closes the cycle.
                return Some((path, entries));
            }
            if t != start && !parent.contains_key(&t) {
                parent.insert(t, (v, e));
                queue.push_back(t);
            }
        }
    }
    None
}
