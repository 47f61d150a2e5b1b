//! The SaaS tables behind `in_org`, `has_feature` and `trial_active_or_paid`: organizations, memberships with roles, invitations, plans with features, and one subscription per organization.

use futures::future::BoxFuture;
use serde::Serialize;

use super::AuthError;
use super::store::{PgStore, SqliteStore};

/// Subscription states. `trialing` counts until `trial_ends_at`; `active`
/// until `current_period_end` (when set); the others never do.
pub mod status {
    /// In a free trial until `trial_ends_at`.
    pub const TRIALING: &str = "trialing";
    /// Paid.
    pub const ACTIVE: &str = "active";
    /// A payment failed.
    pub const PAST_DUE: &str = "past_due";
    /// Ended.
    pub const CANCELED: &str = "canceled";
}

/// An organization's subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscription {
    /// The plan id.
    pub plan_id: String,
    /// One of [`status`].
    pub status: String,
    /// End of the trial (ms), for `trialing`.
    pub trial_ends_at: Option<i64>,
    /// End of the paid period (ms), if tracked.
    pub current_period_end: Option<i64>,
}

impl Subscription {
    /// Whether the trial runs at `now` (ms).
    pub fn trial_active(&self, now: i64) -> bool {
        self.status == status::TRIALING && self.trial_ends_at.is_some_and(|end| end > now)
    }

    /// Whether it is paid and its period (if tracked) has not ended at `now`.
    pub fn paid(&self, now: i64) -> bool {
        self.status == status::ACTIVE && self.current_period_end.is_none_or(|end| end > now)
    }

    /// Whether it grants its plan's features at `now`: a running trial or a
    /// paid period.
    pub fn usable(&self, now: i64) -> bool {
        self.trial_active(now) || self.paid(now)
    }
}

/// What `in_org` found, for the handler (`ActionContext::org`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgContext {
    /// The organization's id.
    pub org_id: String,
    /// The caller's role in it (`owner`, `member`, ...; `api_key` for a key
    /// bound to the organization).
    pub role: String,
    /// Its subscription, when a guard read it.
    pub subscription: Option<Subscription>,
}

/// An invitation to join an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// Id.
    pub id: String,
    /// Organization.
    pub org_id: String,
    /// Invited address, normalised ([`super::normalize_email`]).
    pub email: String,
    /// Role given on acceptance.
    pub role: String,
    /// Expires at (ms).
    pub expires_at: i64,
    /// Accepted at (ms), once accepted.
    pub accepted_at: Option<i64>,
}

/// Storage of organizations, memberships, invitations, plans and
/// subscriptions.
pub trait OrgStore: Send + Sync + 'static {
    /// Creates an organization.
    fn insert_org<'a>(
        &'a self,
        id: &'a str,
        name: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<(), AuthError>>;
    /// Adds or updates a membership.
    fn upsert_member<'a>(
        &'a self,
        org_id: &'a str,
        user_id: &'a str,
        role: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<(), AuthError>>;
    /// Removes a membership; whether there was one.
    fn remove_member<'a>(
        &'a self,
        org_id: &'a str,
        user_id: &'a str,
    ) -> BoxFuture<'a, Result<bool, AuthError>>;
    /// The user's role in the organization, if a member.
    fn member_role<'a>(
        &'a self,
        org_id: &'a str,
        user_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, AuthError>>;
    /// Stores an invitation (`token_hash` is the SHA-256 of its token).
    fn insert_invitation<'a>(
        &'a self,
        inv: &'a Invitation,
        token_hash: &'a str,
        invited_by: Option<&'a str>,
        now: i64,
    ) -> BoxFuture<'a, Result<(), AuthError>>;
    /// Marks the unaccepted, unexpired invitation with `token_hash` accepted
    /// at `now` and returns it (`None` when there is none).
    fn take_invitation<'a>(
        &'a self,
        token_hash: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<Option<Invitation>, AuthError>>;
    /// Creates or renames a plan and sets its features exactly.
    fn upsert_plan<'a>(
        &'a self,
        id: &'a str,
        name: &'a str,
        features: &'a [String],
    ) -> BoxFuture<'a, Result<(), AuthError>>;
    /// Sets the organization's subscription.
    fn upsert_subscription<'a>(
        &'a self,
        org_id: &'a str,
        sub: &'a Subscription,
        now: i64,
    ) -> BoxFuture<'a, Result<(), AuthError>>;
    /// The organization's subscription and whether its plan has `feature`
    /// (pass `""` when no feature is asked).
    fn subscription<'a>(
        &'a self,
        org_id: &'a str,
        feature: &'a str,
    ) -> BoxFuture<'a, Result<Option<(Subscription, bool)>, AuthError>>;
}

type InvRow = (String, String, String, String, i64, Option<i64>);
type SubRow = (String, String, Option<i64>, Option<i64>, i64);

