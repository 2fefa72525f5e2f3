// What one doctor check found: a verdict, what was seen, and how to fix it.

export type Verdict = 'ok' | 'warn' | 'fail' | 'skip';

/** One line of the doctor's report. */
export interface Finding {
  /** Short name of the check ("sip-server"). */
  check: string;
  verdict: Verdict;
  /** What was found, in one line. */
  detail: string;
  /** What to do about it, when it is not ok. */
  fix?: string;
}

/** Builds a finding; `fix` is dropped when empty. */
export function finding(check: string, verdict: Verdict, detail: string, fix?: string): Finding {
  return fix ? { check, verdict, detail, fix } : { check, verdict, detail };
}
