// check: what tests/integration/97_openapi.sh asks of the apps' OpenAPI documents (the output of
// `aifb-<app> --openapi`), one verdict a line: "ok NAME", "FAIL NAME: WHY" or "info TEXT".
//   node check.mjs validate DOC...             each is a valid OpenAPI 3.1 document (by
//        @seriousme/openapi-schema-validator), every schema in it compiles as JSON Schema 2020-12
//        (ajv, strict, patterns as ECMA-262 regexes), and its paths, parameters and refs agree
//   node check.mjs readme README DOC...        the README's API table lists exactly the documents'
//        routes, and what the README shows (routes, query parameters, body members, curl examples
//        and their JSON bodies) matches them
//   node check.mjs coverage DOC... -- SUITE... every route has a request in the suites
//   node check.mjs conforms DOC REF FILE NAME  the JSON in FILE is valid against the document's
//        schema at REF ("#/components/schemas/Error"): an answer of the running stack
// Runs on Debian 12's Node.js 18; what it imports is pinned by package-lock.json (npm ci).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

const addFormats = addFormatsModule.default ?? addFormatsModule;
const require = createRequire(import.meta.url);
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];
const WILD = "\u00a7"; // a segment a shell variable fills: it may be anything

function ok(name) {
  console.log(`ok ${name}`);
}
function fail(name, why) {
  console.log(`FAIL ${name}: ${String(why).replace(/\s+/g, " ").slice(0, 1500)}`);
}
function verdict(good, name, why) {
  if (good) ok(name);
  else fail(name, why);
}
function info(text) {
  console.log(`info ${text}`);
}

// The documents, each with its app's name, its prefix and its routes ("GET /api/server/v1/x").
function loadDocs(files) {
  return files.map((file) => {
    const doc = JSON.parse(readFileSync(file, "utf8"));
    const prefix = doc.servers?.[0]?.url ?? "";
    const routes = [];
    for (const [path, item] of Object.entries(doc.paths ?? {}))
      for (const m of METHODS)
        if (item[m]) routes.push({ method: m.toUpperCase(), path: prefix + path, op: item[m], doc });
    return { file, doc, name: doc.info?.title ?? basename(file), prefix, routes };
  });
}

const key = (r) => `${r.method} ${r.path}`;

// Every node of a JSON value, with its JSON pointer.
function* walk(value, pointer = "") {
  yield [value, pointer];
  if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value))
      yield* walk(v, `${pointer}/${String(k).replace(/~/g, "~0").replace(/\//g, "~1")}`);
}

function resolve(doc, ref) {
  if (!ref.startsWith("#/")) return undefined;
  return ref
    .slice(2)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((node, k) => (node === undefined ? undefined : node[k]), doc);
}

// An ajv that compiles a document's schemas: its component schemas under URIs of their own.
function ajvFor(doc, options = {}) {
  const ajv = new Ajv2020({ strict: true, allErrors: true, ...options });
  addFormats(ajv);
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {}))
    ajv.addSchema(rebase(schema), `https://aifb.invalid/schemas/${name}`);
  return ajv;
}

// A copy of schema whose refs to the components point at the URIs ajvFor gave them.
function rebase(schema) {
  return JSON.parse(
    JSON.stringify(schema).replace(/"#\/components\/schemas\/([^"]+)"/g, '"https://aifb.invalid/schemas/$1"'),
  );
}

// The schemas of a document, each with where it is: parameters', bodies' and responses'.
function* schemasOf(doc) {
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {}))
    yield [`#/components/schemas/${name}`, schema];
  for (const [path, item] of Object.entries(doc.paths ?? {}))
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      for (const p of op.parameters ?? []) yield [`${m} ${path} parameter ${p.name}`, p.schema];
      for (const [type, c] of Object.entries(op.requestBody?.content ?? {}))
        yield [`${m} ${path} body (${type})`, c.schema];
    }
  for (const [name, resp] of Object.entries(doc.components?.responses ?? {}))
    for (const [type, c] of Object.entries(resp.content ?? {}))
      yield [`#/components/responses/${name} (${type})`, c.schema];
}

