//! Handlers of module `health`. bunbase wrote this file once; it is yours to edit.
use bunbase_runtime::ActionContext;
#[allow(unused_imports)]
use tasks_api::*;
use crate::App;
impl HealthHandler for App {
    /// `health.health`: Service status with row counts.
    ///
    /// Answers 200 with the number of users and tasks; no sign-in needed.
    ///
    /// bunbase stub: answers 501 `not_implemented` until you write it.
    async fn health(&self, ctx: ActionContext) -> Result<HealthOutput, HealthError> {
        let _ = &ctx;
        Err(HealthError::NotImplemented)
    }
}
