export { runCommandCheck, runCommandChecks } from './runCommandCheck.js';
export type { RunCommandCheckOptions } from './runCommandCheck.js';
export { checkDeliverables } from './checkDeliverables.js';
export type { CheckDeliverablesInput } from './checkDeliverables.js';
