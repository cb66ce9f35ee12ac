/** How many wrong passwords in a row one client may try for one address before it has to wait. */
const FREE_ATTEMPTS = 5;
/** The wait after the first wrong password past those: it doubles with each further one, up to MAX_WAIT_MS. */
const FIRST_WAIT_MS = 1_000;
const MAX_WAIT_MS = 5 * 60_000;
/** A run of wrong passwords is forgotten this long after its last one. */
const FORGET_AFTER_MS = 15 * 60_000;
/** Runs remembered at once, so that memory stays bounded whatever is tried; the oldest are forgotten first. */
const MAX_RUNS = 10_000;

/**
 * Slows down guessing on the local sign-in form: per client address and email
 * address, after 5 wrong passwords in a row each further attempt must wait,
 * 1 s, then 2 s, 4 s … up to 5 minutes, and one made sooner is refused without
 * the password being looked at. A right password ends the run.
 */
export class PasswordThrottle {
  /** By client and address: how many wrong passwords in a row, and when the last one came. */
  private readonly runs = new Map<string, { wrong: number; lastAt: number }>();

  /** Milliseconds until the client may try this address again; 0 when it may now. */
  waitFor(client: string, email: string): number {
    const key = runKey(client, email);
    const run = this.runs.get(key);
    if (!run) return 0;
    const now = Date.now();
    if (now - run.lastAt > FORGET_AFTER_MS) {
      this.runs.delete(key);
      return 0;
    }
    if (run.wrong < FREE_ATTEMPTS) return 0;
    const wait = Math.min(FIRST_WAIT_MS * 2 ** (run.wrong - FREE_ATTEMPTS), MAX_WAIT_MS);
    return Math.max(0, run.lastAt + wait - now);
  }

  wrongPassword(client: string, email: string): void {
    const key = runKey(client, email);
    const wrong = (this.runs.get(key)?.wrong ?? 0) + 1;
    // Re-inserted, so that the map's order is the order of last attempts.
    this.runs.delete(key);
    this.runs.set(key, { wrong, lastAt: Date.now() });
    if (this.runs.size > MAX_RUNS) this.runs.delete(this.runs.keys().next().value as string);
  }

  signedIn(client: string, email: string): void {
    this.runs.delete(runKey(client, email));
  }
}

const runKey = (client: string, email: string) => `${client} ${email.trim().toLowerCase()}`;
