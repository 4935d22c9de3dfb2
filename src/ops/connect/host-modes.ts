import type { AuthMode } from '../../config/auth-modes.js';
import type { Host } from './hosts.js';

/**
 * Which of a client's auth modes a host should use, from what each host documents (checked
 * 2026-11). A host that finds OAuth metadata may stop sending configured headers (Cursor does),
 * so for a client that offers OAuth the choice is not always "the key where the host takes one".
 */
export type HostAuth = 'key' | 'oauth';

interface HostSupport {
  key: boolean;
  oauth: boolean;
  /** Use OAuth whenever the client offers it: the key breaks there, or OAuth works where the key does not. */
  preferOauth?: string;
}

const SUPPORT: Readonly<Record<Host, HostSupport>> = {
  chatgpt: { key: false, oauth: true, preferOauth: 'ChatGPT sends no custom header: OAuth is the only way in' },
  claude: {
    key: true,
    oauth: true,
    preferOauth:
      'Claude takes a header on Pro, Max and Team plans only, and organization connectors have been seen to start OAuth anyway: OAuth works on every plan',
  },
  'claude-code': { key: true, oauth: true },
  'claude-desktop': { key: true, oauth: true },
  codex: { key: true, oauth: true },
  cursor: {
    key: true,
    oauth: true,
    preferOauth: 'Cursor stops sending configured headers once the server answers OAuth discovery, which this client does',
  },
  gemini: { key: true, oauth: true },
  vscode: { key: true, oauth: true },
  windsurf: { key: true, oauth: true },
  zed: { key: true, oauth: false },
  goose: { key: true, oauth: true },
  librechat: { key: true, oauth: true },
  json: { key: true, oauth: true },
};

export type HostAuthChoice = { mode: HostAuth; why: string } | { mode: 'none'; why: string };

export function hostAuthFor(host: Host, modes: readonly AuthMode[]): HostAuthChoice {
  const support = SUPPORT[host];
  const offersKey = modes.includes('key');
  const offersOauth = modes.includes('oauth');
  if (offersOauth && support.oauth && (support.preferOauth || !offersKey || !support.key))
    return { mode: 'oauth', why: support.preferOauth ?? 'the client offers no key, so people sign in with OAuth' };
  if (offersKey && support.key)
    return { mode: 'key', why: offersOauth ? 'the key as a header; OAuth works here too' : 'the bearer key as a header' };
  if (!support.key) return { mode: 'none', why: `${support.preferOauth ?? 'this host takes no static key'}; enable oauth for the client` };
  return { mode: 'none', why: 'this host cannot sign in with OAuth, and the client takes no key' };
}
