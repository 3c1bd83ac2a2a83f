/**
 * Gives the boot's memory back. After start-up the heap still holds what loading the module graph,
 * the migrations and the first sweep left behind, and a young generation grown for that burst;
 * an idle daemon allocates too little for V8 ever to shrink it on its own. One memory-reducing
 * collection (V8's "last resort" flavour: full, compacting, young generation shrunk) after the
 * boot's work and after each retention sweep returns ~15 MB of RSS for a pause of ~40 ms.
 *
 * During that collection V8 also drops the bytecode of every function not running: most of what
 * the boot compiled (config parsing, migrations, the first sweep) never runs again, and V8 would
 * drop it by itself only after six idle full collections (--bytecode-old-age), which an idle daemon
 * never reaches. What runs again is compiled again from its source, as any function is at first
 * call: ~1 MB less, and the collection no slower.
 *
 * The collector is reached the way test runners do (`--expose-gc` set at run time, `gc` taken
 * from a fresh context), so no launch flag is needed however the daemon was started.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** V8's default, restored after the collection. */
const V8_BYTECODE_OLD_AGE = 6;

let gc: Gc | undefined;

export function compactHeap(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
  }
  setFlagsFromString('--bytecode-old-age=1');
  try {
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } finally {
    setFlagsFromString(`--bytecode-old-age=${V8_BYTECODE_OLD_AGE}`);
  }
}
