// Runs the graphql-http server audit suite against a live GraphQL endpoint.
//
// Env:
//   AUDIT_URL           the endpoint, e.g. http://127.0.0.1:8123/graphql
//   AUDIT_KEY           API key sent as `Authorization: Bearer <key>` on every request
//   GRAPHQL_HTTP_PREFIX optional npm --prefix folder holding node_modules/graphql-http;
//                       without it, `graphql-http` is resolved the usual way.
//
// Prints one JSON line to stdout: [{id, name, status, reason}, ...] and exits 0.
// Started by tests/test_graphql_over_http.py.

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const url = process.env.AUDIT_URL;
const key = process.env.AUDIT_KEY;
if (!url || !key) {
  console.error('AUDIT_URL and AUDIT_KEY must be set');
  process.exit(2);
}

const prefix = process.env.GRAPHQL_HTTP_PREFIX;
const { auditServer } = await import(
  prefix
    ? pathToFileURL(join(prefix, 'node_modules', 'graphql-http', 'lib', 'index.mjs')).href
    : 'graphql-http'
);

function fetchWithKey(input, init = {}) {
  const base = input instanceof Request ? input.headers : undefined;
  const headers = new Headers(init.headers ?? base);
  headers.set('Authorization', `Bearer ${key}`);
  return fetch(input, { ...init, headers });
}

// auditServer runs every audit and resolves once all their results are in.
const results = await auditServer({ url, fetchFn: fetchWithKey });

const report = results.map((result) => ({
  id: result.id,
  name: result.name,
  status: result.status,
  reason: result.status === 'ok' ? null : String(result.reason),
}));

process.stdout.write(JSON.stringify(report) + '\n');
process.exit(0);
