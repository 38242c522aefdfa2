import { createContext, useContext } from 'react';
import type { Api, Session } from './api.ts';

export interface SessionValue {
  session: Session;
  api: Api;
  /** Admin tokens write; readOnly tokens see no write controls. */
  canWrite: boolean;
  signOut(): void;
}

export const SessionContext = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a signed-in console');
  return value;
}
