import type { Command } from 'commander';
import { registerAdd } from './add.js';
import { registerConnect } from './connect.js';
import { registerDemo } from './demo.js';
import { registerDeploy } from './deploy.js';
import { registerInit } from './init.js';
import { registerList } from './list.js';
import { registerLocal } from './local.js';
import { registerLogs } from './logs.js';
import { registerMetrics } from './metrics.js';
import { registerRemove } from './remove.js';
import { registerRollback } from './rollback.js';
import { registerSecrets } from './secrets.js';
import { registerStatus } from './status.js';
import { registerUpgradeConfig } from './upgrade-config.js';
import { registerVerify } from './verify.js';

/**
 * Each command lives in its own file and registers itself here. Command files load their
 * ops with dynamic import() inside the action, so `--version`, `--help` and light commands
 * never pay for the Cloudflare SDK, miniflare or execa.
 */
export function registerCommands(program: Command): void {
  registerInit(program);
  registerAdd(program);
  registerRemove(program);
  registerUpgradeConfig(program);
  registerList(program);
  registerVerify(program);
  registerDeploy(program);
  registerRollback(program);
  registerSecrets(program);
  registerStatus(program);
  registerConnect(program);
  registerLogs(program);
  registerMetrics(program);
  registerLocal(program);
  registerDemo(program);
}
