import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expectDocumented } from './openapi-validation';

export interface CurlResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: string;
}

/** The method curl sends for these arguments: `-X`'s, else POST with a body, else GET. */
function methodOf(args: string[]): string {
  const explicit = args.indexOf('-X');
  if (explicit >= 0) return args[explicit + 1];
  return args.some((arg) => arg === '-d' || arg.startsWith('--data')) ? 'POST' : 'GET';
}

/**
 * Runs the real curl with these arguments (plus -s -i) and splits what it
 * printed; the response must be one the OpenAPI document describes.
 */
export async function curl(args: string[]): Promise<CurlResponse> {
  const { stdout } = await promisify(execFile)('curl', ['-s', '-i', ...args]);
  const end = stdout.indexOf('\r\n\r\n');
  const [statusLine, ...headerLines] = stdout.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const response = { status: Number(statusLine.split(' ')[1]), headers, body: stdout.slice(end + 4) };
  const url = [...args].reverse().find((arg) => /^https?:\/\//.test(arg)) as string;
  expectDocumented(methodOf(args), url, { ...response, header: (name) => headers[name.toLowerCase()], text: response.body });
  return response;
}
