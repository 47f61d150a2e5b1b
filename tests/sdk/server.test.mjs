// The generated SDK of contracts-examples/tasks (compiled to ../dist) against the running generated
// server at $BUNBASE_BASE_URL (its origin; the SDK adds the /api base path). Run by tests/tests/sdk_server.rs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { QueryClient } from "@tanstack/query-core";
import { createClient } from "../dist/index.js";
import { createQueryHelpers } from "../dist/tanstack.js";

const baseUrl = process.env.BUNBASE_BASE_URL;
assert.ok(baseUrl, "BUNBASE_BASE_URL is set");

/** Registers a fresh user and returns a client carrying its session cookie. */
async function signedIn() {
  let cookie = "";
  const api = createClient({ baseUrl, headers: () => (cookie ? { cookie } : {}) });
  const email = `u${randomUUID().slice(0, 8)}@example.com`;
  const r = await api.auth.register({ email, password: "correct horse battery", name: "Ada" });
  assert.equal(r.error, undefined, JSON.stringify(r.error));
  assert.equal(r.status, 201);
  assert.equal(r.data.email, email);
  const setCookie = r.response.headers.get("set-cookie");
  assert.ok(setCookie && setCookie.includes("bunbase_session="), "register sets the session cookie");
  cookie = setCookie.split(";")[0];
  return api;
}

test("create, list, get, update and delete a task", async () => {
  const api = await signedIn();
  const created = await api.tasks.createTask({ title: "Write the release notes", tags: ["docs"], due_at: null });
  assert.equal(created.error, undefined, JSON.stringify(created.error));
  assert.equal(created.status, 201);
  const task = created.data;
  assert.equal(task.title, "Write the release notes");
  assert.equal(task.status, "open");
  assert.deepEqual(task.tags, ["docs"]);
  assert.equal(task.description, null, "absent optionals arrive as null");
  assert.equal(task.due_at, null);
  assert.match(task.created_at, /Z$/);
  assert.ok(created.traceId, "the trace id is exposed");

  const listed = await api.tasks.listTasks({ limit: 10 });
  assert.equal(listed.error, undefined, JSON.stringify(listed.error));
  assert.ok(listed.data.tasks.some((t) => t.id === task.id));

  const got = await api.tasks.getTask({ id: task.id });
  assert.equal(got.error, undefined, JSON.stringify(got.error));
  assert.deepEqual(got.data, task);

  const updated = await api.tasks.updateTask({ id: task.id, status: "done", title: null });
  assert.equal(updated.error, undefined, JSON.stringify(updated.error));
  assert.equal(updated.data.status, "done");
  assert.equal(updated.data.title, task.title, "null leaves a field unchanged");

  const deleted = await api.tasks.deleteTask({ id: task.id });
  assert.equal(deleted.error, undefined, JSON.stringify(deleted.error));
  assert.equal(deleted.status, 204);
  assert.equal(deleted.data, null);

  const gone = await api.tasks.getTask({ id: task.id });
  assert.equal(gone.error?.code, "not_found");
  assert.equal(gone.error.status, 404);
});

test("a validation error is narrowed to its field paths", async () => {
  const api = await signedIn();
  const r = await api.tasks.createTask({ title: "", tags: ["a", "a"] });
  assert.equal(r.error?.code, "validation_failed", JSON.stringify(r.error));
  assert.equal(r.error.status, 400);
  const paths = r.error.details.violations.map((v) => v.path).sort();
  assert.ok(paths.includes("/title"), `violations name /title: ${paths}`);
  for (const v of r.error.details.violations) {
    assert.equal(typeof v.code, "string");
    assert.equal(typeof v.message, "string");
  }
});

test("a call without a session is narrowed to unauthorized", async () => {
  const api = createClient({ baseUrl });
  const r = await api.tasks.listTasks();
  assert.equal(r.error?.code, "unauthorized", JSON.stringify(r.error));
  assert.equal(r.error.status, 401);
  assert.ok(r.error.traceId);
  const me = await api.auth.me();
  assert.equal(me.error?.code, "unauthorized");
});

test("public actions answer without a session", async () => {
  const r = await createClient({ baseUrl }).health.health();
  assert.equal(r.error, undefined, JSON.stringify(r.error));
  assert.equal(typeof r.data.users, "number");
});

test("abort and timeout resolve with their codes", async () => {
  const ctl = new AbortController();
  ctl.abort();
  const aborted = await createClient({ baseUrl }).health.health({ signal: ctl.signal });
  assert.equal(aborted.error?.code, "aborted");

  // A fetch that stalls before reaching the server, honouring the signal.
  const slowFetch = (req) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => resolve(fetch(req)), 2000);
      req.signal.addEventListener("abort", () => (clearTimeout(t), reject(req.signal.reason)));
    });
  const timedOut = await createClient({ baseUrl, fetch: slowFetch, timeoutMs: 50 }).health.health();
  assert.equal(timedOut.error?.code, "timeout");
});

test("a declared error is narrowed to its code", async () => {
  const r = await createClient({ baseUrl }).auth.login({ email: "nobody@example.com", password: "wrong password" });
  assert.equal(r.error?.code, "invalid_credentials", JSON.stringify(r.error));
  assert.equal(r.error.status, 401);
});

test("TanStack infinite queries page through the server's cursor", async () => {
  const api = await signedIn();
  for (const title of ["one", "two", "three"]) {
    assert.equal((await api.tasks.createTask({ title })).error, undefined);
  }
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const q = createQueryHelpers(api);
  const data = await qc.fetchInfiniteQuery({ ...q.tasks.listTasks.infiniteQueryOptions({ limit: 2 }), pages: 3 });
  const titles = data.pages.flatMap((p) => p.tasks.map((t) => t.title));
  assert.deepEqual([...titles].sort(), ["one", "three", "two"]);
  assert.equal(data.pages.length, 2);
  assert.equal(data.pages[1].next_cursor, null);
  qc.clear();
});
