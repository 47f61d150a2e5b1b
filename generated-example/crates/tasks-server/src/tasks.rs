//! Handlers of module `tasks`: tasks owned by the signed-in user, through the generated `tasks` queries.

use bunbase_runtime::chrono::{DateTime, Duration, SubsecRound, Utc};
use bunbase_runtime::db::{Pool, Range};
use bunbase_runtime::uuid::Uuid;
use bunbase_runtime::{ActionContext, ApiError, sqlx};
use tasks_api::db::tasks::{self as rows, NewTask, TaskAfter, TaskFilter, TaskOrder, TaskPatch, TaskRow};
use tasks_api::db::task_reminders::{self, NewTaskReminder};
use tasks_api::*;

use crate::App;
use crate::db::{now, user_id};

/// The signed-in user's task `id`, if it exists.
async fn load(ctx: &ActionContext, id: Uuid) -> Result<Option<TaskRow>, sqlx::Error> {
    let owner = user_id(ctx);
    Ok(rows::get(&ctx.db, id).await?.filter(|t| Some(t.owner_id) == owner))
}

/// The stored form of a tag list (a JSON array on both databases).
fn tags_json(tags: &[String]) -> bunbase_runtime::serde_json::Value {
    tags.iter().cloned().map(bunbase_runtime::serde_json::Value::String).collect()
}

/// The cursor of the page after `t`: its `created_at` and id.
fn cursor(t: &TaskRow) -> String {
    format!("{}|{}", t.created_at.timestamp_micros(), t.id)
}

fn bad_cursor() -> ListTasksError {
    ListTasksError::ValidationFailed(vec![bunbase_runtime::Violation {
        path: "/cursor".into(),
        code: "invalid_value".into(),
        message: "not a cursor from a previous page".into(),
    }])
}

impl TasksHandler for App {
    async fn create_task(&self, ctx: ActionContext, input: CreateTaskInput) -> Result<Task, CreateTaskError> {
        let owner_id = user_id(&ctx).ok_or(CreateTaskError::Unauthorized)?;
        let now = now();
        let new = NewTask {
            id: Uuid::now_v7(),
            owner_id,
            title: input.title,
            description: input.description,
            status: Some(input.status.into()),
            tags: Some(tags_json(&input.tags)),
            due_at: input.due_at.map(|t| t.trunc_subsecs(6)),
            created_at: now,
            updated_at: now,
        };
        // The answer is built from the values inserted (timestamps already at
        // the databases' microseconds), so the insert reads nothing back.
        match new.due_at {
            // No due date, no reminder: one statement, no transaction (each
            // statement of a transaction is a round trip to the connection).
            None => rows::insert_only(&ctx.db, &new).await?,
            // A task with a due date gets a reminder job at that date, enqueued
            // in the same transaction: the job exists exactly when the task does.
            Some(due_at) => {
                let reminder = SendReminderInput { task_id: new.id };
                bunbase_runtime::with_pool!(ctx.db, pool => {
                    let mut tx = pool.begin().await?;
                    rows::insert_only(&mut *tx, &new).await?;
                    jobs::send_reminder(&ctx, &reminder)
                        .run_at(due_at)
                        .unique_key(format!("reminder:{}", new.id))
                        .enqueue_in(&mut *tx)
                        .await
                        .map_err(ApiError::from)?;
                    tx.commit().await?;
                });
                // SQLite has no NOTIFY: wake this process's worker now.
                ctx.jobs().wake_workers();
            }
        }
        emit_task_created(&ctx, &TaskCreatedPayload { task_id: new.id, owner_id, title: new.title.clone() })?;
        Ok(Task {
            id: new.id,
            owner_id,
            title: new.title,
            description: new.description,
            status: input.status,
            tags: input.tags,
            due_at: new.due_at,
            created_at: now,
            updated_at: now,
        })
    }

    async fn delete_task(&self, ctx: ActionContext, input: DeleteTaskInput) -> Result<(), DeleteTaskError> {
        if load(&ctx, input.id).await?.is_none() || !rows::delete(&ctx.db, input.id).await? {
            return Err(DeleteTaskError::NotFound);
        }
        Ok(())
    }

    async fn get_task(&self, ctx: ActionContext, input: GetTaskInput) -> Result<Task, GetTaskError> {
        let row = load(&ctx, input.id).await?.ok_or(GetTaskError::NotFound)?;
        Ok(Task::try_from(row)?)
    }

