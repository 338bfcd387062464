/**
 * The conformance suite's "server under test" command. The runner starts it once per server
 * configuration, writes a size-delimited ServerCompatRequest on stdin and waits (10 s at most) for a
 * ServerCompatResponse on stdout. Starting a gateway and a Python backend here would not fit that time
 * on a loaded 2-core machine, so this process only asks the test that runs the suite
 * (conformance.test.ts, at CONFORMANCE_CONTROL_URL) for a gateway built with `build()` for the request's
 * settings (message receive limit, TLS), answers with its address, and stays until it is told to stop.
 */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";

const control = process.env.CONFORMANCE_CONTROL_URL;
if (!control) {
  console.error("CONFORMANCE_CONTROL_URL is not set: run the suite through gateway/test/conformance/conformance.test.ts");
  process.exit(2);
}

/** The fields of connectrpc.conformance.v1.ServerCompatRequest that matter here. */
interface CompatRequest {
  useTls: boolean;
  messageReceiveLimit: number;
  cert: string;
  key: string;
}

function decodeRequest(bytes: Uint8Array): CompatRequest {
  const r = new BinaryReader(bytes);
  const req: CompatRequest = { useTls: false, messageReceiveLimit: 0, cert: "", key: "" };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 4 && wire === 0) req.useTls = r.bool();
    else if (field === 6 && wire === 0) req.messageReceiveLimit = r.uint32();
    else if (field === 7 && wire === 2) {
      // TLSCreds { bytes cert = 1; bytes key = 2; }
      const c = new BinaryReader(r.bytes());
      while (c.pos < c.len) {
        const [f, w] = c.tag();
        if (f === 1 && w === 2) req.cert = Buffer.from(c.bytes()).toString();
        else if (f === 2 && w === 2) req.key = Buffer.from(c.bytes()).toString();
        else c.skip(w);
      }
    } else r.skip(wire);
  }
  return req;
}

function readDelimited(): Promise<Buffer> {
  return new Promise((ok, fail) => {
    let all = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      all = Buffer.concat([all, c]);
      if (all.byteLength >= 4 && all.byteLength >= 4 + all.readUInt32BE(0)) {
        process.stdin.off("data", onData);
        ok(all.subarray(4, 4 + all.readUInt32BE(0)));
      }
    };
    process.stdin.on("data", onData);
    process.stdin.once("end", () => fail(new Error("stdin closed before a ServerCompatRequest arrived")));
  });
}

const req = decodeRequest(await readDelimited());
const res = await fetch(`${control}/gateway`, { method: "POST", body: JSON.stringify(req) });
if (!res.ok) {
  console.error(`control server: ${res.status} ${await res.text()}`);
  process.exit(1);
}
const { port } = (await res.json()) as { port: number };

// ServerCompatResponse { string host = 1; uint32 port = 2; bytes pem_cert = 3; }
const w = new BinaryWriter().tag(1, 2).string("127.0.0.1").tag(2, 0).uint32(port);
if (req.useTls) w.tag(3, 2).bytes(Buffer.from(req.cert));
const bytes = w.finish();
const len = Buffer.alloc(4);
len.writeUInt32BE(bytes.byteLength);
process.stdout.write(Buffer.concat([len, bytes]));

// The runner closes stdin after the request and stops this process with SIGTERM when it is done.
const stop = () => process.exit(0);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
setInterval(() => {}, 60_000);
