//! Checking: every rule of the contract format, reported as accumulated diagnostics.
