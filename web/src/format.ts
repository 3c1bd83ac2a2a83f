/** Times in the viewer's own zone and locale; sizes in binary units. */
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

export const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function when(t: number | string | null | undefined): string {
  if (t === null || t === undefined) return '—';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? '—' : dateTime.format(d);
}

export function clock(t: number | string): string {
  return timeOnly.format(new Date(t));
}

export function ago(t: number | string | null | undefined, now = Date.now()): string {
  if (t === null || t === undefined) return '—';
  const s = Math.round((now - new Date(t).getTime()) / 1000);
  const future = s < 0;
  const a = Math.abs(s);
  const text =
    a < 60
      ? `${a}s`
      : a < 3600
        ? `${Math.round(a / 60)}m`
        : a < 86_400
          ? `${Math.round(a / 3600)}h`
          : `${Math.round(a / 86_400)}d`;
  return future ? `in ${text}` : `${text} ago`;
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
