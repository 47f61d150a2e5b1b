//! The API-key subcommands of a generated server binary: `create-api-key` makes a key and prints it once, `revoke-api-key` ends one, `list-api-keys` shows keys without their secrets.
//!
//! They answer "how does the first machine get a key": an operator with
//! the server's `DATABASE_URL` runs
//!
//! ```text
//! tasks-server create-api-key --email ops@example.com --scope tasks:write --expires-in 90d --name ci
//! tasks-server list-api-keys --email ops@example.com
//! tasks-server revoke-api-key 0193f0c2-...
//! ```
//!
//! `main.rs` hands the arguments to [`api_key_command`] in one call. The
//! token goes to standard output once and nowhere else: it is never
//! logged, and only its SHA-256 is stored. `--email` finds the user
//! through the application's [`super::PrincipalLoader::user_id_by_email`];
//! `--user <id>` names the user directly; `--service` makes a key that
//! acts for no user (its caller id is `api_key:<id>`).

use std::fmt;
use std::time::Duration;

use super::{ApiKeyRow, Auth, NewApiKey, store::now_ms};
use crate::ApiError;

/// The subcommand names [`ApiKeyCommand::parse`] understands.
pub const COMMANDS: &[&str] = &["create-api-key", "revoke-api-key", "list-api-keys"];

/// Failures of an API-key subcommand. Messages say how to fix the problem.
#[derive(Debug, thiserror::Error)]
pub enum ApiKeyCommandError {
    /// The arguments are wrong; the message includes the usage.
    #[error("{0}\n\n{USAGE}")]
    Usage(String),
    /// `--email` or `--user` names nobody.
    #[error(
        "no user {0}: create the user first, or check the address; `--user <id>` names a user by id (`--email` finds users through the server's PrincipalLoader::user_id_by_email)"
    )]
    NoSuchUser(String),
    /// `revoke-api-key` named a key that does not exist or is already revoked.
    #[error(
        "no live API key with id {0}: `list-api-keys` shows the ids (a revoked key stays revoked)"
    )]
    NoSuchKey(String),
    /// The identity store failed.
    #[error("{0}")]
    Store(#[from] ApiError),
}

/// How to call the subcommands.
pub const USAGE: &str = "usage:
  create-api-key (--email <address> | --user <id> | --service) [--scope <resource:verb>]...
                 [--expires-in <90d|12h|30m|2w|never>] [--name <label>] [--org <org id>]
      creates a key and prints it once; scopes become the caller's permissions
  list-api-keys (--email <address> | --user <id> | --service)
      lists keys without their secrets
  revoke-api-key <key id>
      revokes a key: it answers 401 from now on";

/// Whom a key acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOwner {
    /// The user with this e-mail address (found through the
    /// [`super::PrincipalLoader`]).
    Email(String),
    /// The user with this id.
    User(String),
    /// No user: a service key.
    Service,
}

/// One parsed subcommand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiKeyCommand {
    /// `create-api-key`.
    Create {
        /// Whom the key acts for.
        owner: KeyOwner,
        /// A label for people (defaults to `cli`).
        name: String,
        /// Scopes (permissions), in the order given.
        scopes: Vec<String>,
        /// Lifetime; `None` never expires.
        expires_in: Option<Duration>,
        /// The organization the key is bound to, if any.
        org_id: Option<String>,
    },
    /// `list-api-keys`.
    List {
        /// Whose keys.
        owner: KeyOwner,
    },
    /// `revoke-api-key`.
    Revoke {
        /// The key's id.
        id: String,
    },
}

/// What a subcommand did; its `Display` is what the binary prints.
#[derive(Debug, Clone)]
pub enum ApiKeyReport {
    /// A key was created; `token` is shown this once.
    Created {
        /// The stored row (no secret).
        key: Box<ApiKeyRow>,
        /// The full key, `bb_<prefix>_<secret>`.
        token: String,
    },
    /// The keys asked for, newest first.
    Listed(Vec<ApiKeyRow>),
    /// The key with this id was revoked.
    Revoked(String),
}

