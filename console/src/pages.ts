/**
 * The console's client routes, by first path segment (plain TypeScript: the server imports it to
 * answer these paths with index.html, so a page added here is served without a server change).
 * `/` is the home page.
 */
export const consolePages = ['profiles', 'users', 'groups', 'devices', 'enrollment', 'settings', 'alerts', 'certificates'] as const;
export type ConsolePage = (typeof consolePages)[number];
