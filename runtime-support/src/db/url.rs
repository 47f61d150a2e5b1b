//! Reading database URLs: the SQLite file, the run history file beside it, and passwords masked for messages.

use std::path::PathBuf;

/// The run history file of an SQLite file URL, as a URL (created if
/// missing) and as the decoded path `ATTACH` takes: the file name gets
/// `.runs` before its extension (`data/tasks.db` gives `data/tasks.runs.db`,
/// `data/tasks` gives `data/tasks.runs`). `None` for in-memory URLs.
pub fn history_url(url: &str) -> Option<(String, String)> {
    let raw = sqlite_file(url).filter(|_| !url.contains("mode=memory"))?;
    let name_at = raw.rfind('/').map_or(0, |i| i + 1);
    let history = match raw[name_at..].rfind('.') {
        Some(dot) if dot > 0 => {
            let (stem, ext) = raw.split_at(name_at + dot);
            format!("{stem}.runs{ext}")
        }
        _ => format!("{raw}.runs"),
    };
    let path = percent_encoding::percent_decode_str(&history)
        .decode_utf8()
        .ok()?
        .into_owned();
    Some((format!("sqlite://{history}?mode=rwc"), path))
}

/// The file path of a `sqlite:` URL, without query string.
pub(crate) fn sqlite_path(url: &str) -> Option<PathBuf> {
    sqlite_file(url).map(PathBuf::from)
}

/// The file part of a `sqlite:` URL as written (percent-escapes kept),
/// without query string; `None` for `:memory:` or no file.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// The URL with the password replaced by `***`, for messages and logs.
pub(crate) fn mask_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
