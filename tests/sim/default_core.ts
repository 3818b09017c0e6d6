/**
 * The production Raft core as a {@link NodeFactory} (kept apart so the rest of the simulator only depends on
 * the contract's shape).
 *
 * @module
 */

import { RawNode } from "../../src/raft/raw_node.ts";
import type { NodeFactory } from "./core.ts";

/**
 * Builds the real RawNode.
 *
 * @example
 * ```ts
 * import { defaultNodeFactory } from "./default_core.ts";
 * console.log(typeof defaultNodeFactory); // "function"
 * ```
 */
export const defaultNodeFactory: NodeFactory = (config) => new RawNode(config);
