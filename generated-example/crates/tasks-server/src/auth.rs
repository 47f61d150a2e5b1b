//! Handlers of module `auth`: accounts with argon2id-hashed passwords, e-mail addresses compared case-insensitively, and revocable server-side sessions.

use bunbase_runtime::chrono::Utc;
use bunbase_runtime::uuid::Uuid;
use bunbase_runtime::{ActionContext, normalize_email, sqlx, with_pool};
use tasks_api::*;

use crate::App;
use crate::db::{UserRow, ts, user_from_row};

/// Hashes a password off the async runtime (argon2 is slow on purpose).
pub async fn hash(password: String) -> Result<String, String> {
    bunbase_runtime::tokio::task::spawn_blocking(move || bunbase_runtime::hash_password(&password).map_err(|e| e.to_string()))
        .await
        .map_err(|e| e.to_string())?
}

/// Checks a password off the async runtime.
async fn verify(password: String, hash: String) -> bool {
    bunbase_runtime::tokio::task::spawn_blocking(move || bunbase_runtime::verify_password(&password, &hash)).await.unwrap_or(false)
}

/// Creates a user; `None` when the email is taken. The address is stored normalised (trimmed, lower case).
pub async fn create_user(ctx_db: &bunbase_runtime::Db, email: &str, name: &str, password: &str) -> Result<Option<User>, String> {
    let email = &normalize_email(email);
    let taken: Option<String> = with_pool!(ctx_db, pool => {
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email).fetch_optional(pool).await.map_err(|e| e.to_string())?
    });
    if taken.is_some() {
        return Ok(None);
    }
    let user = User { id: Uuid::now_v7(), email: email.to_owned(), name: name.to_owned(), created_at: Utc::now() };
    let hashed = hash(password.to_owned()).await?;
    with_pool!(ctx_db, pool => {
        sqlx::query("INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(user.id.to_string())
            .bind(&user.email)
            .bind(&user.name)
            .bind(&hashed)
            .bind(ts(user.created_at))
            .execute(pool)
            .await
            .map_err(|e| e.to_string())?;
    });
    Ok(Some(user))
}

impl AuthHandler for App {
    async fn login(&self, ctx: ActionContext, input: LoginInput) -> Result<User, LoginError> {
        let row: Option<(String, String, String, String, String)> = with_pool!(ctx.db, pool => {
            sqlx::query_as("SELECT id, email, name, created_at, password_hash FROM users WHERE email = $1")
                .bind(normalize_email(&input.email))
                .fetch_optional(pool)
                .await?
        });
        let Some((id, email, name, created_at, stored)) = row else {
            // Spend the same time as a real check so timing does not reveal which emails exist.
            let _ = verify(input.password, DUMMY_HASH.to_owned()).await;
            return Err(LoginError::InvalidCredentials);
        };
        if !verify(input.password, stored).await {
            return Err(LoginError::InvalidCredentials);
        }
        let user = user_from_row((id, email, name, created_at)).map_err(LoginError::Internal)?;
        ctx.sign_in(&user.id.to_string()).await?;
        Ok(user)
    }

    async fn logout(&self, ctx: ActionContext) -> Result<(), LogoutError> {
        ctx.sign_out().await?;
        Ok(())
    }

    async fn me(&self, ctx: ActionContext) -> Result<User, MeError> {
        let Some(user_id) = ctx.user_id() else { return Err(MeError::Unauthorized) };
        let row: Option<UserRow> = with_pool!(ctx.db, pool => {
            sqlx::query_as("SELECT id, email, name, created_at FROM users WHERE id = $1").bind(user_id).fetch_optional(pool).await?
        });
        match row {
            Some(row) => user_from_row(row).map_err(MeError::Internal),
            None => Err(MeError::Unauthorized),
        }
    }

    async fn register(&self, ctx: ActionContext, input: RegisterInput) -> Result<User, RegisterError> {
        match create_user(&ctx.db, &input.email, &input.name, &input.password).await.map_err(RegisterError::Internal)? {
            Some(user) => {
                ctx.sign_in(&user.id.to_string()).await?;
                Ok(user)
            }
            None => Err(RegisterError::EmailTaken),
        }
    }
}

/// An argon2id hash of a random password, checked when the email is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Jr3Qc1m6Yd7TqJ0kP8q1H2m3n4o5p6q7r8s9t0u1v2w";

/// The runtime asks this whether a session's user still exists: a signed cookie for a deleted user is no session.
pub struct Users(pub bunbase_runtime::Db);

impl bunbase_runtime::PrincipalLoader for Users {
    fn load<'a>(
        &'a self,
        auth: &'a bunbase_runtime::Auth,
        user_id: &'a str,
    ) -> bunbase_runtime::futures::future::BoxFuture<'a, Result<Option<bunbase_runtime::Principal>, bunbase_runtime::ApiError>> {
        Box::pin(async move {
            let found: Option<String> = with_pool!(self.0, pool => {
                sqlx::query_scalar("SELECT id FROM users WHERE id = $1").bind(user_id).fetch_optional(pool).await?
            });
            match found {
                Some(_) => Ok(Some(auth.default_principal(user_id).await?)),
                None => Ok(None),
            }
        })
    }

    /// Finds users for `tasks-server create-api-key --email`.
    fn user_id_by_email<'a>(
        &'a self,
        email: &'a str,
    ) -> bunbase_runtime::futures::future::BoxFuture<'a, Result<Option<String>, bunbase_runtime::ApiError>> {
        Box::pin(async move {
            Ok(with_pool!(self.0, pool => {
                sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email).fetch_optional(pool).await?
            }))
        })
    }
}
