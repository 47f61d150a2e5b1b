//! Handlers of module `auth`: accounts with argon2id-hashed passwords, e-mail addresses compared case-insensitively, and revocable server-side sessions.

use bunbase_runtime::uuid::Uuid;
use bunbase_runtime::{ActionContext, normalize_email};
use tasks_api::db::users::{self, NewUser, UserFilter, UserOrder, UserRow};
use tasks_api::*;

use crate::App;
use crate::db::now;

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

/// The user with this (normalised) e-mail address, if any.
async fn by_email(db: &bunbase_runtime::Db, email: &str) -> Result<Option<UserRow>, bunbase_runtime::sqlx::Error> {
    let filter = UserFilter { email: Some(email.to_owned()), ..UserFilter::default() };
    Ok(users::list(db, &filter, UserOrder::default(), None, 1).await?.pop())
}

/// Creates a user; `None` when the email is taken. The address is stored normalised (trimmed, lower case).
pub async fn create_user(ctx_db: &bunbase_runtime::Db, email: &str, name: &str, password: &str) -> Result<Option<User>, String> {
    let email = normalize_email(email);
    if by_email(ctx_db, &email).await.map_err(|e| e.to_string())?.is_some() {
        return Ok(None);
    }
    let new = NewUser { id: Uuid::now_v7(), email, name: name.to_owned(), password_hash: hash(password.to_owned()).await?, created_at: now() };
    let row = users::insert(ctx_db, &new).await.map_err(|e| e.to_string())?;
    Ok(Some(User::from(row)))
}

impl AuthHandler for App {
    async fn login(&self, ctx: ActionContext, input: LoginInput) -> Result<User, LoginError> {
        let Some(row) = by_email(&ctx.db, &normalize_email(&input.email)).await? else {
            // Spend the same time as a real check so timing does not reveal which emails exist.
            let _ = verify(input.password, DUMMY_HASH.to_owned()).await;
            return Err(LoginError::InvalidCredentials);
        };
        if !verify(input.password, row.password_hash.clone()).await {
            return Err(LoginError::InvalidCredentials);
        }
        let user = User::from(row);
        ctx.sign_in(&user.id.to_string()).await?;
        Ok(user)
    }

    async fn logout(&self, ctx: ActionContext) -> Result<(), LogoutError> {
        ctx.sign_out().await?;
        Ok(())
    }

    async fn me(&self, ctx: ActionContext) -> Result<User, MeError> {
        let Some(user_id) = crate::db::user_id(&ctx) else { return Err(MeError::Unauthorized) };
        users::get(&ctx.db, user_id).await?.map(User::from).ok_or(MeError::Unauthorized)
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
            let Ok(id) = Uuid::try_parse(user_id) else { return Ok(None) };
            match users::get(&self.0, id).await? {
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
        Box::pin(async move { Ok(by_email(&self.0, &normalize_email(email)).await?.map(|u| u.id.to_string())) })
    }
}
