//! Pure building blocks: validation checks, wire encodings, trace id parsing, sessions, rate limiting, passwords and configuration.

use std::time::{Duration, Instant};

use bunbase_runtime::ratelimit::MemoryRateLimiter;
use bunbase_runtime::validate::{Pattern, Pointer, Violations, check};
use bunbase_runtime::wire::{Base64, Int64};
use bunbase_runtime::{
    Config, Principal, Session, SessionManager, TraceId, hash_password, verify_password,
};

fn codes(f: impl FnOnce(&mut Violations, &Pointer)) -> Vec<String> {
    let mut out = Violations::new();
    f(&mut out, &Pointer::root().field("f"));
    out.into_vec()
        .into_iter()
        .map(|v| format!("{}:{}", v.path, v.code))
        .collect()
}

#[test]
fn lengths_count_characters_not_bytes() {
    assert!(codes(|o, p| check::max_len(o, p, "日本語", 3)).is_empty());
    assert_eq!(
        codes(|o, p| check::max_len(o, p, "日本語!", 3)),
        vec!["/f:max_len"]
    );
    assert_eq!(
        codes(|o, p| check::min_len(o, p, "é", 2)),
        vec!["/f:min_len"]
    );
    assert!(codes(|o, p| check::min_len(o, p, "éé", 2)).is_empty());
}

#[test]
fn numbers_items_unique_and_int_range() {
    assert_eq!(codes(|o, p| check::min_int(o, p, -1, 0)), vec!["/f:min"]);
    assert_eq!(codes(|o, p| check::max_int(o, p, 11, 10)), vec!["/f:max"]);
    assert!(
        codes(|o, p| check::max_int(o, p, 10, 10)).is_empty(),
        "bounds are inclusive"
    );
    assert_eq!(
        codes(|o, p| check::min_float(o, p, 0.49, 0.5)),
        vec!["/f:min"]
    );
    assert_eq!(
        codes(|o, p| check::max_float(o, p, f64::NAN, 1.0)),
        vec!["/f:max"]
    );
    assert_eq!(
        codes(|o, p| check::min_items(o, p, 1, 2)),
        vec!["/f:min_items"]
    );
    assert_eq!(
        codes(|o, p| check::max_items(o, p, 3, 2)),
        vec!["/f:max_items"]
    );
    assert_eq!(
        codes(|o, p| check::unique(o, p, &[1, 2, 1, 1])),
        vec!["/f:unique"],
        "reported once"
    );
    assert!(codes(|o, p| check::unique(o, p, &["a", "b"])).is_empty());
    let max = (1i64 << 53) - 1;
    assert!(codes(|o, p| check::int_range(o, p, max)).is_empty());
    assert!(codes(|o, p| check::int_range(o, p, -max)).is_empty());
    assert_eq!(
        codes(|o, p| check::int_range(o, p, max + 1)),
        vec!["/f:int_range"]
    );
    assert_eq!(
        codes(|o, p| check::int_range(o, p, i64::MIN)),
        vec!["/f:int_range"]
    );
}

#[test]
fn patterns_compile_once_and_invalid_ones_match_nothing() {
    static ANCHORED: Pattern = Pattern::new("^[a-z]+$");
    static LOOSE: Pattern = Pattern::new("[0-9]");
    static BROKEN: Pattern = Pattern::new("(");
    assert!(ANCHORED.is_match("abc") && !ANCHORED.is_match("abc1"));
    assert!(LOOSE.is_match("ab1c"), "unanchored patterns match anywhere");
    assert!(!BROKEN.is_match("("));
    assert_eq!(
        codes(|o, p| check::pattern(o, p, "ABC", &ANCHORED)),
        vec!["/f:pattern"]
    );
    assert_eq!(
        codes(|o, p| check::pattern_str(o, p, "x", "^[0-9]+$")),
        vec!["/f:pattern"]
    );
    assert!(codes(|o, p| check::pattern_str(o, p, "42", "^[0-9]+$")).is_empty());
}

