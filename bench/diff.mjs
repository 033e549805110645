// 9: what a diff costs (src/diff, Myers' algorithm from the `diff` package): the cases that set its limits.
// `node bench/diff.mjs` runs only this part (after `npm run build`) and merges its figures into
// bench/results.json under `diff`; `npm run bench` runs it with the rest.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { dist, root, stats } from './lib.mjs';

const { diffFile, MAX_DIFF_BYTES, MAX_DIFF_EDIT_LINES } = await import(dist('index.js'));

const numbered = (count, tag = 'line') => Array.from({ length: count }, (_, i) => `${tag} ${i + 1} of a file`);
const text = (lines) => lines.map((line) => `${line}\n`).join('');
const every = (lines, n) => lines.map((line, i) => (i % n === n - 1 ? `${line}, changed` : line));

/** The cases, each a before and after: from the common one (a line or two) to those the limits cut short. */
function cases() {
  const big = numbered(10_000);
  // As many lines as keep both sides of a rewrite under MAX_DIFF_BYTES.
  const mib = Math.floor(MAX_DIFF_BYTES / `other 10000 of a file\n`.length);
  const rewrite = (n) => [text(numbered(n)), text(numbered(n, 'other'))];
  return [
    { name: 'one line changed in 10,000', sides: [text(big), text(big.map((line, i) => (i === 4999 ? `${line}, changed` : line)))] },
    { name: 'every 50th line changed in 10,000 (200 lines)', sides: [text(big), text(every(big, 50))] },
    { name: `every 20th line changed in 10,000 (500 lines, ${MAX_DIFF_EDIT_LINES} edits: the cap)`, sides: [text(big), text(every(big, 20))] },
    { name: `a 400-line file rewritten (800 edits, under the cap)`, sides: rewrite(400) },
    { name: `a 600-line file rewritten (past the cap: shown replaced)`, sides: rewrite(600) },
    { name: `a ${mib}-line file (just under 1 MiB) rewritten`, sides: rewrite(mib) },
    { name: `a ${mib}-line file (just under 1 MiB) created`, sides: [null, text(numbered(mib))] },
    { name: 'a file over 1 MiB (summarised by its sizes)', sides: [text(numbered(mib * 2)), text(every(numbered(mib * 2), 2))] },
  ];
}

export function diffFigures({ runs, log }) {
  const figures = [];
  for (const { name, sides } of cases()) {
    log(`diff: ${name}`);
    const ms = [];
    let diff;
    for (let i = 0; i < runs; i += 1) {
      const started = performance.now();
      diff = diffFile('file.txt', sides[0], sides[1]);
      ms.push(performance.now() - started);
    }
    figures.push({ name, ms: stats(ms), kind: diff.kind, minimal: diff.minimal, hunks: diff.hunks?.length, changedLines: diff.hunks?.flatMap((h) => h.lines).filter((l) => l.op !== ' ').length });
  }
  return figures;
}

export const diffRows = (figures) =>
  figures.map((f) => [
    `diff: ${f.name}`,
    `${f.ms.median.toFixed(1)} ms (${f.ms.min.toFixed(1)}–${f.ms.max.toFixed(1)})`,
    f.kind === 'text' ? `${f.hunks} hunk(s), ${f.changedLines} lines ±` : f.kind,
    f.kind === 'text' ? (f.minimal ? 'minimal' : 'not minimal: shown replaced') : '',
  ]);

if (process.argv[1] === import.meta.filename) {
  const log = (line) => process.stderr.write(`${line}\n`);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const figures = diffFigures({ runs, log });
  const rows = diffRows(figures);
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length)));
  process.stdout.write(`${rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ')).join('\n')}\n\nmedian (min–max) of ${runs} runs\n`);
  const file = path.join(root, 'bench', 'results.json');
  const results = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version } };
  fs.writeFileSync(file, `${JSON.stringify({ ...results, diff: figures }, null, 2)}\n`);
  log('wrote bench/results.json (diff)');
}
