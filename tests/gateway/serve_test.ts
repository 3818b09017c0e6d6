import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { KvStore } from "../../src/kv/mod.ts";
import { createGateway, LocalBackend } from "../../src/gateway/mod.ts";
import { type HttpServer, serveHttp } from "../../adapters/runtime/serve.ts";
import { clusterCertificates } from "../conformance/_transport_certs.ts";

function has(command: string, versionFlag: string): boolean {
  try {
    execFileSync(command, [versionFlag], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const skip = has("curl", "--version") && has("openssl", "version") ? false : "curl or openssl not installed";

/** Runs curl without blocking the event loop (the server runs in this process). */
function curl(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile("curl", ["-s", ...args], (error, stdout) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, stdout: String(stdout) });
    });
  });
}

describe("the gateway served by the runtime's HTTP server", { skip }, () => {
  let backend: LocalBackend;
  let plain: HttpServer;
  let secure: HttpServer;
  before(async () => {
    backend = new LocalBackend(new KvStore());
    const app = createGateway(backend);
    plain = await serveHttp({ fetch: app.fetch });
    const { cert, key } = await clusterCertificates.load(); // signed for 127.0.0.1; curl runs with -k
    secure = await serveHttp({ fetch: app.fetch, tls: { cert, key } });
  });
  after(async () => {
    await plain?.close();
    await secure?.close();
    backend?.close();
  });

  const put = ["-X", "POST", "-w", "\\n%{http_version} %{http_code}", "-d", '{"key":"YQ==","value":"MQ=="}'];

  test("curl over HTTP/1.1 puts a key", async () => {
    const { stdout } = await curl([...put, `${plain.url}/v3/kv/put`]);
    assert.match(stdout, /"revision":"\d+"/);
    assert.ok(stdout.endsWith("1.1 200"), stdout);
  });

  test("curl with HTTP/2 prior knowledge (h2c) puts a key", async () => {
    const { stdout } = await curl(["--http2-prior-knowledge", ...put, `${plain.url}/v3/kv/put`]);
    assert.ok(stdout.endsWith("\n2 200"), stdout);
  });

  test("curl over TLS negotiates HTTP/2 by ALPN", async () => {
    const { stdout } = await curl(["-k", "--http2", ...put, `${secure.url}/v3/kv/put`]);
    assert.ok(stdout.endsWith("\n2 200"), stdout);
  });

  for (const mode of [["--http1.1"], ["--http2-prior-knowledge"]]) {
    test(`a watch stream flushes each message to curl ${mode[0]}`, async () => {
      const watching = curl([
        ...mode,
        "-N",
        "--max-time",
        "3",
        "-X",
        "POST",
        "-d",
        '{"create_request":{"key":"d2F0Y2g="}}',
        `${plain.url}/v3/watch`,
      ]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await curl(["-X", "POST", "-d", '{"key":"d2F0Y2g=","value":"MQ=="}', `${plain.url}/v3/kv/put`]);
      const { stdout } = await watching;
      const lines = stdout.trim().split("\n").map((line) => JSON.parse(line));
      assert.equal(lines[0].result.created, true);
      assert.equal(lines[1].result.events[0].kv.value, "MQ==");
    });
  }
});
