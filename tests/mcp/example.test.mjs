// The official MCP TypeScript SDK against the generated example server (generated-example/): the contract's tools listed and called over Streamable HTTP at /api/mcp, with the same guards and errors as HTTP callers.
//
// Run by tests/tests/mcp_example.rs with MCP_BASE_URL (the running server,
// e.g. http://127.0.0.1:port), MCP_SERVER_BIN (the same binary, started here
// with `mcp` for stdio) and the server's DATABASE_URL and SESSION_SECRET, so
// a session signed in over HTTP is valid over stdio.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";

const base = process.env.MCP_BASE_URL;
const bin = process.env.MCP_SERVER_BIN;
assert.ok(base && bin, "MCP_BASE_URL and MCP_SERVER_BIN are set");

/** Signs the demo user in over HTTP; returns the `bunbase_session=...` cookie. */
async function login() {
  const res = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "demo@example.com", password: "demo-password" }),
  });
  assert.equal(res.status, 200);
  const match = /bunbase_session=[^;]+/.exec(res.headers.get("set-cookie") ?? "");
  assert.ok(match, "a session cookie");
  return { cookie: match[0] };
}

async function connect(headers = {}) {
  const client = new Client({ name: "bunbase-example-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${base}/api/mcp`), { requestInit: { headers } }),
  );
  return client;
}

/** The tool error's envelope (what an HTTP caller gets as a body). */
function envelope(result) {
  assert.equal(result.isError, true, JSON.stringify(result));
  const parsed = JSON.parse(result.content[0].text);
  assert.ok(parsed.error.trace_id.length > 0);
  return parsed.error;
}

test("the example's tools over Streamable HTTP", async (t) => {
  const session = await login();
  // Create a task over plain HTTP, to find it again through the tool.
  const created = await fetch(`${base}/api/tasks`, {
    method: "POST",
    headers: { "content-type": "application/json", ...session },
    body: JSON.stringify({ title: "Ask the agent", tags: ["mcp"] }),
  });
  assert.equal(created.status, 201);
  const task = await created.json();

  const anonymous = await connect();
  const signedIn = await connect(session);
  try {
    await t.test("names the server and its contract version", async () => {
      assert.deepEqual(anonymous.getServerVersion(), { name: "tasks", version: "0.1.0" });
    });

    await t.test("lists the contract's tools with their input schemas", async () => {
      const { tools } = await anonymous.listTools();
      assert.deepEqual(
        tools.map((tool) => tool.name),
        ["tasks_list_tasks"],
      );
      const [list] = tools;
      assert.equal(list.title, "List my tasks, newest first");
      assert.match(list.description, /signed-in user's tasks/);
      // The output schema is the response shape; the SDK checks every
      // call's structuredContent against it (the calls below pass).
      assert.equal(list.outputSchema.type, "object");
      assert.deepEqual(list.outputSchema.required, ["tasks", "next_cursor"]);
      // Each tool is self-contained: the runtime copies the shared
      // definitions it reaches into its own `$defs`, and no other.
      assert.deepEqual(Object.keys(list.inputSchema.$defs), ["TaskStatus"]);
      assert.deepEqual(Object.keys(list.outputSchema.$defs), ["Task", "TaskStatus"]);
      assert.equal(
        new AjvJsonSchemaValidator().getValidator(list.outputSchema)({ tasks: [], next_cursor: null }).valid,
        true,
      );
      const validate = new AjvJsonSchemaValidator().getValidator(list.inputSchema);
      assert.equal(validate({ status: "open", tag: "mcp", limit: 10 }).valid, true);
      assert.equal(validate({}).valid, true);
      assert.equal(validate({ status: "someday" }).valid, false);
      assert.equal(validate({ limit: 0 }).valid, false);
      assert.equal(validate({ bogus: 1 }).valid, false);
    });

    await t.test("the guard denies an anonymous caller", async () => {
      const error = envelope(await anonymous.callTool({ name: "tasks_list_tasks", arguments: {} }));
      assert.equal(error.code, "unauthorized");
    });

    await t.test("a signed-in caller gets their own tasks", async () => {
      const result = await signedIn.callTool({
        name: "tasks_list_tasks",
        arguments: { tag: "mcp" },
      });
      assert.equal(result.isError, false, JSON.stringify(result));
      assert.deepEqual(
        result.structuredContent.tasks.map((t) => t.id),
        [task.id],
      );
      assert.deepEqual(JSON.parse(result.content[0].text), result.structuredContent);
    });

    await t.test("validation errors list every violation", async () => {
      const error = envelope(
        await signedIn.callTool({
          name: "tasks_list_tasks",
          arguments: { limit: 0, status: "someday", bogus: true },
        }),
      );
      assert.equal(error.code, "validation_failed");
      assert.deepEqual(
        error.details.violations.map((v) => v.path).sort(),
        ["/bogus", "/limit", "/status"],
      );
    });
  } finally {
    await anonymous.close();
    await signedIn.close();
  }
});

/** A stdio client: `tasks-server mcp`, as the session `token` names when given. */
async function overStdio(token) {
  const env = { ...process.env, RUST_LOG: "warn" };
  delete env.MCP_SESSION_TOKEN;
  if (token) env.MCP_SESSION_TOKEN = token;
  const client = new Client({ name: "bunbase-example-test", version: "1.0.0" });
  await client.connect(
    new StdioClientTransport({ command: bin, args: ["mcp"], env, stderr: "inherit" }),
  );
  return client;
}

test("the example's tools over stdio (`tasks-server mcp`)", async () => {
  const session = await login();
  const token = session.cookie.slice("bunbase_session=".length);
  const anonymous = await overStdio();
  const signedIn = await overStdio(token);
  try {
    const { tools } = await anonymous.listTools();
    assert.deepEqual(
      tools.map((tool) => tool.name),
      ["tasks_list_tasks"],
    );
    const refused = envelope(await anonymous.callTool({ name: "tasks_list_tasks", arguments: {} }));
    assert.equal(refused.code, "unauthorized");
    const result = await signedIn.callTool({ name: "tasks_list_tasks", arguments: { tag: "mcp" } });
    assert.equal(result.isError, false, JSON.stringify(result));
    assert.equal(result.structuredContent.tasks.length, 1);
    assert.equal(result.structuredContent.tasks[0].title, "Ask the agent");
  } finally {
    await anonymous.close();
    await signedIn.close();
  }
});