// What the OpenAPI schema cannot say: path templates and path parameters agree, operation ids are
// unique, refs resolve, security names a scheme, and no pattern was left untranslated.
function semantics(d) {
  const bad = [];
  const ids = new Map();
  for (const [path, item] of Object.entries(d.doc.paths ?? {})) {
    const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      const inPath = (op.parameters ?? []).filter((p) => p.in === "path");
      for (const n of names)
        if (!inPath.some((p) => p.name === n && p.required === true))
          bad.push(`${m} ${path}: no required path parameter ${n}`);
      for (const p of inPath) if (!names.includes(p.name)) bad.push(`${m} ${path}: ${p.name} is not in the path`);
      if (ids.has(op.operationId)) bad.push(`operationId ${op.operationId} twice`);
      ids.set(op.operationId, true);
      for (const s of op.security ?? [])
        for (const scheme of Object.keys(s))
          if (!d.doc.components?.securitySchemes?.[scheme]) bad.push(`${m} ${path}: no security scheme ${scheme}`);
    }
  }
  for (const [node, pointer] of walk(d.doc)) {
    if (node && typeof node === "object" && typeof node.$ref === "string" && resolve(d.doc, node.$ref) === undefined)
      bad.push(`${pointer}: $ref ${node.$ref} leads nowhere`);
    if (node && typeof node === "object" && "x-aifb-posix-pattern" in node)
      bad.push(`${pointer}: pattern ${node["x-aifb-posix-pattern"]} not translated to ECMA-262`);
  }
  verdict(bad.length === 0, `${d.name}: path parameters, operation ids, refs and patterns agree`, bad.join("; "));
}

async function validate(files) {
  const version = require("@seriousme/openapi-schema-validator/package.json").version;
  for (const d of loadDocs(files)) {
    const res = await new Validator().validate(structuredClone(d.doc));
    verdict(
      res.valid && d.doc.openapi?.startsWith("3.1"),
      `${d.name}: a valid OpenAPI ${d.doc.openapi} document (@seriousme/openapi-schema-validator ${version})`,
      JSON.stringify(res.errors ?? "not 3.1"),
    );
    const ajv = ajvFor(d.doc);
    const bad = [];
    let n = 0;
    for (const [where, schema] of schemasOf(d.doc)) {
      n++;
      try {
        if (!where.startsWith("#/components/schemas/")) ajv.compile(rebase(schema));
      } catch (e) {
        bad.push(`${where}: ${e.message}`);
      }
    }
    verdict(bad.length === 0, `${d.name}: its ${n} schemas compile as JSON Schema 2020-12 (ajv, strict)`, bad.join("; "));
    semantics(d);
  }
}

// Whether the concrete path (segments a variable fills hold WILD) is one of route's: a {name}
// segment takes any value, as the dispatcher's route_match does; one trailing slash is ignored.
function matches(routePath, path) {
  const a = routePath.split("/");
  const b = path.replace(/(.)\/$/, "$1").split("/");
  return (
    a.length === b.length &&
    a.every((s, i) => {
      if (b[i].includes(WILD)) return true;
      if (/^\{.+\}$/.test(s)) return b[i] !== "";
      return s === b[i];
    })
  );
}

function findRoute(docs, method, path) {
  const want = method === "HEAD" ? "GET" : method;
  for (const d of docs) for (const r of d.routes) if (r.method === want && matches(r.path, path)) return r;
  return undefined;
}

// "/api/<app>/v1/x" stands for the route in every app.
function expandApps(docs, path) {
  if (!path.includes("/api/<app>/")) return [path];
  return docs.map((d) => path.replace("/api/<app>", d.prefix));
}

