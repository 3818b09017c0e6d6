/**
 * Splits a streamed request body into its JSON objects: etcd's stream routes read a sequence of objects,
 * concatenated with or without whitespace between them.
 *
 * @module
 */

/** Largest single object accepted on a stream. */
export const STREAM_OBJECT_BYTES_MAX = 2 * 1024 * 1024;

/**
 * Yields the text of each top-level JSON object of a byte stream.
 *
 * @param body The stream.
 * @returns The object texts in order.
 * @throws {RangeError} When an object is larger than {@link STREAM_OBJECT_BYTES_MAX} or the text between
 *   objects is not whitespace.
 * @example
 * ```ts
 * import { jsonObjects } from "./json_stream.ts";
 * const body = new Response('{"a":1}{"b":"}"}').body!;
 * for await (const text of jsonObjects(body)) console.log(text);
 * ```
 */
export async function* jsonObjects(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let current = "";
  let depth = 0;
  let inString = false;
  let escaped = false;
  for await (const chunk of body) {
    const text = decoder.decode(chunk, { stream: true });
    for (const char of text) {
      if (depth === 0) {
        if (char === "{") {
          depth = 1;
          current = "{";
        } else if (!/\s/.test(char)) {
          throw new RangeError(`Cannot read the stream: expected a JSON object, found "${char}"`);
        }
        continue;
      }
      current += char;
      if (current.length > STREAM_OBJECT_BYTES_MAX) {
        throw new RangeError(`Cannot read the stream: an object is over ${STREAM_OBJECT_BYTES_MAX} bytes`);
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (char === "\\") escaped = true;
        else if (char === '"') inString = false;
      } else if (char === '"') inString = true;
      else if (char === "{") depth++;
      else if (char === "}" && --depth === 0) yield current;
    }
  }
}
