/**
 * `main.ts cluster`: a local 3-node cluster as three processes of the running runtime on loopback, with their
 * logs streamed under a name prefix; Ctrl-C stops all three.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { join } from "node:path";
import type { ClusterCommand } from "./args.ts";

/** One member of the local cluster. */
export interface LocalMember {
  name: string;
  clientAddress: string;
  peerAddress: string;
}

/** The three members of `deno task cluster`: clients 2379/2479/2579, peers 2380/2480/2580. */
export const LOCAL_CLUSTER: readonly LocalMember[] = [
  { name: "n1", clientAddress: "127.0.0.1:2379", peerAddress: "127.0.0.1:2380" },
  { name: "n2", clientAddress: "127.0.0.1:2479", peerAddress: "127.0.0.1:2480" },
  { name: "n3", clientAddress: "127.0.0.1:2579", peerAddress: "127.0.0.1:2580" },
];

/** How long the members get to stop gracefully before they are killed. */
export const CLUSTER_STOP_GRACE_MS = 10_000;

/**
 * The command line that starts one member of the local cluster.
 *
 * @param options The runtime's executable, whether it is Bun, the main script, the cluster command, a member.
 * @returns The executable and its arguments.
 * @example
 * ```ts
 * import { LOCAL_CLUSTER, memberCommandLine } from "./cluster_command.ts";
 * const line = memberCommandLine({
 *   execPath: "deno", isBun: false, mainScript: "main.ts",
 *   command: { command: "cluster", dataDir: "./data/cluster", storage: "default" }, member: LOCAL_CLUSTER[0]!,
 * });
 * console.log(line.slice(0, 3).join(" ")); // "deno run -A"
 * ```
 */
export function memberCommandLine(options: {
  execPath: string;
  isBun: boolean;
  mainScript: string;
  command: ClusterCommand;
  member: LocalMember;
}): string[] {
  const { member, command } = options;
  const initialCluster = LOCAL_CLUSTER.map((m) => `${m.name}=${m.peerAddress}`).join(",");
  const runtimeArgs = options.isBun ? ["run", options.mainScript] : ["run", "-A", options.mainScript];
  return [
    options.execPath,
    ...runtimeArgs,
    "node",
    "--name",
    member.name,
    "--data-dir",
    join(command.dataDir, member.name),
    "--listen-client",
    member.clientAddress,
    "--listen-peer",
    member.peerAddress,
    "--initial-cluster",
    initialCluster,
    "--storage",
    command.storage,
    "--log",
    "pretty",
  ];
}

/**
 * Runs the local cluster until Ctrl-C (or until every member has exited).
 *
 * @param command The parsed command.
 * @param runtime The runtime's executable, whether it is Bun, and the path of main.ts.
 * @returns The exit code: 0 when every member stopped cleanly.
 * @example
 * ```ts ignore
 * import { runCluster } from "./cluster_command.ts";
 * process.exitCode = await runCluster(command, { execPath: process.execPath, isBun: false, mainScript });
 * ```
 */
export async function runCluster(
  command: ClusterCommand,
  runtime: { execPath: string; isBun: boolean; mainScript: string },
): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`dengine: starting a 3-node cluster (data under ${command.dataDir})`);
  for (const member of LOCAL_CLUSTER) out(`  ${member.name}: client http://${member.clientAddress}`);
  const exits: Promise<number>[] = [];
  const children: ChildProcess[] = [];
  for (const member of LOCAL_CLUSTER) {
    const [file, ...args] = memberCommandLine({ ...runtime, command, member });
    const child = spawn(file!, args, { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    prefixLines(child, member.name, out);
    exits.push(new Promise((resolve) => child.on("close", (code) => resolve(code ?? 1))));
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    out("dengine: stopping the cluster");
    for (const child of children) signalChild(child, "SIGTERM");
    setTimeout(() => children.forEach((child) => signalChild(child, "SIGKILL")), CLUSTER_STOP_GRACE_MS)
      .unref?.();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const codes = await Promise.all(exits);
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  out(`dengine: cluster stopped (exit codes ${codes.join(", ")})`);
  return codes.every((code) => code === 0) ? 0 : 1;
}

// Signals go through process.kill: Deno's ChildProcess.kill() makes the child's exit read as killed by the
// signal even when it handled it and exited 0.
function signalChild(child: ChildProcess, signal: "SIGTERM" | "SIGKILL"): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(child.pid, signal);
  } catch {
    // Already gone.
  }
}

// The members log pretty lines (see memberCommandLine); a known leader reads "leader changed leaderId=N leaderName=X".
const LEADER_LINE = /leader changed leaderId=[1-9]\d* leaderName=(\S+)/;
let lastLeader = "";

function prefixLines(child: ChildProcess, name: string, out: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let pending = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        out(`${name} | ${line}`);
        const leader = LEADER_LINE.exec(line)?.[1];
        if (leader !== undefined && leader !== lastLeader) {
          lastLeader = leader;
          out(`dengine: leader is ${leader}`);
        }
      }
    });
    stream?.on("end", () => pending !== "" && out(`${name} | ${pending}`));
  }
}
