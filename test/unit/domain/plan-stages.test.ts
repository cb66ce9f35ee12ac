import { type PlanStagePorts, reconcileStages } from '../../../src/domain/plan-stages';

/** Usage plans as the domain sees them: which stages each covers, and the updates made. */
function plans(covered: Record<string, string[]>, registered: string[], failing: string[] = []) {
  const updates: [string, readonly string[]][] = [];
  const ports: PlanStagePorts = {
    registeredStages: async () => registered,
    stagesOf: async (id) => covered[id] ?? [],
    addStages: async (id, stages) => {
      if (failing.includes(id)) throw new Error(`${id} refused`);
      updates.push([id, stages]);
      covered[id] = [...(covered[id] ?? []), ...stages];
    },
  };
  return { ports, updates, covered };
}

describe('putting registered stages back in the usage plans', () => {
  it('adds to each plan what it lacks, in one update per plan that lacks any, and counts each missing stage once', async () => {
    const { ports, updates, covered } = plans({ free: ['a:v1'], pro: ['a:v1', 'b:v1', 'c:v1'], gold: [] }, [
      'a:v1',
      'b:v1',
      'c:v1',
    ]);
    await expect(reconcileStages(ports, ['free', 'pro', 'gold'])).resolves.toEqual({
      unlinked: ['a:v1', 'b:v1', 'c:v1'],
      relinked: ['free', 'gold'],
      failed: [],
    });
    expect(updates).toEqual([
      ['free', ['b:v1', 'c:v1']],
      ['gold', ['a:v1', 'b:v1', 'c:v1']],
    ]);
    // A second run finds nothing.
    await expect(reconcileStages(ports, ['free', 'pro', 'gold'])).resolves.toEqual({ unlinked: [], relinked: [], failed: [] });
    expect(covered.free).toEqual(['a:v1', 'b:v1', 'c:v1']);
  });

  it('goes on with the other plans when one update fails, and says which', async () => {
    const { ports, updates } = plans({ free: [], pro: [] }, ['a:v1'], ['free']);
    const result = await reconcileStages(ports, ['free', 'pro']);
    expect(result).toMatchObject({ unlinked: ['a:v1'], relinked: ['pro'], failed: [{ usagePlanId: 'free' }] });
    expect(updates).toEqual([['pro', ['a:v1']]]);
  });

  it('leaves stages no stack registers alone: a plan may cover more', async () => {
    const { ports, updates } = plans({ free: ['a:v1', 'other:prod'] }, ['a:v1']);
    await expect(reconcileStages(ports, ['free'])).resolves.toEqual({ unlinked: [], relinked: [], failed: [] });
    expect(updates).toEqual([]);
  });
});
