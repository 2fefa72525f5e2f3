// Recorded prompts named under `tones.prompts` are checked when the config is
// loaded, so a missing or unusable file is reported by `intercom check` and at
// start, naming its key, rather than discovered by a visitor at the door.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseWav } from '../audio/wav.ts';
import { fileProblem } from './file-problem.ts';
import type { TonesConfig } from './tones-schema.ts';

/** A prompt longer than this is not a prompt (and would sit in memory for nothing). */
const MAX_PROMPT_BYTES = 16 * 1024 * 1024;

/** Resolves each prompt against `baseDir` and checks it is a readable 16-bit PCM WAV; one error line per bad prompt. */
export function checkPrompts(prompts: TonesConfig['prompts'], baseDir: string): { prompts: TonesConfig['prompts']; errors: string[] } {
  const errors: string[] = [];
  const out: TonesConfig['prompts'] = {};
  for (const [cue, file] of Object.entries(prompts) as Array<[keyof TonesConfig['prompts'], string | undefined]>) {
    if (file === undefined) continue;
    const path = resolve(baseDir, file);
    out[cue] = path;
    const problem = promptProblem(path);
    if (problem) errors.push(`tones.prompts.${cue}: ${path}: ${problem}`);
  }
  return { prompts: out, errors };
}

function promptProblem(path: string): string | undefined {
  try {
    if (statSync(path).size > MAX_PROMPT_BYTES) return `larger than ${MAX_PROMPT_BYTES / 1048576} MiB`;
    const wav = parseWav(readFileSync(path));
    if (wav.samples.length === 0) return 'contains no audio';
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? fileProblem(err) : (err as Error).message;
  }
}
