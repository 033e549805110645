import { spawn } from 'node:child_process';
import { DEFAULT_HEALTH_CHECK_TIMEOUT_MS, type HealthCheckSpec } from '../model/healthCheck.js';
import { AutopackError } from '../model/errors.js';
import type { HealthCheckResult } from '../model/results.js';
import { OutputTail } from './outputTail.js';

export interface RunCommandCheckOptions {
  cwd: string;
  signal?: AbortSignal;
  outputTailBytes?: number;
}

const KILL_GRACE_MS = 2_000;
/**
 * How long after the shell exits its output may still arrive. The pipes close at once unless something
 * the check started in the background holds them; that orphan is not waited for.
 */
const DRAIN_MS = 200;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Runs one health-check command through /bin/sh in its own process group. The shell's exit decides the
 * result (a check that starts a server in the background and exits 0 passes); then, as on a timeout or an
 * abort, the whole group is ended (SIGTERM, SIGKILL after a grace), so nothing the check started outlives
 * it. Output is collected until the pipes close or, when an orphan holds them, for a short drain.
 */
export function runCommandCheck(spec: HealthCheckSpec, options: RunCommandCheckOptions): Promise<HealthCheckResult> {
  const timeoutMs = spec.timeoutMs ?? DEFAULT_HEALTH_CHECK_TIMEOUT_MS;
  const tail = new OutputTail(options.outputTailBytes ?? 4_000);
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;

  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new AutopackError('ABORTED', `health check "${spec.name}" was cancelled before it started`));
      return;
    }
    const child = spawn('/bin/sh', ['-c', spec.command], {
      cwd: options.cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    let aborted = false;
    let settled = false;
    let escalation: NodeJS.Timeout | undefined;
    let drain: NodeJS.Timeout | undefined;
    const endGroup = () => {
      if (child.pid === undefined || escalation !== undefined) return;
      const pid = child.pid;
      killGroup(pid, 'SIGTERM');
      escalation = setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
      escalation.unref();
    };
    const stop = (reason: 'timeout' | 'abort') => {
      if (reason === 'timeout') timedOut = true;
      else aborted = true;
      endGroup();
    };
    const timer = setTimeout(() => stop('timeout'), timeoutMs);
    const onAbort = () => stop('abort');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const detach = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };

    child.stdout.on('data', (chunk: Buffer) => tail.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => tail.push(chunk));
    child.on('error', (error) => {
      if (settled) return;
      settled = true;
      detach();
      resolve({
        name: spec.name,
        passed: false,
        exit_code: null,
        duration: seconds(),
        output_tail: `could not start the check: ${error.message}`,
        timed_out: false,
      });
    });

    let exitCode: number | null = null;
    let duration = 0;
    const settle = () => {
      if (settled) return;
      settled = true;
      if (drain !== undefined) clearTimeout(drain);
      // An orphan outside the group (or one ignoring SIGTERM) may still hold the pipes: stop reading them.
      child.stdout.destroy();
      child.stderr.destroy();
      if (aborted) {
        reject(new AutopackError('ABORTED', `health check "${spec.name}" was cancelled`));
        return;
      }
      const output = tail.toString();
      resolve({
        name: spec.name,
        passed: !timedOut && exitCode === 0,
        exit_code: timedOut ? null : exitCode,
        duration,
        output_tail: timedOut ? `${output}${output.endsWith('\n') || output === '' ? '' : '\n'}timed out after ${timeoutMs} ms; the process group was killed` : output,
        timed_out: timedOut,
      });
    };
    child.on('exit', (code) => {
      exitCode = code;
      duration = seconds();
      detach();
      // Whatever the shell left behind in its group goes too.
      endGroup();
      // The shell's own last output can still be in the pipe: wait for the pipes to close, or for the drain,
      // and then for one more poll of the event loop so data already readable is read before settling.
      drain = setTimeout(() => setImmediate(settle), DRAIN_MS);
    });
    child.on('close', settle);
  });
}

/** Command checks one at a time, in the order given: a phase's checks and the run's baseline both run them so. */
export async function runCommandChecks(specs: readonly HealthCheckSpec[], options: RunCommandCheckOptions): Promise<HealthCheckResult[]> {
  const results: HealthCheckResult[] = [];
  for (const spec of specs) results.push(await runCommandCheck(spec, options));
  return results;
}
