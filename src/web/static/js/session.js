// Who is signed in, and what they had half-written when the session expired. All in memory.

import * as api from "./api.js";

export const session = { me: null, drafts: new Map(), draftsOwner: null };

export async function signIn(username, password) {
  await api.login(username, password);
  session.me = await api.get("/me");
  // Drafts survive an expired session for the same user only.
  if (session.draftsOwner !== session.me.id) session.drafts.clear();
  session.draftsOwner = session.me.id;
}

/** The session expired: keep the drafts, forget who is signed in. */
export function expire() {
  session.me = null;
}

/** Sign out: forget everything, drafts included. */
export async function signOut() {
  await api.logout();
  session.me = null;
  session.drafts.clear();
  session.draftsOwner = null;
}

export function role() {
  return session.me ? session.me.role : null;
}
