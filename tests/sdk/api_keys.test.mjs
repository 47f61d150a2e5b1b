// The generated SDK of contracts-examples/tasks (compiled to ../dist) authenticating from Node.js, with no
// browser: API keys made by `tasks-server create-api-key` (given as $BUNBASE_API_KEY, for the user
// $BUNBASE_KEY_EMAIL, and $BUNBASE_REVOKED_KEY, revoked by `tasks-server revoke-api-key`), bearer
// tokens, and a cookie jar for a signed-in script. Run by tests/tests/sdk_server.rs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createClient, createCookieJar } from "../dist/index.js";

const baseUrl = process.env.BUNBASE_BASE_URL;
const apiKey = process.env.BUNBASE_API_KEY;
const revokedKey = process.env.BUNBASE_REVOKED_KEY;
const email = process.env.BUNBASE_KEY_EMAIL;
assert.ok(baseUrl && apiKey && revokedKey && email, "the test's environment is set");

/** A fetch that records each request's headers before sending it. */
function recording() {
  const seen = [];
  const fetchFn = (req) => {
    seen.push(Object.fromEntries(req.headers));
    return fetch(req);
  };
  return { seen, fetchFn };
}

test("an API key in Authorization: Bearer calls guarded actions as its user", async () => {
  const { seen, fetchFn } = recording();
  const api = createClient({ baseUrl, apiKey, fetch: fetchFn });
  const me = await api.auth.me();
  assert.equal(me.error, undefined, JSON.stringify(me.error));
  assert.equal(me.status, 200);
  assert.equal(me.data.email, email, "the key acts for the user it was created for");
  const created = await api.tasks.createTask({ title: "made by a machine" }, { idempotencyKey: randomUUID() });
  assert.equal(created.error, undefined, JSON.stringify(created.error));
  assert.equal(created.status, 201);
  const listed = await api.tasks.listTasks({ limit: 50 });
  assert.ok(listed.data.tasks.some((t) => t.id === created.data.id));
  assert.equal(seen[0].authorization, `Bearer ${apiKey}`);
  assert.equal(seen[0]["x-api-key"], undefined);
  assert.equal(seen[0].cookie, undefined, "no cookie without a jar");
});

test("the key can go in X-API-Key, and can come from an async function", async () => {
  const { seen, fetchFn } = recording();
  let calls = 0;
  const api = createClient({
    baseUrl,
    apiKey: async () => (calls++, apiKey),
    apiKeyHeader: "x-api-key",
    fetch: fetchFn,
  });
  const r = await api.tasks.listTasks();
  assert.equal(r.error, undefined, JSON.stringify(r.error));
  await api.auth.me();
  assert.equal(calls, 2, "the function is asked before every request");
  assert.equal(seen[0]["x-api-key"], apiKey);
  assert.equal(seen[0].authorization, undefined);
});

test("a bearer token that rotates is read before each request", async () => {
  const tokens = ["not-a-key", apiKey];
  const api = createClient({ baseUrl, bearerToken: () => tokens.shift() });
  const first = await api.auth.me();
  assert.equal(first.error?.code, "unauthorized", JSON.stringify(first.error));
  const second = await api.auth.me();
  assert.equal(second.error, undefined, JSON.stringify(second.error));
  assert.equal(second.data.email, email);
  const none = await api.tasks.listTasks();
  assert.equal(none.error?.code, "unauthorized", "a function answering undefined sends nothing");
});

test("a revoked or garbage key is the typed 401", async () => {
  for (const key of [revokedKey, "bb_garbage00000_nope", "not even shaped like a key"]) {
    const api = createClient({ baseUrl, apiKey: key });
    const r = await api.tasks.createTask({ title: "should not exist" });
    assert.equal(r.error?.code, "unauthorized", `${key}: ${JSON.stringify(r.error)}`);
    assert.equal(r.error.status, 401);
    assert.ok(r.error.traceId);
    assert.equal(r.data, undefined);
  }
});

test("a Node script signs in once and keeps its session in a cookie jar", async () => {
  const jar = createCookieJar();
  const api = createClient({ baseUrl, cookieJar: jar });
  const address = `jar${randomUUID().slice(0, 8)}@example.com`;
  const reg = await api.auth.register({ email: address, password: "correct horse battery", name: "Jar" });
  assert.equal(reg.error, undefined, JSON.stringify(reg.error));
  assert.match(jar.header(), /^bunbase_session=.+/, "the jar holds the session cookie");
  const me = await api.auth.me();
  assert.equal(me.error, undefined, JSON.stringify(me.error));
  assert.equal(me.data.email, address);
  // A mutation with the cookie passes the server's CSRF check: Node sends no Origin.
  const created = await api.tasks.createTask({ title: "from a signed-in script" });
  assert.equal(created.error, undefined, JSON.stringify(created.error));
  const out = await api.auth.logout();
  assert.equal(out.error, undefined, JSON.stringify(out.error));
  assert.equal(jar.header(), "", "sign-out's expired cookie empties the jar");
  const after = await api.auth.me();
  assert.equal(after.error?.code, "unauthorized");
  // Signing in again fills it again; clear() forgets it.
  const login = await api.auth.login({ email: address, password: "correct horse battery" });
  assert.equal(login.error, undefined, JSON.stringify(login.error));
  assert.equal((await api.auth.me()).status, 200);
  jar.clear();
  assert.equal((await api.auth.me()).error?.code, "unauthorized");
});
