#!/usr/bin/env bash
# Prometheus and Pushgateway from the stack: the four apps' /metrics are scraped and up, and a
# pushed metric is queryable.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
PROM="http://127.0.0.1:${AIFB_PROM_PORT:-9090}"
PUSH="http://127.0.0.1:${AIFB_PUSH_PORT:-9091}"

apps_up() {
    curl -s "$PROM/api/v1/targets?state=active" | jq -e '
        [.data.activeTargets[] | select(.labels.job | startswith("aifb-")) | select(.health == "up") | .labels.job]
        | unique == ["aifb-client", "aifb-logs", "aifb-monitoring", "aifb-server"]' >/dev/null
}
wait_for 20 apps_up && pass "Prometheus has the four apps' targets up" ||
    fail "four app targets up" "$(curl -s "$PROM/api/v1/targets" | jq -c '[.data.activeTargets[] | {job: .labels.job, health, lastError}]')"

has_series() {
    curl -s "$PROM/api/v1/query" --data-urlencode 'query=aifb_http_requests_total{job="aifb-server"}' |
        jq -e '.data.result | length > 0' >/dev/null
}
wait_for 10 has_series && pass "request counters queryable in Prometheus" || fail "request counters in Prometheus" "none"

for app in server client monitoring logs; do
    out=$(curl -s "$BASE/api/$app/v1/metrics" | promtool check metrics 2>&1)
    rc=$?
    [ $rc -eq 0 ] && pass "promtool check metrics passes on $app" || fail "promtool check metrics on $app" "rc=$rc: $out"
done

echo "aifb_test_pushed 42" | curl -s --data-binary @- "$PUSH/metrics/job/aifb-test/instance/it" >/dev/null
pushed() {
    curl -s "$PROM/api/v1/query" --data-urlencode 'query=aifb_test_pushed{job="aifb-test"}' |
        jq -e '.data.result[0].value[1] == "42"' >/dev/null
}
wait_for 10 pushed && pass "a metric pushed to Pushgateway is queryable, with its job label kept" ||
    fail "pushed metric queryable" "not found"
curl -s -X DELETE "$PUSH/metrics/job/aifb-test/instance/it" >/dev/null

finish
