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
use crate::resolve::graph;

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
    let mut edges: Vec<(usize, usize)> = graph::edges(types)
        .iter()
        .filter_map(|(from, to, _)| Some((index[from.as_str()], *index.get(to.as_str())?)))
        .collect();
    edges.sort_unstable();
    edges.dedup();
    longest_path(types.len(), &edges)
}

/// [`longest_chain`] over `n` vertices and the edges between them.
fn longest_path(n: usize, edges: &[(usize, usize)]) -> u32 {
    // Tarjan numbers components in reverse topological order: every edge
    // leaves a component for one numbered lower or equal, so a single pass
    // upwards sees each component's successors first.
    let component = graph::components(n, edges);
    let count = component.iter().max().map_or(0, |&c| c + 1);
    let mut size = vec![0u32; count];
    for &c in &component {
        size[c] += 1;
    }
    let mut below = vec![0u32; count];
    let mut longest = vec![0u32; count];
    // Edges sorted by their source component, lowest first, so that each
    // component's successors are final when it is reached.
    let mut by_source: Vec<(usize, usize)> = edges
        .iter()
        .map(|&(a, b)| (component[a], component[b]))
        .filter(|(a, b)| a != b)
        .collect();
    by_source.sort_unstable();
    let mut e = 0;
    for c in 0..count {
        while let Some(&(from, to)) = by_source.get(e)
            && from == c
        {
            below[c] = below[c].max(longest[to]);
            e += 1;
        }
        longest[c] = size[c] + below[c];
    }
    longest.into_iter().max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_counts_every_type_in_it() {
        // 0 -> 1 <-> 2 -> 3: the longest simple path is 0, 1, 2, 3 and
        // the bound counts the whole cycle.
        assert_eq!(longest_path(4, &[(0, 1), (1, 2), (2, 1), (2, 3)]), 4);
        // Two branches below 0: only the longer one counts.
        assert_eq!(longest_path(4, &[(0, 1), (0, 2), (2, 3)]), 3);
        // A type that holds itself.
        assert_eq!(longest_path(1, &[(0, 0)]), 1);
        // A chain given in the order Tarjan finishes last.
        assert_eq!(longest_path(3, &[(2, 1), (1, 0)]), 3);
    }

    #[test]
    fn components_come_in_reverse_topological_order() {
        let c = graph::components(4, &[(0, 1), (1, 2), (2, 1), (2, 3)]);
        assert!(c[3] < c[1] && c[1] < c[0]);
        assert_eq!(c[1], c[2]);
    }
}
