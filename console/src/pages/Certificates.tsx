import { Button, Text, makeStyles, tokens } from '@fluentui/react-components';
import { AppLink, DataTable, LoadState, PageTitle, Section, formatDate, useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';
import { describeProfileType } from '../status.ts';
import { deviceOverview, mapLimited, profilesPath, type GraphProfile } from './common.ts';
import { SearchableList } from './SearchableList.tsx';

const useStyles = makeStyles({
  facts: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: `${tokens.spacingVerticalXS} ${tokens.spacingHorizontalL}`, margin: `0 0 ${tokens.spacingVerticalM}` },
  mono: { fontFamily: tokens.fontFamilyMonospace, wordBreak: 'break-all' },
});

interface CertificateAuthority {
  subject: string;
  thumbprint: string;
  notBefore: string;
  notAfter: string;
  certificate: string;
}

/** `GET deviceManagement/envelope/configuration`: each profile with its certificate links by display name. */
interface ConfigurationFile {
  profile: { displayName: string; '@odata.type'?: string };
  certificates?: Partial<Record<'identityCertificate' | 'smimeSigningCertificate' | 'smimeEncryptionCertificate' | 'rootCertificate', string>>;
}

interface IssuedCertificate {
  id: string;
  deviceId: string;
  deviceName: string;
  userPrincipalName: string | null;
  profileId: string;
  profileDisplayName: string;
  profileVersion: number;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  issuedDateTime: string;
}

const linkNames: Record<string, string> = {
  identityCertificate: 'identity',
  smimeSigningCertificate: 'S/MIME signing',
  smimeEncryptionCertificate: 'S/MIME encryption',
  rootCertificate: 'trusted root',
};

const isCertificateProfile = (profile: GraphProfile) => /TrustedRootCertificate|ScepCertificateProfile|PkcsCertificateProfile/.test(profile['@odata.type']);

/** The tenant CA's certificate as a DER file (`.cer`), to install as a trusted root or paste into a profile. */
function downloadRoot(ca: CertificateAuthority): void {
  const bytes = Uint8Array.from(atob(ca.certificate), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/pkix-cert' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = 'envelope-tenant-ca.cer';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Certificates: the tenant CA (issuer of PKCS identities), the certificate profiles with their
 * delivery counts and the email profiles that depend on each, and the certificates issued to devices.
 */
export default function Certificates() {
  const { api } = useSession();
  const styles = useStyles();
  const loaded = useLoad(async () => {
    const [ca, profiles, configuration] = await Promise.all([
      api.get<CertificateAuthority>('envelope/certificateAuthority'),
      api.all<GraphProfile>(`${profilesPath}?$top=999`, 5000),
      api.get<{ profiles: ConfigurationFile[] }>('deviceManagement/envelope/configuration'),
    ]);
    const certificates = profiles.items.filter(isCertificateProfile);
    const overviews = await mapLimited(certificates, 6, (p) => deviceOverview(api, p.id));
    // Who links to each certificate profile (by display name, as the configuration files name links).
    const dependents = new Map<string, { name: string; link: string }[]>();
    for (const file of configuration.profiles) {
      for (const [nav, name] of Object.entries(file.certificates ?? {})) {
        if (!name) continue;
        dependents.set(name, [...(dependents.get(name) ?? []), { name: file.profile.displayName, link: linkNames[nav] ?? nav }]);
      }
    }
    const byName = new Map(profiles.items.map((p) => [p.displayName, p.id]));
    return {
      ca,
      rows: certificates.map((profile, i) => ({ profile, overview: overviews[i]!, dependents: dependents.get(profile.displayName) ?? [] })),
      byName,
    };
  }, [api]);
  const data = loaded.data;
  return (
    <>
      <PageTitle>Certificates</PageTitle>
      <LoadState loaded={loaded} what="certificates" />
      {data && (
        <>
          <Section title="Tenant certificate authority">
            <Text as="p">Envelope issues PKCS identity certificates from this CA. Devices must trust it: assign a trusted root certificate profile with it.</Text>
            <dl className={styles.facts}>
              <dt>Subject</dt><dd>{data.ca.subject}</dd>
              <dt>Valid from</dt><dd>{formatDate(data.ca.notBefore)}</dd>
              <dt>Expires</dt><dd>{formatDate(data.ca.notAfter)}</dd>
              <dt>Thumbprint (SHA-1)</dt><dd className={styles.mono}>{data.ca.thumbprint}</dd>
            </dl>
            <Button onClick={() => downloadRoot(data.ca)}>Download root certificate (.cer)</Button>
          </Section>
          <Section title="Certificate profiles">
            <DataTable
              label="Certificate profiles"
              rows={data.rows}
              rowKey={(r) => r.profile.id}
              empty="No certificate profiles yet: email profiles with certificate authentication need an identity (SCEP or PKCS) and a trusted root profile."
              columns={[
                { key: 'name', title: 'Profile', render: (r) => <AppLink to={`/profiles/${r.profile.id}`}>{r.profile.displayName}</AppLink> },
                { key: 'type', title: 'Type', render: (r) => { const k = describeProfileType(r.profile['@odata.type']); return `${k.type} (${k.platform})`; } },
                { key: 'succeeded', title: 'Succeeded', render: (r) => r.overview.successCount },
                { key: 'pending', title: 'Pending', render: (r) => r.overview.pendingCount },
                { key: 'error', title: 'Error or failed', render: (r) => r.overview.errorCount + r.overview.failedCount },
                { key: 'conflict', title: 'Conflict', render: (r) => r.overview.conflictCount },
                {
                  key: 'used', title: 'Used by', render: (r) => r.dependents.length === 0 ? 'No email profile' : r.dependents.map((d, i) => {
                    const id = data.byName.get(d.name);
                    return <span key={`${d.name}-${d.link}`}>{i > 0 ? ', ' : ''}{id ? <AppLink to={`/profiles/${id}`}>{d.name}</AppLink> : d.name} ({d.link})</span>;
                  }),
                },
              ]}
            />
          </Section>
          <Section title="Certificates issued to devices">
            <SearchableList<IssuedCertificate>
              name="issued certificates"
              path="envelope/issuedCertificates"
              rowKey={(c) => c.id}
              columns={[
                { key: 'device', title: 'Device', render: (c) => <AppLink to={`/devices/${c.deviceId}`}>{c.deviceName}</AppLink> },
                { key: 'user', title: 'User', render: (c) => c.userPrincipalName ?? '—' },
                { key: 'profile', title: 'Certificate profile', render: (c) => <AppLink to={`/profiles/${c.profileId}`}>{c.profileDisplayName}</AppLink> },
                { key: 'serial', title: 'Serial number', render: (c) => <span className={styles.mono}>{c.serialNumber}</span> },
                { key: 'expires', title: 'Expires', render: (c) => formatDate(c.notAfter) },
              ]}
              csv={{
                fileName: 'issued-certificates.csv',
                columns: [
                  { title: 'Device', value: (c) => c.deviceName },
                  { title: 'Device id', value: (c) => c.deviceId },
                  { title: 'User principal name', value: (c) => c.userPrincipalName },
                  { title: 'Certificate profile', value: (c) => c.profileDisplayName },
                  { title: 'Profile version', value: (c) => c.profileVersion },
                  { title: 'Serial number', value: (c) => c.serialNumber },
                  { title: 'Valid from', value: (c) => c.notBefore },
                  { title: 'Expires', value: (c) => c.notAfter },
                  { title: 'Issued', value: (c) => c.issuedDateTime },
                ],
              }}
            />
          </Section>
        </>
      )}
    </>
  );
}
