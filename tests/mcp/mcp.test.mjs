// The official MCP TypeScript SDK against a bunbase runtime server: tools listed and called over Streamable HTTP and over stdio, guards applied to the caller, contract errors and every violation returned as tool errors.
//
// Run by tests/tests/mcp.rs with MCP_BASE_URL (the running server, e.g.
// http://127.0.0.1:port) and MCP_SERVER_BIN (the same binary, started here
// with `mcp` for stdio), and the server's environment to share its keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";

const base = process.env.MCP_BASE_URL;
const bin = process.env.MCP_SERVER_BIN;
assert.ok(base && bin, "MCP_BASE_URL and MCP_SERVER_BIN are set");

/** Signs `user` in over HTTP; returns the session cookie's value. */
async function login(user, roles = []) {
  const res = await fetch(`${base}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: user, roles }),
  });
  assert.equal(res.status, 200);
  const cookie = res.headers.get("set-cookie");
  const match = /bunbase_session=([^;]+)/.exec(cookie ?? "");
  assert.ok(match, `a session cookie: ${cookie}`);
  return match[1];
}

async function connect(transport) {
  const client = new Client({ name: "bunbase-mcp-test", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

/** A Streamable HTTP client, with the session cookie when `token` is given. */
function overHttp(token) {
  const headers = token ? { cookie: `bunbase_session=${token}` } : {};
  return connect(
    new StreamableHTTPClientTransport(new URL(`${base}/api/mcp`), { requestInit: { headers } }),
  );
}

/** A stdio client: the server binary started with `mcp`, as `token`'s user when given. */
function overStdio(token) {
  const env = { ...process.env, RUST_LOG: "warn" };
  delete env.MCP_SESSION_TOKEN;
  if (token) env.MCP_SESSION_TOKEN = token;
  return connect(new StdioClientTransport({ command: bin, args: ["mcp"], env, stderr: "inherit" }));
}

/** The tool error's envelope (the text an HTTP caller would get as a body). */
function envelope(result) {
  assert.equal(result.isError, true, JSON.stringify(result));
  assert.equal(result.structuredContent, undefined);
  const parsed = JSON.parse(result.content[0].text);
  assert.ok(parsed.error.trace_id.length > 0);
  return parsed.error;
}

/** The same checks over both transports. */
async function suite(t, anonymous, signedIn) {
  await t.test("names the server and its version", async () => {
    assert.deepEqual(anonymous.getServerVersion(), { name: "mcp_demo", version: "1.4.0" });
  });

  await t.test("lists every tool with its schemas", async () => {
    const { tools } = await anonymous.listTools();
    assert.deepEqual(
      tools.map((tool) => tool.name),
      ["notes_add_note", "notes_lock_note", "notes_whoami"],
    );
    const add = tools.find((tool) => tool.name === "notes_add_note");
    assert.equal(add.title, "Add a note");
    assert.match(add.description, /three distinct tags/);
    assert.equal(add.inputSchema.type, "object");
    assert.deepEqual(add.inputSchema.required, ["title"]);
    assert.equal(add.outputSchema.type, "object");
    const lock = tools.find((tool) => tool.name === "notes_lock_note");
    assert.equal(lock.outputSchema, undefined, "no output, no output schema");
  });

  await t.test("a tool's input schema validates the example input", async () => {
    const { tools } = await anonymous.listTools();
    const add = tools.find((tool) => tool.name === "notes_add_note");
    const validate = new AjvJsonSchemaValidator().getValidator(add.inputSchema);
    const example = { title: add.inputSchema.properties.title.examples[0], tags: ["home"] };
    assert.equal(validate(example).valid, true, validate(example).errorMessage);
    assert.equal(validate({ title: "", bogus: 1 }).valid, false);
  });

  await t.test("a call runs the action and returns structured output", async () => {
    const result = await anonymous.callTool({
      name: "notes_add_note",
      arguments: { title: "Buy milk", tags: ["home", "food"] },
    });
    assert.equal(result.isError, false);
    assert.equal(result.structuredContent.title, "Buy milk");
    assert.deepEqual(result.structuredContent.tags, ["home", "food"]);
    assert.deepEqual(JSON.parse(result.content[0].text), result.structuredContent);
  });

  await t.test("validation errors list every violation", async () => {
    const error = envelope(
      await anonymous.callTool({
        name: "notes_add_note",
        arguments: { title: "", tags: ["a", "a", "b", "c"] },
      }),
    );
    assert.equal(error.code, "validation_failed");
    assert.deepEqual(
      error.details.violations.map((v) => [v.path, v.code]),
      [
        ["/title", "min_len"],
        ["/tags", "max_items"],
        ["/tags", "unique"],
      ],
    );
  });

  await t.test("an unknown field is a violation too", async () => {
    const error = envelope(
      await anonymous.callTool({ name: "notes_lock_note", arguments: { id: "n1", bogus: true } }),
    );
    assert.equal(error.code, "validation_failed");
    assert.equal(error.details.violations[0].code, "unknown_field");
  });

  await t.test("a declared contract error carries its code", async () => {
    const error = envelope(
      await anonymous.callTool({ name: "notes_lock_note", arguments: { id: "n1" } }),
    );
    assert.equal(error.code, "note_locked");
    assert.equal(error.message, "The note n1 is locked.");
  });

  await t.test("a guarded tool denies an anonymous caller", async () => {
    const error = envelope(await anonymous.callTool({ name: "notes_whoami", arguments: {} }));
    assert.equal(error.code, "unauthorized");
  });

  await t.test("a guarded tool serves a signed-in caller as that caller", async () => {
    const result = await signedIn.callTool({ name: "notes_whoami", arguments: {} });
    assert.equal(result.isError, false, JSON.stringify(result));
    assert.deepEqual(result.structuredContent, { user_id: "alice", roles: ["editor"] });
  });

  await t.test("an unknown tool is a protocol error", async () => {
    await assert.rejects(anonymous.callTool({ name: "notes_nope", arguments: {} }), /unknown tool/);
  });
}

test("over Streamable HTTP", async (t) => {
  const token = await login("alice", ["editor"]);
  const anonymous = await overHttp();
  const signedIn = await overHttp(token);
  try {
    await suite(t, anonymous, signedIn);
  } finally {
    await anonymous.close();
    await signedIn.close();
  }
  // Every call above went through the pipeline: recorded runs with trigger mcp.
  const runs = await (await fetch(`${base}/api/runs/mcp`)).json();
  const codes = runs.map((r) => `${r.action}:${r.error_code ?? "ok"}`);
  for (const expected of [
    "notes.add_note:ok",
    "notes.add_note:validation_failed",
    "notes.lock_note:note_locked",
    "notes.whoami:unauthorized",
    "notes.whoami:ok",
  ]) {
    assert.ok(codes.includes(expected), `${expected} in ${codes}`);
  }
});

test("over stdio", async (t) => {
  const token = await login("alice", ["editor"]);
  const anonymous = await overStdio();
  const signedIn = await overStdio(token);
  try {
    await suite(t, anonymous, signedIn);
  } finally {
    await anonymous.close();
    await signedIn.close();
  }
});
