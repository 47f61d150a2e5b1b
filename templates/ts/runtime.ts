// The bunbase SDK runtime: one fetch-based transport shared by every action.
// Copied verbatim into each generated SDK; it has no dependencies.

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One problem found while validating an input. */
export interface Violation {
  /** JSON pointer to the offending field, e.g. `/title` or `/tags/3`. */
  readonly path: string;
  /** Machine-readable problem, e.g. `required`, `max_len`, `unknown_field`. */
  readonly code: string;
  /** Human-readable explanation. */
  readonly message: string;
}

/** The `details` of a `validation_failed` error: every problem, not just the first. */
export interface ValidationDetails {
  readonly violations: readonly Violation[];
}

/**
 * An error answered by the server in its error envelope, with the HTTP status
 * it came with. `code` is the discriminant of every error union.
 */
export interface ApiError<C extends string = string, S extends number = number, D = unknown> {
  readonly code: C;
  readonly status: S;
  readonly message: string;
  /** The request's trace id (`x-request-id`), for support and logs. */
  readonly traceId: string | null;
  readonly details: D;
}

/**
 * An error code this SDK does not know, answered by a newer server. The
 * server's code is kept in `serverCode`; `code` stays `unknown_error` so
 * unions of known codes keep narrowing.
 */
export interface UnknownApiError extends ApiError<"unknown_error", number, unknown> {
  readonly serverCode: string;
}

/** A failure that happened in the client, with no usable answer from the server. */
export interface ClientError<C extends ClientErrorCode = ClientErrorCode> {
  readonly code: C;
  /** The HTTP status when a response arrived (`invalid_response`), else null. */
  readonly status: number | null;
  readonly message: string;
  readonly traceId: string | null;
  readonly details: null;
  /** The underlying exception or body, when there is one. */
  readonly cause?: unknown;
}

/**
 * Client-side error codes: the request could not be sent or its answer read
 * (`network_error`), it ran past `timeoutMs` (`timeout`), the caller's signal
 * aborted it (`aborted`), or the answer was not what the contract promises
 * (`invalid_response`).
 */
export type ClientErrorCode = "network_error" | "timeout" | "aborted" | "invalid_response";

/** The outcome of a call: `data` on success, `error` otherwise. Calls never throw. */
export type ApiResult<T, E> =
  | { readonly data: T; readonly error?: undefined; readonly status: number; readonly traceId: string | null; readonly response: Response }
  | { readonly data?: undefined; readonly error: E; readonly status: number | null; readonly traceId: string | null; readonly response: Response | null };

/** Headers, or a function computing them before each request (e.g. a fresh token). */
export type HeadersOption = HeadersInit | (() => HeadersInit | Promise<HeadersInit>);

/**
 * A credential: the string itself, or a function returning it before each
 * request (so a rotating token is read fresh; it may be async). A function
 * returning `null`, `undefined` or `""` sends no credential for that request.
 */
export type CredentialOption = string | (() => string | null | undefined | Promise<string | null | undefined>);

/**
 * Where `apiKey` is sent: `authorization` (the default) as
 * `Authorization: Bearer <key>`, or `x-api-key` as `X-API-Key: <key>`.
 */
export type ApiKeyHeader = "authorization" | "x-api-key";

/**
 * Keeps the session cookie between calls where no browser does (Node.js,
 * Deno, Bun, tests): pass one as `cookieJar` and the client sends the
 * cookies the server set and stores the ones it sets, including their
 * removal on sign-out. Create one with `createCookieJar`. One jar serves one
 * server: it ignores cookie domains and paths.
 */
export interface CookieJar {
  /** The `Cookie` header to send, or `""` when the jar is empty. */
  header(): string;
  /** Stores (or, for an expired cookie, removes) each `Set-Cookie` of `response`. */
  store(response: Response): void;
  /** Forgets every cookie. */
  clear(): void;
}

