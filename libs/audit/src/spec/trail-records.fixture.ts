/** Minimal CloudTrail records, shaped like AWS writes them, for store-level tests. */
export const ROLE = 'arn:aws:iam::222222222222:role/runtrail-demo';

export function assumeRoleRecord(eventID: string, at: string, runId: string, accessKeyId: string): Record<string, unknown> {
  return {
    eventVersion: '1.08', eventID, eventTime: at, eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', awsRegion: 'us-east-1',
    sourceIPAddress: '10.0.0.5', userAgent: 'runtrail', recipientAccountId: '222222222222',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111111111111:user/runtrail', accountId: '111111111111', accessKeyId: 'AKIA1111RUNTRAIL0001', userName: 'runtrail' },
    requestParameters: { roleArn: ROLE, roleSessionName: `${runId}@01HZY1V6QK3M7W3X9T2B5C8D4E@acme`, externalId: 'acme@01HZY1V6QK3M7W3X9T2B5C8D4F@network@write', sourceIdentity: runId },
    responseElements: {
      credentials: { accessKeyId, secretAccessKey: 'super-secret-value-never-stored', sessionToken: 'token-never-stored', expiration: 'Jul 10, 2030, 12:09:47 PM' },
      assumedRoleUser: { arn: `arn:aws:sts::222222222222:assumed-role/runtrail-demo/${runId}@01HZY1V6QK3M7W3X9T2B5C8D4E@acme`, assumedRoleId: 'AROAX:s' },
    },
  };
}

export function callRecord(eventID: string, at: string, accessKeyId: string, sourceIp: string, eventName = 'CreateBucket'): Record<string, unknown> {
  return {
    eventVersion: '1.08', eventID, eventTime: at, eventSource: 's3.amazonaws.com', eventName, awsRegion: 'us-east-1',
    sourceIPAddress: sourceIp, userAgent: 'terraform', recipientAccountId: '222222222222', readOnly: false,
    userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::222222222222:assumed-role/runtrail-demo/x', accountId: '222222222222', accessKeyId },
    requestParameters: { bucketName: `bucket-${eventID}` },
    responseElements: null,
  };
}
