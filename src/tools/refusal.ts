/**
 * A refusal a tool's dependency raises; its message is what the agent reads. A module of its own so
 * that raising one (send_file, in the daemon) does not load the MCP SDK, which the tool server
 * loads only with the first tool call.
 */
export class ToolRefusal extends Error {}
