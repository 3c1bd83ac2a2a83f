// Ad-hoc: CPU profile of the daemon during a throughput run (not part of npm run bench).
import { FAKE_TOKEN, FakeTelegram } from '../test/fakes/telegram-api.js';
import { benchHome, startForeground, stop, waitReady } from './lib.js';
const tg = new FakeTelegram();
await tg.start();
const users = Array.from({ length: 20 }, (_, i) => 5000 + i);
const h = benchHome(
  `[http]\nport = 0\n[limits]\nmax_concurrent_agents = 20\n[channels.telegram]\nenabled = true\ntoken = "env:T"\napi_root = "${tg.apiRoot}"\npoll_timeout = "10s"\ndm_policy = "allowlist"\nallowed_users = [${users.join(',')}]\nrate_per_chat_per_s = 100000\nrate_per_group_per_min = 1000000\nrate_global_per_s = 100000\n`,
  { T: FAKE_TOKEN },
);
const d = startForeground(h, { NODE_OPTIONS: '--cpu-prof --cpu-prof-dir=/tmp/afprof' });
await waitReady(h);
for (const u of users) tg.pushMessage({ chatId: u, from: { id: u }, text: 'echo warm' });
await Promise.all(users.map((u) => tg.waitForSent(u, 1, 60_000)));
const t0 = performance.now();
for (let r = 0; r < 30; r++) {
  for (const u of users) tg.pushMessage({ chatId: u, from: { id: u }, text: `echo r${r}` });
  await Promise.all(users.map((u) => tg.waitForSent(u, r + 2, 60_000)));
}
console.log('msgs/s', (20 * 30) / ((performance.now() - t0) / 1000));
await stop(d);
h.cleanup();
await tg.stop();
