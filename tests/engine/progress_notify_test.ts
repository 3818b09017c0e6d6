import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine, utf8 } from "../../mod.ts";

test("watchers created with progressNotify get periodic progress notifications at the applied revision", async () => {
  const engine = await Engine.start({
    storage: "memory",
    tickIntervalMs: 10,
    watchProgressNotifyIntervalMs: 50,
  });
  try {
    await engine.ready({ timeoutMs: 10_000 });
    await engine.client.put("a", "1");
    const notified = engine.backend().watch({ key: utf8("a"), progressNotify: true });
    const plain = engine.backend().watch({ key: utf8("a") });
    assert.equal(notified.poll()?.created, true);
    assert.equal(plain.poll()?.created, true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const progress = notified.poll();
    assert.ok(progress !== null, "a progress notification arrived");
    assert.equal(progress.events.length, 0);
    assert.equal(progress.header.revision, engine.storeStatus().revision);
    assert.equal(plain.poll(), null, "a watcher without progressNotify gets none");
    notified.cancel();
    plain.cancel();
  } finally {
    await engine.stop();
  }
});

test("the progress interval is validated like every option", async () => {
  await assert.rejects(
    Engine.start({ storage: "memory", watchProgressNotifyIntervalMs: 0 }),
    /watchProgressNotifyIntervalMs/,
  );
});
