import { PasswordThrottle } from '../../../../local/openid/password-throttle';

const CLIENT = '127.0.0.1';
const EMAIL = 'alice@acme.example';

beforeEach(() => jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') }));
afterEach(() => jest.useRealTimers());

const wrong = (throttle: PasswordThrottle, times: number, email = EMAIL, client = CLIENT) => {
  for (let i = 0; i < times; i++) throttle.wrongPassword(client, email);
};

describe('PasswordThrottle', () => {
  it('lets 5 wrong passwords through, then makes each further attempt wait 1 s, 2 s, 4 s …', () => {
    const throttle = new PasswordThrottle();
    wrong(throttle, 4);
    expect(throttle.waitFor(CLIENT, EMAIL)).toBe(0);
    wrong(throttle, 1);
    expect(throttle.waitFor(CLIENT, EMAIL)).toBe(1_000);
    jest.advanceTimersByTime(400);
    expect(throttle.waitFor(CLIENT, EMAIL)).toBe(600);
    jest.advanceTimersByTime(600);
    expect(throttle.waitFor(CLIENT, EMAIL)).toBe(0);
    wrong(throttle, 1);
    expect(throttle.waitFor(CLIENT, EMAIL)).toBe(2_000);
    wrong(throttle, 1);
    expect(throttle.waitFor(CLIENT, EMAIL)).toBe(4_000);
  });

  it('waits at most 5 minutes, and forgets a run 15 minutes after its last wrong password', () => {
    const throttle = new PasswordThrottle();
    wrong(throttle, 40);
    expect(throttle.waitFor(CLIENT, EMAIL)).toBe(5 * 60_000);
    jest.advanceTimersByTime(15 * 60_000 + 1);
    expect(throttle.waitFor(CLIENT, EMAIL)).toBe(0);
    wrong(throttle, 1);
    expect(throttle.waitFor(CLIENT, EMAIL)).toBe(0);
  });

  it('counts per client and address, the address in any case, and a sign-in ends the run', () => {
    const throttle = new PasswordThrottle();
    wrong(throttle, 5, ' Alice@ACME.example ');
    expect(throttle.waitFor(CLIENT, EMAIL)).toBeGreaterThan(0);
    expect(throttle.waitFor('127.0.0.2', EMAIL)).toBe(0);
    expect(throttle.waitFor(CLIENT, 'bob@globex.example')).toBe(0);
    throttle.signedIn(CLIENT, EMAIL);
    expect(throttle.waitFor(CLIENT, EMAIL)).toBe(0);
  });

  it('remembers at most 10,000 runs, forgetting the oldest first', () => {
    const throttle = new PasswordThrottle();
    wrong(throttle, 5);
    for (let i = 0; i < 9_999; i++) wrong(throttle, 1, `guess-${i}@example.com`);
    expect(throttle.waitFor(CLIENT, EMAIL)).toBeGreaterThan(0);
    wrong(throttle, 1, 'one-more@example.com');
    expect(throttle.waitFor(CLIENT, EMAIL)).toBe(0);
  });
});
