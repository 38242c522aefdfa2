import { lazy, Suspense, useMemo, useState, type ComponentType } from 'react';
import {
  Badge, Button, Field, Input, MessageBar, MessageBarBody, Spinner, Text, Title1, makeStyles, mergeClasses, tokens,
} from '@fluentui/react-components';
import { ApiError, apiFor, loadSession, saveSession, signIn, signInWithAccount, type Session } from './api.ts';
import { SessionContext, type SessionValue } from './session.tsx';
import { navigate, onLinkClick, usePath } from './router.ts';

const Home = lazy(() => import('./pages/Home.tsx'));
const Profiles = lazy(() => import('./pages/Profiles.tsx'));
const Profile = lazy(() => import('./pages/Profile.tsx'));
const Users = lazy(() => import('./pages/Users.tsx'));
const Groups = lazy(() => import('./pages/Groups.tsx'));
const Devices = lazy(() => import('./pages/Devices.tsx'));
const Device = lazy(() => import('./pages/Device.tsx'));
const Enrollment = lazy(() => import('./pages/Enrollment.tsx'));
const Settings = lazy(() => import('./pages/Settings.tsx'));
const CreateProfile = lazy(() => import('./pages/CreateProfile.tsx'));
const Alert = lazy(() => import('./pages/Alert.tsx'));
const Certificates = lazy(() => import('./pages/Certificates.tsx'));

/** The navigation, in Intune's order; `match` is the first path segment ('' for home). */
const nav = [
  { to: '/', match: 'home', label: 'Home' },
  { to: '/profiles', match: 'profiles', label: 'Configuration profiles' },
  { to: '/users', match: 'users', label: 'Users' },
  { to: '/groups', match: 'groups', label: 'Groups' },
  { to: '/devices', match: 'devices', label: 'Devices' },
  { to: '/certificates', match: 'certificates', label: 'Certificates' },
  { to: '/enrollment', match: 'enrollment', label: 'Enrollment' },
  { to: '/settings', match: 'settings', label: 'Settings' },
] as const;

function route(path: string): { page: ComponentType<{ id?: string }>; id?: string } | null {
  const [first = '', id] = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (first === 'profiles' && id === 'new') return { page: CreateProfile };
  switch (first) {
    case '': return { page: Home };
    case 'profiles': return id ? { page: Profile, id } : { page: Profiles };
    case 'users': return { page: Users };
    case 'groups': return id ? { page: Groups, id } : { page: Groups };
    case 'devices': return id ? { page: Device, id } : { page: Devices };
    case 'enrollment': return { page: Enrollment };
    case 'settings': return { page: Settings };
    case 'alerts': return id ? { page: Alert, id } : null;
    case 'certificates': return { page: Certificates };
    default: return null;
  }
}

