import type { CommandGroup, DeclaredCommand } from '../define.js';
import { add } from './add.js';
import { auth } from './auth.js';
import { connect } from './connect.js';
import { demo } from './demo.js';
import { deploy } from './deploy.js';
import { doctor } from './doctor.js';
import { history } from './history.js';
import { init } from './init.js';
import { list } from './list.js';
import { localEnv, localGroup, localStart, localStatus, localStop } from './local.js';
import { logs } from './logs.js';
import { metrics } from './metrics.js';
import { recipientsAdd, recipientsGroup, recipientsKeygen, recipientsList, recipientsRemove } from './recipients.js';
import { remove } from './remove.js';
import { restore } from './restore.js';
import { rollback } from './rollback.js';
import { secretsGroup, secretsPush, secretsRetire, secretsRotate, secretsSeal, secretsStatus, secretsUnseal } from './secrets.js';
import { status } from './status.js';
import { tokensGroup, tokensIssue, tokensList, tokensRevoke } from './tokens.js';
import { upgradeConfig } from './upgrade-config.js';
import { usersGroup, usersInvite, usersList, usersRevoke } from './users.js';
import { verify } from './verify.js';

/**
 * Every command, in the order `--help` lists them. Each is one declaration in its own file; a
 * declaration loads its op with import() only when it runs, so `--version`, `--help` and light
 * commands never pay for the Cloudflare SDK, miniflare or execa.
 */
export const COMMAND_GROUPS: readonly CommandGroup[] = [secretsGroup, recipientsGroup, usersGroup, tokensGroup, localGroup];

export const COMMANDS: readonly DeclaredCommand[] = [
  init,
  add,
  remove,
  restore,
  upgradeConfig,
  list,
  verify,
  deploy,
  rollback,
  history,
  secretsPush,
  secretsStatus,
  secretsRotate,
  secretsRetire,
  secretsSeal,
  secretsUnseal,
  recipientsKeygen,
  recipientsAdd,
  recipientsRemove,
  recipientsList,
  auth,
  usersInvite,
  usersList,
  usersRevoke,
  tokensIssue,
  tokensList,
  tokensRevoke,
  status,
  connect,
  logs,
  metrics,
  localStart,
  localEnv,
  localStatus,
  localStop,
  doctor,
  demo,
];
