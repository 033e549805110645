import { SVG_FONT_PX } from './svg.js';

/**
 * The inspector's one page: HTML, CSS and script in this module, so the package serves everything
 * itself and the page works with no network. The script is plain browser JavaScript over the JSON API.
 */
import { MAX_DIFF_BYTES, MAX_DIFF_EDIT_LINES } from '../diff/index.js';

const STYLE = `
:root { --bg: #fbfbfd; --fg: #1d2330; --muted: #687083; --line: #d9dde6; --accent: #2f6fed; --ok: #1f9d55; --bad: #d64545; --warn: #c77c02; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 10px 18px; border-bottom: 1px solid var(--line); display: flex; gap: 14px; align-items: baseline; background: #fff; }
header h1 { font-size: 16px; margin: 0; }
header a { color: var(--accent); text-decoration: none; }
main { display: grid; grid-template-columns: 330px 1fr; height: calc(100vh - 45px); }
#runs { border-right: 1px solid var(--line); overflow: auto; background: #fff; }
#runs table { width: 100%; border-collapse: collapse; font-size: 12px; }
#runs td, #runs th { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
#runs tr.run { cursor: pointer; }
#runs tr.run:hover, #runs tr.selected { background: #eef3ff; }
.status { font-weight: 600; }
.status-succeeded { color: var(--ok); } .status-failed { color: var(--bad); } .status-running { color: var(--accent); }
.status-interrupted, .status-stopped, .status-awaiting_approval { color: var(--warn); }
#run { padding: 14px 18px; overflow: auto; }
#run h2 { margin: 0 0 4px; font-size: 17px; }
.meta { color: var(--muted); font-size: 12px; }
.banner { background: #fff6e0; border: 1px solid #f0d9a0; padding: 6px 10px; border-radius: 6px; margin: 8px 0; }
.machines { display: flex; flex-direction: column; gap: 14px; margin: 12px 0; }
.machines-top { display: flex; gap: 14px; align-items: stretch; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px; min-width: 0; }
.card .meta { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.card h3 { margin: 0 0 2px; font-size: 13px; }
.card .meta { margin-bottom: 4px; }
/* Charts are drawn at their own size, never shrunk: a narrow window scrolls them sideways. */
.card .svg { overflow-x: auto; }
svg.machine { display: block; }
svg.machine .state rect { fill: #f3f5fa; stroke: #9aa3b5; stroke-width: 1.2; }
svg.machine .state.final rect { stroke-width: 2.4; }
svg.machine .state.current rect { fill: #dbe7ff; stroke: var(--accent); stroke-width: 3; }
svg.machine .state.current.final rect { fill: #dcf5e6; stroke: var(--ok); }
svg.machine[data-status="failed"] .state.current rect { fill: #fde4e4; stroke: var(--bad); }
svg.machine text { text-anchor: middle; font: ${SVG_FONT_PX.state}px system-ui, sans-serif; fill: var(--fg); }
svg.machine text.invoke { fill: var(--muted); font-size: ${SVG_FONT_PX.invoke}px; }
svg.machine .transition path { fill: none; stroke: #b3b9c6; stroke-width: 1; }
svg.machine .transition text { font-size: ${SVG_FONT_PX.transition}px; fill: var(--muted); }
svg.machine .arrowhead { fill: #b3b9c6; }
.orchestrator-card { flex: none; max-width: 100%; }
.phases-card { flex: 1 1 260px; display: flex; flex-direction: column; }
.phases-card h3 { display: flex; gap: 8px; align-items: baseline; }
.phases-card h3 button { font-size: 12px; }
#phase-list { position: relative; list-style: none; margin: 0; padding: 0; overflow-y: auto; flex: 1 1 0; min-height: 120px; font-size: 13px; }
#phase-list li { display: grid; grid-template-columns: minmax(0, 1fr) auto auto; gap: 10px; align-items: baseline; padding: 3px 8px; border-bottom: 1px solid #f0f1f5; cursor: pointer; }
#phase-list li:hover { background: #f3f6fd; }
#phase-list li.focused { background: #dbe7ff; }
#phase-list .phase-name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#phase-list .phase-state { font-weight: 600; }
#phase-list .phase-meta { color: var(--muted); font-size: 12px; }
#phase-list li[data-status="running"] .phase-state { color: var(--accent); }
#phase-list li[data-status="succeeded"] .phase-state { color: var(--ok); }
#phase-list li[data-status="failed"] .phase-state { color: var(--bad); }
#phase-list li[data-status="pending"] .phase-state { color: var(--muted); font-weight: normal; }
#phase-list li[data-state="awaiting_approval"] .phase-state { color: var(--warn); }
#approval { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; margin: 10px 0; }
#approval.waiting { border: 2px solid var(--warn); }
#approval h3 { margin: 0 0 2px; font-size: 15px; }
#approval h4 { margin: 10px 0 4px; font-size: 13px; }
#approval textarea { display: block; width: 100%; font: inherit; margin-top: 10px; padding: 4px 6px; }
#approval ul { margin: 4px 0; padding-left: 18px; }
.approval-buttons { display: flex; gap: 8px; align-items: center; margin-top: 6px; }
button.approve { background: var(--ok); border-color: var(--ok); color: #fff; }
button.reject { background: var(--bad); border-color: var(--bad); color: #fff; }
button:disabled { opacity: .45; cursor: not-allowed; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f0f2f6; padding: 0 4px; border-radius: 4px; }
#timeline { position: sticky; top: -14px; background: var(--bg); padding: 8px 0; z-index: 1; }
#timeline .controls { display: flex; gap: 6px; align-items: center; }
#timeline input[type=range] { flex: 1; }
button { font: inherit; padding: 2px 9px; border: 1px solid var(--line); background: #fff; border-radius: 5px; cursor: pointer; }
.lower { display: grid; grid-template-columns: minmax(320px, 1fr) minmax(320px, 1.2fr); gap: 14px; }
#events { position: relative; max-height: 460px; overflow: auto; font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
#events div { padding: 3px 8px; border-bottom: 1px solid #f0f1f5; cursor: pointer; white-space: pre; overflow: hidden; text-overflow: ellipsis; }
#events div.future { color: #b3b9c6; }
#events div.selected { background: #dbe7ff; }
#detail { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px; font-size: 13px; overflow: auto; max-height: 460px; }
#detail pre { background: #f6f7fa; padding: 8px; border-radius: 6px; overflow: auto; max-height: 260px; font-size: 12px; white-space: pre-wrap; }
.diff { font: 12px ui-monospace, monospace; background: #f6f7fa; border-radius: 6px; padding: 6px 0; max-height: 260px; overflow: auto; }
.diff div { padding: 0 8px; white-space: pre; } .diff .add { background: #e3f7e9; color: #135c32; } .diff .del { background: #fde8e8; color: #8f1f1f; }
.diff .hunk { background: #eef3ff; color: var(--muted); margin-top: 4px; } .diff .hunk:first-child { margin-top: 0; } .diff .eof { color: var(--muted); }
.diff .ln { display: inline-block; width: 4.5ch; text-align: right; margin-right: 1ch; color: #9aa3b5; user-select: none; }
.ok { color: var(--ok); } .bad { color: var(--bad); }
.empty { color: var(--muted); padding: 30px; }
`;