#[test]
fn email_and_url_formats() {
    for ok in [
        "a@example.com",
        "first.last+tag@sub.example.co",
        "ü@bücher.de",
    ] {
        assert!(check::is_email(ok), "{ok}");
    }
    for bad in [
        "",
        "a",
        "a@",
        "@b.com",
        "a@b",
        "a b@c.com",
        "a@-b.com",
        "a@b..com",
        "a@b.com\n",
    ] {
        assert!(!check::is_email(bad), "{bad:?}");
    }
    assert!(codes(|o, p| check::url(o, p, "https://example.com/a?b=c")).is_empty());
    assert!(codes(|o, p| check::url(o, p, "http://localhost:8080")).is_empty());
    // Any scheme, as the decoder of generated inputs accepts.
    assert!(codes(|o, p| check::url(o, p, "ftp://example.com")).is_empty());
    for bad in [
        "example.com",
        "https://",
        "https://exa mple.com",
        "javascript:alert(1)",
        "",
    ] {
        assert_eq!(
            codes(|o, p| check::url(o, p, bad)),
            vec!["/f:url"],
            "{bad:?}"
        );
    }
}

#[test]
fn json_pointers_escape_tilde_and_slash() {
    let p = Pointer::root().field("a/b").field("c~d").index(3);
    assert_eq!(p.as_str(), "/a~1b/c~0d/3");
    assert_eq!(Pointer::root().as_str(), "");
}

#[test]
fn int64_travels_as_a_string_and_bytes_as_base64() {
    let v = Int64(9_007_199_254_740_993);
    assert_eq!(serde_json::to_string(&v).unwrap(), "\"9007199254740993\"");
    assert_eq!(
        serde_json::from_str::<Int64>("\"-42\"").unwrap(),
        Int64(-42)
    );
    assert_eq!(serde_json::from_str::<Int64>("7").unwrap(), Int64(7));
    assert!(serde_json::from_str::<Int64>("\"4.5\"").is_err());
    assert!(serde_json::from_str::<Int64>("\"99999999999999999999\"").is_err());
    let b = Base64(b"hello\xff".to_vec());
    assert_eq!(serde_json::to_string(&b).unwrap(), "\"aGVsbG//\"");
    assert_eq!(serde_json::from_str::<Base64>("\"aGVsbG//\"").unwrap(), b);
    assert_eq!(
        serde_json::from_str::<Base64>("\"aGVsbG__\"").unwrap(),
        b,
        "URL-safe accepted"
    );
    assert!(serde_json::from_str::<Base64>("\"***\"").is_err());
    let dt = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05+00:00")
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert_eq!(
        serde_json::to_string(&dt).unwrap(),
        "\"2026-01-02T03:04:05Z\"",
        "datetime ends in Z"
    );
}

