/**
 * A small self-describing binary codec for plain data (null, booleans, numbers, strings, byte strings,
 * arrays, plain objects); used for the responses kept in the dedup table. Properties whose value is
 * undefined are left out, so an absent optional field stays absent.
 *
 * @module
 */

import { assert } from "../util/assert.ts";
import { type ByteReader, ByteWriter } from "./byte_codec.ts";

/** A value the codec can encode. */
export type PlainValue = null | boolean | number | string | Uint8Array | PlainValue[] | {
  [key: string]: PlainValue;
};

const Tag = {
  Null: 0,
  False: 1,
  True: 2,
  Uint: 3,
  Float: 4,
  String: 5,
  Bytes: 6,
  Array: 7,
  Object: 8,
} as const;

/** Deepest nesting the codec accepts. */
export const PLAIN_VALUE_DEPTH_MAX = 64;

/**
 * Encodes a plain value.
 *
 * @param writer Where to write.
 * @param value The value.
 * @example
 * ```ts
 * import { ByteReader, ByteWriter } from "./byte_codec.ts";
 * import { readPlainValue, writePlainValue } from "./value_codec.ts";
 * const writer = new ByteWriter();
 * writePlainValue(writer, { a: [1, "x"] });
 * console.log(readPlainValue(new ByteReader(writer.finish(), "value")));
 * ```
 */
export function writePlainValue(writer: ByteWriter, value: unknown, depth = 0): void {
  assert(depth < PLAIN_VALUE_DEPTH_MAX, "plain value nested too deep");
  if (value === null) writer.byte(Tag.Null);
  else if (value === false) writer.byte(Tag.False);
  else if (value === true) writer.byte(Tag.True);
  else if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value >= 0) {
      writer.byte(Tag.Uint);
      writer.uint(value);
    } else {
      writer.byte(Tag.Float);
      writer.float(value);
    }
  } else if (typeof value === "string") {
    writer.byte(Tag.String);
    writer.string(value);
  } else if (value instanceof Uint8Array) {
    writer.byte(Tag.Bytes);
    writer.bytes(value);
  } else if (Array.isArray(value)) {
    writer.byte(Tag.Array);
    writer.uint(value.length);
    for (const item of value) writePlainValue(writer, item, depth + 1);
  } else {
    assert(typeof value === "object" && value !== null, () => `cannot encode a ${typeof value}`);
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    writer.byte(Tag.Object);
    writer.uint(entries.length);
    for (const [key, item] of entries) {
      writer.string(key);
      writePlainValue(writer, item, depth + 1);
    }
  }
}

/**
 * Decodes a plain value.
 *
 * @param reader Where to read.
 * @returns The value.
 * @throws {CodecError} For malformed bytes.
 * @example
 * ```ts
 * import { ByteReader } from "./byte_codec.ts";
 * import { readPlainValue } from "./value_codec.ts";
 * console.log(readPlainValue(new ByteReader(new Uint8Array([2]), "value"))); // true
 * ```
 */
export function readPlainValue(reader: ByteReader, depth = 0): PlainValue {
  if (depth >= PLAIN_VALUE_DEPTH_MAX) throw reader.fail("value nested too deep");
  const tag = reader.byte();
  switch (tag) {
    case Tag.Null:
      return null;
    case Tag.False:
      return false;
    case Tag.True:
      return true;
    case Tag.Uint:
      return reader.uint();
    case Tag.Float:
      return reader.float();
    case Tag.String:
      return reader.string();
    case Tag.Bytes:
      return reader.bytes();
    case Tag.Array: {
      const count = reader.count(1);
      const items: PlainValue[] = [];
      for (let i = 0; i < count; i++) items.push(readPlainValue(reader, depth + 1));
      return items;
    }
    case Tag.Object: {
      const count = reader.count(2);
      const object: { [key: string]: PlainValue } = {};
      for (let i = 0; i < count; i++) {
        const key = reader.string();
        object[key] = readPlainValue(reader, depth + 1);
      }
      return object;
    }
    default:
      throw reader.fail(`unknown value tag ${tag}`);
  }
}

/**
 * Encodes a plain value to standalone bytes.
 *
 * @param value The value.
 * @returns The encoding.
 * @example
 * ```ts
 * import { encodePlainValue } from "./value_codec.ts";
 * console.log(encodePlainValue([1, 2]).length > 0); // true
 * ```
 */
export function encodePlainValue(value: unknown): Uint8Array {
  const writer = new ByteWriter();
  writePlainValue(writer, value);
  return writer.finish();
}