    async fn list_tasks(&self, ctx: ActionContext, input: ListTasksInput) -> Result<ListTasksOutput, ListTasksError> {
        let owner_id = user_id(&ctx).ok_or(ListTasksError::Unauthorized)?;
        let after = input.cursor.as_deref().map(parse_cursor).transpose()?;
        let limit = input.limit + 1;
        let mut rows = match &input.tag {
            // The generated query: the owner's tasks, newest first, keyset-paged
            // after the previous page's last task.
            None => {
                let filter = TaskFilter { owner_id: Some(owner_id), status: input.status.map(Into::into), ..TaskFilter::default() };
                let after = after.map(|(created_at, id)| TaskAfter::CreatedAt { created_at, id });
                rows::list(&ctx.db, &filter, TaskOrder::CreatedAtDesc, after.as_ref(), limit).await?
            }
            // A tag is an element of the JSON array: each database's own test.
            Some(tag) => by_tag(&ctx, owner_id, input.status, tag, after, limit).await?,
        };
        let limit = usize::try_from(input.limit).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(cursor)
        } else {
            None
        };
        let tasks = rows.into_iter().map(Task::try_from).collect::<Result<Vec<_>, _>>()?;
        Ok(ListTasksOutput { tasks, next_cursor })
    }

    async fn on_task_created(&self, _ctx: ActionContext, input: TaskCreatedPayload) -> Result<(), OnTaskCreatedError> {
        // The action's span already carries the trace id.
        bunbase_runtime::tracing::info!(task_id = %input.task_id, owner_id = %input.owner_id, title = %input.title, "task created");
        Ok(())
    }

    async fn purge_done_tasks(&self, ctx: ActionContext) -> Result<(), PurgeDoneTasksError> {
        let cutoff = now() - Duration::days(30);
        let done = TaskFilter {
            status: Some(tasks_api::db::TaskStatus::Done),
            updated_at_range: Range::lt(cutoff),
            ..TaskFilter::default()
        };
        let deleted = rows::delete_where(&ctx.db, &done).await?;
        bunbase_runtime::tracing::info!(deleted, "purged tasks done for more than 30 days");
        Ok(())
    }

    async fn send_reminder(&self, ctx: ActionContext, input: SendReminderInput) -> Result<(), SendReminderError> {
        // The job runs with the creator's session, so `load` sees only their task.
        let Some(task) = load(&ctx, input.task_id).await? else {
            return Ok(());
        };
        if task.status == tasks_api::db::TaskStatus::Done {
            return Ok(());
        }
        if task_reminders::get(&ctx.db, task.id).await?.is_some() {
            return Ok(());
        }
        let reminder = NewTaskReminder { task_id: task.id, owner_id: task.owner_id, reminded_at: now() };
        // The reminder and the job's completion commit together: a worker
        // whose lease expired meanwhile records nothing. The insert comes
        // first, so an SQLite transaction takes the write lock at once.
        let recorded = bunbase_runtime::with_pool!(ctx.db, pool => {
            let mut tx = pool.begin().await?;
            task_reminders::insert(&mut *tx, &reminder).await?;
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
        load(&ctx, input.id).await?.ok_or(UpdateTaskError::NotFound)?;
        let patch = TaskPatch {
            title: input.title,
            description: input.description.map(Some),
            status: input.status.map(Into::into),
            tags: input.tags.as_deref().map(tags_json),
            due_at: input.due_at.map(|t| Some(t.trunc_subsecs(6))),
            updated_at: Some(now()),
            ..TaskPatch::default()
        };
        let row = rows::update(&ctx.db, input.id, &patch).await?.ok_or(UpdateTaskError::NotFound)?;
        Ok(Task::try_from(row)?)
    }
}

/// A cursor's `created_at` (microseconds since the epoch) and id.
fn parse_cursor(c: &str) -> Result<(DateTime<Utc>, Uuid), ListTasksError> {
    let (micros, id) = c.split_once('|').ok_or_else(bad_cursor)?;
    let at = micros.parse().ok().and_then(DateTime::from_timestamp_micros).ok_or_else(bad_cursor)?;
    Ok((at, Uuid::try_parse(id).map_err(|_| bad_cursor())?))
}

/// The owner's tasks holding `tag`, newest first, after the cursor: the
/// generated filters do not test membership of a JSON array, so this query
/// is written here (its rows still decode through the generated `TaskRow`).
async fn by_tag(
    ctx: &ActionContext,
    owner_id: Uuid,
    status: Option<TaskStatus>,
    tag: &str,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<TaskRow>, sqlx::Error> {
    const SELECT: &str = "SELECT id, owner_id, title, description, status, tags, due_at, created_at, updated_at FROM tasks WHERE owner_id = ";
    let status = status.map(tasks_api::db::TaskStatus::from);
    match ctx.db.pool() {
        Pool::Sqlite(pool) => {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(SELECT);
            q.push_bind(owner_id);
            q.push(" AND EXISTS (SELECT 1 FROM json_each(tasks.tags) WHERE json_each.value = ");
            q.push_bind(tag);
            q.push(")");
            if let Some(s) = status {
                q.push(" AND status = ").push_bind(s);
            }
            if let Some((at, id)) = after {
                q.push(" AND (created_at, id) < (").push_bind(at).push(", ").push_bind(id).push(")");
            }
            q.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(limit);
            q.build_query_as::<TaskRow>().fetch_all(pool).await
        }
        Pool::Postgres(pool) => {
            let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new(SELECT);
            q.push_bind(owner_id);
            q.push(" AND tags @> ");
            q.push_bind(bunbase_runtime::serde_json::json!([tag]));
            if let Some(s) = status {
                q.push(" AND status = ").push_bind(s);
            }
            if let Some((at, id)) = after {
                q.push(" AND (created_at, id) < (").push_bind(at).push(", ").push_bind(id).push(")");
            }
            q.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(limit);
            q.build_query_as::<TaskRow>().fetch_all(pool).await
        }
    }
}
