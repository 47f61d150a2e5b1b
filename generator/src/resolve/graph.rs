//! The type reference graph: strongly connected components decide which references are boxed, which types are recursive and which cycles cannot be built at all.

use std::collections::BTreeMap;

use crate::ir::{TypeDef, TypeKind, TypeRef};

/// How a reference reaches its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Via {
    /// Held by value: a required field or a union variant.
    Direct,
    /// Through `?` only.
    Optional,
    /// Through a `list` or `map` (heap-allocated already).
    Collection,
}

/// Every reference of every type: `(from, to, via)` over type names.
pub fn edges(types: &BTreeMap<String, TypeDef>) -> Vec<(String, String, Via)> {
    let mut out = Vec::new();
    for (name, t) in types {
        match &t.kind {
            TypeKind::Object { fields } => {
                for f in fields {
                    refs(&f.ty, Via::Direct, &mut |to, via| {
                        out.push((name.clone(), to.to_owned(), via))
                    });
                }
            }
            TypeKind::Union { variants, .. } => {
                for v in variants {
                    out.push((name.clone(), v.type_name.clone(), Via::Direct));
                }
            }
            TypeKind::Enum { .. } => {}
        }
    }
    out
}

/// Calls `f` for every named type in `ty` with how it is reached.
pub fn refs(ty: &TypeRef, via: Via, f: &mut dyn FnMut(&str, Via)) {
    match ty {
        TypeRef::Named { name, .. } => f(name, via),
        TypeRef::Optional { inner } => {
            refs(
                inner,
                if via == Via::Direct {
                    Via::Optional
                } else {
                    via
                },
                f,
            );
        }
        TypeRef::List { item } => refs(item, Via::Collection, f),
        TypeRef::Map { value } => refs(value, Via::Collection, f),
        _ => {}
    }
}

/// Strongly connected components (Tarjan, iterative): a component id per
/// node, where nodes are `0..n` and edges index pairs.
pub fn components(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut adj = vec![Vec::new(); n];
    for &(a, b) in edges {
        if a < n && b < n {
            adj[a].push(b);
        }
    }
    const UNSET: usize = usize::MAX;
    let mut index = vec![UNSET; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut comp = vec![UNSET; n];
    let mut next_index = 0;
    let mut next_comp = 0;
    for root in 0..n {
        if index[root] != UNSET {
            continue;
        }
        // (node, next child position)
        let mut work = vec![(root, 0usize)];
        while let Some(&mut (v, ref mut pos)) = work.last_mut() {
            if *pos == 0 && index[v] == UNSET {
                index[v] = next_index;
                low[v] = next_index;
                next_index += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = adj[v].get(*pos) {
                *pos += 1;
                if index[w] == UNSET {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = next_comp;
                    if w == v {
                        break;
                    }
                }
                next_comp += 1;
            }
        }
    }
    comp
}

/// Nodes that lie on a cycle: in a component of two or more, or with a
/// self-loop.
pub fn on_cycle(n: usize, edges: &[(usize, usize)]) -> Vec<bool> {
    let comp = components(n, edges);
    let mut size = vec![0usize; n];
    for &c in &comp {
        if c < n {
            size[c] += 1;
        }
    }
    let mut out: Vec<bool> = comp.iter().map(|&c| c < n && size[c] > 1).collect();
    for &(a, b) in edges {
        if a == b && a < n {
            out[a] = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cycles() {
        let cyc = on_cycle(4, &[(0, 1), (1, 0), (2, 2), (2, 3)]);
        assert_eq!(cyc, vec![true, true, true, false]);
        let comp = components(3, &[(0, 1), (1, 2)]);
        assert_ne!(comp[0], comp[1]);
    }
}
