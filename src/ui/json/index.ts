/**
 * Every command's --json document, in one place (see common.ts for the rules). Commands import the
 * file of their family (their op's results only); consumers and tests import the types from here.
 */
export * from './common.js';
export * from './connect.js';
export * from './demo.js';
export * from './deploy.js';
export * from './doctor.js';
export * from './history.js';
export * from './local.js';
export * from './logs.js';
export * from './metrics.js';
export * from './project.js';
export * from './secrets.js';
export * from './status.js';
export * from './verify.js';
