/**
 * AWS's CloudFormation linter over synthesized templates: one `cfn-lint` run
 * for every template of a cloud assembly, and the reviewed exceptions that may
 * excuse a finding (test/infra/cfn-lint-exceptions.json).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';

/** One finding, as `cfn-lint --format json` reports it. */
export interface CfnLintFinding {
  Filename: string;
  Level: string;
  Message: string;
  Location: { Path: (string | number)[]; Start: { LineNumber: number } };
  Rule: { Id: string };
  /** The type of the resource the finding is in, if it is in one (added here, from the template). */
  ResourceType?: string;
}

/**
 * A finding tolerated: its rule, the kind of resource and the place in it
 * (`*` for any one step of the path), and what its message says, with the reason.
 */
export interface CfnLintException {
  rule: string;
  resourceType: string;
  path: string[];
  message: string;
  reason: string;
}

/** Every template of the assembly, linted together in one run. */
export async function lintAssembly(assembly: CloudAssembly): Promise<CfnLintFinding[]> {
  const files = assembly.stacks.map((stack) => stack.templateFullPath);
  const output = await new Promise<string>((resolve, reject) => {
    // Its exit code is a bit mask of the levels it found (2 errors, 4 warnings, 8 notes); 1 is a failure to run.
    execFile('cfn-lint', ['--format', 'json', '--', ...files], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && (typeof error.code !== 'number' || error.code === 1))
        reject(new Error(`cfn-lint failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
  const resourceTypes = new Map(
    files.map((file) => {
      const template = JSON.parse(readFileSync(file, 'utf8')) as { Resources?: Record<string, { Type: string }> };
      return [file, template.Resources ?? {}] as const;
    }),
  );
  return (JSON.parse(output) as CfnLintFinding[]).map((finding) => {
    const [section, logicalId] = finding.Location.Path;
    const resource = section === 'Resources' ? resourceTypes.get(finding.Filename)?.[String(logicalId)] : undefined;
    return resource ? { ...finding, ResourceType: resource.Type } : finding;
  });
}

function pathMatches(pattern: readonly string[], path: readonly (string | number)[]): boolean {
  return pattern.length === path.length && pattern.every((step, index) => step === '*' || step === String(path[index]));
}

/** The exception that excuses the finding, if one does. */
export function exceptionFor(finding: CfnLintFinding, exceptions: readonly CfnLintException[]): CfnLintException | undefined {
  return exceptions.find(
    (exception) =>
      exception.rule === finding.Rule.Id &&
      exception.resourceType === finding.ResourceType &&
      pathMatches(exception.path, finding.Location.Path) &&
      new RegExp(exception.message).test(finding.Message),
  );
}
