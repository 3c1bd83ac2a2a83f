/**
 * The commented config.toml that `agentforge init` writes. Every key is shown with its default,
 * commented out, so the file documents itself and an uncommented line is always a deliberate choice.
 */
export const CONFIG_TEMPLATE = `# AgentForge configuration. Every key is optional; the values shown are the defaults.
# Reference: docs/configuration.md. Unknown keys are errors. Secrets are never written here:
# use a reference, "env:NAME" or "file:/absolute/path" (mode 0600 or 0400).

[daemon]
# socket = "daemon.sock"          # relative paths are taken from the home
# shutdown_timeout = "30s"        # running turns get this long to finish on stop

[http]
# host = "127.0.0.1"              # loopback only unless allow_remote = true
# port = 2180                     # 0 disables the TCP listener (the Unix socket always runs)
# allow_remote = false

[log]
# level = "info"
# max_size_mb = 10
# max_backups = 5
# max_age_days = 30
# compress_backups = false

[limits]
# max_concurrent_agents = 5
# agent_memory_mb = 2048
# turn_timeout = "15m"
# idle_timeout = "30m"
# max_output_bytes = 4194304
# max_queue_per_group = 100
# permission_timeout = "5m"       # how long an "ask" permission request waits for an answer

# Agents. With none configured the bundled demo agent is used.
# [agents.claude]
# preset = "claude"               # claude | codex | gemini | demo, or set command/args yourself
# credentials = { ANTHROPIC_API_KEY = "env:ANTHROPIC_API_KEY" }
# permission_mode = "approve-reads"   # approve-reads | approve-all | deny-all | ask
# default = true

[channels.telegram]
# enabled = false
# token = "env:TELEGRAM_BOT_TOKEN"
# dm_policy = "pairing"           # pairing | allowlist | disabled
# allowed_users = []
# approvers = [123456789]         # user ids that may answer permission requests; default: the ids in allowed_users

[channels.email]
# enabled = false

[scheduler]
# timezone = "UTC"                # IANA name; default: the system's
# missed_runs = "run-once"        # skip | run-once | catch-up

[retention]
# messages_days = 90
# events_days = 30
# run_logs_days = 14

[backup]
# schedule = "0 3 * * *"
# keep = 7

[metrics]
# enabled = false

[dashboard]
# enabled = true        # the web page at http://127.0.0.1:2180/ (log in with: agentforge dashboard)
# link_ttl = "10m"
# session_ttl = "12h"
`;
