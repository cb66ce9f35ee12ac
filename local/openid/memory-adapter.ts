import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * oidc-provider's storage, in memory: sessions, interactions, codes and tokens
 * are lost on restart, which for local mode only means signing in again.
 */
export class MemoryAdapter implements Adapter {
  private static readonly entries = new Map<string, { payload: AdapterPayload; expiresAt?: number }>();

  constructor(private readonly model: string) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  private live(key: string): AdapterPayload | undefined {
    const entry = MemoryAdapter.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      MemoryAdapter.entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    MemoryAdapter.entries.set(this.key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.live(this.key(id));
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findWhere((payload) => payload.userCode === userCode);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findWhere((payload) => payload.uid === uid);
  }

  async consume(id: string): Promise<void> {
    const payload = this.live(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    MemoryAdapter.entries.delete(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [key, entry] of MemoryAdapter.entries) if (entry.payload.grantId === grantId) MemoryAdapter.entries.delete(key);
  }

  private findWhere(matches: (payload: AdapterPayload) => boolean): AdapterPayload | undefined {
    const prefix = `${this.model}:`;
    for (const key of MemoryAdapter.entries.keys()) {
      if (!key.startsWith(prefix)) continue;
      const payload = this.live(key);
      if (payload && matches(payload)) return payload;
    }
    return undefined;
  }
}
