import { describe, expect, it } from 'vitest';
import { parkAtGate } from '../../src/worker/parkAtGate.js';
import { runAwaitingApproval } from '../support/gatedRun.js';
import { useTestSchema } from '../support/postgresSchema.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();
const RUN = 'run-20261202-120000-abcdef';
const worker = (name: string) => ({ host: name, pid: 1, ttlMs: 60_000, token: `${name}-${Math.random()}` });

/** A queued run, claimed and driven by a worker's executor until it stops at its approval gate. */
async function stoppedAtGate(runId: string) {
  const db = await useTestSchema();
  const { store, queue } = await db.openLog();
  await queue.submit({ runId, plan: {}, planFile: 'plan.yaml', repo: 'file:///repo.git', ref: 'HEAD', baseSha: 'a'.repeat(40) });
  const claimed = await queue.claim(worker('w1'));
  if (claimed === null) throw new Error('claimed');
  const { executor } = await runAwaitingApproval(tempDir(), { eventStore: store, runId, lease: { claimed: claimed.fence, ttlMs: 60_000 } });
  return { store, queue, fence: claimed.fence, executor };
}

describe('a worker parking a run at its approval gate (PostgreSQL)', () => {
  it('parks it, out of every worker\'s reach until the waiting attempt is decided', async () => {
    const { store, queue, fence, executor } = await stoppedAtGate(RUN);
    expect(await parkAtGate(store, queue, RUN, fence)).toEqual({ parked: true, phaseId: 'greet' });
    expect(await queue.claim(worker('w2'))).toBeNull();
    await executor.approve(RUN, { by: 'ann' });
    expect((await queue.claim(worker('w2')))?.run.runId).toBe(RUN);
    await executor.close();
  });

  it('hands it back at once when the decision came while the run was stopping, so it is not parked for a decision already made', async () => {
    const { store, queue, fence, executor } = await stoppedAtGate(RUN);
    await executor.reject(RUN, 'say hello properly', { by: 'ann' });
    expect(await parkAtGate(store, queue, RUN, fence)).toEqual({ parked: false, phaseId: 'greet' });
    expect((await queue.list())[0]?.state).toBe('queued');
    expect((await queue.claim(worker('w2')))?.run.runId).toBe(RUN);
    await executor.close();
  });

  it('refuses to park a run whose lease it lost', async () => {
    const { store, queue, fence, executor } = await stoppedAtGate(RUN);
    const stale = { ...fence, epoch: fence.epoch + 1 };
    await expect(parkAtGate(store, queue, RUN, stale)).rejects.toMatchObject({ code: 'LEASE_LOST' });
    await executor.close();
  });
});
