import { createServer, type IncomingMessage, type Server } from 'node:http';
import { handleApprovalLink } from '../../tasks/approval';
import { BrokerTaskCallback } from '../adapters/approvals';
import { type ListeningServer, listen } from '../http';
import type { LocalStack } from './local-stack';

/**
 * The approval links of AwaitApproval, served on loopback: the local stand-in for the API Gateway →
 * approval-callback Lambda. GET shows a confirmation form; POST (the form) decides.
 */

const MAX_BODY = 16 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
      }
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

export type ApprovalServer = ListeningServer;

export async function startApprovalServer(stack: LocalStack, port = 0, host = '127.0.0.1'): Promise<ApprovalServer> {
  const deps = { store: stack.approvals, callback: new BrokerTaskCallback(stack.broker) };
  const server: Server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', `http://${host}`);
      if (url.pathname !== '/approval' || (req.method !== 'GET' && req.method !== 'POST')) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
        return;
      }
      const params: Record<string, string> = Object.fromEntries(url.searchParams);
      if (req.method === 'POST') {
        // The form posts back to its own origin; anything else is a cross-site request.
        const origin = req.headers.origin;
        if (origin !== undefined && origin !== `http://${req.headers.host}`) {
          res.writeHead(403, { 'Content-Type': 'text/plain' }).end('cross-site request refused');
          return;
        }
        Object.assign(params, Object.fromEntries(new URLSearchParams(await readBody(req))));
      }
      const response = await handleApprovalLink({ method: req.method, params }, deps);
      res.writeHead(response.statusCode, response.headers).end(response.body);
    } catch (error) {
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end(error instanceof Error ? error.message : 'error');
    }
  });
  return listen(server, host, port);
}
