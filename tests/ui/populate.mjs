// Fills a kiln store with N runs (default 10,000) through kiln's MLflow tracking REST API,
// in MLflow's own wire format, so the UI tests have a store of realistic size to page, sort
// and filter:
//
//   node tests/ui/populate.mjs URL [N]
//
// URL is a server that serves `/api/2.0/mlflow` (`kiln tracking`, or `kiln ui`). Each run is
// three requests, as an MLflow client makes them: `runs/create` (name, start time, tags),
// `runs/log-batch` (params lr, epochs, layers; metrics accuracy and loss at steps 0..2) and
// `runs/update` (FINISHED, or FAILED for one run in 25, with an end time). Values come from a
// seeded PRNG, so every run of the tests sees the same store. One run carries a stored-XSS
// attempt as its name (XSS_NAME below); the UI must show it as text. Runs 1..3 are children of
// run 0.
//
// 16 requests are kept in flight (runs are independent; the server serialises the store's
// writes itself). Prints the seconds it took on its last line.

import http from 'node:http';

export const XSS_NAME = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">';
// The runs' start times: one a minute back from a fixed moment, so that the default order
// (start_time DESC) is the order of creation, reversed, whatever the machine's clock says.
const BASE_TIME = 1_700_000_000_000;
const CONCURRENCY = 16;

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed) {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const LRS = ['0.001', '0.003', '0.01', '0.03', '0.1'];

/** The run numbered `i`: everything populate logs for it, derived from `i` alone. */
export function runOf(i, n) {
    const rand = prng(0x6b696c6e + i);
    // Steps 0..2; the last is the run's figure, strictly inside (0, 1), at full double precision.
    const accuracy = [0.3 * rand(), 0.6 * rand(), 0.001 + 0.998 * rand()];
    const loss = [2 + rand(), 1 + rand(), 0.05 + rand() * (1 - accuracy[2])];
    const start = BASE_TIME - (n - i) * 60_000;
    return {
        name: i === Math.floor(n / 2) ? XSS_NAME : `run-${String(i).padStart(5, '0')}`,
        start,
        end: start + 1000 + Math.floor(rand() * 50_000),
        status: i % 25 === 7 ? 'FAILED' : 'FINISHED',
        params: {
            lr: LRS[Math.floor(rand() * LRS.length)],
            epochs: String(1 + Math.floor(rand() * 50)),
            layers: String(1 + Math.floor(rand() * 4)),
        },
        metrics: { accuracy, loss },
        tags: { 'kiln.ui_test': 'populate', group: `g${i % 7}` },
    };
}

// node:http with a keep-alive agent rather than fetch: on two cores shared with the server,
// undici's fetch spent about three times the CPU per request (measured: 500 runs in 3.9 s with
// fetch, 1.1 s with node:http).
const agents = new Map();

/** POSTs `body` as JSON to `${url}/api/2.0/mlflow/${path}`; resolves to the parsed answer. */
export function call(url, path, body) {
    const u = new URL(url);
    if (!agents.has(u.host)) agents.set(u.host, new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY }));
    const data = JSON.stringify(body);
    return new Promise((resolve, reject) => {
        const req = http.request(
            {
                host: u.hostname,
                port: u.port,
                path: `/api/2.0/mlflow/${path}`,
                method: 'POST',
                agent: agents.get(u.host),
                headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
            },
            (res) => {
                const chunks = [];
                res.on('data', (c) => chunks.push(c));
                res.on('end', () => {
                    const text = Buffer.concat(chunks).toString('utf8');
                    if (res.statusCode >= 400) reject(new Error(`${path}: HTTP ${res.statusCode}: ${text}`));
                    else resolve(text ? JSON.parse(text) : {});
                });
            },
        );
        req.on('error', (e) => reject(new Error(`${path}: ${e.message}`)));
        req.end(data);
    });
}

async function logRun(url, i, n, extraTags = {}) {
    const r = runOf(i, n);
    Object.assign(r.tags, extraTags);
    const kv = (o) => Object.entries(o).map(([key, value]) => ({ key, value }));
    const created = await call(url, 'runs/create', {
        experiment_id: '0',
        run_name: r.name,
        start_time: r.start,
        tags: kv(r.tags),
    });
    const runId = created.run.info.run_id;
    const metrics = [];
    for (const [key, values] of Object.entries(r.metrics)) {
        values.forEach((value, step) => metrics.push({ key, value, timestamp: r.start + 1000 * (step + 1), step }));
    }
    await call(url, 'runs/log-batch', { run_id: runId, params: kv(r.params), metrics });
    await call(url, 'runs/update', { run_id: runId, status: r.status, end_time: r.end });
    return runId;
}

export async function populate(url, n) {
    // Run 0 is a parent (a study, say) and runs 1..3 its children, linked as MLflow links them
    // (the `mlflow.parentRunId` tag), so the run page has children to list.
    const parent = await logRun(url, 0, n);
    let next = 1;
    const worker = async () => {
        while (next < n) {
            const i = next++;
            await logRun(url, i, n, i <= 3 ? { 'mlflow.parentRunId': parent } : {});
        }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, n) }, worker));
}

if (import.meta.url === `file://${process.argv[1]}`) {
    const [url, nArg] = process.argv.slice(2);
    if (!url) {
        console.error('usage: node populate.mjs URL [N]');
        process.exit(2);
    }
    const n = nArg === undefined ? 10_000 : Number(nArg);
    if (!Number.isInteger(n) || n < 1) {
        console.error(`N must be a positive integer, not ${nArg}`);
        process.exit(2);
    }
    const t0 = performance.now();
    try {
        await populate(url.replace(/\/$/, ''), n);
    } catch (e) {
        console.error(`populate failed: ${e.message}`);
        process.exit(1);
    }
    for (const agent of agents.values()) agent.destroy();
    const s = (performance.now() - t0) / 1000;
    console.log(`populated ${n} runs (${3 * n} requests) in ${s.toFixed(1)} s (${((3 * n) / s).toFixed(0)} requests/s)`);
}
