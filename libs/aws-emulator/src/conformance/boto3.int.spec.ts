// The emulator as Debian's Python boto3 (and PyJWT for a web identity token) sees it: an
// independent client, run as a subprocess with endpoint_url pointing at the emulator.
import { startAwsEmulator, type AwsEmulator } from '../start-aws-emulator';
import {
  CUSTOMER,
  CUSTOMER_ADMIN,
  PLATFORM,
  RUNTRAIL,
  runPythonScenario,
  SEED_FILE,
} from './emulator.fixture';
import { startLocalIssuer, type LocalIssuer } from './oidc-issuer.fixture';

// One Python process runs the whole scenario and prints what it saw as JSON.
const SCRIPT = String.raw`
import json, os, time
import boto3, jwt
from botocore.exceptions import ClientError

env = json.loads(os.environ["SCENARIO"])
endpoint = env["endpoint"]

def client(service, creds, region="eu-central-1"):
    return boto3.client(service, endpoint_url=endpoint, region_name=region, **creds)

def keys(c):
    return {"aws_access_key_id": c["accessKeyId"], "aws_secret_access_key": c["secretAccessKey"], **({"aws_session_token": c["sessionToken"]} if c.get("sessionToken") else {})}

def error_of(call):
    try:
        call()
        return None
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}

admin, platform = keys(env["admin"]), keys(env["runtrail"])
out = {}
iam = client("iam", admin, "us-east-1")
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": env["platform"]}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": "acme@01BOTO@stack@write"}}}]}
out["role"] = iam.create_role(RoleName="boto-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
out["roleDocument"] = iam.get_role(RoleName="boto-role")["Role"]["AssumeRolePolicyDocument"]

sts = client("sts", platform)
ok = sts.assume_role(RoleArn=out["role"], RoleSessionName="boto-session", ExternalId="acme@01BOTO@stack@write")
out["assumedArn"] = ok["AssumedRoleUser"]["Arn"]
out["accessKeyId"] = ok["Credentials"]["AccessKeyId"]
out["denied"] = error_of(lambda: sts.assume_role(RoleArn=out["role"], RoleSessionName="boto-session"))
session = {"aws_access_key_id": ok["Credentials"]["AccessKeyId"], "aws_secret_access_key": ok["Credentials"]["SecretAccessKey"],
           "aws_session_token": ok["Credentials"]["SessionToken"]}
out["callerArn"] = client("sts", session).get_caller_identity()["Arn"]
out["tampered"] = error_of(lambda: client("sts", {**platform, "aws_secret_access_key": "tampered-tampered-tampered"}).get_caller_identity())

events = client("cloudtrail", admin).lookup_events(LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": out["accessKeyId"]}])["Events"]
out["sessionEvents"] = [e["EventName"] for e in events]
assumes = client("cloudtrail", admin).lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}], MaxResults=50)["Events"]
out["assumeRecords"] = [json.loads(e["CloudTrailEvent"]) for e in assumes]

provider = iam.create_open_id_connect_provider(Url=env["issuer"], ClientIDList=["sts.amazonaws.com"], ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
web_trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringLike": {env["hostPath"] + ":sub": "space:prod:stack:*"}, "StringEquals": {env["hostPath"] + ":aud": "sts.amazonaws.com"}}}]}
iam.create_role(RoleName="boto-oidc", AssumeRolePolicyDocument=json.dumps(web_trust))
def token(sub):
    now = int(time.time())
    claims = {"iss": env["issuer"], "sub": sub, "aud": "sts.amazonaws.com", "iat": now, "exp": now + 300}
    return jwt.encode(claims, env["keyPem"], algorithm="RS256", headers={"kid": env["kid"]})
anon = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="unused", aws_secret_access_key="unused")
web = anon.assume_role_with_web_identity(RoleArn=f"arn:aws:iam::{env['customer']}:role/boto-oidc", RoleSessionName="py-oidc", WebIdentityToken=token("space:prod:stack:01PY"))
out["webArn"] = web["AssumedRoleUser"]["Arn"]
out["webSubject"] = web["SubjectFromWebIdentityToken"]
out["webDenied"] = error_of(lambda: anon.assume_role_with_web_identity(RoleArn=f"arn:aws:iam::{env['customer']}:role/boto-oidc", RoleSessionName="py-oidc",
                                                                  WebIdentityToken=token("space:dev:stack:01PY")))
print(json.dumps(out))
`;

let emulator: AwsEmulator;
let issuer: LocalIssuer;

beforeAll(async () => {
  [emulator, issuer] = await Promise.all([startAwsEmulator({ seed: SEED_FILE }), startLocalIssuer()]);
});
afterAll(async () => {
  await emulator.stop();
  await issuer.stop();
});

function runPython(scenario: object): Promise<Record<string, unknown>> {
  return runPythonScenario(SCRIPT, scenario);
}

describe('boto3 (Debian python3-boto3) against the emulator', () => {
  it('runs the whole integration flow: role, assume with/without external id, caller identity, CloudTrail, web identity', async () => {
    const out = await runPython({
      endpoint: emulator.endpoint,
      admin: CUSTOMER_ADMIN,
      runtrail: RUNTRAIL,
      platform: PLATFORM,
      customer: CUSTOMER,
      issuer: issuer.url,
      hostPath: issuer.hostPath,
      kid: issuer.kid,
      keyPem: await issuer.privateKeyPem(),
    });
    const role = `arn:aws:iam::${CUSTOMER}:role/boto-role`;
    expect(out['role']).toBe(role);
    expect(out['roleDocument']).toMatchObject({ Statement: [{ Principal: { AWS: PLATFORM } }] });
    expect(out['assumedArn']).toBe(`arn:aws:sts::${CUSTOMER}:assumed-role/boto-role/boto-session`);
    expect(out['callerArn']).toBe(out['assumedArn']);
    expect(out['denied']).toEqual({
      code: 'AccessDenied',
      status: 403,
      message: `User: arn:aws:iam::${PLATFORM}:user/runtrail is not authorized to perform: sts:AssumeRole on resource: ${role}`,
    });
    expect(out['tampered']).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
    expect(out['sessionEvents']).toEqual(['GetCallerIdentity']);
    const records = out['assumeRecords'] as {
      eventName: string;
      errorCode?: string;
      requestParameters: unknown;
      awsRegion: string;
    }[];
    const assumeRoles = records.filter((r) => r.eventName === 'AssumeRole');
    expect(assumeRoles.map((r) => r.errorCode ?? 'ok').sort()).toEqual(['AccessDenied', 'ok']);
    expect(assumeRoles.find((r) => r.errorCode)?.requestParameters).toBeNull();
    expect(assumeRoles.every((r) => r.awsRegion === 'eu-central-1')).toBe(true);
    expect(out['webArn']).toBe(`arn:aws:sts::${CUSTOMER}:assumed-role/boto-oidc/py-oidc`);
    expect(out['webSubject']).toBe('space:prod:stack:01PY');
    expect(out['webDenied']).toMatchObject({
      code: 'AccessDenied',
      message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
    });
  });
});
