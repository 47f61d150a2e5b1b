//! Parsing: YAML with a line:column span on every node, into the contract syntax tree.
