/**
 * The peer wire format: every frame is `[u32 LE payload length][u8 type][payload]`. The first frame on a
 * connection in each direction is a {@link HelloFrame}; after it, Raft and application frames.
 *
 * @module
 */

/** Bytes before a frame's payload: the u32 length and the u8 type. */
export const FRAME_HEADER_BYTES = 5;

/**
 * The largest frame (header and payload) a transport sends or accepts: large enough for a snapshot chunk of
 * several MiB, small enough that a hostile length cannot make a node allocate much. Senders of big data
 * (snapshots) cut it into chunks below this.
 */
export const FRAME_BYTES_MAX = 16 * 1024 * 1024;

/** The largest frame accepted before the handshake: a hello is tiny, so a stranger cannot make us buffer much. */
export const HELLO_FRAME_BYTES_MAX = 512;

/** Bytes of a cluster id in UTF-8. */
export const CLUSTER_ID_BYTES_MAX = 255;

/** "DENG" read as a little-endian u32: the first payload bytes of every hello. */
export const HELLO_MAGIC = 0x474e_4544;

/** The wire protocol version; a peer with another version is refused. */
export const PROTOCOL_VERSION = 1;

/** The frame types on the wire. */
export const FrameType = {
  Hello: 1,
  Raft: 2,
  Request: 3,
  Response: 4,
} as const;
/** One of {@link FrameType}'s values. */
export type FrameType = typeof FrameType[keyof typeof FrameType];

/**
 * The handshake: who is speaking, to whom, in which cluster. The dialer sends it first; the acceptor answers
 * with its own (with `to` set to the dialer).
 */
export interface HelloFrame {
  kind: "hello";
  version: number;
  nodeId: number;
  /** The node the sender believes it is talking to. */
  to: number;
  clusterId: string;
}

/**
 * A peer sent bytes that are not a valid frame: unknown type, oversized length, truncated or malformed
 * payload. The connection it came on must be closed; the process goes on.
 *
 * @example
 * ```ts
 * import { FrameError } from "./frame.ts";
 * const error = new FrameError("Cannot decode frame: unknown type 9");
 * console.log(error.name); // "FrameError"
 * ```
 */
export class FrameError extends Error {
  /** @param message What could not be decoded, with the offending value. */
  constructor(message: string) {
    super(message);
    this.name = "FrameError";
  }
}

/**
 * Whether a byte is a known frame type.
 *
 * @param type The byte read from a frame header.
 * @returns True for one of {@link FrameType}'s values.
 * @example
 * ```ts
 * import { isFrameType } from "./frame.ts";
 * console.log(isFrameType(2), isFrameType(0)); // true false
 * ```
 */
export function isFrameType(type: number): type is FrameType {
  return type >= FrameType.Hello && type <= FrameType.Response;
}