macro_rules! org_store {
    ($ty:ty) => {
        impl OrgStore for $ty {
            fn insert_org<'a>(&'a self, id: &'a str, name: &'a str, now: i64) -> BoxFuture<'a, Result<(), AuthError>> {
                Box::pin(async move {
                    sqlx::query("INSERT INTO bunbase_orgs (id, name, created_at) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(name)
                        .bind(now)
                        .execute(&self.0)
                        .await?;
                    Ok(())
                })
            }

            fn upsert_member<'a>(
                &'a self,
                org_id: &'a str,
                user_id: &'a str,
                role: &'a str,
                now: i64,
            ) -> BoxFuture<'a, Result<(), AuthError>> {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO bunbase_memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
                    )
                    .bind(org_id)
                    .bind(user_id)
                    .bind(role)
                    .bind(now)
                    .execute(&self.0)
                    .await?;
                    Ok(())
                })
            }

            fn remove_member<'a>(&'a self, org_id: &'a str, user_id: &'a str) -> BoxFuture<'a, Result<bool, AuthError>> {
                Box::pin(async move {
                    let done = sqlx::query("DELETE FROM bunbase_memberships WHERE org_id = $1 AND user_id = $2")
                        .bind(org_id)
                        .bind(user_id)
                        .execute(&self.0)
                        .await?;
                    Ok(done.rows_affected() > 0)
                })
            }

            fn member_role<'a>(
                &'a self,
                org_id: &'a str,
                user_id: &'a str,
            ) -> BoxFuture<'a, Result<Option<String>, AuthError>> {
                Box::pin(async move {
                    let r: Option<(String,)> = sqlx::query_as(
                        "SELECT role FROM bunbase_memberships WHERE org_id = $1 AND user_id = $2",
                    )
                    .bind(org_id)
                    .bind(user_id)
                    .fetch_optional(&self.0)
                    .await?;
                    Ok(r.map(|r| r.0))
                })
            }

            fn insert_invitation<'a>(
                &'a self,
                inv: &'a Invitation,
                token_hash: &'a str,
                invited_by: Option<&'a str>,
                now: i64,
            ) -> BoxFuture<'a, Result<(), AuthError>> {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO bunbase_invitations (id, org_id, email, role, token_hash, invited_by, created_at, expires_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&inv.id)
                    .bind(&inv.org_id)
                    .bind(&inv.email)
                    .bind(&inv.role)
                    .bind(token_hash)
                    .bind(invited_by)
                    .bind(now)
                    .bind(inv.expires_at)
                    .execute(&self.0)
                    .await?;
                    Ok(())
                })
            }

            fn take_invitation<'a>(
                &'a self,
                token_hash: &'a str,
                now: i64,
            ) -> BoxFuture<'a, Result<Option<Invitation>, AuthError>> {
                Box::pin(async move {
                    let r: Option<InvRow> = sqlx::query_as(
                        "UPDATE bunbase_invitations SET accepted_at = $1
                         WHERE token_hash = $2 AND accepted_at IS NULL AND expires_at > $1
                         RETURNING id, org_id, email, role, expires_at, accepted_at",
                    )
                    .bind(now)
                    .bind(token_hash)
                    .fetch_optional(&self.0)
                    .await?;
                    Ok(r.map(|r| Invitation {
                        id: r.0,
                        org_id: r.1,
                        email: r.2,
                        role: r.3,
                        expires_at: r.4,
                        accepted_at: r.5,
                    }))
                })
            }

            fn upsert_plan<'a>(
                &'a self,
                id: &'a str,
                name: &'a str,
                features: &'a [String],
            ) -> BoxFuture<'a, Result<(), AuthError>> {
                Box::pin(async move {
                    let mut tx = self.0.begin().await?;
                    sqlx::query(
                        "INSERT INTO bunbase_plans (id, name) VALUES ($1, $2)
                         ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                    )
                    .bind(id)
                    .bind(name)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("DELETE FROM bunbase_plan_features WHERE plan_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    for f in features {
                        sqlx::query(
                            "INSERT INTO bunbase_plan_features (plan_id, feature) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        )
                        .bind(id)
                        .bind(f)
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(())
                })
            }

            fn upsert_subscription<'a>(
                &'a self,
                org_id: &'a str,
                sub: &'a Subscription,
                now: i64,
            ) -> BoxFuture<'a, Result<(), AuthError>> {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO bunbase_subscriptions (org_id, plan_id, status, trial_ends_at, current_period_end, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6)
                         ON CONFLICT (org_id) DO UPDATE SET plan_id = excluded.plan_id, status = excluded.status,
                           trial_ends_at = excluded.trial_ends_at, current_period_end = excluded.current_period_end,
                           updated_at = excluded.updated_at",
                    )
                    .bind(org_id)
                    .bind(&sub.plan_id)
                    .bind(&sub.status)
                    .bind(sub.trial_ends_at)
                    .bind(sub.current_period_end)
                    .bind(now)
                    .execute(&self.0)
                    .await?;
                    Ok(())
                })
            }

            fn subscription<'a>(
                &'a self,
                org_id: &'a str,
                feature: &'a str,
            ) -> BoxFuture<'a, Result<Option<(Subscription, bool)>, AuthError>> {
                Box::pin(async move {
                    let r: Option<SubRow> = sqlx::query_as(
                        "SELECT s.plan_id, s.status, s.trial_ends_at, s.current_period_end,
                                (SELECT COUNT(*) FROM bunbase_plan_features f WHERE f.plan_id = s.plan_id AND f.feature = $2)
                         FROM bunbase_subscriptions s WHERE s.org_id = $1",
                    )
                    .bind(org_id)
                    .bind(feature)
                    .fetch_optional(&self.0)
                    .await?;
                    Ok(r.map(|r| {
                        (
                            Subscription {
                                plan_id: r.0,
                                status: r.1,
                                trial_ends_at: r.2,
                                current_period_end: r.3,
                            },
                            r.4 > 0,
                        )
                    }))
                })
            }
        }
    };
}

