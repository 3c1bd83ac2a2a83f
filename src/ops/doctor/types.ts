import type { Config } from '../../config/load.js';
import type { ConfigError } from '../../config/errors.js';
import type { HomePaths } from '../../config/paths.js';
import type { ChannelStatus, Finding } from '../../contract.js';

/** What every check may look at. Built by the caller: the CLI (daemon down) or the daemon itself. */
export type DoctorContext = {
  readonly paths: HomePaths;
  /** The loaded config, or why it failed to load. */
  readonly config: Config | ConfigError;
  /** True when called inside the running daemon. */
  readonly inDaemon: boolean;
  readonly uid: number | undefined;
  /** The environment agent commands are looked up in. */
  readonly env: NodeJS.ProcessEnv;
  /** Live channel state, only inside the daemon. */
  /** The running daemon's channels with their readiness reason (null when ready). */
  readonly channels?: () => ReadonlyArray<ChannelStatus & { readonly notReady: string | null }>;
};

export type Check = {
  readonly id: string;
  readonly run: (ctx: DoctorContext) => Finding | Promise<Finding>;
};
