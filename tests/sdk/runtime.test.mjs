// Runtime behaviour of the generated SDK (acme fixture, compiled to ../dist) against a local
// loopback server that answers like a bunbase server: routes, bindings, envelopes, hooks,
// timeouts, aborts and failures. Run by tests/tests/sdk.rs with `node --test`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { QueryClient } from "@tanstack/query-core";
import { createClient, SdkError, unwrap } from "../dist/index.js";
import { createQueryHelpers, moduleKeys } from "../dist/tanstack.js";

const TASK = {
  id: "7c1d", title: "Ship", description: null, status: "open", tags: [], due_at: null, estimate: "9007199254740993",
  attachment: null, meta: {}, labels: {}, address: null, payment: null, subtasks: [], created_at: "2024-05-01T12:00:00Z",
  legacy_code: null,
};

let server;
let base;
const seen = [];

function send(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", "x-request-id": "trace-1", ...headers });
  res.end(body === undefined ? undefined : typeof body == "string" ? body : JSON.stringify(body));
}

function envelope(code, message, details = null) {
  return { error: { code, message, trace_id: "trace-env", details } };
}

before(async () => {
  server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const url = new URL(req.url, "http://x");
      seen.push({ method: req.method, path: url.pathname, query: url.search, headers: req.headers, body: raw });
      const route = `${req.method} ${url.pathname}`;
      if (route === "POST /api/tasks") {
        const input = JSON.parse(raw);
        if (input.title === "") {
          return send(res, 400, envelope("validation_failed", "invalid input", {
            violations: [{ path: "/title", code: "min_len", message: "must have at least 1 character" }],
          }));
        }
        if (input.title === "taken") return send(res, 409, envelope("title_taken", "A task with this title exists"));
        if (input.title === "future") return send(res, 418, envelope("teapot_mode", "new in v2"));
        if (input.title === "huge") return send(res, 413, envelope("payload_too_large", "too large"));
        if (input.title === "denied") return send(res, 403, envelope("forbidden", "no"));
        return send(res, 201, { ...TASK, title: input.title });
      }
      if (route === "GET /api/tasks/stats") return send(res, 502, "<html>bad gateway</html>", { "content-type": "text/html" });
      if (route === "GET /api/tasks/tags") return setTimeout(() => send(res, 200, ["a"]), 400);
      if (route === "GET /api/tasks") {
        const cursor = url.searchParams.get("cursor");
        return send(res, 200, { tasks: [{ ...TASK, id: cursor ?? "first" }], next_cursor: cursor ? null : "page2" });
      }
      if (req.method === "DELETE") return send(res, 204);
      if (req.method === "GET" && url.pathname.startsWith("/api/tasks/")) {
        if (req.headers.authorization !== "Bearer good") return send(res, 401, envelope("unauthorized", "sign in first"));
        return send(res, 200, TASK);
      }
      if (req.method === "PATCH") return send(res, 200, { ...TASK, ...JSON.parse(raw) });
      send(res, 404, envelope("not_found", "no route"));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const last = () => seen[seen.length - 1];

test("create sends only body fields as JSON and returns typed data", async () => {
  const api = createClient({ baseUrl: base + "/" });
  const r = await api.tasks.createTask({ title: "Ship", description: undefined, tags: ["x"] }, { idempotencyKey: "idem-1" });
  assert.equal(r.error, undefined);
  assert.equal(r.status, 201);
  assert.equal(r.traceId, "trace-1");
  assert.equal(r.data.title, "Ship");
  assert.equal(r.data.estimate, "9007199254740993");
  assert.equal(last().headers["content-type"], "application/json");
  assert.equal(last().headers["idempotency-key"], "idem-1");
  assert.deepEqual(JSON.parse(last().body), { title: "Ship", tags: ["x"] });
});

test("path parameters are encoded and query parameters skip null", async () => {
  const api = createClient({ baseUrl: base, headers: { authorization: "Bearer good" } });
  const got = await api.tasks.getTask({ id: "a/b c" });
  assert.equal(got.error, undefined);
  assert.equal(last().path, "/api/tasks/a%2Fb%20c");
  await api.tasks.listTasks({ status: null, limit: 5, cursor: "c 1" });
  assert.equal(last().query, "?limit=5&cursor=c+1");
  assert.equal(last().body, "");
  await api.tasks.listTasks();
  assert.equal(last().query, "");
});

test("a validation error carries its violations", async () => {
  const api = createClient({ baseUrl: base });
  const r = await api.tasks.createTask({ title: "" });
  assert.equal(r.data, undefined);
  assert.equal(r.error.code, "validation_failed");
  assert.equal(r.error.status, 400);
  assert.equal(r.error.traceId, "trace-env");
  assert.deepEqual(r.error.details.violations.map((v) => [v.path, v.code]), [["/title", "min_len"]]);
});

test("declared and implicit errors keep their code and status", async () => {
  const api = createClient({ baseUrl: base });
  const taken = await api.tasks.createTask({ title: "taken" });
  assert.equal(taken.error.code, "title_taken");
  assert.equal(taken.error.status, 409);
  assert.equal(taken.error.message, "A task with this title exists");
  const denied = await api.tasks.getTask({ id: "1" });
  assert.equal(denied.error.code, "unauthorized");
  assert.equal(denied.status, 401);
});

test("an unknown error code from a newer server becomes unknown_error", async () => {
  const api = createClient({ baseUrl: base });
  const r = await api.tasks.createTask({ title: "future" });
  assert.equal(r.error.code, "unknown_error");
  assert.equal(r.error.serverCode, "teapot_mode");
  assert.equal(r.error.status, 418);
});

test("a transport error keeps its code: every call knows the framework's answers", async () => {
  const api = createClient({ baseUrl: base });
  const r = await api.tasks.createTask({ title: "huge" });
  assert.equal(r.error.code, "payload_too_large");
  assert.equal(r.error.status, 413);
  assert.equal(r.error.serverCode, undefined);
});

test("a code outside the action's exact error set is unknown_error", async () => {
  // create_task has no guard that can refuse, so `forbidden` is not in its set.
  const api = createClient({ baseUrl: base });
  const r = await api.tasks.createTask({ title: "denied" });
  assert.equal(r.error.code, "unknown_error");
  assert.equal(r.error.serverCode, "forbidden");
});

test("a non-JSON answer is invalid_response with its status", async () => {
  const api = createClient({ baseUrl: base });
  const r = await api.tasks.stats();
  assert.equal(r.error.code, "invalid_response");
  assert.equal(r.error.status, 502);
  assert.equal(r.status, 502);
  assert.equal(r.traceId, "trace-1");
  assert.equal(r.error.traceId, "trace-1");
});

test("no-body answers resolve with null data", async () => {
  const api = createClient({ baseUrl: base });
  const r = await api.tasks.deleteTask({ id: "1" });
  assert.equal(r.error, undefined);
  assert.equal(r.status, 204);
  assert.equal(r.data, null);
});

test("timeouts and aborts resolve with their own codes", async () => {
  const api = createClient({ baseUrl: base, timeoutMs: 50 });
  const slow = await api.tasks.tags();
  assert.equal(slow.error.code, "timeout");
  const ctl = new AbortController();
  setTimeout(() => ctl.abort(), 30);
  const aborted = await api.tasks.tags({ signal: ctl.signal, timeoutMs: 5000 });
  assert.equal(aborted.error.code, "aborted");
  const ok = await api.tasks.tags({ timeoutMs: 5000 });
  assert.deepEqual(ok.data, ["a"]);
});

test("an unreachable server is a network_error", async () => {
  const closed = http.createServer();
  await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = closed.address().port;
  await new Promise((resolve) => closed.close(resolve));
  const r = await createClient({ baseUrl: `http://127.0.0.1:${port}` }).tasks.listTasks();
  assert.equal(r.error.code, "network_error");
  assert.equal(r.error.status, null);
});

test("headers functions, hooks and injected fetch run per request", async () => {
  let calls = 0;
  const order = [];
  const api = createClient({
    baseUrl: base,
    headers: async () => ({ authorization: `Bearer ${++calls === 1 ? "good" : "bad"}` }),
    fetch: (req) => (order.push("fetch"), fetch(req)),
    onRequest: (req) => {
      order.push("request");
      const next = new Request(req);
      next.headers.set("x-hook", "yes");
      return next;
    },
    onResponse: (res) => void order.push(`response ${res.status}`),
  });
  assert.equal((await api.tasks.getTask({ id: "1" })).status, 200);
  assert.equal(last().headers["x-hook"], "yes");
  assert.equal((await api.tasks.getTask({ id: "1" }, { headers: { "x-extra": "1" } })).error.code, "unauthorized");
  assert.equal(last().headers["x-extra"], "1");
  assert.deepEqual(order, ["request", "fetch", "response 200", "request", "fetch", "response 401"]);
});

test("unwrap returns data or throws SdkError", async () => {
  const api = createClient({ baseUrl: base });
  assert.equal(unwrap(await api.tasks.createTask({ title: "ok" })).title, "ok");
  const r = await api.tasks.createTask({ title: "taken" });
  assert.throws(() => unwrap(r), (e) => e instanceof SdkError && e.error.code === "title_taken" && e.message === r.error.message);
});

test("TanStack Query helpers fetch, key and throw typed errors", async () => {
  const api = createClient({ baseUrl: base, headers: { authorization: "Bearer good" } });
  const q = createQueryHelpers(api);
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const task = await qc.fetchQuery(q.tasks.getTask.queryOptions({ id: "1" }));
  assert.equal(task.id, TASK.id);
  assert.deepEqual(q.tasks.getTask.queryKey({ id: "1" }), ["acme", "tasks", "get_task", { id: "1" }]);
  assert.deepEqual(qc.getQueryData(q.tasks.getTask.queryKey({ id: "1" })), TASK);
  assert.deepEqual(q.tasks.listTasks.queryKey(), ["acme", "tasks", "list_tasks", {}]);
  await qc.invalidateQueries({ queryKey: moduleKeys.tasks });
  assert.equal(qc.getQueryState(q.tasks.getTask.queryKey({ id: "1" })).isInvalidated, true);
  const m = q.tasks.createTask.mutationOptions();
  assert.deepEqual(m.mutationKey, ["acme", "tasks", "create_task"]);
  await assert.rejects(m.mutationFn({ title: "taken" }), (e) => e instanceof SdkError && e.error.code === "title_taken");
  qc.clear();
});

test("infinite queries page with cursor and next_cursor until it is null", async () => {
  const api = createClient({ baseUrl: base });
  const q = createQueryHelpers(api);
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const opts = q.tasks.listTasks.infiniteQueryOptions({ limit: 1 });
  assert.deepEqual(opts.queryKey, ["acme", "tasks", "list_tasks", { limit: 1 }, "infinite"]);
  const data = await qc.fetchInfiniteQuery({ ...opts, pages: 3 });
  assert.deepEqual(data.pages.map((p) => p.tasks[0].id), ["first", "page2"]);
  assert.deepEqual(data.pageParams, [null, "page2"]);
  assert.equal(last().query, "?limit=1&cursor=page2");
  qc.clear();
});
