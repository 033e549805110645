// The floor of (4), run as `node bench/resumeFloor.cjs DB RUN BASE_URL`: what any resume must do, with
// nothing else. Open the log, read the run's first event and its tail from the last phase.finished
// (the same indexed queries autopack's resume makes), parse them, and send one chat-completions request
// with node:http. CommonJS, the cheapest start node has (no ESM loader).
const http = require('node:http');
const Database = require('better-sqlite3');

const [dbPath, runId, baseUrl] = process.argv.slice(2);
const db = new Database(dbPath, { readonly: true });
const first = db.prepare('SELECT * FROM events WHERE stream = ? AND seq >= 1 ORDER BY seq LIMIT 1').get(runId);
const last = db.prepare('SELECT * FROM events WHERE stream = ? AND type = ? ORDER BY seq DESC LIMIT 1').get(runId, 'phase.finished');
const tail = db.prepare('SELECT * FROM events WHERE stream = ? AND seq >= ? ORDER BY seq').all(runId, last.seq);
const start = JSON.parse(first.data);
const events = tail.map((row) => ({ ...row, data: JSON.parse(row.data) }));
const phase = start.phases[events[0].data.nextPhaseIndex];

const body = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'Answer with the file changes as JSON.' },
    { role: 'user', content: `# Task\n${phase.spec.description}` },
  ],
  max_tokens: 4096,
});
const url = new URL(`${baseUrl}/chat/completions`);
const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
  res.resume();
  res.on('end', () => db.close());
});
req.end(body);
