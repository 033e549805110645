/**
 * A test hook for crash tests: `AUTOPACK_CRASH_AT=event:N` kills the process (SIGKILL, no cleanup) right
 * after event N is appended; `AUTOPACK_CRASH_AT=apply:K` right after the K-th file of a change set is
 * renamed into place; `AUTOPACK_CRASH_AT=commit:K` right after the K-th commit moved HEAD, before the user's
 * index caught up and before its event is logged. Unset, it costs one comparison.
 */
const spec = process.env['AUTOPACK_CRASH_AT'];
const match = spec === undefined ? null : /^(event|apply|commit):(\d+)$/.exec(spec);
const point = match === null ? null : { kind: match[1] as 'event' | 'apply' | 'commit', n: Number(match[2]) };
let applied = 0;
let committed = 0;

export function crashAfterEvent(seq: number): void {
  if (point?.kind === 'event' && point.n === seq) process.kill(process.pid, 'SIGKILL');
}

export function crashAfterAppliedFile(): void {
  if (point?.kind !== 'apply') return;
  applied += 1;
  if (applied === point.n) process.kill(process.pid, 'SIGKILL');
}

export function crashAfterCommit(): void {
  if (point?.kind !== 'commit') return;
  committed += 1;
  if (committed === point.n) process.kill(process.pid, 'SIGKILL');
}
