//! The dependency graph between modules, and its cycles.
//!
//! Module A depends on module B when A's code references B and neither module contains the other: a
//! parent using its children, and children using what their parent shares, is the ordinary shape of a
//! Rust crate, not a circle. A cycle is a strongly connected component of two or more modules.

use std::collections::{BTreeMap, HashSet};

use petgraph::algo::{astar, tarjan_scc};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{EdgeRef, NodeFiltered};

use crate::references::Reference;
use crate::report::{Cycle, Edge};
use crate::tree::{ModuleId, ModuleTree};

/// A module per node (node index = module index), a dependency per edge, weighted with the line of its
/// first reference in the depending module's file.
type DependencyGraph = DiGraph<ModuleId, usize>;

/// The cycles among the modules of `tree`, ordered by their first module.
pub fn find(tree: &ModuleTree, references: &[Reference]) -> Vec<Cycle> {
    let graph = dependency_graph(tree, references);
    let mut components: Vec<Vec<NodeIndex>> =
        tarjan_scc(&graph).into_iter().filter(|component| component.len() > 1).collect();
    for members in &mut components {
        members.sort_by(|a, b| tree.module(graph[*a]).path.cmp(&tree.module(graph[*b]).path));
    }
    components.sort_by(|a, b| tree.module(graph[a[0]]).path.cmp(&tree.module(graph[b[0]]).path));
    components.iter().map(|members| describe(tree, &graph, members)).collect()
}

fn dependency_graph(tree: &ModuleTree, references: &[Reference]) -> DependencyGraph {
    let mut first_lines: BTreeMap<(ModuleId, ModuleId), usize> = BTreeMap::new();
    for reference in references {
        if tree.contains(reference.from, reference.to) || tree.contains(reference.to, reference.from) {
            continue;
        }
        let line = first_lines.entry((reference.from, reference.to)).or_insert(reference.line);
        *line = (*line).min(reference.line);
    }
    let mut graph = DependencyGraph::with_capacity(tree.len(), first_lines.len());
    for id in tree.ids() {
        graph.add_node(id);
    }
    for ((from, to), line) in first_lines {
        graph.add_edge(NodeIndex::new(from.index()), NodeIndex::new(to.index()), line);
    }
    graph
}

/// The cycle formed by `members` (sorted by module path): a closed walk through all of them, and the
/// edges between them.
fn describe(tree: &ModuleTree, graph: &DependencyGraph, members: &[NodeIndex]) -> Cycle {
    let name = |node: NodeIndex| tree.module(graph[node]).path.to_string();
    let walk = closed_walk(graph, members).into_iter().map(name).collect();
    let inside: HashSet<NodeIndex> = members.iter().copied().collect();
    let mut edges: Vec<(NodeIndex, NodeIndex, usize)> = graph
        .edge_references()
        .filter(|edge| inside.contains(&edge.source()) && inside.contains(&edge.target()))
        .map(|edge| (edge.source(), edge.target(), *edge.weight()))
        .collect();
    let path = |node: NodeIndex| &tree.module(graph[node]).path;
    edges.sort_by(|a, b| (path(a.0), path(a.1)).cmp(&(path(b.0), path(b.1))));
    let edges = edges
        .into_iter()
        .map(|(from, to, line)| Edge {
            from: name(from),
            to: name(to),
            file: tree.module(graph[from]).file.clone(),
            line,
        })
        .collect();
    Cycle { walk, edges }
}

/// From the first member, the shortest way to each member not yet passed, in order, and back: a
/// simple cycle comes out as itself.
fn closed_walk(graph: &DependencyGraph, members: &[NodeIndex]) -> Vec<NodeIndex> {
    let inside = NodeFiltered::from_fn(graph, |node| members.contains(&node));
    let shortest = |from: NodeIndex, to: NodeIndex| {
        astar(&inside, from, |node| node == to, |_| 1, |_| 0)
            .map(|(_, path)| path)
            .expect("the modules of a strongly connected component reach each other")
    };
    let start = members[0];
    let mut walk = vec![start];
    for &member in &members[1..] {
        if !walk.contains(&member) {
            let last = walk[walk.len() - 1];
            walk.extend_from_slice(&shortest(last, member)[1..]);
        }
    }
    let last = walk[walk.len() - 1];
    walk.extend_from_slice(&shortest(last, start)[1..]);
    walk
}
