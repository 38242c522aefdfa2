/**
 * The demo tenant's shape, computed from `--users` and `--devices` (pure: no I/O). The devices are
 * split over the four platforms: 10 % iPhones (Envelope admits 60 iPhone enrollment downloads a minute
 * per client address, and every simulated device shares one address), 20 % Windows PCs (each enrollment
 * makes an RSA key), 40 % Samsung Knox agents, 30 % Android Enterprise work profiles.
 */

export interface DemoUser {
  displayName: string;
  userPrincipalName: string;
  mail: string;
  department: string;
}

export interface DemoPlan {
  users: DemoUser[];
  departments: string[];
  devices: { ios: number; windows: number; knox: number; androidEnterprise: number };
  /** Of the iOS devices and the Windows PCs, how many have an Exchange account the user made by hand. */
  userMadeAccounts: { ios: number; windows: number };
}

const firstNames = ['Ada', 'Ben', 'Chloe', 'Dev', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kemi', 'Liam', 'Maya', 'Noor', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tara'];
const lastNames = ['Adams', 'Brown', 'Chen', 'Diaz', 'Evans', 'Fischer', 'Garcia', 'Hughes', 'Ito', 'Jensen', 'Khan', 'Lopez', 'Moreau', 'Nakamura', 'Okafor', 'Patel'];
export const demoDepartments = ['Sales', 'Engineering', 'Support', 'Finance'];
export const demoDomain = 'contoso.com';

/** Share of each platform, in order iOS, Windows, Knox, Android Enterprise. */
const shares = [0.1, 0.2, 0.4, 0.3] as const;

/**
 * `users` distinct people (first.last[N]@contoso.com) in four departments, and `devices` split over
 * the platforms (every platform gets one as soon as there are 4). About a fifth of the iPhones and a
 * tenth of the PCs carry a user-made account (at least one iPhone whenever there is one).
 */
export function planDemo(users: number, devices: number): DemoPlan {
  const people: DemoUser[] = [];
  for (let i = 0; i < users; i++) {
    const first = firstNames[i % firstNames.length]!;
    const last = lastNames[Math.floor(i / firstNames.length) % lastNames.length]!;
    const round = Math.floor(i / (firstNames.length * lastNames.length));
    const local = `${first}.${last}${round === 0 ? '' : round + 1}`.toLowerCase();
    people.push({ displayName: `${first} ${last}${round === 0 ? '' : ` ${round + 1}`}`, userPrincipalName: `${local}@${demoDomain}`, mail: `${local}@${demoDomain}`, department: demoDepartments[i % demoDepartments.length]! });
  }
  const counts = shares.map((share) => (devices >= shares.length ? Math.max(1, Math.floor(devices * share)) : 0));
  if (devices < shares.length) for (let i = 0; i < devices; i++) counts[i] = 1;
  // What rounding left over goes to Knox, whose agents enroll fastest.
  counts[2]! += devices - counts.reduce((sum, n) => sum + n, 0);
  const [ios, windows, knox, androidEnterprise] = counts as [number, number, number, number];
  return {
    users: people,
    departments: demoDepartments,
    devices: { ios, windows, knox, androidEnterprise },
    userMadeAccounts: { ios: ios === 0 ? 0 : Math.max(1, Math.round(ios / 5)), windows: Math.round(windows / 10) },
  };
}
