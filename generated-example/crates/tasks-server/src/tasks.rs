//! Handlers of module `tasks`. bunbase wrote this file once; it is yours to edit.
use bunbase_runtime::ActionContext;
#[allow(unused_imports)]
use tasks_api::*;
use crate::App;
impl TasksHandler for App {
    /// `tasks.create_task`: Create a task.
    ///
    /// bunbase stub: answers 501 `not_implemented` until you write it.
    async fn create_task(
        &self,
        ctx: ActionContext,
        input: CreateTaskInput,
    ) -> Result<Task, CreateTaskError> {
        let _ = (&ctx, &input);
        Err(CreateTaskError::NotImplemented)
    }
    /// `tasks.delete_task`: Delete a task.
    ///
    /// bunbase stub: answers 501 `not_implemented` until you write it.
    async fn delete_task(
        &self,
        ctx: ActionContext,
        input: DeleteTaskInput,
    ) -> Result<(), DeleteTaskError> {
        let _ = (&ctx, &input);
        Err(DeleteTaskError::NotImplemented)
    }
    /// `tasks.get_task`: Get one task.
    ///
    /// bunbase stub: answers 501 `not_implemented` until you write it.
    async fn get_task(
        &self,
        ctx: ActionContext,
        input: GetTaskInput,
    ) -> Result<Task, GetTaskError> {
        let _ = (&ctx, &input);
        Err(GetTaskError::NotImplemented)
    }
    /// `tasks.list_tasks`: List my tasks, newest first.
    ///
    /// bunbase stub: answers 501 `not_implemented` until you write it.
    async fn list_tasks(
        &self,
        ctx: ActionContext,
        input: ListTasksInput,
    ) -> Result<ListTasksOutput, ListTasksError> {
        let _ = (&ctx, &input);
        Err(ListTasksError::NotImplemented)
    }
    /// `tasks.on_task_created`: React to a new task.
    ///
    /// Runs after create_task publishes task.created (logs it).
    ///
    /// bunbase stub: answers 501 `not_implemented` until you write it.
    async fn on_task_created(
        &self,
        ctx: ActionContext,
        input: TaskCreatedPayload,
    ) -> Result<(), OnTaskCreatedError> {
        let _ = (&ctx, &input);
        Err(OnTaskCreatedError::NotImplemented)
    }
    /// `tasks.update_task`: Change some fields of a task.
    ///
    /// Fields that are absent or null are left unchanged.
    ///
    /// bunbase stub: answers 501 `not_implemented` until you write it.
    async fn update_task(
        &self,
        ctx: ActionContext,
        input: UpdateTaskInput,
    ) -> Result<Task, UpdateTaskError> {
        let _ = (&ctx, &input);
        Err(UpdateTaskError::NotImplemented)
    }
}
