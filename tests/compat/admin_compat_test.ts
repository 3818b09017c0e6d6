import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { KvStore } from "../../src/kv/mod.ts";
import { MemoryNetwork } from "../../adapters/transport/memory.ts";
import { Engine } from "../../mod.ts";
import { createGateway, EngineBackend, LocalBackend } from "../../src/gateway/mod.ts";
import { type Answer, answerOf, ETCD_INSTALLED, type EtcdProcess, startEtcd } from "./_etcd.ts";

const skip = ETCD_INSTALLED ? false : "etcd not installed";

// deno-lint-ignore no-explicit-any
type Loose = any;

type Send = (path: string, body: string) => Promise<Answer>;

function sender(fetcher: (request: Request) => Response | Promise<Response>, base: string): Send {
  return async (path, body) => answerOf(await fetcher(new Request(base + path, { method: "POST", body })));
}

/** The id of the one member a single-node server lists. */
async function selfId(send: Send): Promise<string> {
  const list = await send("/v3/cluster/member/list", "");
  return (list.body as Loose).members[0].ID;
}

describe("maintenance and cluster routes against etcd 3.4", { skip }, () => {
  let etcd: EtcdProcess;
  let backend: LocalBackend;
  let toEtcd: Send;
  let toDengine: Send;
  before(async () => {
    etcd = await startEtcd();
    backend = new LocalBackend(new KvStore());
    toEtcd = sender((request) => fetch(request), etcd.url);
    toDengine = sender(createGateway(backend).fetch, "http://dengine");
  });
  after(async () => {
    backend?.close();
    await etcd?.stop();
  });

  const same = async (path: string, body: string) => {
    const [etcdAnswer, dengineAnswer] = [await toEtcd(path, body), await toDengine(path, body)];
    assert.deepEqual(dengineAnswer, etcdAnswer, `${path} ${body}`);
    return etcdAnswer;
  };

  test("defragment answers the same", async () => {
    await same("/v3/maintenance/defragment", "");
    await same("/v3beta/maintenance/defragment", "{}");
  });

  test("the alarm list and a disarm with nothing raised answer the same", async () => {
    await same("/v3/maintenance/alarm", "");
    await same("/v3/maintenance/alarm", '{"action":"GET"}');
    await same("/v3/maintenance/alarm", '{"action":"DEACTIVATE","memberID":"1","alarm":"NOSPACE"}');
  });

  test("hash has etcd's shape: the header at the current revision and a uint32 number", async () => {
    await same("/v3/kv/put", '{"key":"YQ==","value":"MQ=="}');
    const [etcdHash, dengineHash] = [
      await toEtcd("/v3/maintenance/hash", ""),
      await toDengine("/v3/maintenance/hash", ""),
    ];
    assert.equal(dengineHash.status, etcdHash.status);
    const [e, d] = [etcdHash.body as Loose, dengineHash.body as Loose];
    assert.deepEqual(Object.keys(d).sort(), Object.keys(e).sort());
    assert.deepEqual(d.header, e.header);
    for (const hash of [e.hash, d.hash]) assert.ok(Number.isInteger(hash) && hash > 0 && hash < 2 ** 32);
  });

  test("transfer-leadership answers the same to itself and to strangers", async () => {
    await same("/v3/maintenance/transfer-leadership", '{"targetID":"5"}');
    await same("/v3/maintenance/transfer-leadership", "{}");
    const [etcdAnswer, dengineAnswer] = [
      await toEtcd("/v3/maintenance/transfer-leadership", JSON.stringify({ targetID: await selfId(toEtcd) })),
      await toDengine(
        "/v3/maintenance/transfer-leadership",
        JSON.stringify({ targetID: await selfId(toDengine) }),
      ),
    ];
    assert.deepEqual(dengineAnswer, etcdAnswer);
  });

  test("member remove, promote and update of an unknown id answer the same", async () => {
    await same("/v3/cluster/member/remove", '{"ID":"5"}');
    await same("/v3/cluster/member/promote", '{"ID":"5"}');
    await same("/v3/cluster/member/update", '{"ID":"5","peerURLs":["http://127.0.0.1:9999"]}');
  });

  test("promoting the voter itself answers the same", async () => {
    const [etcdAnswer, dengineAnswer] = [
      await toEtcd("/v3/cluster/member/promote", JSON.stringify({ ID: await selfId(toEtcd) })),
      await toDengine("/v3/cluster/member/promote", JSON.stringify({ ID: await selfId(toDengine) })),
    ];
    assert.deepEqual(dengineAnswer, etcdAnswer);
  });

  test("member add with invalid peer URLs answers the same", async () => {
    await same("/v3/cluster/member/add", "{}");
    await same("/v3/cluster/member/add", '{"peerURLs":["bad"]}');
    await same("/v3/cluster/member/add", '{"peerURLs":["http://127.0.0.1"]}');
  });
});

