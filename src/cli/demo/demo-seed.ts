import type { DemoEnvironment } from './demo-environment.ts';
import { demoDomain, type DemoPlan } from './demo-plan.ts';

type Dict = Record<string, unknown>;

/** The Exchange host every demo profile points at; the iPhones' hand-made accounts use it too. */
export const demoMailHost = `mail.${demoDomain}`;
/** The Store app identity the simulated PCs report, as the real Envelope push app would. */
export const demoPackageFamilyName = 'Contoso.EnvelopePush_8wekyb3d8bbwe';

export interface DemoTenant {
  /** The demo users' ids, in plan order. */
  userIds: string[];
  /** The user every simulated device enrolls as; the demo then hands each device to a person. */
  enrollmentUserId: string;
  enrollmentUserPrincipalName: string;
  profiles: { name: string; id: string }[];
}

const configs = '/graph/beta/deviceManagement/deviceConfigurations';
const bindUser = (id: string) => `https://graph.microsoft.com/beta/users/${id}`;

/**
 * Seeds the default tenant through Envelope's own admin API, as an admin would: the push and
 * Android Enterprise settings (pointing at the stand-ins), the users and their groups, and one email
 * profile per platform — the iPhone one authenticating with a certificate from Envelope's CA (a PKCS
 * certificate profile) — all assigned to "All staff".
 */
export async function seedDemoTenant(env: DemoEnvironment, plan: DemoPlan): Promise<DemoTenant> {
  const ok = async (method: 'POST' | 'PUT' | 'PATCH', url: string, body: unknown, status = method === 'POST' ? 201 : 200): Promise<Dict> => {
    const reply = await env.request(method, url, body);
    if (reply.status !== status) throw new Error(`demo seed: ${method} ${url} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    return reply.body as Dict;
  };

  await ok('PUT', '/graph/beta/envelope/applePushCertificate', { certificate: env.pki.push.certificatePem, privateKey: env.pki.push.privateKeyPem });
  await ok('PUT', '/graph/beta/envelope/windowsPushSettings', { packageSid: 'ms-app://S-1-15-2-1111111111-2222222222-3333333333-4444444444-5555555555-6666666666-7777777777', clientSecret: 'demo-wns-client-secret' });
  await ok('PUT', '/graph/beta/envelope/knoxPushSettings', { serviceAccount: env.fcm.createServiceAccount('contoso-demo') });
  const android = await ok('PUT', '/graph/beta/envelope/androidEnterpriseSettings', { enterpriseName: 'enterprises/LC0contosodemo', serviceAccountKey: env.amapiKey.json, mailAppInstallType: 'AVAILABLE' });
  env.amapi.pushUrl = android.pubsubPushUrl as string;

  const userIds: string[] = [];
  for (const user of plan.users) {
    userIds.push((await ok('POST', '/graph/beta/users', { displayName: user.displayName, userPrincipalName: user.userPrincipalName, mail: user.mail, accountEnabled: true })).id as string);
  }
  const enrollmentUserPrincipalName = `enrollment@${demoDomain}`;
  const enrollmentUserId = (await ok('POST', '/graph/beta/users', { displayName: 'Device enrollment', userPrincipalName: enrollmentUserPrincipalName, mail: enrollmentUserPrincipalName })).id as string;

  const group = async (displayName: string, members: string[]): Promise<string> => {
    const id = (await ok('POST', '/graph/beta/groups', { displayName, mailEnabled: false, securityEnabled: true })).id as string;
    // Graph binds at most 20 members per request.
    for (let i = 0; i < members.length; i += 20) {
      await ok('PATCH', `/graph/beta/groups/${id}`, { 'members@odata.bind': members.slice(i, i + 20).map(bindUser) }, 204);
    }
    return id;
  };
  const allStaff = await group('All staff', userIds);
  for (const department of plan.departments) {
    await group(department, userIds.filter((_, i) => plan.users[i]!.department === department));
  }

  const common = { hostName: demoMailHost, usernameSource: 'userPrincipalName', emailAddressSource: 'primarySmtpAddress', requireSsl: true, durationOfEmailToSync: 'oneMonth' };
  const identity = await ok('POST', configs, { '@odata.type': '#microsoft.graph.iosPkcsCertificateProfile', displayName: 'Contoso mail identity (iPhone)', subjectAlternativeNameType: 'userPrincipalName' });
  const created = [
    identity,
    await ok('POST', configs, {
      '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Contoso mail (iPhone, certificate)', accountName: 'Contoso',
      ...common, authenticationMethod: 'certificate', 'identityCertificate@odata.bind': `https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('${identity.id as string}')`,
    }),
    await ok('POST', configs, {
      '@odata.type': '#microsoft.graph.windows10EasEmailProfileConfiguration', displayName: 'Contoso mail (Windows)', accountName: 'Contoso',
      ...common, emailSyncSchedule: 'asMessagesArrive', syncCalendar: true, syncContacts: true, syncTasks: true,
    }),
    await ok('POST', configs, {
      '@odata.type': '#microsoft.graph.androidEasEmailProfileConfiguration', displayName: 'Contoso mail (Samsung Knox)', accountName: 'Contoso',
      ...common, emailSyncSchedule: 'asMessagesArrive',
    }),
    await ok('POST', configs, {
      '@odata.type': '#microsoft.graph.androidWorkProfileGmailEasConfiguration', displayName: 'Contoso Gmail (work profile)',
      ...common, authenticationMethod: 'usernameAndPassword',
    }),
  ];
  for (const profile of created) {
    await ok('POST', `${configs}/${profile.id as string}/assign`, { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: allStaff } }] }, 200);
  }
  return {
    userIds,
    enrollmentUserId,
    enrollmentUserPrincipalName,
    profiles: created.map((p) => ({ name: p.displayName as string, id: p.id as string })),
  };
}

/** Enrollment tokens of the enrollment user for `devices` devices of `platform`, at most 100 devices each. */
export async function demoEnrollmentTokens(env: DemoEnvironment, userId: string, platform: 'iOS' | 'Windows' | 'Android', devices: number): Promise<{ token: string; enrollmentUrl: string; devices: number }[]> {
  const tokens: { token: string; enrollmentUrl: string; devices: number }[] = [];
  for (let left = devices; left > 0; left -= 100) {
    const maxDevices = Math.min(100, left);
    const reply = await env.request('POST', '/graph/beta/envelope/enrollmentTokens', { userId, platform, maxDevices, expirationDateTime: new Date(Date.now() + 24 * 3600_000).toISOString() });
    if (reply.status !== 201) throw new Error(`demo seed: enrollment token for ${platform} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    const body = reply.body as { token: string; enrollmentUrl: string };
    tokens.push({ token: body.token, enrollmentUrl: body.enrollmentUrl, devices: maxDevices });
  }
  return tokens;
}
