/**
 * The dashboard's pages, in menu order. A new part of the product gets its page by adding one
 * entry here and one file in pages/ (a section of an existing page: one component there).
 */
import type { FunctionComponent } from 'preact';
import { Backups } from './pages/backups.js';
import { Chat } from './pages/chat.js';
import { Deliveries } from './pages/deliveries.js';
import { Groups } from './pages/groups.js';
import { Logs } from './pages/logs.js';
import { Overview } from './pages/overview.js';
import { Sessions } from './pages/sessions.js';
import { Tasks } from './pages/tasks.js';

export type PageProps = { readonly params: readonly string[] };
export type Page = {
  readonly path: string;
  readonly title: string;
  readonly view: FunctionComponent<PageProps>;
};

export const PAGES: readonly Page[] = [
  { path: 'overview', title: 'Overview', view: Overview },
  { path: 'sessions', title: 'Sessions', view: Sessions },
  { path: 'chat', title: 'Chat', view: Chat },
  { path: 'groups', title: 'Groups', view: Groups },
  { path: 'tasks', title: 'Tasks', view: Tasks },
  { path: 'deliveries', title: 'Deliveries', view: Deliveries },
  { path: 'logs', title: 'Logs', view: Logs },
  { path: 'backups', title: 'Backups', view: Backups },
];