/** A member as compared: etcd names no unstarted member and ids differ, so only the rest counts. */
function comparable(member: Loose): Loose {
  return { peerURLs: member.peerURLs, isLearner: member.isLearner };
}

describe("member add and remove against etcd 3.4, over a single-node engine", { skip }, () => {
  let etcd: EtcdProcess;
  let engine: Engine;
  let toEtcd: Send;
  let toDengine: Send;
  before(async () => {
    etcd = await startEtcd();
    // One founder with a (memory) transport, so that it can add members.
    const network = new MemoryNetwork();
    engine = await Engine.start(
      { name: "compat", storage: "memory", transport: "memory", peers: { compat: "memory:42001" } },
      { createTransport: () => network.createTransport() },
    );
    await engine.ready();
    toEtcd = sender((request) => fetch(request), etcd.url);
    toDengine = sender(createGateway(new EngineBackend(engine)).fetch, "http://dengine");
  });
  after(async () => {
    await engine?.stop();
    await etcd?.stop();
  });

  test("adding a learner answers the same member and list, and removing it restores the list", async () => {
    const body = JSON.stringify({ peerURLs: ["http://127.0.0.1:1"], isLearner: true });
    const [etcdAdd, dengineAdd] = [
      await toEtcd("/v3/cluster/member/add", body),
      await toDengine("/v3/cluster/member/add", body),
    ];
    assert.equal(dengineAdd.status, 200, JSON.stringify(dengineAdd.body));
    assert.equal(dengineAdd.status, etcdAdd.status);
    const [e, d] = [etcdAdd.body as Loose, dengineAdd.body as Loose];
    assert.deepEqual(Object.keys(d).sort(), Object.keys(e).sort());
    assert.deepEqual(d.header, e.header);
    assert.deepEqual(comparable(d.member), comparable(e.member));
    const learnersOf = (list: Loose[]) => list.filter((member) => member.isLearner).map(comparable);
    assert.deepEqual(learnersOf(d.members), learnersOf(e.members));
    assert.equal(d.members.length, e.members.length);

    const again = body;
    const [etcdAgain, dengineAgain] = [
      await toEtcd("/v3/cluster/member/add", again),
      await toDengine("/v3/cluster/member/add", again),
    ];
    assert.deepEqual(dengineAgain, etcdAgain);
    const overlapping = JSON.stringify({ peerURLs: ["http://127.0.0.1:1", "http://127.0.0.1:2"] });
    assert.deepEqual(
      await toDengine("/v3/cluster/member/add", overlapping),
      await toEtcd("/v3/cluster/member/add", overlapping),
    );

    const [etcdRemove, dengineRemove] = [
      await toEtcd("/v3/cluster/member/remove", JSON.stringify({ ID: e.member.ID })),
      await toDengine("/v3/cluster/member/remove", JSON.stringify({ ID: d.member.ID })),
    ];
    assert.equal(dengineRemove.status, 200, JSON.stringify(dengineRemove.body));
    assert.equal(dengineRemove.status, etcdRemove.status);
    assert.equal((dengineRemove.body as Loose).members.length, (etcdRemove.body as Loose).members.length);
    assert.deepEqual((dengineRemove.body as Loose).header, (etcdRemove.body as Loose).header);
  });
});
