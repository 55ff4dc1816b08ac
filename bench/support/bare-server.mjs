// The floor of any HTTP layer in front of the runner: a bare node:http server that parses the
// JSON body, calls runner.run and answers its result as JSON. No routing, validation, record,
// events or spans; what POST /v1/executions adds beyond this is UMCA's own.
import { createServer } from 'node:http';

export async function startBareServer(runner) {
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', async () => {
      const result = await runner.run(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      const body = JSON.stringify(result);
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
