//! How deep the type graph nests, and the `recursion_limit` the generated API crate needs for rustc to follow it.
//!
//! rustc follows owned types recursively when it checks drops (E0320,
//! "overflow while adding drop-check rules") and auto traits such as
//! `Send`: a `Vec<B>` field of `A` puts `B` one level below `A`, whatever
//! the wrapper (`Vec`, `Option`, `Box`, `HashMap`). Each type is visited
//! once, so the depth rustc reaches from a type is at most the number of
//! types on the longest simple path from it. A contract whose types chain
//! through many modules (each type holding a list of the previous
//! module's) goes past rustc's default limit of 128 although it checks
//! clean, so lowering computes the bound here and the IR carries the limit
//! the crate needs.

use std::collections::BTreeMap;

use crate::ir::TypeDef;

/// rustc's default `recursion_limit`.
pub const RUSTC_DEFAULT: u32 = 128;

/// Levels rustc adds around the contract types: the generated functions'
/// futures, `Result`, `Json` and the runtime's wrappers hold them. Also a
/// safety factor, as the trait solver may spend more than one level per
/// field.
const MARGIN: u32 = 64;

/// Levels rustc's trait solver spends per contract type when it proves
/// `Send` of a handler's future: the type, `Vec`, `RawVec`, `Unique` and
/// `Option` around the next one (`random_contracts`' 160-deep chain
/// overflowed at 2 per type, at its 84th type, in `router.rs`).
const PER_LEVEL: u32 = 6;

/// Limits are rounded up to a multiple of this, so that a small contract
/// change does not change the attribute every time.
const STEP: u32 = 64;

/// The `recursion_limit` the API crate needs when rustc's default is not
/// enough for the longest chain of types, `None` otherwise.
pub fn recursion_limit(types: &BTreeMap<String, TypeDef>) -> Option<u32> {
    let needed = PER_LEVEL * longest_chain(types) + MARGIN;
    (needed > RUSTC_DEFAULT).then(|| needed.div_ceil(STEP) * STEP)
}

/// The number of types on the longest simple path through the type graph
/// (edges are field types, list items, map values and union variants), or
/// an upper bound of it: inside a cycle, every type of the strongly
/// connected component counts, since a simple path may pass through all of
/// them. 0 when there are no types.
pub fn longest_chain(types: &BTreeMap<String, TypeDef>) -> u32 {
    let index: BTreeMap<&str, usize> = types
        .keys()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let edges: Vec<Vec<usize>> = types
        .values()
        .map(|t| {
            let mut out: Vec<usize> = t
                .referenced_types()
                .iter()
                .filter_map(|n| index.get(n.as_str()).copied())
                .collect();
            out.sort_unstable();
            out.dedup();
            out
        })
        .collect();
    longest_path(&edges)
}

/// [`longest_chain`] over a graph given as each vertex's successors.
fn longest_path(edges: &[Vec<usize>]) -> u32 {
    let (component, count) = components(edges);
    // Tarjan numbers components in reverse topological order: every edge
    // leaves a component for one numbered lower or equal, so a single pass
    // upwards sees each component's successors first.
    let mut size = vec![0u32; count];
    for &c in &component {
        size[c] += 1;
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (v, &c) in component.iter().enumerate() {
        members[c].push(v);
    }
    let mut longest = vec![0u32; count];
    for c in 0..count {
        let below = members[c]
            .iter()
            .flat_map(|&v| &edges[v])
            .map(|&w| component[w])
            .filter(|&d| d != c)
            .map(|d| longest[d])
            .max()
            .unwrap_or(0);
        longest[c] = size[c] + below;
    }
    longest.into_iter().max().unwrap_or(0)
}

/// Strongly connected components (Tarjan's algorithm, without recursion so
/// that long chains cannot overflow the stack): each vertex's component
/// number, in reverse topological order, and the number of components.
fn components(edges: &[Vec<usize>]) -> (Vec<usize>, usize) {
    const NONE: usize = usize::MAX;
    let n = edges.len();
    let mut order = vec![NONE; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut component = vec![NONE; n];
    let mut count = 0;
    let mut next = 0;
    for root in 0..n {
        if order[root] != NONE {
            continue;
        }
        // (vertex, index of the next edge to follow)
        let mut walk = vec![(root, 0)];
        order[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut i)) = walk.last_mut() {
            if let Some(&w) = edges[v].get(*i) {
                *i += 1;
                if order[w] == NONE {
                    order[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    walk.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(order[w]);
                }
                continue;
            }
            walk.pop();
            if let Some(&(parent, _)) = walk.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == order[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component[w] = count;
                    if w == v {
                        break;
                    }
                }
                count += 1;
            }
        }
    }
    (component, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_counts_every_type_in_it() {
        // 0 -> 1 <-> 2 -> 3: the longest simple path is 0, 1, 2, 3 and
        // the bound counts the whole cycle.
        let g = graph(&[(0, &[1]), (1, &[2]), (2, &[1, 3]), (3, &[])]);
        let (c, count) = components(&g);
        assert_eq!(count, 3);
        assert_eq!(c[1], c[2]);
        assert_eq!(longest_path(&g), 4);
        // Two branches below 0: only the longer one counts.
        let g = graph(&[(0, &[1, 2]), (1, &[]), (2, &[3]), (3, &[])]);
        assert_eq!(longest_path(&g), 3);
        // A type that holds itself.
        assert_eq!(longest_path(&graph(&[(0, &[0])])), 1);
    }

    fn graph(edges: &[(usize, &[usize])]) -> Vec<Vec<usize>> {
        let mut g = vec![Vec::new(); edges.len()];
        for (v, out) in edges {
            g[*v] = out.to_vec();
        }
        g
    }

    #[test]
    fn components_come_in_reverse_topological_order() {
        let g = graph(&[(0, &[1]), (1, &[2]), (2, &[1, 3]), (3, &[])]);
        let (c, _) = components(&g);
        assert!(c[3] < c[1] && c[1] < c[0]);
    }
}
