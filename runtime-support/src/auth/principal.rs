//! Roles and permissions read from the database behind a short cache, and the hook that says whether a user still exists.
//!
//! Roles are not frozen in the cookie: [`Auth::principal`] reads them through
//! the [`PrincipalLoader`] (by default the `bunbase_user_roles`,
//! `bunbase_role_permissions` and `bunbase_user_permissions` tables) and keeps
//! the answer for `AUTH_CACHE_MS` (5 s by default). A change made through
//! [`Auth`] (`grant_role`, ...) clears the user's entry at once on this
//! instance; other instances see it when their entry ages out.

use std::sync::Arc;

use futures::future::BoxFuture;

use super::{Auth, Principal};
use crate::ApiError;

/// Loads a user's principal. Register one with
/// [`Auth::set_principal_loader`] to check the application's own user table:
/// answering `Ok(None)` makes every session and key of that user "no
/// session" (a signed cookie for a deleted user is refused). Delegate to
/// [`Auth::default_principal`] for the roles.
pub trait PrincipalLoader: Send + Sync + 'static {
    /// The principal of `user_id`, or `None` when the user does not exist.
    fn load<'a>(
        &'a self,
        auth: &'a Auth,
        user_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Principal>, ApiError>>;

    /// The id of the user whose e-mail address is `email` (already
    /// normalised: trimmed, lower case), or `None` when there is none.
    /// `create-api-key --email` uses it to find the key's user; the default
    /// finds nobody, so that command then asks for `--user <id>`.
    fn user_id_by_email<'a>(
        &'a self,
        email: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, ApiError>> {
        let _ = email;
        Box::pin(async { Ok(None) })
    }
}

/// Principals by user id (`None`: the loader said the user does not exist).
pub(crate) type PrincipalCache = super::cache::TtlCache<Option<Arc<Principal>>>;

impl Auth {
    /// The principal of `user_id` (roles and permissions from the
    /// database, through the cache and the [`PrincipalLoader`]); `None` when
    /// the loader says the user does not exist.
    pub async fn principal(&self, user_id: &str) -> Result<Option<Arc<Principal>>, ApiError> {
        self.inner
            .principals
            .get_or_load(user_id, || async {
                let loaded = match self.inner.loader.get() {
                    Some(loader) => loader.load(self, user_id).await?,
                    None => Some(self.default_principal(user_id).await?),
                };
                Ok::<_, ApiError>(loaded.map(Arc::new))
            })
            .await
    }

    /// The id of the user with e-mail address `email` (compared as
    /// [`super::normalize_email`] forms), through the [`PrincipalLoader`];
    /// `None` when there is none or no loader can look addresses up.
    pub async fn user_id_by_email(&self, email: &str) -> Result<Option<String>, ApiError> {
        match self.inner.loader.get() {
            Some(loader) => {
                loader
                    .user_id_by_email(&super::normalize_email(email))
                    .await
            }
            None => Ok(None),
        }
    }

    /// The principal the runtime's tables give `user_id`: its roles, and
    /// the permissions of those roles and its own.
    pub async fn default_principal(&self, user_id: &str) -> Result<Principal, ApiError> {
        let (roles, permissions) = self.store().roles_and_permissions(user_id).await?;
        Ok(Principal {
            user_id: user_id.to_owned(),
            roles,
            permissions,
        })
    }

    /// Registers the application's [`PrincipalLoader`] (once; later calls
    /// are ignored with a warning).
    pub fn set_principal_loader(&self, loader: Arc<dyn PrincipalLoader>) {
        if self.inner.loader.set(loader).is_err() {
            tracing::warn!("a principal loader was already registered; ignoring the second one");
        }
        self.inner.principals.clear();
    }

    /// Forgets the cached principal of `user_id`, so the next request reads
    /// the database (call it after changing roles by hand).
    pub fn invalidate(&self, user_id: &str) {
        self.inner.principals.forget(user_id);
    }

    /// Gives `user_id` the role.
    pub async fn grant_role(&self, user_id: &str, role: &str) -> Result<(), ApiError> {
        self.store().set_user_role(user_id, role, true).await?;
        self.invalidate(user_id);
        Ok(())
    }

    /// Takes the role from `user_id`.
    pub async fn revoke_role(&self, user_id: &str, role: &str) -> Result<(), ApiError> {
        self.store().set_user_role(user_id, role, false).await?;
        self.invalidate(user_id);
        Ok(())
    }

    /// Gives every holder of `role` the permission (`resource:verb`).
    pub async fn grant_role_permission(
        &self,
        role: &str,
        permission: &str,
    ) -> Result<(), ApiError> {
        self.store()
            .set_role_permission(role, permission, true)
            .await?;
        self.inner.principals.clear();
        Ok(())
    }

    /// Takes the permission from `role`.
    pub async fn revoke_role_permission(
        &self,
        role: &str,
        permission: &str,
    ) -> Result<(), ApiError> {
        self.store()
            .set_role_permission(role, permission, false)
            .await?;
        self.inner.principals.clear();
        Ok(())
    }

    /// Gives `user_id` the permission directly.
    pub async fn grant_permission(&self, user_id: &str, permission: &str) -> Result<(), ApiError> {
        self.store()
            .set_user_permission(user_id, permission, true)
            .await?;
        self.invalidate(user_id);
        Ok(())
    }

    /// Takes a directly granted permission from `user_id`.
    pub async fn revoke_permission(&self, user_id: &str, permission: &str) -> Result<(), ApiError> {
        self.store()
            .set_user_permission(user_id, permission, false)
            .await?;
        self.invalidate(user_id);
        Ok(())
    }
}
