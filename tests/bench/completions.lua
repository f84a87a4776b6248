-- wrk script of tests/bench/loadgen.sh: POST /v1/completions with the JSON body in AIFB_BENCH_BODY
-- (loadgen.sh passes the streaming clients' body with "stream": false), so that wrk's rate is the
-- ceiling of the same server for the same work.
wrk.method = "POST"
wrk.path = "/v1/completions"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("AIFB_BENCH_BODY") or
    '{"model":"aifb/sim-model","prompt":"Say something about HPC clusters.","max_tokens":16,"stream":false}'
