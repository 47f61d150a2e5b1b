//! The JSON Schema for contract files, printed by `bunbase schema` for editor support.
//!
//! The schema is a JSON Schema (draft-07, the newest draft the VS Code YAML
//! extension fully supports) kept beside this file as `contract.schema.json`
//! and embedded at compile time. One document covers both file kinds: a file
//! with a top-level `project` key is checked as `bunbase.yaml`, any other as a
//! module. [`schema_for`] derives a schema for one kind only.
//!
//! The schema is an editing aid: it catches unknown keys, misspelt type
//! names, wrong trigger and guard shapes and malformed durations as you type.
//! Rules that span files or need the whole project (unknown type names,
//! duplicate routes, cron on an action with input, ...) remain the job of
//! `bunbase check`, which is always the authority.

use serde_json::Value;

/// The embedded schema for every contract file, as JSON text.
const CONTRACT_SCHEMA: &str = include_str!("contract.schema.json");

/// Which kind of contract file a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// The project file, `bunbase.yaml`.
    Project,
    /// A module file: any other `*.yaml` / `*.yml` below the contract root.
    Module,
}

impl FileKind {
    /// The kind of a contract file from its path relative to the contract
    /// root (`/` or `\` separators): only the root `bunbase.yaml` is the
    /// project file.
    pub fn of_path(relative_path: &str) -> FileKind {
        if relative_path == "bunbase.yaml" {
            FileKind::Project
        } else {
            FileKind::Module
        }
    }

    /// The name of the schema definition describing this kind.
    fn definition(self) -> &'static str {
        match self {
            FileKind::Project => "projectFile",
            FileKind::Module => "moduleFile",
        }
    }
}

/// The JSON Schema (draft-07) for every contract file, both `bunbase.yaml`
/// and modules: a file with a top-level `project` key is validated as the
/// project file, any other as a module.
///
/// This is the text of `generator/src/contract.schema.json`, the file the
/// examples' `# yaml-language-server: $schema=...` modelines point at.
pub fn contract_schema() -> &'static str {
    CONTRACT_SCHEMA
}

/// The JSON Schema for one kind of contract file, as pretty JSON text with a
/// trailing newline.
///
/// It shares every definition with [`contract_schema`]; only the root
/// differs (a `$ref` to the kind's definition instead of the
/// project-or-module switch).
pub fn schema_for(kind: FileKind) -> String {
    let mut schema: Value = serde_json::from_str(CONTRACT_SCHEMA)
        .expect("the embedded contract schema is valid JSON (a unit test checks it)");
    if let Value::Object(root) = &mut schema {
        for key in ["if", "then", "else"] {
            root.remove(key);
        }
        let (title, description) = match kind {
            FileKind::Project => (
                "bunbase project file",
                "bunbase.yaml: the project file at the root of a contract folder.",
            ),
            FileKind::Module => (
                "bunbase module file",
                "A bunbase module file: any *.yaml below the contract root other than bunbase.yaml.",
            ),
        };
        root.insert("title".into(), Value::String(title.into()));
        root.insert("description".into(), Value::String(description.into()));
        root.insert(
            "$ref".into(),
            Value::String(format!("#/definitions/{}", kind.definition())),
        );
    }
    let mut text = serde_json::to_string_pretty(&schema).expect("a JSON value always serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_schema_is_json_with_both_file_kinds() {
        let schema: Value = serde_json::from_str(contract_schema()).expect("valid JSON");
        for kind in [FileKind::Project, FileKind::Module] {
            assert!(
                schema["definitions"][kind.definition()].is_object(),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn per_kind_schema_points_at_its_definition() {
        let module: Value =
            serde_json::from_str(&schema_for(FileKind::Module)).expect("valid JSON");
        assert_eq!(module["$ref"], "#/definitions/moduleFile");
        assert!(module.get("if").is_none());
        let project: Value =
            serde_json::from_str(&schema_for(FileKind::Project)).expect("valid JSON");
        assert_eq!(project["$ref"], "#/definitions/projectFile");
    }

    #[test]
    fn only_the_root_bunbase_yaml_is_the_project_file() {
        assert_eq!(FileKind::of_path("bunbase.yaml"), FileKind::Project);
        assert_eq!(FileKind::of_path("tasks.yaml"), FileKind::Module);
        assert_eq!(FileKind::of_path("billing/bunbase.yaml"), FileKind::Module);
    }
}
