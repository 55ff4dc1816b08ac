/**
 * @module gate-routes
 * The gates' verdicts (G1/G2): each `umca gate check` publishes a `gate.evaluated` event, and this
 * lists the newest, for the web UI and for anyone who asks whether a release may ship.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { GATE_VERDICTS_SUBJECT, type GateVerdictList, gateVerdictQuerySchema, type StoredEvent } from '@umca/contracts';
import type { AppDeps } from '../app/app-deps.js';
import { readRequestPart } from '../app/read-request-part.js';
import type { EdgeEnv } from '../app/request-id.js';
import { grantWith } from '../auth/request-access.js';
import { jsonAnswer, problemAnswer } from '../openapi/answers.js';

const listVerdicts = createRoute({
  method: 'get',
  path: '/v1/gates/verdicts',
  operationId: 'listGateVerdicts',
  tags: ['gates'],
  summary: "The gates' newest verdicts",
  description: 'Each `umca gate check` on this store: the gate, the suite, the model, pass or fail, and every threshold with its figure.',
  request: { query: gateVerdictQuerySchema },
  responses: {
    200: jsonAnswer('The verdicts, newest first.', 'GateVerdictList'),
    400: problemAnswer('`limit` is out of range.'),
  },
});

/** Verdicts are read a page at a time, keeping the newest: few enough (one per gate check) that this stays cheap. */
const PAGE = 1_000;
export function registerGateRoutes(app: OpenAPIHono<EdgeEnv>, deps: AppDeps): void {
  app.openAPIRegistry.registerPath(listVerdicts);
  app.get('/v1/gates/verdicts', async (context) => {
    grantWith(context, 'list_runs');
    const { limit } = readRequestPart(context, 'query', gateVerdictQuerySchema);
    let newest: StoredEvent[] = [];
    for (let after = 0; ; ) {
      const page = await deps.bus.read({ after, limit: PAGE, subject: GATE_VERDICTS_SUBJECT });
      newest = [...newest, ...page].slice(-limit);
      if (page.length < PAGE) break;
      after = page.at(-1)?.offset ?? after;
    }
    const verdicts: GateVerdictList['verdicts'] = [];
    for (const { event } of newest.reverse()) {
      if (event.type === 'dev.umca.gate.evaluated.v1') verdicts.push({ ...event.data, time: event.time });
    }
    return context.json({ verdicts }, 200);
  });
}