impl ApiKeyCommand {
    /// Parses the arguments after the binary's name (`create-api-key
    /// --email ... --scope ...`). Flags take a value as the next argument
    /// or after `=`.
    pub fn parse<I, S>(args: I) -> Result<ApiKeyCommand, ApiKeyCommandError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let usage = |m: String| ApiKeyCommandError::Usage(m);
        let mut args = args.into_iter().map(Into::into);
        let command = args
            .next()
            .ok_or_else(|| usage("no subcommand given".into()))?;
        let mut flags: Vec<(String, String)> = Vec::new();
        let mut positional = Vec::new();
        while let Some(arg) = args.next() {
            let Some(flag) = arg.strip_prefix("--") else {
                positional.push(arg);
                continue;
            };
            if flag == "help" {
                return Err(usage(format!("{command}: manage API keys")));
            }
            if flag == "service" {
                flags.push(("service".into(), String::new()));
                continue;
            }
            let (name, value) = match flag.split_once('=') {
                Some((n, v)) => (n.to_owned(), v.to_owned()),
                None => {
                    let v = args
                        .next()
                        .ok_or_else(|| usage(format!("--{flag} needs a value")))?;
                    (flag.to_owned(), v)
                }
            };
            flags.push((name, value));
        }
        let allowed: &[&str] = match command.as_str() {
            "create-api-key" => &[
                "email",
                "user",
                "service",
                "scope",
                "expires-in",
                "name",
                "org",
            ],
            "list-api-keys" => &["email", "user", "service"],
            "revoke-api-key" => &[],
            other => return Err(usage(format!("unknown subcommand {other:?}"))),
        };
        if let Some((bad, _)) = flags.iter().find(|(n, _)| !allowed.contains(&n.as_str())) {
            return Err(usage(format!("{command} takes no --{bad}")));
        }
        let one = |name: &str| -> Result<Option<String>, ApiKeyCommandError> {
            let mut found = flags.iter().filter(|(n, _)| n == name).map(|(_, v)| v);
            let first = found.next().cloned();
            if found.next().is_some() {
                return Err(usage(format!("--{name} is given twice")));
            }
            Ok(first)
        };
        if command == "revoke-api-key" {
            return match positional.as_slice() {
                [id] => Ok(ApiKeyCommand::Revoke { id: id.clone() }),
                _ => Err(usage("revoke-api-key takes exactly one key id".into())),
            };
        }
        if let Some(extra) = positional.first() {
            return Err(usage(format!("unexpected argument {extra:?}")));
        }
        let owner = match (one("email")?, one("user")?, one("service")?) {
            (Some(e), None, None) => KeyOwner::Email(e),
            (None, Some(u), None) => KeyOwner::User(u),
            (None, None, Some(_)) => KeyOwner::Service,
            (None, None, None) => {
                return Err(usage(
                    "say whom the key is for: --email, --user or --service".into(),
                ));
            }
            _ => {
                return Err(usage(
                    "give only one of --email, --user and --service".into(),
                ));
            }
        };
        if command == "list-api-keys" {
            return Ok(ApiKeyCommand::List { owner });
        }
        let scopes: Vec<String> = flags
            .iter()
            .filter(|(n, _)| n == "scope")
            .flat_map(|(_, v)| v.split([',', ' ']))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(bad) = scopes.iter().find(|s| !valid_scope(s)) {
            return Err(usage(format!(
                "scope {bad:?} is not `resource:verb` (e.g. tasks:write, tasks:*, *:*)"
            )));
        }
        let expires_in = match one("expires-in")? {
            None => None,
            Some(v) if v == "never" => None,
            Some(v) => Some(parse_lifetime(&v).ok_or_else(|| {
                usage(format!(
                    "--expires-in {v:?} is not a lifetime such as 90d, 12h, 30m, 2w or never"
                ))
            })?),
        };
        Ok(ApiKeyCommand::Create {
            owner,
            name: one("name")?.unwrap_or_else(|| "cli".into()),
            scopes,
            expires_in,
            org_id: one("org")?,
        })
    }

    /// Runs the subcommand against `auth`'s store.
    pub async fn run(&self, auth: &Auth) -> Result<ApiKeyReport, ApiKeyCommandError> {
        match self {
            ApiKeyCommand::Create {
                owner,
                name,
                scopes,
                expires_in,
                org_id,
            } => {
                let user_id = user_of(auth, owner).await?;
                let created = auth
                    .create_api_key(NewApiKey {
                        name: name.clone(),
                        user_id,
                        org_id: org_id.clone(),
                        scopes: scopes.clone(),
                        expires_at: expires_in.map(|d| now_ms() + d.as_millis() as i64),
                    })
                    .await?;
                let key = auth
                    .store()
                    .key_by_prefix(&created.prefix)
                    .await
                    .map_err(ApiError::from)?
                    .ok_or_else(|| ApiKeyCommandError::NoSuchKey(created.id.clone()))?;
                Ok(ApiKeyReport::Created {
                    key: Box::new(key),
                    token: created.token,
                })
            }
            ApiKeyCommand::List { owner } => {
                let user_id = user_of(auth, owner).await?;
                Ok(ApiKeyReport::Listed(
                    auth.list_api_keys(user_id.as_deref()).await?,
                ))
            }
            ApiKeyCommand::Revoke { id } => {
                if auth.revoke_api_key(id).await? {
                    Ok(ApiKeyReport::Revoked(id.clone()))
                } else {
                    Err(ApiKeyCommandError::NoSuchKey(id.clone()))
                }
            }
        }
    }
}