// The README's section under "## The API" (to the next "## ").
function apiSection(lines) {
  const start = lines.findIndex((l) => /^## The API\b/.test(l));
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  return lines.slice(start, end < 0 ? lines.length : end);
}

const SPAN_ROUTE = /^(GET|HEAD|POST|PUT|PATCH|DELETE)(?:\s+(\S+))?$/;

// "...": the last full path up to the segment that the rest starts with ("…/collections/{name}"
// after "/api/server/v1/services/{id}/collections" is ".../services/{id}/collections/{name}"),
// or the last path and the rest.
function elide(last, rest) {
  const segs = last.split("/");
  const at = segs.lastIndexOf(rest.split("/")[1]);
  return at > 0 ? segs.slice(0, at).join("/") + rest : last + rest;
}

// The routes one row of the API table names, in its first cell, with the query parameters and the
// body members it shows: spans "`METHOD /path?query`", "`METHOD .../rest`" (the last path, cut),
// "`METHOD`" (the last path) and "`{"member","member"?}`" (the body of the route before it).
function tableRow(line, state) {
  const cell = line.split(/(?<!\\)\|/)[1] ?? "";
  const out = [];
  for (const [, span] of cell.matchAll(/`([^`]*)`/g)) {
    const m = SPAN_ROUTE.exec(span.trim());
    if (m) {
      let [path, query] = (m[2] ?? state.last ?? "").split("?");
      if (path.startsWith("...")) path = elide(state.last ?? "", path.slice(3));
      state.last = path;
      out.push({ method: m[1], path, query: (query ?? "").replace(/\\\|/g, "|"), members: null });
    } else if (span.trim().startsWith("{") && out.length) {
      out[out.length - 1].members = [...span.matchAll(/"([^"]+)"(\?)?/g)].map((x) => ({ name: x[1], opt: !!x[2] }));
    }
  }
  return out;
}

function bodySchema(route) {
  const s = route?.op.requestBody?.content?.["application/json"]?.schema;
  return s?.$ref ? resolve(route.doc, s.$ref) : s;
}

// A query string the README shows ("state=&limit=", "format=csv\|json") against the route's
// declared query parameters: the names, and each value given (alternatives split at "|").
function checkQuery(route, query, ajv) {
  const bad = [];
  for (const pair of query.split("&").filter(Boolean)) {
    const [name, value = ""] = pair.split("=");
    const p = (route.op.parameters ?? []).find((x) => x.in === "query" && x.name === name);
    if (!p) {
      bad.push(`?${name} is not a query parameter of ${key(route)}`);
      continue;
    }
    for (const v of value.split("|").filter(Boolean)) {
      const check = ajv.compile({ type: "object", properties: { v: p.schema } });
      if (!check({ v })) bad.push(`?${name}=${v}: ${ajv.errorsText(check.errors)}`);
    }
  }
  return bad;
}

// The members a table row shows against the route's body schema: each must be declared.
function checkMembers(route, members) {
  const schema = bodySchema(route);
  const props = schema?.properties ?? {};
  const required = schema?.required ?? [];
  const bad = members.filter((m) => !(m.name in props)).map((m) => `${key(route)}: body member ${m.name} not declared`);
  for (const m of members)
    if (m.name in props && m.opt === required.includes(m.name))
      info(`README: ${key(route)} shows ${m.name} as ${m.opt ? "optional" : "required"}; the route declares it ${m.opt ? "required" : "optional"}`);
  return bad;
}

// The API table: every route of every document, and nothing else. The routes every app answers are
// named once, as /api/<app>/..., in the text above the table.
function checkTable(docs, section) {
  const listed = new Map();
  const state = { last: null };
  const bad = [];
  const scalars = ajvFor({}, { coerceTypes: true, strict: false });
  for (const line of section) {
    if (line.startsWith("| `")) {
      for (const r of tableRow(line, state)) {
        for (const path of expandApps(docs, r.path)) listed.set(`${r.method} ${path}`, r);
        const route = findRoute(docs, r.method, r.path);
        if (!route) continue;
        bad.push(...checkQuery(route, r.query, scalars));
        if (r.members) bad.push(...checkMembers(route, r.members));
      }
    } else {
      for (const [, span] of line.matchAll(/`([^`]*\/api\/<app>\/[^`]*)`/g)) {
        const m = SPAN_ROUTE.exec(span.trim());
        if (m) for (const path of expandApps(docs, m[2].split("?")[0])) listed.set(`${m[1]} ${path}`, m);
      }
    }
  }
  if (listed.size === 0) {
    fail("README: the API table", "no table under '## The API'");
    return;
  }
  for (const d of docs) {
    const missing = d.routes.filter((r) => !listed.has(key(r))).map(key);
    verdict(missing.length === 0, `README's API table lists every route of ${d.name} (${d.routes.length})`, `missing: ${missing.join(", ")}`);
  }
  const all = new Set(docs.flatMap((d) => d.routes.map(key)));
  const extra = [...listed.keys()].filter((k) => !all.has(k));
  verdict(extra.length === 0, `every route README's API table lists exists (${listed.size})`, `not in any table: ${extra.join(", ")}`);
  verdict(bad.length === 0, "README's API table: its query parameters and body members are the routes' own", bad.join("; "));
}

