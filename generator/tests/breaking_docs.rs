//! Checks that `generator/docs/breaking.md` documents exactly the rules of the catalogue, with their severity and semver effect.

use std::collections::BTreeMap;

use bunbase::breaking::Rule;

#[test]
fn docs_list_exactly_the_catalogue() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/breaking.md");
    let docs = std::fs::read_to_string(path).expect("docs/breaking.md exists");
    // `#### `id`` headings, each followed by a severity/semver line.
    let mut documented: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in docs.lines() {
        if let Some(id) = line
            .strip_prefix("#### `")
            .and_then(|l| l.strip_suffix('`'))
        {
            assert!(
                documented.insert(id.to_owned(), String::new()).is_none(),
                "{id} documented twice"
            );
            current = Some(id.to_owned());
        } else if let (Some(id), true) = (&current, line.starts_with("- severity:")) {
            documented.insert(id.clone(), line.to_owned());
        }
    }
    let mut problems = Vec::new();
    for rule in Rule::ALL {
        let want = format!(
            "- severity: **{}**, semver: **{}**",
            rule.severity().as_str(),
            rule.bump().as_str()
        );
        match documented.remove(rule.id()) {
            None => problems.push(format!("{} is not documented", rule.id())),
            Some(line) if line != want => problems.push(format!(
                "{}: docs say `{line}`, catalogue says `{want}`",
                rule.id()
            )),
            Some(_) => {}
        }
    }
    for id in documented.keys() {
        problems.push(format!("{id} is documented but not in the catalogue"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
