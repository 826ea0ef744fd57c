export * from './escalation-table.js';
export * from './escalation-flow.js';
export * from './invalid-props-error.js';
export * from './sample-stack.js';
