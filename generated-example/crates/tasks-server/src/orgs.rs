//! Handlers of module `orgs`: teams on the runtime's built-in organization, plan and subscription tables. The guards (`in_org`, `has_feature`, `trial_active_or_paid`) read those tables before a handler runs and leave what they found in `ctx.org()`.

use bunbase_runtime::auth::org::status;
use bunbase_runtime::chrono::{Duration, Utc};
use bunbase_runtime::{ActionContext, Subscription, sqlx, with_pool};
use tasks_api::*;

use crate::App;

/// The plan a trial starts, and the feature `orgs.report` needs.
const TRIAL_PLAN: &str = "pro";
const TRIAL_DAYS: i64 = 14;

impl OrgsHandler for App {
    async fn create_org(&self, ctx: ActionContext, input: CreateOrgInput) -> Result<Org, CreateOrgError> {
        let owner = ctx.user_id().unwrap_or_default().to_owned();
        let id = ctx.auth().create_org(&input.name, &owner).await?;
        let id = id.parse().map_err(|e| CreateOrgError::Internal(format!("organization id: {e}")))?;
        Ok(Org { id, name: input.name, role: "owner".to_owned() })
    }

    async fn start_trial(&self, ctx: ActionContext, input: StartTrialInput) -> Result<StartTrialOutput, StartTrialError> {
        // `in_org` ran: the caller is a member, with this role.
        if ctx.org().map(|o| o.role.as_str()) != Some("owner") {
            return Err(StartTrialError::NotOwner);
        }
        ctx.auth().set_plan(TRIAL_PLAN, "Pro", &["reports"]).await?;
        let ends = Utc::now() + Duration::days(TRIAL_DAYS);
        let sub = Subscription {
            plan_id: TRIAL_PLAN.to_owned(),
            status: status::TRIALING.to_owned(),
            trial_ends_at: Some(ends.timestamp_millis()),
            current_period_end: None,
        };
        ctx.auth().set_subscription(&input.org_id.to_string(), &sub).await?;
        Ok(StartTrialOutput { plan: TRIAL_PLAN.to_owned(), trial_ends_at: ends })
    }

    async fn report(&self, ctx: ActionContext, input: ReportInput) -> Result<ReportOutput, ReportError> {
        let role = ctx.org().map(|o| o.role.clone()).unwrap_or_default();
        let org_id = input.org_id.to_string();
        let members: i64 = with_pool!(ctx.db, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM bunbase_memberships WHERE org_id = $1")
                .bind(&org_id)
                .fetch_one(pool)
                .await?
        });
        Ok(ReportOutput { org_id: input.org_id, role, members })
    }
}
