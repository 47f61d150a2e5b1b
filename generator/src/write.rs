//! Writing: write-if-changed output, the manifest of generated files, drift checks (`--check`) and protection of user-owned and hand-edited files.
