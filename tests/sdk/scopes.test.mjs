// The generated SDK of tests/sdk/scopes (compiled to ../dist) against that contract's scaffolded server:
// an API key's scopes are its permissions for `has_permission`. The keys come from the server's
// `create-api-key` subcommand ($BUNBASE_WRITER_KEY has scope notes:write, $BUNBASE_READER_KEY
// notes:read). Run by tests/tests/sdk_server.rs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "../dist/index.js";

const baseUrl = process.env.BUNBASE_BASE_URL;
const writerKey = process.env.BUNBASE_WRITER_KEY;
const readerKey = process.env.BUNBASE_READER_KEY;
assert.ok(baseUrl && writerKey && readerKey, "the test's environment is set");

test("a key with the scope passes has_permission; one without gets the typed 403", async () => {
  // The scaffold's stub handler answers 501 not_implemented: the guards let the call through to it.
  const writer = createClient({ baseUrl, apiKey: writerKey });
  const passed = await writer.notes.writeNote({ text: "from a machine" });
  assert.equal(passed.error?.code, "not_implemented", JSON.stringify(passed.error));
  assert.equal(passed.status, 501);

  for (const reader of [
    createClient({ baseUrl, apiKey: readerKey }),
    createClient({ baseUrl, apiKey: readerKey, apiKeyHeader: "x-api-key" }),
  ]) {
    const denied = await reader.notes.writeNote({ text: "from a machine" });
    assert.equal(denied.error?.code, "forbidden", JSON.stringify(denied.error));
    assert.equal(denied.error.status, 403);
    assert.ok(denied.error.traceId);
  }

  const anonymous = await createClient({ baseUrl }).notes.writeNote({ text: "nobody" });
  assert.equal(anonymous.error?.code, "unauthorized", JSON.stringify(anonymous.error));
  assert.equal(anonymous.error.status, 401);
});
