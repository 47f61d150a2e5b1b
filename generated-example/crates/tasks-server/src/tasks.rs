//! Handlers of module `tasks`: tasks owned by the signed-in user, persisted with portable SQL.

use bunbase_runtime::chrono::{Duration, SubsecRound, Utc};
use bunbase_runtime::uuid::Uuid;
use bunbase_runtime::{ActionContext, ApiError, sqlx, with_pool};
use tasks_api::*;

use crate::App;
use crate::db::{TASK_COLUMNS, TaskRow, status_str, task_from_row, ts};

/// The signed-in user's id (the module's `authenticated` guard ran first).
fn owner(ctx: &ActionContext) -> String {
    ctx.user_id().unwrap_or_default().to_owned()
}

fn tags_json(tags: &[String]) -> String {
    bunbase_runtime::serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

async fn load(ctx: &ActionContext, id: Uuid) -> Result<Option<Task>, String> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = $1 AND owner_id = $2");
    let row: Option<TaskRow> = with_pool!(ctx.db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id.to_string()).bind(owner(ctx)).fetch_optional(pool).await.map_err(|e| e.to_string())?
    });
    row.map(task_from_row).transpose()
}

impl TasksHandler for App {
    async fn create_task(&self, ctx: ActionContext, input: CreateTaskInput) -> Result<Task, CreateTaskError> {
        let now = Utc::now().trunc_subsecs(6);
        let owner_id = Uuid::try_parse(&owner(&ctx)).map_err(|_| CreateTaskError::Unauthorized)?;
        let task = Task {
            id: Uuid::now_v7(),
            owner_id,
            title: input.title,
            description: input.description,
            status: input.status,
            tags: input.tags,
            due_at: input.due_at,
            created_at: now,
            updated_at: now,
        };
        // A task with a due date gets a reminder job at that date, enqueued in
        // the same transaction: the job exists exactly when the task does.
        let reminder = SendReminderInput { task_id: task.id };
        with_pool!(ctx.db, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO tasks (id, owner_id, title, description, status, tags, due_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(task.id.to_string())
            .bind(task.owner_id.to_string())
            .bind(&task.title)
            .bind(task.description.clone())
            .bind(status_str(task.status))
            .bind(tags_json(&task.tags))
            .bind(task.due_at.map(ts))
            .bind(ts(task.created_at))
            .bind(ts(task.updated_at))
            .execute(&mut *tx)
            .await?;
            if let Some(due_at) = task.due_at {
                jobs::send_reminder(&ctx, &reminder)
                    .run_at(due_at)
                    .unique_key(format!("reminder:{}", task.id))
                    .enqueue_in(&mut *tx)
                    .await
                    .map_err(ApiError::from)?;
            }
            tx.commit().await?;
        });
        if task.due_at.is_some() {
            // SQLite has no NOTIFY: wake this process's worker now.
            ctx.jobs().wake_workers();
        }
        emit_task_created(&ctx, &TaskCreatedPayload { task_id: task.id, owner_id: task.owner_id, title: task.title.clone() })?;
        Ok(task)
    }

    async fn delete_task(&self, ctx: ActionContext, input: DeleteTaskInput) -> Result<(), DeleteTaskError> {
        let deleted = with_pool!(ctx.db, pool => {
            sqlx::query("DELETE FROM tasks WHERE id = $1 AND owner_id = $2")
                .bind(input.id.to_string())
                .bind(owner(&ctx))
                .execute(pool)
                .await?
                .rows_affected()
        });
        if deleted == 0 { Err(DeleteTaskError::NotFound) } else { Ok(()) }
    }

    async fn get_task(&self, ctx: ActionContext, input: GetTaskInput) -> Result<Task, GetTaskError> {
        load(&ctx, input.id).await.map_err(GetTaskError::Internal)?.ok_or(GetTaskError::NotFound)
    }

