// Each test starts its own edge (its own `vars`), so this file does not use `useEdge`.
// Deployment settings fail loudly: a malformed `PARLEY_*` value is not silently replaced by its
// default — every request answers 500 and the worker's log names the variable (parsed once by
// `shared::config`; the parser's own cases are native tests there).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startEdge } from "./harness.mjs";
import { until } from "./fixtures.mjs";

const edges = [];
after(async () => {
  for (const edge of edges) {
    await edge.stop();
    edge.cleanup();
  }
});

for (const [name, value] of [["PARLEY_TALLY_SHARDS", "eight"], ["PARLEY_SESSION_TIMEOUT_MS", "30m"]]) {
  test(`${name}=${value} answers 500 and the log names ${name}`, async () => {
    const edge = await startEdge({ online: [], vars: { [name]: value } });
    edges.push(edge);
    const health = await fetch(`${edge.base}/api/v1/health`);
    assert.equal(health.status, 500);
    assert.equal((await health.json()).error.code, "internal");
    const session = await fetch(`${edge.base}/api/v1/widget/session`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: edge.base },
      body: JSON.stringify({ channel_id: "demo" }),
    });
    assert.equal(session.status, 500);
    // The log line may arrive a moment after the answer.
    await until(() => edge.log().includes(name), `the log to name ${name}`, 5_000);
    assert.match(edge.log(), new RegExp(`${name} = "${value}" is malformed`));
  });
}

test("well-formed values start normally", async () => {
  const edge = await startEdge({ online: [], vars: { PARLEY_TALLY_SHARDS: "3", PARLEY_SESSION_TIMEOUT_MS: "60000" } });
  edges.push(edge);
  const health = await fetch(`${edge.base}/api/v1/health`);
  assert.equal(health.status, 200);
});
