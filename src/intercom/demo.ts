// Placeholder until the demonstration is implemented: the signature the CLI runs.

/** Runs the self-contained demonstration, reporting each step through `out`; true when it succeeded. */
export async function runDemo(out: (line: string) => void): Promise<boolean> {
  void out;
  throw new Error('demo not implemented');
}
