import { it } from 'vitest';
import { startWithTelegram } from '../helpers/telegram-home.js';
it('timing', async () => {
  let t = Date.now();
  const s = await startWithTelegram();
  console.log('start', Date.now() - t); t = Date.now();
  await s.h.run(['daemon', 'stop']);
  console.log('stop', Date.now() - t); t = Date.now();
  await s.h.cleanup(); await s.tg.stop();
  console.log('cleanup', Date.now() - t);
});
