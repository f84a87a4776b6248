#!/usr/bin/python3
"""The asyncio/aiohttp streaming client of tests/bench/loadgen.sh: a closed loop of N tasks, each
sending one streamed completion after another for a set time, with the request function written as
`vllm bench serve` writes it (vllm's async_request_openai_completions: one shared ClientSession,
POST with "stream": true, the answer read line by line, "data: " stripped, TTFT at the first chunk
with choices and ITL between such chunks by time.perf_counter). It also takes the wall clock at the
first chunk, to compare with the server's own stamp when aifb-simllm sends one ("aifb_sim").
Prints one JSON object: completed, failed, duration, rate, and ttft/itl/stamp error in ms.
Run it with Debian's python3 (python3-aiohttp); no other package is needed."""

import argparse
import asyncio
import json
import math
import sys
import time

import aiohttp

AIOHTTP_TIMEOUT = aiohttp.ClientTimeout(total=6 * 60 * 60)  # as vllm's


class Output:
    """What one request did (vllm's RequestFuncOutput, cut to what is printed)."""

    def __init__(self):
        self.success = False
        self.ttft = 0.0
        self.itl = []
        self.latency = 0.0
        self.output_tokens = 0
        self.first_rt_ns = 0     # time.time_ns() at the first chunk with choices
        self.stamp_first_ns = 0  # the server's aifb_sim.first_token_ns; 0: none
        self.error = ""


async def request_completions(session, api_url, payload):
    """One streamed request, as vllm's async_request_openai_completions reads it."""
    output = Output()
    generated_text = ""
    st = time.perf_counter()
    most_recent_timestamp = st
    try:
        async with session.post(url=api_url, json=payload) as response:
            if response.status == 200:
                first_chunk_received = False
                async for chunk_bytes in response.content:
                    chunk_bytes = chunk_bytes.strip()
                    if not chunk_bytes:
                        continue
                    chunk = chunk_bytes.decode("utf-8").removeprefix("data: ")
                    if chunk != "[DONE]":
                        data = json.loads(chunk)
                        if choices := data.get("choices"):
                            text = choices[0].get("text")
                            timestamp = time.perf_counter()
                            if not first_chunk_received:
                                first_chunk_received = True
                                output.first_rt_ns = time.time_ns()
                                output.ttft = timestamp - st
                            else:
                                output.itl.append(timestamp - most_recent_timestamp)
                            most_recent_timestamp = timestamp
                            generated_text += text or ""
                        elif usage := data.get("usage"):
                            output.output_tokens = usage.get("completion_tokens")
                            output.stamp_first_ns = (data.get("aifb_sim") or {}).get("first_token_ns", 0)
                if first_chunk_received:
                    output.success = True
                else:
                    output.error = "Never received a valid chunk to calculate TTFT."
                output.latency = most_recent_timestamp - st
            else:
                output.error = response.reason or ""
    except Exception as e:  # vllm keeps the traceback; the class is enough here
        output.error = type(e).__name__ + ": " + str(e)
    return output


async def worker(session, api_url, payload, deadline, outputs):
    while time.perf_counter() < deadline:
        outputs.append(await request_completions(session, api_url, payload))


def percentile(sorted_v, q):
    """numpy.percentile's default (linear) on sorted values; NaN when there are none."""
    if not sorted_v:
        return math.nan
    k = (len(sorted_v) - 1) * q / 100
    lo = math.floor(k)
    hi = min(lo + 1, len(sorted_v) - 1)
    return sorted_v[lo] + (sorted_v[hi] - sorted_v[lo]) * (k - lo)


def figures(values_ms):
    v = sorted(values_ms)
    mean = sum(v) / len(v) if v else math.nan
    out = {"n": len(v), "mean": mean, "p50": percentile(v, 50), "p99": percentile(v, 99)}
    return {k: (None if isinstance(x, float) and math.isnan(x) else round(x, 4) if isinstance(x, float) else x)
            for k, x in out.items()}


async def run(args):
    api_url = args.url.rstrip("/") + "/v1/completions"
    payload = {
        "model": args.model,
        "prompt": args.prompt,
        "temperature": 0.0,
        "max_tokens": args.max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
        "ignore_eos": True,
    }
    # vllm bench serve's session: one connector for the whole run, connections kept alive.
    connector = aiohttp.TCPConnector(limit=args.concurrency, limit_per_host=args.concurrency,
                                     keepalive_timeout=60, force_close=False)
    outputs = []
    async with aiohttp.ClientSession(connector=connector, trust_env=True, timeout=AIOHTTP_TIMEOUT) as session:
        start = time.perf_counter()
        deadline = start + args.duration
        await asyncio.gather(*(worker(session, api_url, payload, deadline, outputs)
                               for _ in range(args.concurrency)))
        duration = time.perf_counter() - start
    ok = [o for o in outputs if o.success]
    errors = [o.error for o in outputs if not o.success]
    result = {
        "client": "python asyncio/aiohttp " + aiohttp.__version__ + ", python " + sys.version.split()[0],
        "concurrency": args.concurrency,
        "completed": len(ok),
        "failed": len(errors),
        "duration": round(duration, 4),
        "rate": round(len(ok) / duration, 2) if duration > 0 else 0,
        "ttft_ms": figures([o.ttft * 1000 for o in ok]),
        "itl_ms": figures([g * 1000 for o in ok for g in o.itl]),
        "stamp_error_ms": figures([(o.first_rt_ns - o.stamp_first_ns) / 1e6 for o in ok if o.stamp_first_ns]),
    }
    if errors:
        result["first_error"] = errors[0][:300]
    print(json.dumps(result))
    return 0 if ok and not errors else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True, help="base URL, http://HOST:PORT")
    ap.add_argument("--model", default="aifb/sim-model")
    ap.add_argument("--prompt", default="Say something about HPC clusters.")
    ap.add_argument("--max-tokens", type=int, default=16)
    ap.add_argument("--concurrency", type=int, default=64, help="requests in flight (closed loop)")
    ap.add_argument("--duration", type=float, default=10, help="seconds during which requests start")
    args = ap.parse_args()
    if args.concurrency < 1 or args.duration <= 0 or args.max_tokens < 1:
        ap.error("--concurrency and --max-tokens must be >= 1, --duration > 0")
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
