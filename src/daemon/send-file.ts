/**
 * The send_file tool's work: a file of the caller's workspace, read confined like fs/* (walked
 * from the workspace root, no symlinks, regular files only), capped, copied into the outbox's file
 * store and queued for the group's chat. Images go as photos (Telegram takes up to 10 MB), the rest
 * as documents.
 */
import { basename, extname } from 'node:path';
import type { OutboxFiles } from '../router/outbox-files.js';
import { WorkspaceAccessError, readWorkspaceBytes } from '../sessions/workspace-fs.js';
import type { Stores } from '../store/store.js';
import type { Caller } from '../tools/identity.js';
import { ToolRefusal } from '../tools/refusal.js';

const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);
export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;

export function sendFileTool(deps: { stores: Stores; files: OutboxFiles; maxBytes: number }) {
  return async (caller: Caller, path: string, caption: string | undefined): Promise<string> => {
    const { stores } = deps;
    const group = stores.groups.get(caller.group);
    if (group === undefined)
      throw new ToolRefusal(`this session's group (${caller.group}) has no chat to send to`);
    const session = stores.sessions.get(caller.sessionId);
    if (session === undefined) throw new ToolRefusal('this session is gone');
    let bytes: Buffer;
    try {
      bytes = await readWorkspaceBytes(session.workspace, path, deps.maxBytes);
    } catch (err) {
      if (err instanceof WorkspaceAccessError)
        throw new ToolRefusal(
          `refused: ${err.message} (send_file sends files of your workspace only, at most ${deps.maxBytes} bytes)`,
        );
      throw err;
    }
    if (bytes.length === 0)
      throw new ToolRefusal(`refused: ${path} is empty; Telegram does not send empty files`);
    const name = basename(path);
    const kind =
      PHOTO_EXTENSIONS.has(extname(name).toLowerCase()) && bytes.length <= MAX_PHOTO_BYTES
        ? 'photo'
        : 'document';
    const file = deps.files.put(bytes);
    const id = stores.outbox.add(
      {
        channel: group.channel,
        chatId: group.chat_id,
        groupFolder: group.folder,
        text: caption ?? '',
        source: 'tool',
        attachment: { file, name, kind, bytes: bytes.length },
      },
      Date.now(),
    );
    return `queued ${kind} ${name} (${bytes.length} bytes) as message #${id} for delivery to ${group.folder}`;
  };
}
