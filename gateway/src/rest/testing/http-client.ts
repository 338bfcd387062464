/**
 * A plain HTTP/1.1 client for the REST tests (node:http, as curl would speak it): whole responses, and
 * streamed responses read chunk by chunk with the time each chunk arrived.
 */
import http from "node:http";

/** A complete response. */
export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
}

/** Request options. */
export interface HttpRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Request options that keep the path exactly as given (a URL string would normalize `..` and `%2e`). */
function target(baseUrl: string, req: HttpRequest): http.RequestOptions {
  const u = new URL(baseUrl);
  const headers = { ...req.headers };
  if (req.body !== undefined && headers["transfer-encoding"] === undefined) headers["content-length"] = String(Buffer.byteLength(req.body));
  return { hostname: u.hostname, port: u.port, path: req.path, method: req.method ?? "GET", headers, agent: false };
}

/** Sends a request and reads the whole response. */
export function request(baseUrl: string, req: HttpRequest): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const r = http.request(target(baseUrl, req), (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on("error", reject);
    });
    r.on("error", reject);
    r.end(req.body);
  });
}

/** Sends a JSON POST (or other method) with `content-type: application/json`. */
export function postJson(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}, method = "POST"): Promise<HttpResult> {
  return request(baseUrl, { method, path, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

/** A streamed response being read. */
export interface OpenStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The next chunk of body text, or undefined at the end. */
  next(): Promise<string | undefined>;
  /** Reads until `predicate` holds for the text received so far; returns that text. */
  readUntil(predicate: (text: string) => boolean): Promise<string>;
  /** Reads to the end; returns the whole body. */
  rest(): Promise<string>;
  /** Everything received so far. */
  received(): string;
  /** Drops the connection (the client goes away). */
  destroy(): void;
  /** Stops reading from the socket (a slow client), or resumes. */
  pause(): void;
  resume(): void;
}

/** Opens a request and returns once the response headers have arrived. */
export function openStream(baseUrl: string, req: HttpRequest): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const r = http.request(target(baseUrl, req), (res) => {
      res.setEncoding("utf8");
      const queue: (string | undefined)[] = [];
      const waiting: ((c: string | undefined) => void)[] = [];
      let all = "";
      let ended = false;
      const push = (c: string | undefined) => {
        if (c !== undefined) all += c;
        const w = waiting.shift();
        if (w) w(c);
        else queue.push(c);
      };
      res.on("data", (c: string) => push(c));
      res.on("end", () => {
        ended = true;
        push(undefined);
      });
      res.on("error", () => push(undefined));
      res.on("close", () => {
        if (!ended) push(undefined);
      });
      const next = () => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise<string | undefined>((w) => waiting.push(w)));
      const stream: OpenStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        next,
        async readUntil(predicate) {
          while (!predicate(all)) {
            if ((await next()) === undefined) break;
          }
          return all;
        },
        async rest() {
          while ((await next()) !== undefined);
          return all;
        },
        received: () => all,
        destroy: () => {
          res.destroy();
          r.destroy();
        },
        pause: () => res.pause(),
        resume: () => res.resume(),
      };
      resolve(stream);
    });
    r.on("error", reject);
    r.end(req.body);
  });
}

/** Parses SSE text into events (`event` defaults to "message"); comment lines are counted separately. */
export function parseSse(text: string): { events: { event: string; data: string }[]; comments: number } {
  const events: { event: string; data: string }[] = [];
  let comments = 0;
  for (const block of text.split("\n\n")) {
    if (block === "") continue;
    let event = "message";
    const data: string[] = [];
    let isEvent = false;
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) comments++;
      else if (line.startsWith("event: ")) {
        event = line.slice(7);
        isEvent = true;
      } else if (line.startsWith("data: ")) {
        data.push(line.slice(6));
        isEvent = true;
      }
    }
    if (isEvent) events.push({ event, data: data.join("\n") });
  }
  return { events, comments };
}
