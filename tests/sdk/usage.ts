// Type-level tests of the generated SDK for the `acme` fixture: narrowing that must compile, and
// `@ts-expect-error` lines that must stay errors (a loosened type makes `tsc` fail on them).
import { QueryClient } from "@tanstack/query-core";
import { createClient, createCookieJar, SdkError, TaskStatus, unwrap, type CookieJar, type CreateTaskError, type Task } from "../src/index.js";
import { createQueryHelpers, moduleKeys } from "../src/tanstack.js";

const api = createClient({ baseUrl: "http://localhost:1", headers: () => ({ authorization: "Bearer t" }), timeoutMs: 1000 });

export async function narrowing(): Promise<string> {
  const r = await api.tasks.createTask({ title: "Ship", status: TaskStatus.InProgress }, { idempotencyKey: "k" });
  if (!r.error) {
    const task: Task = r.data;
    const status: number = r.status;
    // Output optionals are always present (null when absent).
    const d: string | null = task.description;
    // @ts-expect-error an output optional is never undefined
    const u: string = task.description;
    return `${task.id} ${status} ${d} ${u}`;
  }
  const e = r.error;
  switch (e.code) {
    case "title_taken": {
      const s: 409 = e.status;
      // @ts-expect-error title_taken is a 409
      const wrong: 400 = e.status;
      return `${s} ${wrong} ${e.message} ${e.traceId}`;
    }
    case "validation_failed":
      return e.details.violations.map((v) => `${v.path} ${v.code} ${v.message}`).join();
    case "unauthorized":
    case "not_implemented":
    case "internal":
      return e.message;
    // The transport errors every call can end with.
    case "malformed_json":
    case "not_found":
    case "method_not_allowed":
    case "payload_too_large":
    case "unsupported_media_type":
      return `${e.status} ${e.message}`;
    case "network_error":
    case "timeout":
    case "aborted":
    case "invalid_response": {
      const status: number | null = e.status;
      return `${status} ${String(e.cause)}`;
    }
    case "unknown_error":
      return e.serverCode;
    default: {
      // Exhaustive: every code is handled above.
      const never: never = e;
      return never;
    }
  }
}

export function errorCodesAreExact(e: CreateTaskError): void {
  // @ts-expect-error `no_such_code` is not an error of create_task
  if (e.code === "no_such_code") return;
  // The exact error set: only the module's `authenticated` guard, so no
  // guard can refuse (403) or rate-limit (429).
  // @ts-expect-error create_task cannot answer forbidden
  if (e.code === "forbidden") return;
  // @ts-expect-error create_task cannot answer rate_limited
  if (e.code === "rate_limited") return;
  if (e.code === "validation_failed") {
    // @ts-expect-error violations are typed
    const n: number = e.details.violations[0]?.path;
    void n;
  }
  // @ts-expect-error only validation_failed has typed details
  if (e.code === "title_taken") e.details.violations;
}

export async function inputs(): Promise<void> {
  // Optional inputs accept absence, undefined and null; defaulted ones absence.
  await api.tasks.createTask({ title: "a", description: null, due_at: undefined });
  await api.tasks.listTasks();
  await api.tasks.listTasks({ status: null, limit: 5 });
  await api.tasks.stats({ signal: AbortSignal.timeout(5) });
  // @ts-expect-error title is required
  await api.tasks.createTask({ description: "x" });
  // @ts-expect-error unknown fields are rejected by the server and by the types
  await api.tasks.createTask({ title: "a", colour: "red" });
  // @ts-expect-error an enum accepts only its values
  await api.tasks.createTask({ title: "a", status: "sleeping" });
  // @ts-expect-error a defaulted field is not nullable
  await api.tasks.listTasks({ limit: null });
  // @ts-expect-error int64 travels as a string
  await api.tasks.createTask({ title: "a", estimate: 5 });
  // @ts-expect-error get_task needs its path parameter
  await api.tasks.getTask({});
  // Tagged unions are discriminated on their tag.
  await api.tasks.createTask({ title: "a", payment: { kind: "card", last4: "4242" } });
  // @ts-expect-error a card payment has no iban
  await api.tasks.createTask({ title: "a", payment: { kind: "card", iban: "DE00" } });
  // @ts-expect-error delete_task answers no body
  const gone: Task = (await api.tasks.deleteTask({ id: "x" })).data;
  void gone;
}

export async function unwrapping(): Promise<void> {
  try {
    const task: Task = unwrap(await api.tasks.getTask({ id: "x" }));
    void task;
  } catch (err) {
    if (err instanceof SdkError) void err.error.code;
  }
}

export async function tanstack(): Promise<void> {
  const qc = new QueryClient();
  const q = createQueryHelpers(api);
  const task: Task = await qc.fetchQuery(q.tasks.getTask.queryOptions({ id: "x" }, { staleTime: 1000 }));
  const cached: Task | undefined = qc.getQueryData(q.tasks.getTask.queryKey({ id: "x" }));
  const list = await qc.fetchQuery(q.tasks.listTasks.queryOptions());
  const first: Task | undefined = list.tasks[0];
  await qc.invalidateQueries({ queryKey: moduleKeys.tasks });
  const m = q.tasks.createTask.mutationOptions({
    onError: (err) => {
      if (err.error.code === "title_taken") void err.error.status;
      // @ts-expect-error mutation errors are typed
      if (err.error.code === "no_such_code") return;
    },
  });
  const created: Task = await m.mutationFn({ title: "t" });
  // @ts-expect-error create_task is a POST: it gets mutation options only
  q.tasks.createTask.queryOptions;
  void [task, cached, first, created];
}

export async function infinite(): Promise<void> {
  const qc = new QueryClient();
  const q = createQueryHelpers(api);
  const pages = await qc.fetchInfiniteQuery(q.tasks.listTasks.infiniteQueryOptions({ limit: 10 }));
  const firstPage: Task[] | undefined = pages.pages[0]?.tasks;
  const cursor: string | null | undefined = pages.pageParams[0];
  // @ts-expect-error the cursor is driven by the helper, not the caller
  q.tasks.listTasks.infiniteQueryOptions({ cursor: "x" });
  // @ts-expect-error get_task takes no cursor: it has no infinite-query options
  q.tasks.getTask.infiniteQueryOptions;
  void [firstPage, cursor];
}

export function authentication(): void {
  createClient({ baseUrl: "http://localhost:1", apiKey: "bb_key", apiKeyHeader: "x-api-key" });
  createClient({ baseUrl: "http://localhost:1", apiKey: async () => "bb_key", bearerToken: () => undefined });
  createClient({ baseUrl: "http://localhost:1", bearerToken: () => Promise.resolve(null) });
  const jar: CookieJar = createCookieJar();
  const header: string = jar.header();
  createClient({ baseUrl: "http://localhost:1", cookieJar: jar });
  // @ts-expect-error the key goes in Authorization or X-API-Key, nowhere else
  createClient({ baseUrl: "http://localhost:1", apiKey: "k", apiKeyHeader: "cookie" });
  // @ts-expect-error a credential is a string or a function returning one
  createClient({ baseUrl: "http://localhost:1", bearerToken: 42 });
  // @ts-expect-error a credential function returns a string, not an object
  createClient({ baseUrl: "http://localhost:1", apiKey: () => ({ key: "k" }) });
  void header;
}
