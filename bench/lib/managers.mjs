// The process managers a benchmark compares: pmx, and PM2 unless BENCH_NO_PM2 is set. Each
// benchmark gets fresh ones (new homes, no daemon yet), killed when it ends, however it ends.
import { pm2 } from './pm2.mjs';
import { pmx } from './pmx.mjs';

export const withPm2 = () => !process.env.BENCH_NO_PM2;

export async function withManagers(body) {
  const list = [pmx()];
  try {
    if (withPm2()) list.push(await pm2());
    return await body(list);
  } finally {
    for (const m of list) await m.dispose();
  }
}
