/** Conformance of the real Codex adapter (@agentclientprotocol/codex-acp, pinned). */
import { describe } from 'vitest';
import { codex } from './adapters.js';
import { conformance } from './conformance.js';

describe('codex-acp', () => conformance(codex));