/// The user id a key is for; `None` for a service key.
async fn user_of(auth: &Auth, owner: &KeyOwner) -> Result<Option<String>, ApiKeyCommandError> {
    match owner {
        KeyOwner::Service => Ok(None),
        KeyOwner::Email(email) => match auth.user_id_by_email(email).await? {
            Some(id) => Ok(Some(id)),
            None => Err(ApiKeyCommandError::NoSuchUser(format!(
                "with e-mail {email}"
            ))),
        },
        KeyOwner::User(id) => match auth.principal(id).await? {
            Some(_) => Ok(Some(id.clone())),
            None => Err(ApiKeyCommandError::NoSuchUser(format!("with id {id}"))),
        },
    }
}

/// Runs the API-key subcommand in `args` (the arguments after the binary's
/// name) against the runtime's identity store and prints its report to
/// standard output: the one place a new key's token ever appears.
/// `main.rs` calls it for the names in [`COMMANDS`], after registering its
/// [`super::PrincipalLoader`] so `--email` can find users.
pub async fn api_key_command<I, S>(rt: &crate::Runtime, args: I) -> Result<(), ApiKeyCommandError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let report = ApiKeyCommand::parse(args)?.run(rt.auth()).await?;
    println!("{report}");
    Ok(())
}

/// Whether `scope` reads `resource:verb` (either part may be `*`).
fn valid_scope(scope: &str) -> bool {
    let ok = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'*'))
    };
    scope.split_once(':').is_some_and(|(r, v)| ok(r) && ok(v))
}

/// `90d`, `12h`, `30m`, `45s` or `2w` as a duration.
fn parse_lifetime(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = text.split_at(split);
    let n: u64 = n.parse().ok().filter(|&n| n > 0)?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    n.checked_mul(secs).map(Duration::from_secs)
}

/// Milliseconds since the epoch as RFC 3339, for people.
fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| ms.to_string())
}

fn describe(f: &mut fmt::Formatter<'_>, k: &ApiKeyRow) -> fmt::Result {
    let owner = k
        .user_id
        .as_deref()
        .map_or_else(|| "service key".to_owned(), |u| format!("user {u}"));
    let scopes = if k.scopes.is_empty() {
        "no scopes".to_owned()
    } else {
        k.scopes.join(" ")
    };
    write!(
        f,
        "{}  bb_{}_…  {:?}  {owner}  {scopes}  created {}",
        k.id,
        k.prefix,
        k.name,
        when(k.created_at)
    )?;
    if let Some(org) = &k.org_id {
        write!(f, "  org {org}")?;
    }
    match k.expires_at {
        Some(e) => write!(f, "  expires {}", when(e))?,
        None => write!(f, "  never expires")?,
    }
    if let Some(t) = k.last_used_at {
        write!(f, "  last used {}", when(t))?;
    }
    if let Some(t) = k.revoked_at {
        write!(f, "  REVOKED {}", when(t))?;
    }
    Ok(())
}