/** Options of `createClient`. */
export interface ClientOptions {
  /** Origin (and optional prefix) of the server, e.g. `https://api.example.com`. */
  baseUrl: string;
  /** The fetch implementation; defaults to `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Headers sent with every request. */
  headers?: HeadersOption;
  /**
   * An API key (`bb_...`) for machines, sent with every request as
   * `Authorization: Bearer <key>` (or `X-API-Key`, see `apiKeyHeader`).
   * The server then ignores the session cookie. Never put one in code that
   * runs in a browser.
   */
  apiKey?: CredentialOption;
  /** Where `apiKey` goes; `authorization` by default. */
  apiKeyHeader?: ApiKeyHeader;
  /**
   * A bearer token sent with every request as `Authorization: Bearer
   * <token>` (the bunbase server accepts its API keys this way; a gateway
   * in front of it may accept others); use a function for a token that
   * rotates. `apiKey` wins when both are set for the same header.
   */
  bearerToken?: CredentialOption;
  /**
   * Keeps the session cookie outside a browser (see `createCookieJar`).
   * Browsers keep cookies themselves: leave this out there and use
   * `credentials` instead.
   */
  cookieJar?: CookieJar;
  /** Cookie policy; use `include` to send the session cookie cross-origin. */
  credentials?: RequestCredentials;
  /** Called with each request before it is sent; may return a replacement. */
  onRequest?: (request: Request) => Request | void | Promise<Request | void>;
  /** Called with each response before it is read; may return a replacement. */
  onResponse?: (response: Response, request: Request) => Response | void | Promise<Response | void>;
  /** Default time limit per call in milliseconds; none when absent. */
  timeoutMs?: number;
}

/** Options of a single call. */
export interface CallOptions {
  /** Aborts the call; it then resolves with an `aborted` error. */
  signal?: AbortSignal;
  /** Sent as `Idempotency-Key` so a retried request runs once. */
  idempotencyKey?: string;
  /** Extra headers for this call only. */
  headers?: HeadersInit;
  /** Overrides the client's `timeoutMs`. */
  timeoutMs?: number;
}

/** How an action is called over HTTP (generated per action). */
export interface Route {
  /** HTTP method. */
  readonly m: string;
  /** Path with `{param}` placeholders. */
  readonly p: string;
  /** Input fields sent in the query string. */
  readonly q: readonly string[];
  /** Input fields sent in the JSON body, `true` to send the whole input (a `json` input), or null for no body. */
  readonly b: readonly string[] | true | null;
  /** Every error code the action can answer: its exact error set. */
  readonly e: readonly string[];
}

/** Sends one action call; returned by `transport` and used by the generated client. */
export type Call = <T, E>(route: Route, input: unknown, options?: CallOptions) => Promise<ApiResult<T, E>>;

/** The error thrown by `unwrap` and the TanStack Query helpers. */
export class SdkError<E extends { readonly code: string; readonly message: string } = ApiError | ClientError | UnknownApiError> extends Error {
  /** The typed error; narrow on `error.code`. */
  readonly error: E;
  constructor(error: E) {
    super(error.message);
    this.name = "SdkError";
    this.error = error;
  }
}

/** Returns the data of a result, or throws its error as an `SdkError`. */
export function unwrap<T, E extends { readonly code: string; readonly message: string }>(result: ApiResult<T, E>): T {
  if (result.error) throw new SdkError(result.error);
  return result.data as T;
}

/**
 * A cookie jar for one server (see `CookieJar`): `createClient({ baseUrl,
 * cookieJar: createCookieJar() })` signs in once and stays signed in.
 */
