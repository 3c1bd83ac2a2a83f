/** The chat path through the fake Bot API with the real gemini adapter (telegram-path.ts). */
import { gemini } from './adapters.js';
import { telegramPath } from './telegram-path.js';

telegramPath(gemini);