const SCRIPT = `
window.__inspectorLoadedAt = Date.now();
const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v; else if (k.startsWith('on')) node.addEventListener(k.slice(2), v); else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
};
const api = async (path) => { const r = await fetch(path); if (!r.ok) throw new Error((await r.json()).error); return r.json(); };
// Only an inspector started with --allow-approve writes a token into its page; the write endpoint wants it back.
const TOKEN = $('meta[name="autopack-token"]')?.content ?? null;
const CLI = $('meta[name="autopack-cli"]')?.content ?? 'autopack';
const statusText = (status) => status.replace('_', ' ');
const code = (text) => el('code', {}, text);
const svgText = {};
const machineSvg = async (name) => (svgText[name] ??= await (await fetch('/machines/' + name + '.svg')).text());
const fmtTime = (ms) => ms == null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
const fmtCost = (c) => c == null ? '' : ' · $' + c.toFixed(4);

let current = null; // { runId, view, seq, following, source, state, focus, approval: { key, view, draft, decided, error } }
let runs = []; // newest first
let opening = null; // the run being opened, before current is set

async function loadRuns() {
  runs = await api('/api/runs');
  const body = $('#runs tbody');
  body.replaceChildren(...runs.map((r) => el('tr', { class: 'run' + (current?.runId === r.runId ? ' selected' : ''), 'data-run': r.runId, onclick: () => openRun(r.runId, true) },
    el('td', {}, el('div', {}, r.runId), el('div', { class: 'meta' }, fmtTime(r.startedAt) + (r.durationS == null ? '' : ' · ' + r.durationS.toFixed(1) + ' s'))),
    el('td', {}, el('div', { class: 'status status-' + r.status }, statusText(r.status)),
      el('div', { class: 'meta' }, r.phasesSucceeded + '/' + r.totalPhases + ' ok' + (r.phasesFailed ? ', ' + r.phasesFailed + ' failed' : '')),
      el('div', { class: 'meta' }, r.tokens + ' tok' + fmtCost(r.costUsd))))));
  if (runs.length === 0) body.replaceChildren(el('tr', {}, el('td', { class: 'empty' }, 'No runs in this log yet.')));
}

function highlight(svgRoot, state, status) {
  svgRoot.querySelectorAll('.state.current').forEach((n) => n.classList.remove('current'));
  const svg = svgRoot.querySelector('svg');
  if (svg) svg.setAttribute('data-status', status ?? '');
  if (state) svgRoot.querySelector('.state[data-state="' + CSS.escape(state) + '"]')?.classList.add('current');
  svgRoot.setAttribute('data-current', state ?? '');
}

async function openRun(runId, push) {
  opening = runId;
  if (current?.source) current.source.close();
  if (push) history.pushState({}, '', '/runs/' + encodeURIComponent(runId));
  const view = await api('/api/runs/' + encodeURIComponent(runId));
  current = { runId, view, seq: view.timeline.length ? view.timeline[view.timeline.length - 1].seq : 0, following: true, source: null, state: null, focus: null,
    approval: { key: null, view: null, draft: '', decided: null, error: '' } };
  document.querySelectorAll('#runs tr.run').forEach((tr) => tr.classList.toggle('selected', tr.dataset.run === runId));
  const [orchestratorSvg, phaseSvg] = await Promise.all([machineSvg('orchestrator'), machineSvg('phase')]);
  const s = view.summary;
  $('#run').replaceChildren(
    el('h2', {}, runId),
    el('div', { class: 'meta' }, el('span', { id: 'run-status', class: 'status status-' + s.status }, statusText(s.status)), ' · ', s.phasesSucceeded + '/' + s.totalPhases + ' phases ok · ' + s.tokens + ' tokens' + fmtCost(s.costUsd) + ' · ' + (view.repoRoot ?? '')),
    ...(view.olderMachines ? [el('div', { class: 'banner' }, 'Written by older machine definitions: shown as logged, read-only (it cannot be resumed by this version).')] : []),
    ...(view.baseline ? [el('div', { class: 'meta', id: 'baseline', title: view.baseline.checks.map((c) => c.name + (c.passed ? ' ok' : ' FAILED')).join(', ') }, view.baseline.text)] : []),
    el('section', { id: 'approval', hidden: '' }),
    el('div', { id: 'timeline' },
      el('div', { class: 'controls' },
        el('button', { title: 'first event', onclick: () => goTo(1) }, '«'),
        el('button', { id: 'step-back', title: 'previous event', onclick: () => goTo(current.seq - 1) }, '◀'),
        el('input', { id: 'timeline-slider', type: 'range', min: '1', max: String(Math.max(1, current.seq)), value: String(current.seq), oninput: (e) => goTo(Number(e.target.value)) }),
        el('button', { id: 'step-forward', title: 'next event', onclick: () => goTo(current.seq + 1) }, '▶'),
        el('button', { title: 'last event, and follow new ones', onclick: () => goTo(lastSeq(), true) }, '»'),
        el('span', { id: 'seq-label', class: 'meta' }, ''))),
    el('div', { class: 'machines' },
      el('div', { class: 'machines-top' },
        el('div', { class: 'card orchestrator-card', 'data-actor': 'orchestrator' }, el('h3', {}, 'orchestrator'), el('div', { class: 'meta', id: 'orchestrator-meta' }, ''), el('div', { class: 'svg' })),
        el('div', { class: 'card phases-card' },
          el('h3', {}, view.phases.length + ' phase' + (view.phases.length === 1 ? '' : 's'), el('span', { class: 'meta' }, 'click one to draw it'),
            el('button', { id: 'follow-phase', hidden: '', title: 'draw the phase running at this point of the timeline', onclick: () => focusPhase(null) }, 'follow the running phase')),
          el('ol', { id: 'phase-list' }, ...view.phases.map((p) => el('li', { 'data-phase': String(p.index), title: p.description, onclick: () => focusPhase(p.index) },
            el('span', { class: 'phase-name' }, 'phase-' + p.index + ' · ' + p.id), el('span', { class: 'phase-meta' }, ''), el('span', { class: 'phase-state' }, '')))))),
      el('div', { class: 'card focus-card', id: 'phase-focus' },
        el('h3', { id: 'focus-title' }, ''), el('div', { class: 'meta', id: 'focus-description' }, ''), el('div', { class: 'meta phase-meta' }, ''), el('div', { class: 'svg' }))),
    el('div', { class: 'lower' }, el('div', { id: 'events' }), el('div', { id: 'detail' }, el('div', { class: 'empty' }, 'Select an event.'))));
  $('[data-actor="orchestrator"] .svg').innerHTML = orchestratorSvg;
  $('#phase-focus .svg').innerHTML = phaseSvg;
  renderEvents();
  await Promise.all([goTo(current.seq, true), refreshApproval()]);
  current.source = new EventSource('/api/runs/' + encodeURIComponent(runId) + '/stream?after=' + lastSeq());
  current.source.addEventListener('append', (message) => onAppend(JSON.parse(message.data)));
}

const lastSeq = () => current.view.timeline.length ? current.view.timeline[current.view.timeline.length - 1].seq : 0;

function renderEvents() {
  $('#events').replaceChildren(...current.view.timeline.map((e) => el('div', { 'data-seq': String(e.seq), title: e.type + ': ' + e.text, onclick: () => goTo(e.seq) },
    String(e.seq).padStart(4) + '  ' + e.actor.padEnd(12) + ' ' + e.type.padEnd(20) + ' ' + e.text)));
}

async function onAppend(entry) {
  if (current.view.timeline.some((e) => e.seq === entry.seq)) return;
  current.view.timeline.push(entry);
  // A gate asked, decided or left, or the run stopped or went on: the approval panel may change.
  if (entry.type.startsWith('approval.') || entry.type.startsWith('run.')) refreshApproval();
  $('#timeline-slider').max = String(lastSeq());
  renderEvents();
  if (current.following) await goTo(entry.seq, true); else markTimeline();
}

function markTimeline() {
  document.querySelectorAll('#events div').forEach((d) => {
    const seq = Number(d.dataset.seq);
    d.classList.toggle('selected', seq === current.seq);
    d.classList.toggle('future', seq > current.seq);
  });
  const list = $('#events');
  const row = $('#events div.selected');
  // Scroll the list only, never the page.
  if (row && (row.offsetTop < list.scrollTop || row.offsetTop > list.scrollTop + list.clientHeight - row.offsetHeight)) {
    list.scrollTop = row.offsetTop - list.clientHeight / 2;
  }
  $('#seq-label').textContent = 'event ' + current.seq + ' of ' + lastSeq() + (current.following ? ' · live' : '');
  $('#timeline-slider').value = String(current.seq);
}

async function goTo(seq, follow = false) {
  const last = lastSeq();
  if (last === 0) return;
  seq = Math.max(1, Math.min(last, seq));
  current.seq = seq;
  current.following = follow || seq === last && current.following;
  markTimeline();
  const runId = current.runId;
  const [state, detail] = await Promise.all([
    api('/api/runs/' + encodeURIComponent(runId) + '/state?at=' + seq),
    api('/api/runs/' + encodeURIComponent(runId) + '/events/' + seq),
  ]);
  if (current.runId !== runId || current.seq !== seq) return;
  highlight($('[data-actor="orchestrator"] .svg'), state.orchestrator.state, state.status);
  $('#orchestrator-meta').textContent = 'run ' + statusText(state.status);
  current.state = state;
  renderPhases();
  renderDetail(detail);
}

const attemptMeta = (p) => [p.attempt ? 'attempt ' + p.attempt : '', p.tokens ? p.tokens + ' tok' : '', p.preExisting?.length ? 'pre-existing, ignored: ' + p.preExisting.join(', ') : ''].filter(Boolean).join(' · ');
const phaseMeta = (p) => [p.status, attemptMeta(p)].filter(Boolean).join(' · ');

/** The phase drawn large: the one picked in the list, else the one running at this point of the timeline, else the last that ran. */
function focusedPhase(phases) {
  if (current.focus !== null) return current.focus;
  const running = phases.findIndex((p) => p.status === 'running');
  return running >= 0 ? running : Math.max(0, phases.map((p) => p.status !== 'pending').lastIndexOf(true));
}

function focusPhase(index) {
  current.focus = index;
  renderPhases();
}

/** Every phase as a line of the list, and the focused one as its statechart. */
function renderPhases() {
  const phases = current.state?.phases ?? [];
  const shown = focusedPhase(phases);
  phases.forEach((p, index) => {
    const row = $('#phase-list li[data-phase="' + index + '"]');
    if (!row) return;
    row.dataset.state = p.state ?? '';
    row.dataset.status = p.status;
    row.classList.toggle('focused', index === shown);
    $('.phase-state', row).textContent = p.state ?? p.status;
    $('.phase-meta', row).textContent = attemptMeta(p);
  });
  $('#follow-phase').hidden = current.focus === null;
  // The focused line in sight, scrolling the list only, never the page.
  const list = $('#phase-list');
  const focusedRow = $('#phase-list li.focused');
  if (focusedRow && (focusedRow.offsetTop < list.scrollTop || focusedRow.offsetTop + focusedRow.offsetHeight > list.scrollTop + list.clientHeight)) {
    list.scrollTop = focusedRow.offsetTop - list.clientHeight / 2;
  }
  const info = current.view.phases[shown];
  const p = phases[shown];
  const card = $('#phase-focus');
  if (!info) return;
  card.dataset.phase = String(shown);
  $('#focus-title').textContent = 'phase-' + shown + ' · ' + info.id;
  $('#focus-description').textContent = info.description;
  $('#focus-description').title = info.description;
  $('.phase-meta', card).textContent = p ? phaseMeta(p) : '';
  highlight($('.svg', card), p?.state ?? null, p?.status);
}

const fmtMiB = (bytes) => bytes == null ? 'none' : (bytes / 1048576).toFixed(1) + ' MiB';

/** One applied file's unified diff: @@ headers, old and new line numbers, + and - lines coloured; or why there is none. */
function fileDiff(f) {
  if (f.kind === 'binary') return [el('div', { class: 'meta diff-note' }, 'Binary file: not diffed.')];
  if (f.kind === 'too-large') return [el('div', { class: 'meta diff-note' }, 'Too large to diff: ' + fmtMiB(f.oldBytes) + ' before, ' + fmtMiB(f.newBytes) + ' after (files up to ${MAX_DIFF_BYTES / 1048576} MiB a side are diffed).')];
  if (f.kind === 'unavailable') return [el('div', { class: 'banner diff-note' }, 'No diff: ' + f.reason + '.')];
  if (f.hunks.length === 0) return [el('div', { class: 'meta diff-note' }, f.status === 'modified' ? 'No change: the same content as before.' : 'An empty file.')];
  const rows = [];
  for (const h of f.hunks) {
    rows.push(el('div', { class: 'hunk' }, '@@ -' + h.oldStart + ',' + h.oldLines + ' +' + h.newStart + ',' + h.newLines + ' @@'));
    let oldLine = h.oldStart;
    let newLine = h.newStart;
    for (const l of h.lines) {
      const numbers = [l.op === '+' ? '' : oldLine++, l.op === '-' ? '' : newLine++].map((n) => el('span', { class: 'ln' }, n));
      rows.push(el('div', { class: l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'ctx' }, ...numbers, l.op + l.text));
      if (l.noNewlineAtEnd) rows.push(el('div', { class: 'eof' }, '\\\\ No newline at end of file'));
    }
  }
  return [
    ...(f.minimal ? [] : [el('div', { class: 'meta diff-note' }, 'Over ${MAX_DIFF_EDIT_LINES} lines changed: the region between the first and last change is shown removed, then added.')]),
    el('div', { class: 'diff', 'data-path': f.path }, ...rows),
  ];
}

/** The approval panel: always the run as it is now, not at the point of the timeline. Re-drawn only when it changed, keeping any feedback being typed. */
async function refreshApproval() {
  const runId = current?.runId;
  if (runId === undefined) return;
  const view = await api('/api/runs/' + encodeURIComponent(runId) + '/approval');
  if (current.runId !== runId) return;
  const key = JSON.stringify(view);
  if (key === current.approval.key) return;
  Object.assign(current.approval, { key, view });
  renderApproval(view);
}

const decisionText = (d) => (d.approved ? 'approved' : 'rejected') + ' by ' + d.by + ' (' + d.via + ', ' + fmtTime(d.at) + ')' + (d.feedback ? ': ' + d.feedback : '');

/** What became of a gate: who decided, and how the run goes on. */
function outcomeLine(decided) {
  return el('div', { class: 'banner', id: 'approval-outcome' },
    'phase ' + decided.phaseId + ', attempt ' + decided.attempt + ': ' + decisionText(decided.decision) + '. ',
    ...(decided.driven ? ['The process waiting at the gate goes on by itself.'] : ['Nothing drives this run now: continue it with ', code(CLI + ' resume ' + current.runId), '.']));
}

/** Approve, a feedback box and Reject (which needs feedback), for an inspector that may decide. */
function approvalControls(w) {
  const state = current.approval;
  const reject = el('button', { id: 'reject', class: 'reject', title: 'the phase tries again, told your feedback', onclick: () => decide(false, w) }, 'Reject');
  const sync = () => { reject.disabled = state.draft.trim() === ''; };
  const feedback = el('textarea', { id: 'feedback', rows: '3', placeholder: 'What should the model change? Needed to reject; with an approval, a note kept in the log.',
    oninput: (e) => { state.draft = e.target.value; sync(); } });
  feedback.value = state.draft;
  sync();
  return el('div', { id: 'approval-controls' }, feedback,
    el('div', { class: 'approval-buttons' }, el('button', { id: 'approve', class: 'approve', title: 'apply these changes and go on', onclick: () => decide(true, w) }, 'Approve'), reject));
}

function renderApproval(a) {
  const box = $('#approval');
  if (!box) return;
  const state = current.approval;
  const status = $('#run-status');
  status.textContent = statusText(a.status);
  status.className = 'status status-' + a.status;
  const w = a.waiting;
  const parts = [];
  if (w) {
    parts.push(el('h3', {}, 'phase-' + w.phaseIndex + ' · ' + w.phaseId + ' waits for approval'),
      el('div', { class: 'meta' }, 'attempt ' + w.attempt + ' · proposed ' + fmtTime(w.requestedAt) + ' · ' + w.files.length + ' file' + (w.files.length === 1 ? '' : 's') + ' · nothing is written before it is approved'),
      el('p', { id: 'approval-summary' }, w.summary),
      el('div', { id: 'approval-files' }, ...w.files.flatMap((f) => [el('h4', {}, f.status + ' ' + f.path), ...fileDiff(f)])));
  }
  // Decided elsewhere and not yet read by the run, or here: kept in sight while its gate waits, or while the
  // process that waited goes on; once a resumed run has read it, or another gate waits, it is history.
  const mine = state.decided && (w ? state.decided.phaseIndex === w.phaseIndex && state.decided.attempt === w.attempt : state.decided.driven) ? state.decided : null;
  const decided = w?.decision ? { phaseId: w.phaseId, attempt: w.attempt, decision: w.decision, driven: a.driven } : mine;
  if (decided) parts.push(outcomeLine(decided));
  else if (w && TOKEN) parts.push(approvalControls(w));
  else if (w) parts.push(el('div', { class: 'banner', id: 'approval-readonly' }, 'This inspector is read-only. Decide with ', code(CLI + ' approve ' + current.runId), ' or ',
    code(CLI + ' reject ' + current.runId + ' --feedback TEXT'), ', or restart it with ', code(CLI + ' inspect --allow-approve'), ' to decide on this page.'));
  if (state.error) parts.push(el('div', { class: 'bad', id: 'approval-error' }, state.error));
  const shown = decided ? [decided.phaseId + '/' + decided.attempt] : [];
  const earlier = a.decisions.filter((d) => !shown.includes(d.phaseId + '/' + d.attempt));
  if (earlier.length) parts.push(el('details', { id: 'approval-history', ...(w ? {} : { open: '' }) }, el('summary', {}, earlier.length + ' approval decision' + (earlier.length === 1 ? '' : 's')),
    el('ul', {}, ...earlier.map((d) => el('li', {}, 'phase ' + d.phaseId + ', attempt ' + d.attempt + ': ' + decisionText(d))))));
  box.hidden = parts.length === 0;
  box.classList.toggle('waiting', Boolean(w) && !decided);
  box.replaceChildren(...parts);
}

/** Sends the decision about the gate shown (its phase and attempt), with the token this page was served with. */
async function decide(approved, w) {
  const runId = current.runId;
  const state = current.approval;
  const feedback = state.draft.trim();
  if (!approved && feedback === '') { state.error = 'A rejection needs feedback: say what the model should change.'; state.key = null; return refreshApproval(); }
  document.querySelectorAll('#approval-controls button').forEach((b) => { b.disabled = true; });
  let error = '';
  try {
    const response = await fetch('/api/runs/' + encodeURIComponent(runId) + '/approval', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Autopack-Token': TOKEN },
      body: JSON.stringify({ approved, phaseId: w.phaseId, attempt: w.attempt, ...(feedback ? { feedback } : {}) }),
    });
    const answer = await response.json();
    if (!response.ok) error = answer.error;
    else Object.assign(state, { decided: answer, draft: '' });
  } catch (e) {
    error = 'could not reach the inspector: ' + e.message;
  }
  if (current.runId !== runId) return;
  state.error = error;
  state.key = null;
  await refreshApproval();
}

function renderDetail(d) {
  const parts = [el('div', {}, el('b', {}, '#' + d.entry.seq + ' ' + d.entry.type), ' · ' + d.entry.actor + ' · ' + (d.entry.source ?? '∅') + ' → ' + (d.entry.target ?? '∅')),
    el('div', { class: 'meta' }, fmtTime(d.entry.at) + ' · ' + d.entry.text)];
  if (d.errors) parts.push(el('h4', {}, 'Errors (' + d.errors.code + ')'), el('ul', { class: 'errors' }, ...d.errors.errors.map((e) => el('li', { class: 'bad' }, e))));
  if (d.prompt) {
    parts.push(el('h4', {}, 'Prompt · ' + d.prompt.promptTokens + ' / ' + d.prompt.maxPromptTokens + ' tokens (' + d.prompt.tokenizer + ')'));
    for (const m of d.prompt.messages) parts.push(el('div', { class: 'meta' }, m.role + ' · ' + m.chars + ' chars'), el('pre', {}, m.excerpt));
    const cut = d.prompt.context.filter((c) => c.cut);
    if (cut.length) parts.push(el('div', { class: 'banner' }, 'Cut by the prompt budget: ' + cut.map((c) => c.path + ' (' + c.cut.kind + ')').join(', ')));
  }
  if (d.response) parts.push(el('h4', {}, 'Model response · ' + d.response.finishReason), el('pre', { class: 'response' }, d.response.content));
  if (d.files) for (const f of d.files) parts.push(el('h4', {}, f.mode + ' ' + f.path), ...fileDiff(f));
  if (d.proposed) {
    parts.push(el('h4', {}, 'Proposed for approval · attempt ' + d.proposed.attempt), el('div', { class: 'meta' }, d.proposed.summary));
    for (const f of d.proposed.files) parts.push(el('h4', {}, f.status + ' ' + f.path), ...fileDiff(f));
  }
  if (d.checks) for (const c of d.checks) parts.push(el('h4', { class: c.passed ? 'ok' : 'bad' }, (c.passed ? '✓ ' : '✗ ') + c.name + ' · exit ' + c.exit_code + ' · ' + c.duration.toFixed(2) + ' s' + (c.timed_out ? ' · timed out' : '')),
    ...(c.output_tail ? [el('pre', {}, c.output_tail)] : []));
  parts.push(el('details', {}, el('summary', {}, 'data'), el('pre', {}, JSON.stringify(d.data, null, 2))));
  $('#detail').replaceChildren(...parts);
}

addEventListener('keydown', (e) => { if (!current) return; if (e.key === 'ArrowLeft') goTo(current.seq - 1); if (e.key === 'ArrowRight') goTo(current.seq + 1); });
addEventListener('popstate', () => route());
const runInPath = () => { const match = location.pathname.match(/^\\/runs\\/([^/]+)$/); return match ? decodeURIComponent(match[1]) : null; };
/** /runs/RUN opens that run; / opens the newest, and the list switches to any other. */
function route() {
  const runId = runInPath() ?? runs[0]?.runId;
  if (runId === undefined) { $('#run').replaceChildren(el('div', { class: 'empty' }, 'No runs in this log yet.')); return; }
  openRun(runId, false).catch((e) => { $('#run').replaceChildren(el('div', { class: 'empty' }, String(e.message))); });
}
loadRuns().then(route);
// A log that had no runs when the page opened shows the first one as soon as it is there.
setInterval(() => loadRuns().then(() => { if (opening === null && runs.length > 0) route(); }), 3000);
// A decision made elsewhere (autopack approve) goes beside the run's log, not into it: asked for while a gate waits.
setInterval(() => { if (current?.approval.view?.status === 'awaiting_approval') refreshApproval().catch(() => {}); }, 3000);
`;

const escapeHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The page; `token` is written into it only by an inspector that may decide approvals (`--allow-approve`):
 * no other page can read it, so a write that carries it comes from this page. `cli` is how the commands it
 * suggests are typed.
 */
export const inspectorPage = ({ token, cli }: { token: string | null; cli: string }): string => `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="autopack-cli" content="${escapeHtml(cli)}">${token === null ? '' : `<meta name="autopack-token" content="${escapeHtml(token)}">`}
<title>autopack inspector</title><style>${STYLE}</style></head>
<body>
<header><h1><a href="/">autopack inspector</a></h1><span class="meta">every view is a fold of the event log · ← → step through events</span></header>
<main>
<section id="runs"><table><thead><tr><th>run</th><th>status</th></tr></thead><tbody></tbody></table></section>
<section id="run"><div class="empty">Opening the newest run…</div></section>
</main>
<script>${SCRIPT}</script>
</body>
</html>`;

export function notFoundPage(what: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found · autopack inspector</title><style>${STYLE}</style></head>
<body><header><h1><a href="/">autopack inspector</a></h1></header>
<div class="empty"><h2>Not found</h2><p>There is no run <code>${escapeHtml(what)}</code> in this log.</p><p><a href="/">See the runs it has.</a></p></div></body></html>`;
}
