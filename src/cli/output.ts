/** Printing: JSON when asked (`-o json`), otherwise lines for a person. Errors go to stderr. */
export type OutputFormat = 'human' | 'json';

export type Out = {
  readonly format: OutputFormat;
  /** Prints `data` as JSON, or calls `human` to print it for a person. */
  readonly print: (data: unknown, human: (write: (line: string) => void) => void) => void;
  readonly line: (text: string) => void;
  readonly error: (text: string) => void;
};

export function createOut(format: OutputFormat, stdout = process.stdout, stderr = process.stderr): Out {
  const write = (line: string): void => {
    stdout.write(`${line}\n`);
  };
  return {
    format,
    print: (data, human) => {
      if (format === 'json') write(JSON.stringify(data, null, 2));
      else human(write);
    },
    line: write,
    error: (text) => {
      stderr.write(`agentforge: ${text}\n`);
    },
  };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  const s = seconds % 60;
  return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}
