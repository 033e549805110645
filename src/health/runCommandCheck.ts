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

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Runs one health-check command through /bin/sh in its own process group, so a timeout or an abort
 * kills everything it started (test runners spawn workers), not just the shell.
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
    let escalation: NodeJS.Timeout | undefined;
    const stop = (reason: 'timeout' | 'abort') => {
      if (child.pid === undefined) return;
      if (reason === 'timeout') timedOut = true;
      else aborted = true;
      killGroup(child.pid, 'SIGTERM');
      const pid = child.pid;
      escalation = setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
      escalation.unref();
    };
    const timer = setTimeout(() => stop('timeout'), timeoutMs);
    const onAbort = () => stop('abort');
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => tail.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => tail.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({
        name: spec.name,
        passed: false,
        exit_code: null,
        duration: seconds(),
        output_tail: `could not start the check: ${error.message}`,
        timed_out: false,
      });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // Whatever the shell left behind in its group goes too.
      if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
      if (escalation !== undefined) clearTimeout(escalation);
      if (aborted) {
        reject(new AutopackError('ABORTED', `health check "${spec.name}" was cancelled`));
        return;
      }
      const output = tail.toString();
      resolve({
        name: spec.name,
        passed: !timedOut && code === 0,
        exit_code: timedOut ? null : code,
        duration: seconds(),
        output_tail: timedOut ? `${output}${output.endsWith('\n') || output === '' ? '' : '\n'}timed out after ${timeoutMs} ms; the process group was killed` : output,
        timed_out: timedOut,
      });
    });
  });
}