org_store!(SqliteStore);
org_store!(PgStore);

impl super::Auth {
    /// Creates an organization with `owner_user_id` as its `owner`; returns
    /// its id.
    pub async fn create_org(
        &self,
        name: &str,
        owner_user_id: &str,
    ) -> Result<String, crate::ApiError> {
        let id = uuid::Uuid::now_v7().to_string();
        let now = super::store::now_ms();
        self.store().insert_org(&id, name, now).await?;
        self.store()
            .upsert_member(&id, owner_user_id, "owner", now)
            .await?;
        Ok(id)
    }

    /// Adds `user_id` to the organization with `role`, or changes their role.
    pub async fn add_member(
        &self,
        org_id: &str,
        user_id: &str,
        role: &str,
    ) -> Result<(), crate::ApiError> {
        Ok(self
            .store()
            .upsert_member(org_id, user_id, role, super::store::now_ms())
            .await?)
    }

    /// Removes `user_id` from the organization; whether they were a member.
    pub async fn remove_member(
        &self,
        org_id: &str,
        user_id: &str,
    ) -> Result<bool, crate::ApiError> {
        Ok(self.store().remove_member(org_id, user_id).await?)
    }

    /// The role of `user_id` in the organization, if a member.
    pub async fn member_role(
        &self,
        org_id: &str,
        user_id: &str,
    ) -> Result<Option<String>, crate::ApiError> {
        Ok(self.store().member_role(org_id, user_id).await?)
    }

    /// Invites `email` into the organization with `role` for `ttl`; returns
    /// the invitation and its token (send the token to the address; only its
    /// hash is stored).
    pub async fn invite(
        &self,
        org_id: &str,
        email: &str,
        role: &str,
        invited_by: Option<&str>,
        ttl: std::time::Duration,
    ) -> Result<(Invitation, String), crate::ApiError> {
        let now = super::store::now_ms();
        let token = super::random_token(24);
        let inv = Invitation {
            id: uuid::Uuid::now_v7().to_string(),
            org_id: org_id.to_owned(),
            email: super::normalize_email(email),
            role: role.to_owned(),
            expires_at: now + ttl.as_millis() as i64,
            accepted_at: None,
        };
        self.store()
            .insert_invitation(&inv, &super::apikey::hash_secret(&token), invited_by, now)
            .await?;
        Ok((inv, token))
    }

    /// Accepts an invitation for `user_id`, whose address must equal the
    /// invited one (compared case-insensitively): the user becomes a member
    /// with the invitation's role. `None` when the token is unknown, used or
    /// expired, or the address differs.
    pub async fn accept_invitation(
        &self,
        token: &str,
        user_id: &str,
        user_email: &str,
    ) -> Result<Option<OrgContext>, crate::ApiError> {
        let now = super::store::now_ms();
        let hash = super::apikey::hash_secret(token);
        let Some(inv) = self.store().take_invitation(&hash, now).await? else {
            return Ok(None);
        };
        if !super::emails_equal(&inv.email, user_email) {
            return Ok(None);
        }
        self.store()
            .upsert_member(&inv.org_id, user_id, &inv.role, now)
            .await?;
        Ok(Some(OrgContext {
            org_id: inv.org_id,
            role: inv.role,
            subscription: None,
        }))
    }

    /// Creates or updates a plan with exactly `features`.
    pub async fn set_plan(
        &self,
        id: &str,
        name: &str,
        features: &[&str],
    ) -> Result<(), crate::ApiError> {
        let features: Vec<String> = features.iter().map(|f| (*f).to_owned()).collect();
        Ok(self.store().upsert_plan(id, name, &features).await?)
    }

    /// Sets the organization's subscription.
    pub async fn set_subscription(
        &self,
        org_id: &str,
        sub: &Subscription,
    ) -> Result<(), crate::ApiError> {
        Ok(self
            .store()
            .upsert_subscription(org_id, sub, super::store::now_ms())
            .await?)
    }

    /// The organization's subscription, if any.
    pub async fn subscription(
        &self,
        org_id: &str,
    ) -> Result<Option<Subscription>, crate::ApiError> {
        Ok(self.store().subscription(org_id, "").await?.map(|(s, _)| s))
    }
}
