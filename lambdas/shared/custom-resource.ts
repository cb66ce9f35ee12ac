import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

/** The physical id of a custom resource: made once, at its creation, and kept, or CloudFormation would replace it. */
function physicalIdOf(event: CloudFormationCustomResourceEvent): string {
  return event.RequestType === 'Create' ? `${event.LogicalResourceId}-${event.RequestId}` : event.PhysicalResourceId;
}

/** Tells CloudFormation how the request went, at the pre-signed URL it gave ("Custom resources", CloudFormation User Guide). */
export async function respond(
  event: CloudFormationCustomResourceEvent,
  status: 'SUCCESS' | 'FAILED',
  reason = 'See the function log',
): Promise<void> {
  const body = JSON.stringify({
    Status: status,
    Reason: reason,
    PhysicalResourceId: physicalIdOf(event),
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  const answer = await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'Content-Type': '' } });
  if (!answer.ok) throw new Error(`CloudFormation refused the response: ${answer.status}`);
}
