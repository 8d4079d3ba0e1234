// The GraphQL over HTTP audit of graphql-http, the reference implementation of the
// specification, against a running gateway. Every audit must pass: an error or a warning fails.
//
//   GRAPHQL_URL=http://127.0.0.1:8000/graphql GRAPHQL_TOKEN=<token> node http-audit.mjs
//
// The audits ask about the schema (`__type`) and expect answers without errors, so they are
// sent with a signed-in caller's token, as a frontend's requests are.
import { serverAudits } from 'graphql-http';

const url = process.env.GRAPHQL_URL;
const token = process.env.GRAPHQL_TOKEN;
if (!url || !token) {
  console.error('http-audit: set GRAPHQL_URL and GRAPHQL_TOKEN');
  process.exit(2);
}

const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

const results = [];
for (const audit of serverAudits({ url, fetchFn })) {
  results.push(await audit.fn());
}
const failed = results.filter((r) => r.status !== 'ok');
for (const result of failed) {
  const reason = result.reason ? `: ${result.reason}` : '';
  console.log(`${result.status.toUpperCase()} ${result.id} ${result.name}${reason}`);
}
const count = (status) => results.filter((r) => r.status === status).length;
console.log(
  `http-audit: ${count('ok')} ok, ${count('error')} errors, ${count('warn')} warnings ` +
    `(graphql-http ${(await import('graphql-http/package.json', { with: { type: 'json' } })).default.version})`,
);
process.exit(failed.length === 0 ? 0 : 1);