export function createCookieJar(): CookieJar {
  const cookies = new Map<string, string>();
  return {
    header: () => [...cookies].map(([name, value]) => `${name}=${value}`).join("; "),
    store(response) {
      const lines = typeof response.headers.getSetCookie == "function"
        ? response.headers.getSetCookie()
        : (response.headers.get("set-cookie") ?? "").split(/,(?=\s*[^;=,\s]+=)/).filter(Boolean);
      for (const line of lines) {
        const [pair = "", ...attributes] = line.split(";");
        const eq = pair.indexOf("=");
        if (eq < 1) continue;
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        let maxAge: number | null = null;
        let expires: number | null = null;
        for (const attribute of attributes) {
          const at = attribute.indexOf("=");
          const key = (at < 0 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
          const v = at < 0 ? "" : attribute.slice(at + 1).trim();
          if (key == "max-age") maxAge = Number(v);
          else if (key == "expires") expires = Date.parse(v);
        }
        const expired = maxAge != null ? !(maxAge > 0) : expires != null && expires <= Date.now();
        if (expired || value === "") cookies.delete(name);
        else cookies.set(name, value);
      }
    },
    clear: () => cookies.clear(),
  };
}

/** Reads a credential option; `null` when there is none to send. */
async function credential(option: CredentialOption | undefined): Promise<string | null> {
  const value = typeof option == "function" ? await option() : option;
  return value ? value : null;
}

const fail = (code: ClientErrorCode, message: string, cause: unknown, response: Response | null = null) => {
  const status = response && response.status;
  const traceId = response && response.headers.get("x-request-id");
  return { error: { code, status, message, traceId, details: null, cause }, status, traceId, response };
};

/**
 * Builds the function every generated action calls. `framework` lists the
 * codes the server's framework answers for any request (malformed JSON, no
 * such route, ...): known to every call, like each action's own codes.
 */
export function transport(options: ClientOptions, framework: readonly string[] = []): Call {
  const base = options.baseUrl.replace(/\/+$/, "");
  return async (route, input, call = {}) => {
    const values = (input ?? {}) as Record<string, unknown>;
    const path = route.p.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(values[name])));
    const query = new URLSearchParams();
    for (const name of route.q) {
      const v = values[name];
      if (v == null) continue;
      for (const item of Array.isArray(v) ? v : [v]) query.append(name, typeof item == "object" ? JSON.stringify(item) : String(item));
    }
    const headers = new Headers(typeof options.headers == "function" ? await options.headers() : options.headers);
    const bearer = await credential(options.bearerToken);
    if (bearer) headers.set("authorization", `Bearer ${bearer}`);
    const key = await credential(options.apiKey);
    if (key && options.apiKeyHeader == "x-api-key") headers.set("x-api-key", key);
    else if (key) headers.set("authorization", `Bearer ${key}`);
    const jar = options.cookieJar?.header();
    if (jar && !headers.has("cookie")) headers.set("cookie", jar);
    new Headers(call.headers).forEach((v, k) => headers.set(k, v));
    headers.set("accept", "application/json");
    if (call.idempotencyKey) headers.set("idempotency-key", call.idempotencyKey);
    let body: string | undefined;
    if (route.b) {
      const fields: Record<string, unknown> = {};
      if (route.b !== true) for (const name of route.b) if (values[name] !== undefined) fields[name] = values[name];
      body = JSON.stringify(route.b === true ? input : fields);
      headers.set("content-type", "application/json");
    }
    const ms = call.timeoutMs ?? options.timeoutMs;
    const timer = ms == null ? null : AbortSignal.timeout(ms);
    const signals = [call.signal, timer].filter((s): s is AbortSignal => !!s);
    const qs = query.toString();
    let request = new Request(base + path + (qs ? "?" + qs : ""), {
      method: route.m,
      headers,
      body: body ?? null,
      signal: signals.length ? AbortSignal.any(signals) : null,
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
    let response: Response | null = null;
    let text: string;
    try {
      request = (await options.onRequest?.(request)) || request;
      response = await (options.fetch ?? fetch)(request);
      options.cookieJar?.store(response);
      response = (await options.onResponse?.(response, request)) || response;
      text = await response.text();
    } catch (cause) {
      return (call.signal?.aborted
        ? fail("aborted", "the call was aborted", cause, response)
        : timer?.aborted
          ? fail("timeout", `no answer within ${ms} ms`, cause, response)
          : fail("network_error", "the server could not be reached", cause, response)) as never;
    }
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch (cause) {
      return fail("invalid_response", "the answer is not JSON", cause, response) as never;
    }
    const status = response.status;
    const traceId = response.headers.get("x-request-id");
    if (response.ok) return { data: json ?? null, status, traceId, response } as never;
    const e = json?.error;
    if (typeof e?.code != "string") return fail("invalid_response", `HTTP ${status} without an error envelope`, json, response) as never;
    const known = route.e.includes(e.code) || framework.includes(e.code);
    return {
      error: {
        code: known ? e.code : "unknown_error",
        ...(known ? {} : { serverCode: e.code }),
        status,
        message: String(e.message ?? e.code),
        traceId: e.trace_id ?? traceId,
        details: e.details ?? null,
      },
      status,
      traceId: e.trace_id ?? traceId,
      response,
    } as never;
  };
}
