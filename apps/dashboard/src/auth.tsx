import { createContext, useContext, useState } from 'react';
import { forgetKey, request, storedKey, storeKey } from './api/client';
import type { AccountView } from './api/views';

interface Session {
  /** Who the key is (integrations' `GET /v1/account`): never the key itself. */
  account: AccountView | null;
  signIn(key: string): Promise<void>;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);
const ACCOUNT_ITEM = 'runtrail.account';

function storedAccount(): AccountView | null {
  const text = storedKey() ? sessionStorage.getItem(ACCOUNT_ITEM) : null;
  return text ? (JSON.parse(text) as AccountView) : null;
}

export function SessionProvider({ children }: { children: React.ReactNode }) {
  const [account, setAccount] = useState<AccountView | null>(storedAccount);
  const session: Session = {
    account,
    async signIn(key) {
      // Checked before it is kept: a wrong key answers 401 with its detail.
      const me = (await (await request('/v1/account', {}, key.trim())).json()) as AccountView;
      storeKey(key.trim());
      sessionStorage.setItem(ACCOUNT_ITEM, JSON.stringify(me));
      setAccount(me);
    },
    signOut() {
      forgetKey();
      sessionStorage.removeItem(ACCOUNT_ITEM);
      setAccount(null);
    },
  };
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
