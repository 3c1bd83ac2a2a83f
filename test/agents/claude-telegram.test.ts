/** The chat path through the fake Bot API with the real claude adapter (telegram-path.ts). */
import { claude } from './adapters.js';
import { telegramPath } from './telegram-path.js';

telegramPath(claude);
