//! Breaking-change detection: compares two IRs with a catalogue of rules and advises a semver bump.
