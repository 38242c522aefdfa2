import { Text } from '@fluentui/react-components';
import { ApiError } from '../api.ts';
import { LoadState, PageTitle, Section, formatDate, useLoad } from '../components.tsx';
import { useSession } from '../session.tsx';
import { ApiTokensSection, ConsoleAccountsSection } from './AccessSettings.tsx';

interface PushCertificate {
  topic: string;
  expirationDateTime: string;
  subject: string;
  issuer: string;
  serialNumber: string;
}
interface WindowsPushSettings {
  packageSid: string;
  packageFamilyName: string | null;
  updatedDateTime: string;
}

/** A 404 means "not set up" here; anything else is an error to show. */
async function optional<T>(load: Promise<T>): Promise<T | null> {
  try {
    return await load;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

function daysUntil(iso: string): number {
  return Math.floor((new Date(iso).getTime() - Date.now()) / 86_400_000);
}

/** Settings: the Apple push certificate, the Windows push (WNS) settings, API tokens and console accounts. */
export default function Settings() {
  const { api } = useSession();
  const loaded = useLoad(async () => {
    const [apple, windows] = await Promise.all([
      optional(api.get<PushCertificate>('envelope/applePushCertificate')),
      optional(api.get<WindowsPushSettings>('envelope/windowsPushSettings')),
    ]);
    return { apple, windows };
  }, [api]);
  const data = loaded.data;
  return (
    <>
      <PageTitle>Settings</PageTitle>
      <LoadState loaded={loaded} what="settings" />
      {data && (
        <>
          <Section title="Apple MDM push certificate">
            {data.apple ? (
              <dl>
                <dt>Topic</dt><dd>{data.apple.topic}</dd>
                <dt>Expires</dt>
                <dd>
                  {formatDate(data.apple.expirationDateTime)}{' '}
                  ({daysUntil(data.apple.expirationDateTime) < 0 ? 'expired: iPhones can no longer be woken' : `in ${daysUntil(data.apple.expirationDateTime)} days; renew it with the same Apple ID before then`})
                </dd>
                <dt>Subject</dt><dd>{data.apple.subject}</dd>
              </dl>
            ) : (
              <Text>Not uploaded: iPhones and iPads cannot enroll until it is (PUT /graph/beta/envelope/applePushCertificate, or `envelope apple`).</Text>
            )}
          </Section>
          <Section title="Windows push (WNS)">
            {data.windows ? (
              <dl>
                <dt>Package SID</dt><dd>{data.windows.packageSid}</dd>
                <dt>Package family name</dt><dd>{data.windows.packageFamilyName ?? 'Not set: PCs report no WNS channel without it'}</dd>
                <dt>Updated</dt><dd>{formatDate(data.windows.updatedDateTime)}</dd>
              </dl>
            ) : (
              <Text>Not set up: Windows PCs get changes at their scheduled check-ins only (PUT /graph/beta/envelope/windowsPushSettings).</Text>
            )}
          </Section>
          <ApiTokensSection />
          <ConsoleAccountsSection />
        </>
      )}
    </>
  );
}
