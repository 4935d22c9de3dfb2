import { runAnalyticsQuery } from '../analytics/sql-engine.js';
import { parseAnalyticsSql, SqlError } from '../analytics/sql-parser.js';
import type { AnalyticsStore } from '../analytics/store.js';
import { errors } from '../net/envelope.js';
import type { PlaneContext } from './context.js';
import type { Router } from './router.js';

/** Analytics Engine's SQL is ClickHouse's; refusing a long body keeps a stray upload from being parsed. */
const MAX_SQL_BYTES = 64 * 1024;

/**
 * The Analytics Engine SQL API (`POST /accounts/:account/analytics_engine/sql`, the SQL text as the
 * body), answered from the data points the edge's workers wrote. Like Cloudflare's, the answer is
 * ClickHouse's JSON, not the v4 envelope; a query outside the narrow grammar of
 * analytics-sql-parser.ts is a 400 in the envelope, naming where it stopped.
 */
export function registerAnalyticsSqlRoutes(router: Router, plane: PlaneContext, analytics: AnalyticsStore | undefined): void {
  const now = () => Date.parse(plane.now());
  router.route('POST', '/accounts/:account/analytics_engine/sql', async ({ request }) => {
    const sql = await request.text();
    if (Buffer.byteLength(sql) > MAX_SQL_BYTES) throw errors.badRequest(`The query is longer than ${MAX_SQL_BYTES} bytes`);
    if (sql.trim() === '') throw errors.badRequest('The request body must be the SQL query');
    try {
      const answer = runAnalyticsQuery(parseAnalyticsSql(sql), analytics?.list() ?? [], now());
      return { status: 200, body: answer };
    } catch (error) {
      if (error instanceof SqlError) throw errors.badRequest(`Unsupported query for the local edge's Analytics Engine: ${error.message}`);
      throw error;
    }
  });
}