const useStyles = makeStyles({
  shell: { display: 'grid', gridTemplateColumns: '260px 1fr', gridTemplateRows: 'auto 1fr', minHeight: '100vh' },
  header: {
    gridColumn: '1 / 3', display: 'flex', alignItems: 'center', gap: tokens.spacingHorizontalM, padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalL}`,
    backgroundColor: tokens.colorBrandBackground, color: tokens.colorNeutralForegroundOnBrand,
  },
  brand: { fontWeight: tokens.fontWeightSemibold, fontSize: tokens.fontSizeBase400, marginRight: 'auto' },
  // Every section is its own Tab stop (links in a list): Fluent's Nav moves by arrow keys within one
  // Tab stop and enters at the last item used, which the console's keyboard rule (Tab reaches every
  // item) does not fit. The look follows Fluent's Nav, from its design tokens.
  nav: { backgroundColor: tokens.colorNeutralBackground2, padding: `${tokens.spacingVerticalM} ${tokens.spacingHorizontalS}`, borderRight: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}` },
  navList: { listStyleType: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXXS },
  navItem: {
    display: 'block', padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalM}`, borderRadius: tokens.borderRadiusMedium,
    color: tokens.colorNeutralForeground1, textDecorationLine: 'none', fontSize: tokens.fontSizeBase300,
    ':hover': { backgroundColor: tokens.colorNeutralBackground2Hover },
    ':focus-visible': { outline: `${tokens.strokeWidthThick} solid ${tokens.colorStrokeFocus2}`, outlineOffset: '-2px' },
  },
  navItemCurrent: {
    backgroundColor: tokens.colorNeutralBackground2Selected, fontWeight: tokens.fontWeightSemibold,
    boxShadow: `inset ${tokens.strokeWidthThicker} 0 0 ${tokens.colorCompoundBrandStroke}`,
  },
  main: { padding: `${tokens.spacingVerticalXL} ${tokens.spacingHorizontalXXL}`, minWidth: 0 },
  signIn: { maxWidth: '28rem', margin: '10vh auto', padding: tokens.spacingHorizontalXXL, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalL },
});

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [ended, setEnded] = useState(false);
  const value = useMemo<SessionValue | null>(() => {
    if (!session) return null;
    const signOut = () => {
      saveSession(null);
      setSession(null);
    };
    return {
      session,
      // A token revoked while the console is open: back to sign-in, saying why.
      api: apiFor(session, () => {
        setEnded(true);
        signOut();
      }),
      canWrite: session.role === 'admin',
      signOut,
    };
  }, [session]);
  if (!value) {
    return <SignIn ended={ended} onSignedIn={(s) => { saveSession(s); setEnded(false); setSession(s); }} />;
  }
  return (
    <SessionContext.Provider value={value}>
      <Shell value={value} />
    </SessionContext.Provider>
  );
}

function SignIn({ onSignedIn, ended }: { onSignedIn(session: Session): void; ended: boolean }) {
  const styles = useStyles();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) {
      setError('Enter an API token.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(value));
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401
        ? 'This token is not valid: it may be mistyped, revoked or for another server. Tokens come from `envelope token create`.'
        : e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className={styles.signIn}>
      <Title1 as="h1">Envelope</Title1>
      <Text>Sign in to the admin console with an API token (role admin, or readOnly to look without changing anything).</Text>
      {ended && (
        <MessageBar intent="warning">
          <MessageBarBody>Your session ended: Envelope no longer accepts that token (it may have been revoked). Sign in again.</MessageBarBody>
        </MessageBar>
      )}
      <form onSubmit={submit} noValidate style={{ display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM }}>
        <Field label="API token" required validationState={error ? 'error' : 'none'} validationMessage={error ?? undefined}>
          <Input type="password" name="token" value={token} onChange={(_e, d) => setToken(d.value)} autoComplete="off" />
        </Field>
        <Button appearance="primary" type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</Button>
      </form>
      <AccountSignIn onSignedIn={onSignedIn} />
    </main>
  );
}

/**
 * "Sign in with account": a console account's user name and password (tenant empty for the default
 * tenant) for a session token that expires after a few hours. Errors never say which part was wrong.
 */
function AccountSignIn({ onSignedIn }: { onSignedIn(session: Session): void }) {
  const [tenant, setTenant] = useState('');
  const [userName, setUserName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!userName.trim() || !password) {
      setError('Enter your user name and password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signInWithAccount(tenant.trim(), userName.trim(), password));
    } catch (e) {
      setPassword('');
      setError(e instanceof ApiError && e.status === 401
        ? 'The user name or password is not correct.'
        : e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="account-sign-in" style={{ display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, borderTop: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`, paddingTop: tokens.spacingVerticalL }}>
      <h2 id="account-sign-in" style={{ fontSize: tokens.fontSizeBase400, margin: 0 }}>Sign in with account</h2>
      <Text>Or use a console account your admin created (envelope console-user add).</Text>
      <form onSubmit={submit} noValidate style={{ display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM }}>
        <Field label="User name" required validationState={error ? 'error' : 'none'} validationMessage={error ?? undefined}>
          <Input name="username" value={userName} onChange={(_e, d) => setUserName(d.value)} autoComplete="username" />
        </Field>
        <Field label="Password" required>
          <Input type="password" name="password" value={password} onChange={(_e, d) => setPassword(d.value)} autoComplete="current-password" />
        </Field>
        <Field label="Tenant" hint="Leave empty for the default tenant.">
          <Input name="tenant" value={tenant} onChange={(_e, d) => setTenant(d.value)} autoComplete="organization" />
        </Field>
        <Button appearance="primary" type="submit" disabled={busy}>{busy ? 'Checking…' : 'Continue with account'}</Button>
      </form>
    </section>
  );
}

function Shell({ value }: { value: SessionValue }) {
  const styles = useStyles();
  const path = usePath();
  const first = path.split('/').filter(Boolean)[0] ?? 'home';
  const current = route(path);
  const Page = current?.page;
  return (
    <div className={styles.shell}>
      <header className={styles.header}>
        <span className={styles.brand}>Envelope admin console</span>
        <Badge appearance="outline" color="informative" style={{ color: 'inherit', borderColor: 'currentColor' }}>
          {value.session.role === 'admin' ? 'Admin' : 'Read only'}
        </Badge>
        <Button appearance="secondary" size="small" onClick={value.signOut}>Sign out</Button>
      </header>
      <nav aria-label="Console sections" className={styles.nav}>
        <ul className={styles.navList}>
          {nav.map((item) => (
            <li key={item.match}>
              <a
                href={item.to}
                className={mergeClasses(styles.navItem, item.match === first && styles.navItemCurrent)}
                aria-current={item.match === first ? 'page' : undefined}
                onClick={(event) => onLinkClick(event, item.to)}
              >
                {item.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main className={styles.main}>
        <Suspense fallback={<Spinner size="small" label="Loading…" />}>
          {Page ? <Page key={path} {...(current.id === undefined ? {} : { id: current.id })} /> : <NotFound />}
        </Suspense>
      </main>
    </div>
  );
}

function NotFound() {
  return (
    <MessageBar intent="warning">
      <MessageBarBody>
        This page does not exist. <a href="/" onClick={(e) => { e.preventDefault(); navigate('/'); }}>Go to Home</a>.
      </MessageBarBody>
    </MessageBar>
  );
}
