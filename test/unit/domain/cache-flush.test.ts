import { CacheFlusher, type CacheFlushPorts, type FlushTarget, type QueuedFlush } from '../../../src/domain/cache-flush';

const SERVICE: FlushTarget = { kind: 'rest', apiId: 'svc', stageName: 'v1' };
const ORDERS: FlushTarget = { kind: 'rest', apiId: 'orders', stageName: 'prod' };
const WIDGETS: FlushTarget = { kind: 'http', apiId: 'widgets', stageName: '$default' };
const NOW = new Date('2026-11-26T12:00:00.000Z');

function ports(overrides: Partial<CacheFlushPorts> = {}) {
  const flushed: FlushTarget[] = [];
  const queued: { flush: QueuedFlush; delaySeconds: number }[] = [];
  const recording: CacheFlushPorts = {
    targets: async () => [SERVICE, ORDERS, WIDGETS],
    flush: async (target) => {
      flushed.push(target);
    },
    enqueue: async (flush, delaySeconds) => {
      queued.push({ flush, delaySeconds });
    },
    ...overrides,
  };
  return { flusher: new CacheFlusher(recording, () => NOW), flushed, queued };
}

describe('a flush after a revocation', () => {
  it('flushes every registered stage, REST and HTTP, and queues one follow-up after the authorizer timeout', async () => {
    const { flusher, flushed, queued } = ports();
    expect(await flusher.flushNow()).toEqual({ failures: [], followUpQueued: true });
    expect(flushed).toEqual([SERVICE, ORDERS, WIDGETS]);
    expect(queued).toEqual([{ flush: { requestedAt: NOW.toISOString(), followUp: true }, delaySeconds: 6 }]);
  });

  it('flushes the other stages when one fails, and still queues the follow-up that retries it', async () => {
    const refused = new Error('rate exceeded');
    const { flusher, flushed, queued } = ports({
      flush: async (target) => {
        if (target === ORDERS) throw refused;
        flushed.push(target);
      },
    });
    expect(await flusher.flushNow()).toEqual({ failures: [{ target: ORDERS, error: refused }], followUpQueued: true });
    expect(flushed).toEqual([SERVICE, WIDGETS]);
    expect(queued).toHaveLength(1);
  });

  it('queues the follow-up even when the registry cannot be read', async () => {
    const unreachable = new Error('SSM down');
    const { flusher, queued } = ports({ targets: () => Promise.reject(unreachable) });
    expect(await flusher.flushNow()).toEqual({ failures: [{ target: 'registry', error: unreachable }], followUpQueued: true });
    expect(queued).toHaveLength(1);
  });

  it('reports a follow-up it could not queue', async () => {
    const full = new Error('queue down');
    const { flusher } = ports({ enqueue: () => Promise.reject(full) });
    expect(await flusher.flushNow()).toEqual({ failures: [{ target: 'queue', error: full }], followUpQueued: false });
  });
});

describe('a batch from the queue', () => {
  const first = (at: string): QueuedFlush => ({ requestedAt: at, followUp: false });
  const followUp = (at: string): QueuedFlush => ({ requestedAt: at, followUp: true });

  it('flushes each stage once however many requests it holds, and queues one follow-up for the first requests', async () => {
    const { flusher, flushed, queued } = ports();
    const batch = new Map([
      ['m1', first('2026-11-26T11:59:58.000Z')],
      ['m2', followUp('2026-11-26T11:59:50.000Z')],
      ['m3', first('2026-11-26T11:59:57.000Z')],
    ]);
    expect(await flusher.flushQueued(batch)).toEqual({ retry: [], failures: [] });
    expect(flushed).toEqual([SERVICE, ORDERS, WIDGETS]);
    expect(queued).toEqual([{ flush: followUp('2026-11-26T11:59:57.000Z'), delaySeconds: 6 }]);
  });

  it('queues no follow-up of a follow-up', async () => {
    const { flusher, queued } = ports();
    await flusher.flushQueued(new Map([['m1', followUp('2026-11-26T11:59:58.000Z')]]));
    expect(queued).toEqual([]);
  });

  it('hands every request back when a stage could not be flushed, or the follow-up could not be queued', async () => {
    const batch = new Map([
      ['m1', first('2026-11-26T11:59:58.000Z')],
      ['m2', followUp('2026-11-26T11:59:58.000Z')],
    ]);
    const failing = ports({ flush: () => Promise.reject(new Error('rate exceeded')) });
    expect((await failing.flusher.flushQueued(batch)).retry).toEqual(['m1', 'm2']);
    const unqueued = ports({ enqueue: () => Promise.reject(new Error('queue down')) });
    expect((await unqueued.flusher.flushQueued(batch)).retry).toEqual(['m1', 'm2']);
  });
});