#[test]
fn trace_ids_parse_or_are_rejected() {
    assert_eq!(TraceId::parse("abc-123").unwrap().as_str(), "abc-123");
    assert!(TraceId::parse("").is_none());
    assert!(TraceId::parse("has space").is_none());
    assert!(TraceId::parse(&"x".repeat(129)).is_none());
    let tp = TraceId::from_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")
        .unwrap();
    assert_eq!(tp.as_str(), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert!(
        TraceId::from_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01")
            .is_none()
    );
    assert!(
        TraceId::from_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .is_none()
    );
    assert!(TraceId::from_traceparent("00-4bf92f-00f067aa0ba902b7-01").is_none());
    assert_eq!(TraceId::generate().as_str().len(), 32);
}

#[test]
fn sessions_sign_verify_expire_and_reject_short_keys() {
    assert!(SessionManager::new(vec![]).is_err());
    assert!(SessionManager::new(vec![b"short".to_vec()]).is_err());
    let m = SessionManager::random();
    let p = Principal::new("u1").with_role("r").with_permission("a:b");
    let c = m.sign(&p);
    let s = m.verify(&c).expect("valid");
    // The cookie names the session and its user; roles come from the database.
    assert_eq!(s.principal, Principal::new("u1"));
    assert!(s.expires_at - s.issued_at == 7 * 24 * 3600);
    assert!(
        SessionManager::random().verify(&c).is_none(),
        "another key rejects it"
    );
    let now = chrono::Utc::now().timestamp();
    let expired = m.sign_session(&Session {
        id: "s1".into(),
        principal: p.clone(),
        issued_at: now - 10,
        expires_at: now,
        via: bunbase_runtime::AuthMethod::Cookie,
        org_id: None,
    });
    assert!(m.verify(&expired).is_none());
    let mut headers = bunbase_runtime::axum::http::HeaderMap::new();
    headers.insert(
        "cookie",
        format!("a=1; bunbase_session={c}; b=2").parse().unwrap(),
    );
    assert_eq!(
        m.from_headers(&headers).map(|s| s.principal.user_id),
        Some("u1".into())
    );
    let m60 = m
        .clone()
        .with_ttl(Duration::from_secs(60))
        .with_secure(true);
    let s60 = m60.verify(&m60.sign(&p)).expect("valid");
    let short = m60.session_cookie(&s60);
    let max_age: i64 = short
        .as_str()
        .split("Max-Age=")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .and_then(|v| v.parse().ok())
        .expect("Max-Age");
    assert!(
        (58..=60).contains(&max_age) && short.as_str().ends_with("; Secure"),
        "{}",
        short.as_str()
    );
}

#[test]
fn permission_wildcards() {
    let p = Principal::new("u")
        .with_permission("tasks:*")
        .with_permission("*:read");
    assert!(p.has_permission("tasks:delete"));
    assert!(p.has_permission("notes:read"));
    assert!(!p.has_permission("notes:write"));
    assert!(
        !Principal::new("u")
            .with_permission("tasks")
            .has_permission("tasks:read")
    );
}

#[test]
fn sliding_window_counts_the_previous_window_by_overlap() {
    let l = MemoryRateLimiter::new();
    let w = Duration::from_secs(10);
    let t0 = Instant::now();
    for _ in 0..4 {
        assert!(l.hit_at("k", 4, w, t0).is_ok());
    }
    let retry = l.hit_at("k", 4, w, t0).expect_err("fifth call denied");
    assert!(retry <= w && retry > Duration::ZERO);
    assert!(l.hit_at("other", 4, w, t0).is_ok(), "keys are independent");
    // Halfway into the next window, half of the previous window's 4 calls
    // still count: 2 + 1 <= 4 and 2 + 2 <= 4 pass, the third fails.
    let t1 = t0 + w + w / 2;
    assert!(l.hit_at("k", 4, w, t1).is_ok());
    assert!(l.hit_at("k", 4, w, t1).is_ok());
    assert!(l.hit_at("k", 4, w, t1).is_err());
    // Two windows later everything has expired.
    let t2 = t0 + w * 3;
    for _ in 0..4 {
        assert!(l.hit_at("k", 4, w, t2).is_ok());
    }
}

#[test]
fn passwords_hash_with_argon2id_and_verify() {
    let h = hash_password("correct horse").unwrap();
    assert!(h.starts_with("$argon2id$"), "{h}");
    assert!(verify_password("correct horse", &h));
    assert!(!verify_password("wrong", &h));
    assert!(!verify_password("correct horse", "not a hash"));
    assert_ne!(h, hash_password("correct horse").unwrap(), "salted");
}

#[test]
fn config_reads_the_environment_with_defaults_and_helpful_errors() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    let c = Config::from_lookup("my_app", env(&[])).unwrap();
    assert_eq!(c.port, 8080);
    assert_eq!(c.database_url, "sqlite://./data/my_app.db?mode=rwc");
    assert_eq!(c.body_limit, 1024 * 1024);
    assert!(c.session_keys.is_empty());
    let c = Config::from_lookup(
        "my_app",
        env(&[
            ("PORT", "9000"),
            ("HOST", "127.0.0.1"),
            ("DATABASE_URL", "postgres://u:p@h/db"),
            (
                "SESSION_SECRET",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            ),
            ("BODY_LIMIT_BYTES", "2048"),
            ("SESSION_COOKIE_SECURE", "false"),
        ]),
    )
    .unwrap();
    assert_eq!(
        (c.port, c.host.to_string(), c.body_limit),
        (9000, "127.0.0.1".into(), 2048)
    );
    assert_eq!(c.session_keys.len(), 2);
    assert!(!c.session_cookie_secure);
    assert!(!c.huge_pages, "transparent huge pages are off by default");
    let on = Config::from_lookup("a", env(&[("HUGE_PAGES", "on")])).unwrap();
    assert!(on.huge_pages);
    let err = Config::from_lookup("a", env(&[("HUGE_PAGES", "maybe")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("HUGE_PAGES"), "{err}");
    let err = Config::from_lookup("a", env(&[("PORT", "eighty")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("PORT") && err.contains("port number"), "{err}");
    let err = Config::from_lookup("a", env(&[("SESSION_SECRET", "short")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("at least 32") && !err.contains("short\""),
        "secret not echoed: {err}"
    );
    assert_eq!(
        Config::from_lookup("a", env(&[])).unwrap().run_history,
        bunbase_runtime::runs::RunHistory::Sampled { per_second: 100 }
    );
    assert_eq!(
        Config::from_lookup("a", env(&[("RUN_HISTORY_PER_SECOND", "7")]))
            .unwrap()
            .run_history,
        bunbase_runtime::runs::RunHistory::Sampled { per_second: 7 }
    );
    assert_eq!(
        Config::from_lookup("a", env(&[("RUN_HISTORY", "ALL")]))
            .unwrap()
            .run_history,
        bunbase_runtime::runs::RunHistory::All
    );
    let err = Config::from_lookup("a", env(&[("RUN_HISTORY_PER_SECOND", "0")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("RUN_HISTORY_PER_SECOND") && err.contains("at least 1"),
        "{err}"
    );
    assert_eq!(
        Config::from_lookup("a", env(&[("RUN_HISTORY", "Errors")]))
            .unwrap()
            .run_history,
        bunbase_runtime::runs::RunHistory::Errors
    );
    let err = Config::from_lookup("a", env(&[("RUN_HISTORY", "some")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("RUN_HISTORY") && err.contains("sampled, all, errors or off"),
        "{err}"
    );
}

#[test]
fn run_history_gets_its_own_file_beside_an_sqlite_file() {
    use bunbase_runtime::db::history_url;
    let h = history_url;
    assert_eq!(
        h("sqlite://./data/tasks.db?mode=rwc"),
        Some((
            "sqlite://./data/tasks.runs.db?mode=rwc".to_owned(),
            "./data/tasks.runs.db".to_owned()
        ))
    );
    assert_eq!(
        h("sqlite:app"),
        Some((
            "sqlite://app.runs?mode=rwc".to_owned(),
            "app.runs".to_owned()
        ))
    );
    // A dot in a folder name is not an extension; percent-escapes are decoded
    // for ATTACH and kept in the URL.
    assert_eq!(
        h("sqlite:///srv/v1.2/my%20db"),
        Some((
            "sqlite:///srv/v1.2/my%20db.runs?mode=rwc".to_owned(),
            "/srv/v1.2/my db.runs".to_owned()
        ))
    );
    assert_eq!(h("sqlite::memory:"), None);
    assert_eq!(h("sqlite://shared?mode=memory"), None);
    assert_eq!(h("postgres://localhost/app"), None);
}
