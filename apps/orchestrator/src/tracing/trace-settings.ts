/**
 * @module trace-settings
 * Where spans go, settled once from UMCA's settings and OpenTelemetry's standard variables: the
 * embedded store (on by default, `--tracing off` to stop), and an OTLP/HTTP collector when
 * `--otlp-endpoint` or `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT` names one. `OTEL_SDK_DISABLED=true`
 * turns tracing off and `OTEL_TRACES_EXPORTER=none` the OTLP export, as the specification says.
 */

export interface TraceSettings {
  /** `off`: no spans at all. Default `on`. */
  readonly tracing?: 'on' | 'off';
  /** Record prompts, completions, code and output on spans. Default false. */
  readonly traceContent?: boolean;
  /** The collector's base URL (`/v1/traces` is added) or its full traces URL. */
  readonly otlpEndpoint?: string;
  /** The project spans are filed under in Phoenix (`openinference.project.name`). Default `umca`. */
  readonly traceProject?: string;
}

export interface ResolvedTracing {
  readonly enabled: boolean;
  readonly recordContent: boolean;
  readonly project: string;
  /** Export over OTLP: to this URL, or (`fromEnvironment`) where the OTEL_* variables say. Undefined: no export. */
  readonly otlp?: { readonly url: string } | { readonly fromEnvironment: string };
}

const TRUE = /^(true|1|yes|on)$/i;

/** The full traces URL for a base endpoint: `http://host:6006` → `http://host:6006/v1/traces`. */
export function otlpTracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (!url.pathname.endsWith('/v1/traces')) url.pathname = `${url.pathname.replace(/\/$/, '')}/v1/traces`;
  return url.toString();
}

export function resolveTracing(settings: TraceSettings, env: NodeJS.ProcessEnv = process.env): ResolvedTracing {
  const enabled = settings.tracing !== 'off' && !TRUE.test(env.OTEL_SDK_DISABLED ?? '');
  const base = { enabled, recordContent: enabled && settings.traceContent === true, project: settings.traceProject ?? 'umca' };
  if (!enabled || (env.OTEL_TRACES_EXPORTER ?? '').split(',').some((name) => name.trim() === 'none')) return base;
  if (settings.otlpEndpoint) return { ...base, otlp: { url: otlpTracesUrl(settings.otlpEndpoint) } };
  const fromEnvironment = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return fromEnvironment ? { ...base, otlp: { fromEnvironment } } : base;
}
