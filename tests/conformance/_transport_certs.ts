// Test certificates for mutual TLS, made with the openssl CLI at run time in a temporary directory: a CA and
// one certificate for 127.0.0.1 signed by it (every test node presents the same one).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MutualTlsOptions } from "../../adapters/transport/node_net.ts";

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function openssl(directory: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: directory, stdio: "ignore" });
}

function generate(): MutualTlsOptions {
  const directory = mkdtempSync(join(tmpdir(), "dengine-tls-"));
  try {
    const days = ["-days", "2"];
    openssl(directory, [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      ...days,
      "-subj",
      "/CN=dengine test CA",
    ]);
    openssl(directory, [
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      "node.key",
      "-out",
      "node.csr",
      "-subj",
      "/CN=dengine test node",
    ]);
    writeFileSync(
      join(directory, "ext.cnf"),
      "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n",
    );
    openssl(directory, [
      "x509",
      "-req",
      "-in",
      "node.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "node.pem",
      ...days,
      "-extfile",
      "ext.cnf",
    ]);
    const read = (name: string): string => readFileSync(join(directory, name), "utf8");
    return { key: read("node.key"), cert: read("node.pem"), ca: read("ca.pem") };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/**
 * Test certificates, made once on first use.
 *
 * @returns Why TLS tests must skip (no openssl), and the loader.
 */
export function makeTestCertificates(): { skip: string | false; load(): Promise<MutualTlsOptions> } {
  const available = hasOpenssl();
  let made: MutualTlsOptions | null = null;
  return {
    skip: available ? false : "the openssl CLI is not installed, so no test certificates can be made",
    load: () => Promise.resolve(made ??= generate()),
  };
}

/** The certificates every TLS test node of the suite presents (one CA, made once per process). */
export const clusterCertificates: ReturnType<typeof makeTestCertificates> = makeTestCertificates();
