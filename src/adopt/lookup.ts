import { GoogleAuth } from "google-auth-library";

/**
 * The ids Cloud Identity assigned to existing groups and memberships, read through its v1 API:
 * `GET /v1/groups:lookup?groupKey.id=EMAIL` and
 * `GET /v1/{group}/memberships:lookup?memberKey.id=EMAIL`, each answering `{"name": ...}`.
 * A 404 means it does not exist (yet); any other failure stops the command.
 */
export interface LookupResults {
  /** group email -> `groups/<id>`, or null when the group does not exist */
  groups: Map<string, string | null>;
  /** `<group email> <member email>` -> `groups/<id>/memberships/<id>`, or null when absent */
  memberships: Map<string, string | null>;
}

export const membershipKey = (group: string, member: string): string => `${group} ${member}`;

export class LookupError extends Error {}

export const CLOUD_IDENTITY_ROOT = "https://cloudidentity.googleapis.com/";
const SCOPE = "https://www.googleapis.com/auth/cloud-identity.groups.readonly";

export interface LookupOptions {
  /** API root, `https://cloudidentity.googleapis.com/` unless a stand-in is named */
  rootUrl?: string;
  /** sent as x-goog-user-project: Cloud Identity refuses user credentials without a quota project */
  quotaProject?: string;
  /** the bearer token; otherwise GOOGLE_OAUTH_ACCESS_TOKEN (as the Google provider reads it), then Application Default Credentials */
  accessToken?: string;
  concurrency?: number;
}

async function token(options: LookupOptions): Promise<string> {
  const given = options.accessToken ?? process.env.GOOGLE_OAUTH_ACCESS_TOKEN;
  if (given) return given;
  // Off Google Cloud, the metadata-server probe of google-auth-library warns on stderr; the
  // error below already says what to do, so that warning is not printed.
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (rest[0] === "MetadataLookupWarning" || (rest[0] as { type?: string } | undefined)?.type === "MetadataLookupWarning") return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    const auth = new GoogleAuth({ scopes: [SCOPE] });
    const t = await auth.getAccessToken();
    if (!t) throw new Error("no access token");
    return t;
  } catch (e) {
    throw new LookupError(
      `--lookup needs Google credentials: run gcloud auth application-default login (or set GOOGLE_OAUTH_ACCESS_TOKEN); ${(e as Error).message.split("\n")[0]}`,
    );
  } finally {
    process.emitWarning = emitWarning;
  }
}

export async function lookUp(groups: string[], memberships: [string, string][], options: LookupOptions = {}): Promise<LookupResults> {
  const root = new URL(options.rootUrl ?? CLOUD_IDENTITY_ROOT);
  const bearer = await token(options);
  const headers: Record<string, string> = { authorization: `Bearer ${bearer}`, accept: "application/json" };
  if (options.quotaProject) headers["x-goog-user-project"] = options.quotaProject;

  const get = async (path: string, query: Record<string, string>, what: string): Promise<string | null> => {
    const url = new URL(path, root);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
    } catch (e) {
      throw new LookupError(`looking up ${what} at ${url.origin}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`);
    }
    const text = await response.text();
    if (response.status === 404) return null;
    if (!response.ok) {
      let message = text.slice(0, 200);
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        /* not JSON: keep the text */
      }
      throw new LookupError(`looking up ${what}: HTTP ${response.status}: ${message}`);
    }
    let name: unknown;
    try {
      name = (JSON.parse(text) as { name?: unknown }).name;
    } catch {
      throw new LookupError(`looking up ${what}: the answer is not JSON`);
    }
    if (typeof name !== "string" || !/^groups\/[^/\s]+(\/memberships\/[^/\s]+)?$/.test(name))
      throw new LookupError(`looking up ${what}: the answer has no resource name`);
    return name;
  };

  const results: LookupResults = { groups: new Map(), memberships: new Map() };
  await pool(groups, options.concurrency ?? 8, async (email) => {
    results.groups.set(email, await get("v1/groups:lookup", { "groupKey.id": email }, `group ${email}`));
  });
  await pool(memberships, options.concurrency ?? 8, async ([group, memberEmail]) => {
    const groupName = results.groups.get(group);
    if (!groupName) {
      results.memberships.set(membershipKey(group, memberEmail), null);
      return;
    }
    results.memberships.set(
      membershipKey(group, memberEmail),
      await get(`v1/${groupName}/memberships:lookup`, { "memberKey.id": memberEmail }, `${memberEmail} in ${group}`),
    );
  });
  return results;
}

async function pool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(runners);
}
