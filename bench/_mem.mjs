import fs from 'node:fs'; import path from 'node:path';
import { dist, instantModel, smallFilePlan, tempDir } from './lib.mjs';
const { PhaseExecutor, createMemoryEventStore } = await import(dist('index.js'));
const N = Number(process.env.N ?? 500);
for (let i = 0; i < 3; i++) {
  const dir = tempDir(); const repo = path.join(dir, 'repo'); fs.mkdirSync(repo);
  const executor = new PhaseExecutor({ llmClient: instantModel, repoRoot: repo, eventStore: createMemoryEventStore() });
  const t = performance.now(); const c = process.cpuUsage();
  const r = await executor.runPlan({ phases: smallFilePlan(N), maxRetries: 0, enableHealthChecks: false, stopOnFailure: true });
  const cpu = process.cpuUsage(c);
  console.log('memory store ms/phase', ((performance.now() - t) / N).toFixed(3), 'cpu ms/phase', ((cpu.user + cpu.system) / 1000 / N).toFixed(3), r.successful_phases);
  fs.rmSync(dir, { recursive: true, force: true });
}
