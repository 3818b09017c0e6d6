/**
 * The ports: every interface through which the engine talks to the world (storage, transport, clock,
 * randomness). Adapters under `adapters/` implement them per runtime; `src/` never imports an adapter.
 *
 * @module
 */

export * from "./ports/clock.ts";
export * from "./ports/storage.ts";
export * from "./ports/transport.ts";
