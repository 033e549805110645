import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toMermaid } from '../../src/inspect/mermaid.js';
import { orchestratorMachine, phaseMachine } from '../../src/machines/index.js';
import { RUN_EVENT_TYPES } from '../../src/store/index.js';
import { projectRoot } from '../support/runCli.js';

const read = (file: string) => fs.readFileSync(path.join(projectRoot, file), 'utf8');

describe('docs match the code', () => {
  it('docs/architecture.md holds the diagrams generated from the current machine definitions', () => {
    const doc = read('docs/architecture.md');
    for (const machine of [orchestratorMachine, phaseMachine]) {
      expect(doc, `regenerate with: npm run docs:diagrams`).toContain('```mermaid\n' + toMermaid(machine) + '\n```');
    }
  });

  it('docs/events.md documents every event type', () => {
    const doc = read('docs/events.md');
    const missing = RUN_EVENT_TYPES.filter((type) => !doc.includes(`\`${type}\``));
    expect(missing).toEqual([]);
  });

  it('the diagram reaches every state of the phase machine', () => {
    const diagram = toMermaid(phaseMachine);
    for (const state of Object.keys(phaseMachine.definition.states)) expect(diagram).toContain(` --> ${state}`);
  });
});