// Every route the README names in full ("`GET /api/logs/v1/sync`") anywhere, and where.
function checkNamed(docs, lines) {
  const bad = [];
  let n = 0;
  lines.forEach((line, i) => {
    for (const [, span] of line.matchAll(/`((?:GET|HEAD|POST|PUT|PATCH|DELETE) \/api\/[^`\s]*)`/g)) {
      const [method, target] = span.split(" ");
      for (const path of expandApps(docs, target.split("?")[0])) {
        n++;
        if (!findRoute(docs, method, path)) bad.push(`line ${i + 1}: ${method} ${path}`);
      }
    }
  });
  verdict(bad.length === 0, `every route the README names exists (${n} mentions)`, `no such route: ${bad.join(", ")}`);
}

// The words of a shell command line as the shell would split them, roughly: quotes removed,
// variables left as they are.
function shellWords(text) {
  const words = [];
  let word = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      word = (word ?? "") + text.slice(i + 1, end < 0 ? text.length : end);
      i = end < 0 ? text.length : end;
    } else if (c === '"') {
      let j = i + 1;
      let s = "";
      for (; j < text.length && text[j] !== '"'; j++) s += text[j] === "\\" ? text[++j] : text[j];
      word = (word ?? "") + s;
      i = j;
    } else if (c === "#" && word === null) {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "\\" && text[i + 1] === "\n") {
      i++;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

// The curl commands of the README's code blocks: method, path and body.
function curlExamples(lines) {
  const out = [];
  let block = null;
  lines.forEach((line, i) => {
    if (/^```/.test(line)) {
      if (block === null) block = { start: i + 1, text: "" };
      else {
        const cmds = block.text.replace(/\\\n/g, " ").split(/\n(?=\S)/);
        for (const cmd of cmds) {
          const words = shellWords(cmd);
          const at = words.indexOf("curl");
          if (at < 0) continue;
          const ex = { line: block.start, method: null, url: null, body: null };
          for (let k = at + 1; k < words.length; k++) {
            const w = words[k];
            if (w === "-X" || w === "--request") ex.method = words[++k];
            else if (/^(-d|--data|--data-raw|--data-binary|--json)$/.test(w)) ex.body = words[++k];
            else if (/^(-H|--header|-o|-w|-u|--max-time|-m)$/.test(w)) k++;
            else if (/^https?:\/\//.test(w)) ex.url = w;
          }
          ex.method ??= ex.body === null ? "GET" : "POST";
          if (ex.url) out.push(ex);
        }
        block = null;
      }
    } else if (block !== null) {
      block.text += `${line}\n`;
    }
  });
  return out;
}

// Each curl example's route exists and its JSON body is valid against the route's body schema.
function checkCurl(docs, lines) {
  const examples = curlExamples(lines);
  for (const ex of examples) {
    const path = new URL(ex.url).pathname;
    const name = `README example at line ${ex.line}: ${ex.method} ${path}`;
    const route = findRoute(docs, ex.method, path);
    if (!route) {
      fail(name, "no such route in the documents");
      continue;
    }
    if (ex.body === null) {
      verdict(!route.op.requestBody?.required, `${name} (no body)`, "the route requires a body");
      continue;
    }
    let body;
    try {
      body = JSON.parse(ex.body);
    } catch (e) {
      fail(name, `the body is not JSON: ${e.message}`);
      continue;
    }
    const schema = route.op.requestBody?.content?.["application/json"]?.schema;
    if (!schema) {
      fail(name, "the route takes no JSON body");
      continue;
    }
    const ajv = ajvFor(route.doc);
    const check = ajv.compile(rebase(schema));
    verdict(check(body), `${name}: its body is valid against the route's schema`, ajv.errorsText(check.errors));
  }
  verdict(examples.length > 0, `README has curl examples to check (${examples.length})`, "none found in its code blocks");
}

