import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface CurlResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: string;
}

/** Runs the real curl with these arguments (plus -s -i) and splits what it printed. */
export async function curl(args: string[]): Promise<CurlResponse> {
  const { stdout } = await promisify(execFile)('curl', ['-s', '-i', ...args]);
  const end = stdout.indexOf('\r\n\r\n');
  const [statusLine, ...headerLines] = stdout.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: stdout.slice(end + 4) };
}
