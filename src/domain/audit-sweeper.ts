import type { AuditTrail } from './audit';
import type { KeyStore } from './key-store';

/**
 * How old a pending record must be before the sweeper takes it: older than any
 * request runs (20 s), so it takes only deliveries that were interrupted, not
 * ones still under way (which would publish their events twice).
 */
export const SWEEP_MIN_AGE_MS = 60_000;

export interface SweepResult {
  delivered: number;
  failed: number;
}

/**
 * Finishes interrupted deliveries: every record still pending in its key after
 * SWEEP_MIN_AGE_MS is delivered as the change's own request would have. A record
 * that fails again stays where it is, for the next sweep.
 */
export class AuditSweeper {
  private readonly now: () => Date;

  constructor(
    private readonly store: Pick<KeyStore, 'pendingAudits' | 'settleAudit'>,
    private readonly audit: AuditTrail,
    /** @default () => new Date() */
    now?: () => Date,
  ) {
    this.now = now ?? (() => new Date());
  }

  async sweep(): Promise<SweepResult> {
    const before = new Date(this.now().getTime() - SWEEP_MIN_AGE_MS).toISOString();
    const result: SweepResult = { delivered: 0, failed: 0 };
    for (const item of await this.store.pendingAudits(before)) {
      const record = item.audit;
      if (!record) continue;
      try {
        await this.audit.deliver(record, () => this.store.settleAudit(item, record.id));
        result.delivered += 1;
      } catch {
        result.failed += 1;
      }
    }
    return result;
  }
}
