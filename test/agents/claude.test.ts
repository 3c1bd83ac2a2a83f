/** Conformance of the real Claude adapter (@agentclientprotocol/claude-agent-acp, pinned). */
import { describe } from 'vitest';
import { claude } from './adapters.js';
import { conformance } from './conformance.js';

describe('claude-agent-acp', () => conformance(claude));
