import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine, type EngineOptions, EngineOptionsError, toText } from "../../mod.ts";
import { clusterCertificates } from "../conformance/_transport_certs.ts";

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const PORT_BASE = isBun ? 24_480 : 24_380;

test(
  "three members with mutual TLS between them elect a leader and replicate",
  { skip: clusterCertificates.skip },
  async () => {
    const peerTls = await clusterCertificates.load();
    const peers = {
      t1: `127.0.0.1:${PORT_BASE}`,
      t2: `127.0.0.1:${PORT_BASE + 1}`,
      t3: `127.0.0.1:${PORT_BASE + 2}`,
    };
    const engines = await Promise.all(
      Object.keys(peers).map((name) =>
        Engine.start({
          name,
          storage: "memory",
          peers,
          transport: "node_net",
          peerTls,
          tickIntervalMs: 20,
          electionTimeoutTicks: 10,
        })
      ),
    );
    try {
      await Promise.all(engines.map((engine) => engine.ready({ timeoutMs: 20_000 })));
      const put = await engines[1]!.client.put("secret", "over tls");
      const read = await engines[2]!.client.get("secret");
      assert.equal(toText(read!.value), "over tls");
      assert.equal(read!.modRevision, put.header.revision);
    } finally {
      await Promise.all(engines.map((engine) => engine.stop()));
    }
  },
);

test("peer TLS options that are not PEM are refused naming the field", async () => {
  await assert.rejects(
    Engine.start({ storage: "memory", peerTls: { cert: "nope", key: "-----BEGIN x", ca: "-----BEGIN y" } }),
    (error: unknown) => error instanceof EngineOptionsError && /peerTls\.cert/.test(error.message),
  );
});

test(
  "a member without the cluster's certificates cannot take part",
  { skip: clusterCertificates.skip },
  async () => {
    const peerTls = await clusterCertificates.load();
    const base = PORT_BASE + 10;
    const peers = { u1: `127.0.0.1:${base}`, u2: `127.0.0.1:${base + 1}`, u3: `127.0.0.1:${base + 2}` };
    const common: EngineOptions = {
      storage: "memory",
      peers,
      transport: "node_net",
      tickIntervalMs: 20,
      electionTimeoutTicks: 10,
    };
    const engines = await Promise.all([
      Engine.start({ ...common, name: "u1", peerTls }),
      Engine.start({ ...common, name: "u2", peerTls }),
      Engine.start({ ...common, name: "u3" }), // plain TCP: refused by u1 and u2, and refusing them
    ]);
    try {
      await Promise.all([engines[0]!.ready({ timeoutMs: 20_000 }), engines[1]!.ready({ timeoutMs: 20_000 })]);
      await engines[0]!.client.put("k", "v");
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // 50 ticks: many heartbeats would have arrived
      assert.equal(engines[2]!.status().appliedIndex < engines[0]!.status().appliedIndex, true);
      assert.equal(
        engines[2]!.status().revision,
        1,
        "the plain member applied nothing of the TLS members' log",
      );
    } finally {
      await Promise.all(engines.map((engine) => engine.stop()));
    }
  },
);