    async fn list_tasks(&self, ctx: ActionContext, input: ListTasksInput) -> Result<ListTasksOutput, ListTasksError> {
        // Newest first; the cursor is the (created_at, id) of the last task of the previous page.
        let mut sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE owner_id = $1");
        let mut args: Vec<String> = vec![owner(&ctx)];
        if let Some(status) = input.status {
            args.push(status_str(status).to_owned());
            sql.push_str(&format!(" AND status = ${}", args.len()));
        }
        if let Some(tag) = &input.tag {
            // Tags are stored as a JSON array of strings: match the quoted, escaped element.
            let quoted = bunbase_runtime::serde_json::to_string(tag).unwrap_or_default();
            let escaped = quoted.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            args.push(format!("%{escaped}%"));
            sql.push_str(&format!(" AND tags LIKE ${} ESCAPE '\\'", args.len()));
        }
        if let Some(cursor) = &input.cursor {
            let Some((created, id)) = cursor.split_once('|') else {
                return Err(ListTasksError::ValidationFailed(vec![bunbase_runtime::Violation {
                    path: "/cursor".into(),
                    code: "invalid_value".into(),
                    message: "not a cursor from a previous page".into(),
                }]));
            };
            args.push(created.to_owned());
            let c = args.len();
            args.push(id.to_owned());
            sql.push_str(&format!(" AND (created_at < ${c} OR (created_at = ${c} AND id < ${}))", args.len()));
        }
        sql.push_str(&format!(" ORDER BY created_at DESC, id DESC LIMIT {}", input.limit + 1));
        // Only placeholders and a number are spliced into the text; values are bound.
        let rows: Vec<TaskRow> = with_pool!(ctx.db, pool => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
            for a in &args {
                q = q.bind(a.clone());
            }
            q.fetch_all(pool).await?
        });
        let mut tasks = rows.into_iter().map(task_from_row).collect::<Result<Vec<_>, _>>().map_err(ListTasksError::Internal)?;
        let limit = usize::try_from(input.limit).unwrap_or(usize::MAX);
        let next_cursor = if tasks.len() > limit {
            tasks.truncate(limit);
            tasks.last().map(|t| format!("{}|{}", ts(t.created_at), t.id))
        } else {
            None
        };
        Ok(ListTasksOutput { tasks, next_cursor })
    }

    async fn on_task_created(&self, _ctx: ActionContext, input: TaskCreatedPayload) -> Result<(), OnTaskCreatedError> {
        // The action's span already carries the trace id.
        bunbase_runtime::tracing::info!(task_id = %input.task_id, owner_id = %input.owner_id, title = %input.title, "task created");
        Ok(())
    }

    async fn purge_done_tasks(&self, ctx: ActionContext) -> Result<(), PurgeDoneTasksError> {
        let cutoff = ts(Utc::now() - Duration::days(30));
        let deleted = with_pool!(ctx.db, pool => {
            sqlx::query("DELETE FROM tasks WHERE status = 'done' AND updated_at < $1").bind(cutoff).execute(pool).await?.rows_affected()
        });
        bunbase_runtime::tracing::info!(deleted, "purged tasks done for more than 30 days");
        Ok(())
    }

    async fn send_reminder(&self, ctx: ActionContext, input: SendReminderInput) -> Result<(), SendReminderError> {
        // The job runs with the creator's session, so `load` sees only their task.
        let Some(task) = load(&ctx, input.task_id).await.map_err(SendReminderError::Internal)? else {
            return Ok(());
        };
        if task.status == TaskStatus::Done {
            return Ok(());
        }
        // The reminder and the job's completion commit together: a worker
        // whose lease expired meanwhile records nothing.
        let recorded = with_pool!(ctx.db, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO task_reminders (task_id, owner_id, reminded_at) VALUES ($1, $2, $3) ON CONFLICT (task_id) DO NOTHING")
                .bind(task.id.to_string())
                .bind(task.owner_id.to_string())
                .bind(ts(Utc::now()))
                .execute(&mut *tx)
                .await?;
            let held = match ctx.job() {
                Some(job) => job.complete_in(&mut *tx).await.map_err(ApiError::from)?,
                None => true,
            };
            if held {
                tx.commit().await?;
            }
            held
        });
        if recorded {
            bunbase_runtime::tracing::info!(task_id = %task.id, title = %task.title, "reminder sent");
        }
        Ok(())
    }

    async fn update_task(&self, ctx: ActionContext, input: UpdateTaskInput) -> Result<Task, UpdateTaskError> {
        let mut task = load(&ctx, input.id).await.map_err(UpdateTaskError::Internal)?.ok_or(UpdateTaskError::NotFound)?;
        if let Some(title) = input.title {
            task.title = title;
        }
        if let Some(description) = input.description {
            task.description = Some(description);
        }
        if let Some(status) = input.status {
            task.status = status;
        }
        if let Some(tags) = input.tags {
            task.tags = tags;
        }
        if let Some(due_at) = input.due_at {
            task.due_at = Some(due_at);
        }
        task.updated_at = Utc::now().trunc_subsecs(6);
        with_pool!(ctx.db, pool => {
            sqlx::query(
                "UPDATE tasks SET title = $1, description = $2, status = $3, tags = $4, due_at = $5, updated_at = $6 \
                 WHERE id = $7 AND owner_id = $8",
            )
            .bind(&task.title)
            .bind(task.description.clone())
            .bind(status_str(task.status))
            .bind(tags_json(&task.tags))
            .bind(task.due_at.map(ts))
            .bind(ts(task.updated_at))
            .bind(task.id.to_string())
            .bind(owner(&ctx))
            .execute(pool)
            .await?;
        });
        Ok(task)
    }
}
