//! The typed fast path for bodies against the decoding path, over thousands of bodies, valid and not: whenever the fast path answers, the decoding path gives the same value; when it declines, the decoder's answer (every violation) stands, so a client cannot tell the paths apart. Good bodies must take the fast path.

mod support;

use bunbase_runtime::wire::Decode;
use support::create_task::{CreateTaskInput, Kitchen, slow};

/// Every combination of the given field choices (`None`: the field is
/// absent), as a JSON object text, with `extra` appended raw.
fn bodies(fields: &[(&str, &[Option<&str>])], extra: &[&str]) -> Vec<String> {
    let mut out = vec![Vec::<String>::new()];
    for (name, choices) in fields {
        let mut next = Vec::new();
        for partial in &out {
            for choice in *choices {
                let mut p = partial.clone();
                if let Some(v) = choice {
                    p.push(format!("\"{name}\":{v}"));
                }
                next.push(p);
            }
        }
        out = next;
    }
    let mut texts = Vec::new();
    for members in out {
        for e in extra {
            let mut m = members.clone();
            if !e.is_empty() {
                m.push((*e).to_owned());
            }
            texts.push(format!("{{{}}}", m.join(",")));
        }
    }
    texts
}

/// Every body that varies at most two fields from the first choice of
/// each (all pairs of fields, every pair of their choices): the full
/// product of many fields is millions of bodies.
fn pairwise(fields: &[(&str, &[Option<&str>])]) -> Vec<String> {
    let render = |picks: &[usize]| {
        let members: Vec<String> = fields
            .iter()
            .zip(picks)
            .filter_map(|((name, choices), &k)| choices[k].map(|v| format!("\"{name}\":{v}")))
            .collect();
        format!("{{{}}}", members.join(","))
    };
    let mut out = Vec::new();
    for i in 0..fields.len() {
        for j in i..fields.len() {
            for a in 0..fields[i].1.len() {
                for b in 0..fields[j].1.len() {
                    let mut picks = vec![0; fields.len()];
                    picks[i] = a;
                    picks[j] = b;
                    out.push(render(&picks));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Checks the property over `bodies`; returns how many took the fast path.
fn agree<T: Decode + PartialEq + std::fmt::Debug>(bodies: &[String]) -> usize {
    let mut fast_taken = 0;
    for body in bodies {
        let bytes = body.as_bytes();
        let fast = T::from_body(bytes);
        let slow = slow::<T>(bytes);
        if let Some(v) = fast {
            fast_taken += 1;
            assert_eq!(slow.as_ref(), Ok(&v), "the paths disagree on {body}");
        }
    }
    fast_taken
}

#[test]
fn create_task_bodies_decode_alike_on_both_paths() {
    let long = format!("\"{}\"", "x".repeat(201));
    let long_desc = format!("\"{}\"", "d".repeat(5001));
    let many_tags = format!(
        "[{}]",
        (0..21)
            .map(|i| format!("\"t{i}\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    let bodies = bodies(
        &[
            (
                "title",
                &[
                    None,
                    Some("\"a\""),
                    Some("\"\""),
                    Some(&long),
                    Some("\"a\\u0000b\""),
                    Some("\"\\u00e9t\\u00e9\""),
                    Some("42"),
                    Some("null"),
                ],
            ),
            (
                "description",
                &[
                    None,
                    Some("null"),
                    Some("\"d\""),
                    Some(&long_desc),
                    Some("5"),
                ],
            ),
            (
                "status",
                &[
                    None,
                    Some("\"open\""),
                    Some("\"done\""),
                    Some("\"bad\""),
                    Some("null"),
                    Some("1"),
                    Some("{\"open\":null}"),
                ],
            ),
            (
                "tags",
                &[
                    None,
                    Some("[]"),
                    Some("[\"a\",\"b\"]"),
                    Some("[\"a\",\"a\"]"),
                    Some(&many_tags),
                    Some("\"a\""),
                    Some("null"),
                    Some("[1]"),
                ],
            ),
            (
                "due_at",
                &[
                    None,
                    Some("null"),
                    Some("\"2026-01-31T09:30:00Z\""),
                    Some("\"2026-01-31T09:30:00+02:00\""),
                    Some("\"2026-01-31 09:30:00Z\""),
                    Some("\"2026-01-31\""),
                    Some("5"),
                ],
            ),
        ],
        &["", "\"extra\":1", "\"title\":\"again\""],
    );
    assert!(bodies.len() > 40_000, "{}", bodies.len());
    let taken = agree::<CreateTaskInput>(&bodies);
    assert!(taken >= 400, "only {taken} bodies took the fast path");
    // The obvious good body takes it.
    assert!(
        CreateTaskInput::from_body(br#"{"title":"Write the report","tags":["work"]}"#).is_some()
    );
}

#[test]
fn kitchen_bodies_decode_alike_on_both_paths() {
    let bodies = pairwise(&[
        (
            "id",
            &[
                Some("\"67e55044-10b1-426f-9247-bb680e5fe0c8\""),
                Some("\"67e5504410b1426f9247bb680e5fe0c8\""),
                Some("\"{67e55044-10b1-426f-9247-bb680e5fe0c8}\""),
                Some("\"nope\""),
                Some("[1,2]"),
                None,
            ],
        ),
        (
            "limit",
            &[
                None,
                Some("5"),
                Some("0"),
                Some("101"),
                Some("5.0"),
                Some("9007199254740993"),
                Some("null"),
                Some("\"5\""),
            ],
        ),
        (
            "big",
            &[
                None,
                Some("null"),
                Some("\"9223372036854775807\""),
                Some("\"-6\""),
                Some("\" 7\""),
                Some("\"+7\""),
                Some("7"),
                Some("\"x\""),
            ],
        ),
        (
            "small",
            &[Some("3"), Some("2147483648"), Some("-1"), Some("1.5")],
        ),
        (
            "ratio",
            &[
                Some("1"),
                Some("1.5"),
                Some("1.51"),
                Some("2e400"),
                Some("\"1\""),
            ],
        ),
        ("on", &[None, Some("false"), Some("null"), Some("0")]),
        (
            "email",
            &[
                Some("\"ada@example.com\""),
                Some("\"ada@example\""),
                Some("\"a-very-long-name@example-domain.com\""),
                Some("\"a b@c.com\""),
            ],
        ),
        (
            "site",
            &[
                None,
                Some("\"https://example.com/x\""),
                Some("\"ftp://x\""),
                Some("\"example.com\""),
                Some("null"),
            ],
        ),
        (
            "day",
            &[
                None,
                Some("\"2026-01-31\""),
                Some("\"2026-1-31\""),
                Some("\"2026-02-30\""),
                Some("null"),
            ],
        ),
        (
            "states",
            &[
                Some("[\"open\"]"),
                Some("[]"),
                Some("[\"open\",\"done\"]"),
                Some("[\"nope\"]"),
                Some("[null]"),
            ],
        ),
    ]);
    assert!(bodies.len() > 500, "{}", bodies.len());
    let taken = agree::<Kitchen>(&bodies);
    assert!(taken > 50, "only {taken} bodies took the fast path");
}

#[test]
fn bodies_the_fast_path_must_leave_to_the_decoder() {
    for body in [
        // A struct read from an array, which serde would accept.
        r#"["a",null,"open",[],null]"#,
        // A NUL anywhere.
        r#"{"title":"a\u0000"}"#,
        // Duplicate keys.
        r#"{"title":"","title":"ok"}"#,
        // Not the object the input needs.
        "null",
        // Trailing text.
        r#"{"title":"a"} x"#,
        "",
    ] {
        assert_eq!(CreateTaskInput::from_body(body.as_bytes()), None, "{body}");
    }
}
