/** Conformance of the real Gemini CLI in ACP mode (@google/gemini-cli, pinned). */
import { describe } from 'vitest';
import { gemini } from './adapters.js';
import { conformance } from './conformance.js';

describe('gemini --acp', () => conformance(gemini));