function readme(file, docFiles) {
  const docs = loadDocs(docFiles);
  const lines = readFileSync(file, "utf8").split("\n");
  checkTable(docs, apiSection(lines));
  checkNamed(docs, lines);
  checkCurl(docs, lines);
}

// The requests of one suite: per line (continuations joined), every /api/<app>/v1/... path, with
// its method: the last HTTP method word before it on the line (the suites' `http`, `auth` and
// helpers name it), else curl's POST when the line sends data, else GET. Variables assigned a path
// earlier in the file (API=/api/server/v1) are put in; any other variable or $(...) may be
// anything (WILD). A rough reading of shell, which errs towards seeing a request.
function suiteRequests(text) {
  const vars = new Map();
  const found = [];
  const lines = text.replace(/\\\n/g, " ").split("\n");
  for (const raw of lines) {
    if (/^\s*#/.test(raw)) continue;
    let line = raw.replace(/\$\((?:[^()]|\([^()]*\))*\)/g, WILD);
    for (let k = 0; k < 3; k++)
      line = line.replace(/\$\{(\w+)\}|\$(\w+)/g, (all, a, b) => vars.get(a ?? b) ?? WILD);
    const assign = /^\s*(?:local\s+|export\s+)?([A-Za-z_]\w*)=["']?([^"'\s]*\/api\/[^"'\s]*)["']?\s*$/.exec(line);
    if (assign) vars.set(assign[1], assign[2]);
    for (const m of line.matchAll(/\/api\/[^\s"'?`)\\]*/g)) {
      const before = line.slice(0, m.index);
      // a value assigned (X=/api/..., read where it is used) or quoted inside a string (\"/api/...\",
      // what a jq check expects) is no request
      if (/(=["']?|\\")$/.test(before)) continue;
      const words = [...before.matchAll(/(?:^|[\s"'(])(GET|HEAD|POST|PUT|PATCH|DELETE)(?=[\s"'])/g)];
      const sends = /\scurl\s/.test(` ${line}`) && /\s(-d|--data[\w-]*|-F|--json)\s/.test(line);
      const method = words.length ? words[words.length - 1][1] : sends ? "POST" : "GET";
      found.push({ method, path: m[0] });
    }
  }
  return found;
}

function coverage(docFiles, suites) {
  const docs = loadDocs(docFiles);
  const requests = suites.flatMap((f) =>
    suiteRequests(readFileSync(f, "utf8")).map((r) => ({ ...r, suite: basename(f) })),
  );
  // A request whose path is known goes where the dispatcher sends it: the first route of the table
  // that matches (a literal segment listed first wins over a {name}); one a variable fills, anywhere.
  const hit = new Set();
  for (const q of requests) {
    const method = q.method === "HEAD" ? "GET" : q.method;
    const all = docs.flatMap((d) => d.routes).filter((r) => r.method === method && matches(r.path, q.path));
    for (const r of q.path.includes(WILD) ? all : all.slice(0, 1)) hit.add(key(r));
  }
  for (const d of docs) {
    const missing = d.routes.filter((r) => !hit.has(key(r))).map(key);
    verdict(
      missing.length === 0,
      `every route of ${d.name} has a request in tests/integration (${d.routes.length} routes)`,
      `no case for: ${missing.join(", ")}`,
    );
  }
}

function conforms(docFile, ref, file, name) {
  const [d] = loadDocs([docFile]);
  const ajv = ajvFor(d.doc);
  let data;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    fail(name, `not JSON: ${e.message}`);
    return;
  }
  const check = ajv.getSchema(rebase({ $ref: ref }).$ref) ?? ajv.compile(rebase(resolve(d.doc, ref) ?? {}));
  verdict(check(data), name, ajv.errorsText(check.errors));
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === "validate" && args.length) await validate(args);
else if (cmd === "readme" && args.length > 1) readme(args[0], args.slice(1));
else if (cmd === "conforms" && args.length === 4) conforms(...args);
else if (cmd === "coverage" && args.includes("--"))
  coverage(args.slice(0, args.indexOf("--")), args.slice(args.indexOf("--") + 1));
else {
  console.error(
    "usage: check.mjs validate DOC... | readme README DOC... | coverage DOC... -- SUITE... | conforms DOC REF FILE NAME",
  );
  process.exit(2);
}
