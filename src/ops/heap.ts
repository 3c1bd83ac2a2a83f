/**
 * Gives the boot's memory back. After start-up the heap still holds what loading the module graph,
 * the migrations and the first sweep left behind, and a young generation grown for that burst;
 * an idle daemon allocates too little for V8 ever to shrink it on its own. One memory-reducing
 * collection (V8's "last resort" flavour: full, compacting, young generation shrunk) after the
 * boot's work and after each retention sweep returns ~15 MB of RSS for a pause of a few ms.
 *
 * The collector is reached the way test runners do (`--expose-gc` set at run time, `gc` taken
 * from a fresh context), so no launch flag is needed however the daemon was started.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

let gc: Gc | undefined;

export function compactHeap(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
  }
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}
