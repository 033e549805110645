/** The model interface's types live in src/model (machines and the store need them); this is their home for src/llm. */
export type * from '../model/llm.js';
