/**
 * Command-line parsing for `main.ts`: `node` and `cluster` commands with `--flag value` options, validated
 * with zod so a wrong flag is an error naming the flag and the expected form.
 *
 * @module
 */

import { z } from "zod";

/** Thrown for a command line that cannot be run; the message names the flag and what was expected. */
export class UsageError extends Error {
  /**
   * @param message What was wrong.
   * @example
   * ```ts
   * import { UsageError } from "./args.ts";
   * console.log(new UsageError("unknown flag --nmae").name); // "UsageError"
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const HOST_PORT = /^[^\s:]+:\d{1,5}$/;
const hostPort = z.string().regex(HOST_PORT, "expected host:port, e.g. 127.0.0.1:2379");

const nodeFlagsSchema = z.strictObject({
  "name": z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "expected 1-64 letters, digits, '.', '_' or '-'")
    .default("default"),
  "data-dir": z.string().min(1).default("./data/default"),
  "listen-client": hostPort.default("127.0.0.1:2379"),
  "listen-peer": hostPort.optional(),
  "initial-cluster": z.string().optional(),
  "join": z.enum(["true", "false"]).default("false"),
  "storage": z.enum(["file", "sqlite", "memory", "default"]).default("default"),
  "tick-ms": z.string().regex(/^\d+$/, "expected a whole number of milliseconds").default("100"),
  "log": z.enum(["json", "pretty", "auto"]).default("auto"),
  "peer-cert-file": z.string().min(1).optional(),
  "peer-key-file": z.string().min(1).optional(),
  "peer-trusted-ca-file": z.string().min(1).optional(),
});

/** The options of `main.ts node`. */
export interface NodeCommand {
  command: "node";
  name: string;
  dataDir: string;
  listenClient: string;
  listenPeer: string | undefined;
  /** Member name -> peer address; empty for a single-node cluster. */
  initialCluster: Record<string, string>;
  join: boolean;
  storage: "file" | "sqlite" | "memory" | "default";
  tickIntervalMs: number;
  log: "json" | "pretty" | "auto";
  /** Files of this member's certificate, key and the members' CA, for mutual TLS between members. */
  peerTlsFiles: { cert: string; key: string; ca: string } | undefined;
}

/** The options of `main.ts cluster`. */
export interface ClusterCommand {
  command: "cluster";
  dataDir: string;
  storage: "file" | "sqlite" | "memory" | "default";
}

/** The options of `main.ts help`. */
export interface HelpCommand {
  command: "help";
}

/** A parsed command line. */
export type Command = NodeCommand | ClusterCommand | HelpCommand;

/** The usage text printed by `main.ts help`. */
export const USAGE = `dengine: an embeddable, strongly consistent coordination engine

Usage:
  main.ts node [--name n1] [--data-dir DIR] [--listen-client 127.0.0.1:2379] [--listen-peer 127.0.0.1:2380]
               [--initial-cluster n1=127.0.0.1:2380,n2=127.0.0.1:2480,n3=127.0.0.1:2580] [--join true]
               [--storage file|sqlite|memory] [--tick-ms 100] [--log json|pretty]
               [--peer-cert-file F --peer-key-file F --peer-trusted-ca-file F]   (mutual TLS between members)
      Starts one node. Without --initial-cluster it is a single-node cluster.
  main.ts cluster [--data-dir ./data/cluster] [--storage file|sqlite|memory]
      Starts a local 3-node cluster as three processes on 127.0.0.1 (clients 2379/2479/2579,
      peers 2380/2480/2580), streams their logs and stops them all on Ctrl-C.
  main.ts help
`;

/**
 * Parses the arguments after the program name.
 *
 * @param argv The arguments, e.g. `["node", "--name", "n1"]`.
 * @returns The command to run.
 * @throws {UsageError} For an unknown command or flag, a missing value, or a value of the wrong form.
 * @example
 * ```ts
 * import { parseCommandLine } from "./args.ts";
 * const command = parseCommandLine(["node", "--name", "n1", "--data-dir", "/tmp/n1"]);
 * console.log(command.command); // "node"
 * ```
 */
export function parseCommandLine(argv: readonly string[]): Command {
  const [command = "help", ...rest] = argv;
  if (command === "help" || command === "--help" || command === "-h") return { command: "help" };
  const flags = parseFlags(rest);
  if (command === "node") return parseNode(flags);
  if (command === "cluster") return parseCluster(flags);
  throw new UsageError(`unknown command "${command}": expected "node", "cluster" or "help"`);
}

function parseFlags(args: readonly string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--")) {
      throw new UsageError(`unexpected argument "${arg}": flags look like --name value`);
    }
    const equals = arg.indexOf("=");
    const name = equals === -1 ? arg.slice(2) : arg.slice(2, equals);
    const value = equals === -1 ? args[++i] : arg.slice(equals + 1);
    if (value === undefined) throw new UsageError(`flag --${name} needs a value`);
    if (name in flags) throw new UsageError(`flag --${name} is given twice`);
    flags[name] = value;
  }
  return flags;
}

