/**
 * The environment an agent child gets: an allowlist of the daemon's harmless variables, the agent's
 * own non-secret `env`, and exactly its resolved credentials. Nothing else leaks — in particular
 * not other agents' keys nor the Telegram token the daemon itself holds (SPEC §6, §11).
 */
export const ENV_ALLOWLIST = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'LC_MESSAGES',
  'TZ',
  'TERM',
  'TMPDIR',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  // Needed by `systemd-run --user` (the cgroup memory cap) to reach the user's service manager.
  'XDG_RUNTIME_DIR',
  'DBUS_SESSION_BUS_ADDRESS',
] as const;

export function buildAgentEnv(
  daemonEnv: NodeJS.ProcessEnv,
  agentEnv: Readonly<Record<string, string>>,
  credentials: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ENV_ALLOWLIST) {
    const value = daemonEnv[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...agentEnv, ...credentials };
}
