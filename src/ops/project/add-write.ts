import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeConfigText } from '../../config/wrangler-config.js';
import type { Fleet } from '../../fleet/fleet.js';
import { ensureSecretsIgnored } from '../../secrets/git-guard.js';
import { backupSecretsFile, writeSecretsText } from '../../secrets/secrets-file.js';
import { withSignalsDeferred } from '../../util/deferred-signals.js';
import { readFileIfExists, writeFileAtomic } from '../../util/files.js';
import { STATE_DIR_NAME } from '../../util/state-dir.js';
import { clearAddJournal, sha256, writeAddJournal } from './add-journal.js';
import type { ClientConfigPlan } from './add-plan.js';
import type { AddResult } from './add-result.js';

export interface ClientWrite {
  fleet: Fleet;
  client: string;
  plan: ClientConfigPlan;
  secretsPath: string;
  secretsText: string;
  /** The secrets file is there and is replaced (--force): a backup is kept first. */
  replaces: boolean;
  /** The report, without `backup` (known once the backup is made). */
  result: Omit<AddResult, 'backup'>;
}

async function restore(path: string, previous: string | undefined, write: (text: string) => Promise<void>): Promise<void> {
  if (previous === undefined) await rm(path, { force: true });
  else await write(previous);
}

/**
 * Writes a client: .gitignore entries, then the secrets file and the config, in the order that
 * makes the last write the one that makes the client (its env section; for the top-level worker,
 * its secrets file). A journal covers a kill in between (add-journal.ts), held signals cover
 * Ctrl-C, and a failed write puts back every file as it was. Returns where the backup went.
 */
export async function writeClient(write: ClientWrite): Promise<string | undefined> {
  const { fleet, client, plan, secretsPath } = write;
  const configChanges = plan.configText !== fleet.configText;
  return withSignalsDeferred(async () => {
    const backup = write.replaces ? await backupSecretsFile(fleet.dir, client, secretsPath, 'replaced') : undefined;
    const gitignorePath = join(fleet.dir, '.gitignore');
    const before = { gitignore: await readFileIfExists(gitignorePath), secrets: await readFileIfExists(secretsPath) };
    await writeAddJournal(fleet.dir, {
      version: 1,
      client,
      kind: plan.kind,
      startedAt: new Date().toISOString(),
      secretsSha256: sha256(write.secretsText),
      backup: backup ?? null,
      configBefore: plan.kind === 'default' && configChanges ? fleet.configText : null,
      configAfterSha256: plan.kind === 'default' && configChanges ? sha256(plan.configText) : null,
      result: { ...write.result, backup },
    });
    let configWritten = false;
    const writeSecrets = () => writeSecretsText(secretsPath, write.secretsText);
    const writeConfig = async () => {
      if (!configChanges) return;
      await writeConfigText(fleet.configPath, plan.configText);
      configWritten = true;
    };
    try {
      await ensureSecretsIgnored(fleet.dir, [`${STATE_DIR_NAME}/`]);
      for (const step of plan.kind === 'env' ? [writeSecrets, writeConfig] : [writeConfig, writeSecrets]) await step();
    } catch (error) {
      // A failed add leaves every file as it was.
      await restore(secretsPath, before.secrets, (text) => writeSecretsText(secretsPath, text));
      await restore(gitignorePath, before.gitignore, (text) => writeFileAtomic(gitignorePath, text));
      if (configWritten) await writeConfigText(fleet.configPath, fleet.configText);
      await clearAddJournal(fleet.dir, client);
      throw error;
    }
    await clearAddJournal(fleet.dir, client);
    return backup;
  });
}