function validated<T>(schema: z.ZodType<T>, flags: Record<string, string>): T {
  const result = schema.safeParse(flags);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    throw new UsageError(`unknown flag ${issue.keys.map((key) => `--${key}`).join(", ")}`);
  }
  const flag = String(issue.path[0] ?? "");
  throw new UsageError(`flag --${flag} = "${flags[flag] ?? ""}": ${issue.message}`);
}

function parseNode(flags: Record<string, string>): NodeCommand {
  const parsed = validated(nodeFlagsSchema, flags);
  const initialCluster = parseInitialCluster(parsed["initial-cluster"]);
  const names = Object.keys(initialCluster);
  if (names.length > 0 && !(parsed.name in initialCluster)) {
    throw new UsageError(
      `flag --initial-cluster must name this node "${parsed.name}" (it names ${names.join(", ")})`,
    );
  }
  const tlsFlags = [parsed["peer-cert-file"], parsed["peer-key-file"], parsed["peer-trusted-ca-file"]];
  const tlsGiven = tlsFlags.filter((flag) => flag !== undefined).length;
  if (tlsGiven !== 0 && tlsGiven !== 3) {
    throw new UsageError("flags --peer-cert-file, --peer-key-file and --peer-trusted-ca-file go together");
  }
  const tickIntervalMs = Number(parsed["tick-ms"]);
  if (tickIntervalMs < 1 || tickIntervalMs > 60_000) {
    throw new UsageError(`flag --tick-ms = ${tickIntervalMs}: expected 1 to 60000 milliseconds`);
  }
  return {
    command: "node",
    name: parsed.name,
    dataDir: parsed["data-dir"],
    listenClient: parsed["listen-client"],
    listenPeer: parsed["listen-peer"] ?? initialCluster[parsed.name],
    initialCluster,
    join: parsed.join === "true",
    storage: parsed.storage,
    tickIntervalMs,
    log: parsed.log,
    peerTlsFiles: tlsGiven === 3 ? { cert: tlsFlags[0]!, key: tlsFlags[1]!, ca: tlsFlags[2]! } : undefined,
  };
}

/**
 * Parses `n1=host:port,n2=host:port`.
 *
 * @param text The flag's value, or undefined when absent.
 * @returns Member name -> peer address.
 * @throws {UsageError} When a member is malformed or named twice.
 * @example
 * ```ts
 * import { parseInitialCluster } from "./args.ts";
 * console.log(parseInitialCluster("n1=127.0.0.1:2380,n2=127.0.0.1:2480").n2); // "127.0.0.1:2480"
 * ```
 */
export function parseInitialCluster(text: string | undefined): Record<string, string> {
  const members: Record<string, string> = {};
  if (text === undefined || text === "") return members;
  for (const part of text.split(",")) {
    const equals = part.indexOf("=");
    const name = part.slice(0, equals);
    const address = part.slice(equals + 1);
    if (equals <= 0 || !HOST_PORT.test(address)) {
      throw new UsageError(`flag --initial-cluster: "${part}" is not name=host:port`);
    }
    if (name in members) throw new UsageError(`flag --initial-cluster names "${name}" twice`);
    members[name] = address;
  }
  return members;
}

const clusterFlagsSchema = z.strictObject({
  "data-dir": z.string().min(1).default("./data/cluster"),
  "storage": z.enum(["file", "sqlite", "memory", "default"]).default("default"),
});

function parseCluster(flags: Record<string, string>): ClusterCommand {
  const parsed = validated(clusterFlagsSchema, flags);
  return { command: "cluster", dataDir: parsed["data-dir"], storage: parsed.storage };
}
