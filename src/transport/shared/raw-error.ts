/**
 * Error answers written outside a framework: the `{"status", "message"}` JSON every
 * listener uses for failures outside a flow, and whole HTTP/1.1 answers for a raw socket
 * (a request the parser rejected, a refused websocket upgrade).
 */
import { STATUS_CODES } from 'node:http';

/** `{"status", "message"}` as JSON. */
export function errorJson(status: number, message: string): string {
  return JSON.stringify({ status, message });
}

/** A complete HTTP/1.1 answer that closes the connection. */
export function rawHttpAnswer(
  status: number,
  body: string,
  contentType = 'application/json',
  extraHeaders = '',
): string {
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nconnection: close\r\ncontent-type: ${contentType}\r\n` +
    `${extraHeaders}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}
