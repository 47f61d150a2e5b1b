//! Handlers of module `auth`. bunbase wrote this file once; it is yours to edit.
use bunbase_runtime::ActionContext;
#[allow(unused_imports)]
use tasks_api::*;
use crate::App;
impl AuthHandler for App {
    /// `auth.login`: Sign in.
    ///
    /// Checks the email and password and, when they match, sets the signed `bunbase_session` cookie and answers the user.
    ///
    /// bunbase stub: answers 501 `not_implemented` until you write it.
    async fn login(
        &self,
        ctx: ActionContext,
        input: LoginInput,
    ) -> Result<User, LoginError> {
        let _ = (&ctx, &input);
        Err(LoginError::NotImplemented)
    }
    /// `auth.logout`: Sign out.
    ///
    /// Clears the session cookie. Answers 204 even without a session.
    ///
    /// bunbase stub: answers 501 `not_implemented` until you write it.
    async fn logout(&self, ctx: ActionContext) -> Result<(), LogoutError> {
        let _ = &ctx;
        Err(LogoutError::NotImplemented)
    }
    /// `auth.me`: The signed-in user.
    ///
    /// bunbase stub: answers 501 `not_implemented` until you write it.
    async fn me(&self, ctx: ActionContext) -> Result<User, MeError> {
        let _ = &ctx;
        Err(MeError::NotImplemented)
    }
    /// `auth.register`: Create an account.
    ///
    /// Creates a user with an argon2id-hashed password and signs them in (sets the session cookie).
    ///
    /// bunbase stub: answers 501 `not_implemented` until you write it.
    async fn register(
        &self,
        ctx: ActionContext,
        input: RegisterInput,
    ) -> Result<User, RegisterError> {
        let _ = (&ctx, &input);
        Err(RegisterError::NotImplemented)
    }
}
