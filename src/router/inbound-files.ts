/**
 * Files that came with a turn's messages, fetched before the turn: each into the group's
 * workspace under `inbox/` (sanitized names, size caps; a file over the cap is described, not
 * fetched), retried like any download, and recorded on the message so a retried turn does not
 * fetch again. Photos fetched for this turn are also handed to the agent as images.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import {
  messageFiles,
  type MessageFile,
  type MessagesRepo,
  type MessageRow,
} from '../store/messages-repo.js';
import type { Channel, PromptImage } from './ports.js';

export const FILE_FETCH_ATTEMPTS = 3;
export const FILE_FETCH_BACKOFF_MS = 1_000;
/** Images per turn given to the agent inline (each is base64 in the prompt). */
export const MAX_PROMPT_IMAGES = 4;
export const MAX_PROMPT_IMAGE_BYTES = 5 * 1024 * 1024;

const DEFAULT_NAMES: Record<MessageFile['kind'], string> = {
  photo: 'photo.jpg',
  document: 'document',
  voice: 'voice.ogg',
  audio: 'audio',
  video: 'video.mp4',
  video_note: 'video-note.mp4',
  animation: 'animation.mp4',
};

/** A name safe in any file system and shell: letters, digits, `.`, `-`, `_`; never hidden, never empty. */
export function safeName(name: string | null, kind: MessageFile['kind']): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(-100);
  return clean === '' ? DEFAULT_NAMES[kind] : clean;
}

export type InboundFilesDeps = {
  readonly messages: MessagesRepo;
  /** Writes the bytes at `relPath` inside the group's workspace (confined, no symlinks). */
  readonly save: (folder: string, relPath: string, bytes: Buffer) => Promise<void>;
  readonly maxBytes: number;
  readonly log: Logger;
};

function mb(bytes: number): string {
  return `${Math.round(bytes / 1048576)} MB`;
}

export async function fetchInboundFiles(
  batch: readonly MessageRow[],
  channel: Channel | undefined,
  deps: InboundFilesDeps,
): Promise<PromptImage[]> {
  const images: PromptImage[] = [];
  for (const m of batch) {
    const files = messageFiles(m);
    if (files.length === 0 || files.every((f) => f.path !== undefined || f.skipped !== undefined)) continue;
    for (const [i, f] of files.entries()) {
      if (f.path !== undefined || f.skipped !== undefined) continue;
      if (f.size !== null && f.size > deps.maxBytes) {
        f.skipped = `it is larger than the ${mb(deps.maxBytes)} download limit`;
        continue;
      }
      if (channel?.fetchFile === undefined) {
        f.skipped = 'this channel cannot download files';
        continue;
      }
      const rel = `inbox/${safeName(m.message_id, 'document')}-${i + 1}-${safeName(f.name, f.kind)}`;
      try {
        const bytes = await fetchWithRetry(channel, f.fileId, deps.maxBytes);
        await deps.save(m.group_folder, rel, bytes);
        f.path = rel;
        if (f.kind === 'photo' && images.length < MAX_PROMPT_IMAGES && bytes.length <= MAX_PROMPT_IMAGE_BYTES)
          images.push({ mimeType: f.mime ?? 'image/jpeg', data: bytes });
      } catch (err) {
        f.skipped = `download failed: ${(err as Error).message}`.slice(0, 300);
        deps.log.warn(
          { group: m.group_folder, message: m.message_id, err: f.skipped },
          'file not downloaded',
        );
      }
    }
    deps.messages.setFiles(m.id, files);
    (m as { attachments: string | null }).attachments = JSON.stringify(files);
  }
  return images;
}

async function fetchWithRetry(channel: Channel, fileId: string, maxBytes: number): Promise<Buffer> {
  let last: unknown;
  for (let attempt = 0; attempt < FILE_FETCH_ATTEMPTS; attempt++) {
    if (attempt > 0) await sleep(FILE_FETCH_BACKOFF_MS * 2 ** (attempt - 1));
    try {
      return await channel.fetchFile!(fileId, maxBytes);
    } catch (err) {
      last = err;
      if ((err as { permanent?: boolean }).permanent === true) break;
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}
