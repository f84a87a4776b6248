#!/usr/bin/env bash
# The OpenAPI 3.1 documents the apps generate from their route tables (`aifb-<app> --openapi`, and
# GET /api/<app>/v1/openapi.json): valid by a real OpenAPI validator (tests/openapi/check.mjs, on
# Node.js with the packages tests/openapi/package-lock.json pins, installed by scripts/install-deps),
# every schema compiling as JSON Schema 2020-12; the served documents equal the printed ones and the
# dispatcher's errors fit their Error schema (when the stack answers); the README's API table lists
# exactly the routes, and its examples (routes, query parameters, body members, curl bodies) fit
# them; and every route has a request in some integration suite (10_api.sh promises one case each).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
BIN=${AIFB_BIN:-$ROOT/build/bin}
CHECK=$ROOT/tests/openapi/check.mjs
APPS=(server client monitoring logs)

# report: each verdict line of check.mjs ("ok NAME", "FAIL NAME: WHY", "info TEXT") counted here.
report() {
    local verdict rest
    while IFS=' ' read -r verdict rest; do
        case $verdict in
        ok) pass "$rest" ;;
        FAIL) fail "${rest%%: *}" "${rest#*: }" ;;
        info) info "$rest" ;;
        *) fail "check.mjs said" "$verdict $rest" ;;
        esac
    done
}

# checker ARGS...: check.mjs's verdicts; its failing to run at all is a failure too.
checker() {
    local out rc
    out=$(node "$CHECK" "$@" 2>&1)
    rc=$?
    report <<<"$out"
    [ "$rc" = 0 ] || fail "check.mjs $1 ran" "exit status $rc"
}

echo "== the documents, as the programs print them"
if ! command -v node >/dev/null || [ ! -d "$ROOT/tests/openapi/node_modules/@seriousme/openapi-schema-validator" ]; then
    fail "node and tests/openapi/node_modules" "missing: run make deps (scripts/install-deps runs npm ci there)"
    finish
    exit
fi
docs=()
for app in "${APPS[@]}"; do
    if "$BIN/aifb-$app" --openapi >"$TMP/$app.json" 2>"$TMP/$app.err" && jq -e '.openapi' "$TMP/$app.json" >/dev/null 2>&1; then
        pass "aifb-$app --openapi prints a JSON document"
        docs+=("$TMP/$app.json")
    else
        fail "aifb-$app --openapi" "$(head -c 300 "$TMP/$app.err")"
    fi
done
[ ${#docs[@]} -gt 0 ] || {
    finish
    exit
}
checker validate "${docs[@]}"

echo "== the documents the apps serve"
http GET /api/server/v1/health
if [ "$STATUS" != 200 ]; then
    skip "served documents: nothing answers at $BASE (scripts/stack up); checked by make test"
else
    for app in "${APPS[@]}"; do
        http GET "/api/$app/v1/openapi.json"
        check "GET /api/$app/v1/openapi.json 200 without a token" 200
        if [ -s "$TMP/$app.json" ] && [ "$(jq -S . <<<"$BODY" 2>&1)" = "$(jq -S . "$TMP/$app.json")" ]; then
            pass "the served document of $app is the one aifb-$app --openapi prints"
        else
            fail "the served document of $app" "differs from aifb-$app --openapi: ${BODY:0:200}"
        fi
        http GET "/api/$app/v1/no-such-route"
        printf '%s' "$BODY" >"$TMP/error.json"
        checker conforms "$TMP/$app.json" '#/components/schemas/Error' "$TMP/error.json" \
            "$app: a 404 from the dispatcher fits the document's Error schema"
        http GET "/api/$app/v1/openapi.json?x=1"
        printf '%s' "$BODY" >"$TMP/error.json"
        checker conforms "$TMP/$app.json" '#/components/responses/BadRequest/content/application~1json/schema' \
            "$TMP/error.json" "$app: a 400 from the dispatcher fits the document's BadRequest response"
    done
fi

echo "== the README"
checker readme "$ROOT/README.md" "${docs[@]}"

echo "== a request for every route in the integration suites"
checker coverage "${docs[@]}" -- "$ROOT"/tests/integration/*.sh

finish
