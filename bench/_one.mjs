import { ours } from './overhead.mjs';
const o = await ours(Number(process.env.N ?? 200), 'normal');
console.log('ms/phase', o.msPerPhase.toFixed(3));