impl fmt::Display for ApiKeyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiKeyReport::Created { key, token } => {
                write!(f, "Created API key ")?;
                describe(f, key)?;
                writeln!(f)?;
                writeln!(
                    f,
                    "Copy the key now: it is shown only this once (only its hash is stored)."
                )?;
                write!(f, "{token}")
            }
            ApiKeyReport::Listed(keys) if keys.is_empty() => write!(f, "no API keys"),
            ApiKeyReport::Listed(keys) => {
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    describe(f, k)?;
                }
                Ok(())
            }
            ApiKeyReport::Revoked(id) => {
                write!(f, "Revoked API key {id}: it answers 401 from now on.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<ApiKeyCommand, ApiKeyCommandError> {
        ApiKeyCommand::parse(args.iter().copied())
    }

    #[test]
    fn create_parses_every_flag() {
        let c = parse(&[
            "create-api-key",
            "--email",
            "ops@example.com",
            "--scope",
            "tasks:write",
            "--scope=tasks:read,billing:*",
            "--expires-in",
            "90d",
            "--name",
            "ci",
            "--org=acme",
        ])
        .expect("parses");
        assert_eq!(
            c,
            ApiKeyCommand::Create {
                owner: KeyOwner::Email("ops@example.com".into()),
                name: "ci".into(),
                scopes: vec![
                    "tasks:write".into(),
                    "tasks:read".into(),
                    "billing:*".into()
                ],
                expires_in: Some(Duration::from_secs(90 * 86_400)),
                org_id: Some("acme".into()),
            }
        );
        assert_eq!(
            parse(&["create-api-key", "--service", "--expires-in", "never"]).expect("parses"),
            ApiKeyCommand::Create {
                owner: KeyOwner::Service,
                name: "cli".into(),
                scopes: vec![],
                expires_in: None,
                org_id: None,
            }
        );
        assert_eq!(
            parse(&["revoke-api-key", "abc"]).expect("parses"),
            ApiKeyCommand::Revoke { id: "abc".into() }
        );
        assert_eq!(
            parse(&["list-api-keys", "--user", "u1"]).expect("parses"),
            ApiKeyCommand::List {
                owner: KeyOwner::User("u1".into())
            }
        );
    }

    #[test]
    fn bad_arguments_explain_themselves() {
        for (args, says) in [
            (&["create-api-key"][..], "--email, --user or --service"),
            (
                &["create-api-key", "--email", "a@b", "--service"],
                "only one of",
            ),
            (
                &["create-api-key", "--service", "--scope", "write"],
                "resource:verb",
            ),
            (
                &["create-api-key", "--service", "--expires-in", "soon"],
                "lifetime",
            ),
            (&["create-api-key", "--email"], "needs a value"),
            (
                &["create-api-key", "--service", "--colour", "red"],
                "no --colour",
            ),
            (&["revoke-api-key"], "exactly one key id"),
            (
                &["list-api-keys", "--service", "--scope", "a:b"],
                "no --scope",
            ),
            (&["drop-api-keys"], "unknown subcommand"),
        ] {
            let err = parse(args).expect_err("refused").to_string();
            assert!(err.contains(says), "{args:?}: {err}");
            assert!(err.contains("usage:"), "{args:?}: {err}");
        }
    }

    #[test]
    fn lifetimes() {
        assert_eq!(parse_lifetime("12h"), Some(Duration::from_secs(43_200)));
        assert_eq!(parse_lifetime("2w"), Some(Duration::from_secs(1_209_600)));
        for bad in ["", "d", "0d", "90", "1y", "-1d", "99999999999999999999d"] {
            assert_eq!(parse_lifetime(bad), None, "{bad}");
        }
    }
}
