// Response validation against Twilio's OpenAPI 3.0 specification files.
//
// The spec files (twilio_api_v2010.json, twilio_messaging_v1.json, ...) are
// Twilio's own (MIT), read at test time from the pinned devDependency
// @twilio-alpha/mcp, which ships the whole twilio-oai set under
// twilio-oai/spec/json/ (or from $PIPIT_OAI_DIR).  For each HTTP exchange we find the operation whose
// `paths` template matches the request (by the *original* Twilio URL the SDK
// asked for, e.g. https://api.twilio.com/2010-04-01/Accounts/AC…/Messages.json)
// and validate the body against the schema declared for the response status.
//
// OpenAPI 3.0 is not JSON Schema: `nullable: true` is translated to a type
// union (or `null` added to an `enum`, or anyOf for a `$ref`), Twilio's own
// formats are registered, and `$ref: #/components/schemas/X` is rewritten to
// point at a per-file schema registered in Ajv under `definitions`.
//
// Error bodies (HTTP ≥ 400) are not described by the spec; they must have
// exactly Twilio's shape {code, message, more_info, status}.
//
// PIPIT_OAI_STRICT=1 additionally makes every property the spec declares
// required and forbids properties it does not declare (Twilio always returns
// every field, null when empty).

import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const KNOWN_PRODUCT_HOSTS = new Set([
  'accounts', 'api', 'chat', 'conversations', 'events', 'lookups', 'messaging',
  'notify', 'numbers', 'pricing', 'studio', 'sync', 'taskrouter', 'trunking',
  'trusthub', 'verify', 'video', 'voice',
]);

const MONTHS = 'Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec';
const RFC2822_RE = new RegExp(
  `^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d{2} (${MONTHS}) \\d{4} \\d{2}:\\d{2}:\\d{2} \\+0000$`);

export function isRfc2822(s) {
  if (typeof s !== 'string' || !RFC2822_RE.test(s)) return false;
  // Real calendar date with the right weekday: round-trips through Date.
  const d = new Date(s);
  return !Number.isNaN(d.getTime()) && d.toUTCString().replace(/GMT$/, '+0000') === s;
}

// Twilio's "phone-number" fields hold E.164 numbers, short codes,
// alphanumeric sender IDs or channel addresses (whatsapp:+1…, client:alice).
const PHONE_RE = /^(\+[1-9]\d{1,14}|\d{3,8}|[A-Za-z0-9 ]{1,11}|[a-z][a-z0-9-]*:.+)$/;

function lenientUri(s) {
  if (typeof s !== 'string' || /\s/.test(s)) return false;
  if (s === '') return true; // Twilio returns "" for unset URLs
  try {
    // Twilio's "uri" format holds both absolute URLs and paths relative to
    // https://api.twilio.com (first_page_uri, subresource_uris, …).
    new URL(s, 'https://api.twilio.com');
    return true;
  } catch {
    return false;
  }
}

const TWILIO_FORMATS = {
  'date-time-rfc-2822': isRfc2822,
  'phone-number': PHONE_RE,
  uri: lenientUri,
  'uri-map': () => true, // translated to additionalProperties below
  currency: /^[A-Za-z]{3}$/,
  'iso-country-code': /^[A-Z]{2}$/,
  'http-method': /^(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS)$/i,
  'phone-number-capabilities': () => true,
  'ice-server': () => true,
};

const DROP_KEYS = new Set([
  'nullable', 'example', 'examples', 'discriminator', 'xml', 'externalDocs',
  'deprecated', 'readOnly', 'writeOnly', 'description',
]);

// Translate one OpenAPI 3.0 schema object into JSON Schema (draft-07).
function convertSchema(node, refBase, strict, unknownFormats) {
  if (Array.isArray(node)) return node.map((n) => convertSchema(n, refBase, strict, unknownFormats));
  if (node === null || typeof node !== 'object') return node;

  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (DROP_KEYS.has(k) || k.startsWith('x-')) continue;
    switch (k) {
      case 'properties': {
        out.properties = {};
        for (const [name, sub] of Object.entries(v)) {
          out.properties[name] = convertSchema(sub, refBase, strict, unknownFormats);
        }
        break;
      }
      case '$ref': {
        const m = /^#\/components\/schemas\/(.+)$/.exec(v);
        if (!m) throw new Error(`unsupported $ref ${v}`);
        out.$ref = `${refBase}#/definitions/${m[1]}`;
        break;
      }
      case 'items':
      case 'not':
        out[k] = convertSchema(v, refBase, strict, unknownFormats);
        break;
      case 'additionalProperties':
        out[k] = typeof v === 'object' ? convertSchema(v, refBase, strict, unknownFormats) : v;
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        out[k] = v.map((s) => convertSchema(s, refBase, strict, unknownFormats));
        break;
      case 'format':
        if (v === 'uri-map') {
          // A map from a name to a URI (subresource_uris, links).
          if (!('additionalProperties' in node)) out.additionalProperties = { type: 'string', format: 'uri' };
        } else {
          if (!(v in TWILIO_FORMATS) && !KNOWN_AJV_FORMATS.has(v)) unknownFormats.add(v);
          out.format = v;
        }
        break;
      default:
        out[k] = v;
    }
  }

  if (node.nullable === true) {
    if (out.$ref) {
      return { anyOf: [{ $ref: out.$ref }, { type: 'null' }] };
    }
    if (out.type !== undefined) {
      const types = Array.isArray(out.type) ? out.type : [out.type];
      if (!types.includes('null')) out.type = [...types, 'null'];
    }
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    // nullable without type/enum/$ref: already accepts null.
  }

  if (strict && out.properties && (out.type === 'object' || (Array.isArray(out.type) && out.type.includes('object')))) {
    out.required = Object.keys(out.properties);
    if (!('additionalProperties' in out)) out.additionalProperties = false;
  }
  return out;
}

const KNOWN_AJV_FORMATS = new Set([
  'date', 'time', 'date-time', 'iso-time', 'iso-date-time', 'duration', 'uri',
  'uri-reference', 'uri-template', 'url', 'email', 'hostname', 'ipv4', 'ipv6',
  'regex', 'uuid', 'json-pointer', 'json-pointer-uri-fragment',
  'relative-json-pointer', 'byte', 'int32', 'int64', 'float', 'double',
  'password', 'binary',
]);

function templateToRegex(template) {
  const parts = template.split(/(\{[^}]+\})/);
  let literal = 0;
  const src = parts.map((p) => {
    if (/^\{[^}]+\}$/.test(p)) return '([^/]+)';
    literal += p.length;
    return p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }).join('');
  return { re: new RegExp(`^${src}$`), literal };
}

export function defaultOaiDir(repoRoot) {
  return process.env.PIPIT_OAI_DIR
    ? path.resolve(process.env.PIPIT_OAI_DIR)
    : path.resolve(repoRoot, 'node_modules', '@twilio-alpha', 'mcp', 'twilio-oai', 'spec', 'json');
}

export class OpenApiValidator {
  constructor({ dir, strict = process.env.PIPIT_OAI_STRICT === '1' } = {}) {
    this.dir = dir;
    this.strict = strict;
    this.ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
    addFormats(this.ajv);
    for (const [name, fmt] of Object.entries(TWILIO_FORMATS)) this.ajv.addFormat(name, fmt);
    this.hosts = new Map(); // host -> [{file, template, re, literal, item}]
    this.compiled = new Map();
    this.unknownFormats = new Set();

    const main = path.join(dir, 'twilio_api_v2010.json');
    if (!fs.existsSync(main)) {
      throw new Error(`OpenAPI spec not found: ${main} (set PIPIT_OAI_DIR)`);
    }
    const files = fs.readdirSync(dir).filter((f) => /^twilio_.*\.json$/.test(f)).sort();
    for (const f of files) {
      const spec = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      this.#addSpec(f, spec, spec.servers?.[0]?.url);
    }
    // Formats we do not know are accepted (with no check) rather than making
    // every compile fail; they are listed in unknownFormats.
    for (const f of this.unknownFormats) this.ajv.addFormat(f, () => true);
  }

  #addSpec(file, spec, defaultServer) {
    const id = `https://pipit.invalid/oai/${encodeURIComponent(file)}`;
    const definitions = {};
    for (const [name, s] of Object.entries(spec.components?.schemas ?? {})) {
      definitions[name] = convertSchema(s, id, this.strict, this.unknownFormats);
    }
    this.ajv.addSchema({ $id: id, definitions });
    for (const [template, item] of Object.entries(spec.paths ?? {})) {
      const server = item.servers?.[0]?.url ?? defaultServer;
      if (!server) continue;
      const host = new URL(server).host;
      const { re, literal } = templateToRegex(template);
      if (!this.hosts.has(host)) this.hosts.set(host, []);
      this.hosts.get(host).push({ file, id, template, re, literal, item });
    }
  }

  findOperation(host, pathname, method) {
    const candidates = this.hosts.get(host);
    if (!candidates) return { hostKnown: false };
    let best = null;
    for (const c of candidates) {
      if (c.re.test(pathname) && (!best || c.literal > best.literal)) best = c;
    }
    if (!best) return { hostKnown: true };
    const op = best.item[method.toLowerCase()];
    return { hostKnown: true, entry: best, op };
  }

  #validatorFor(entry, method, status, schema) {
    const key = `${entry.file} ${method} ${entry.template} ${status}`;
    let v = this.compiled.get(key);
    if (!v) {
      const converted = convertSchema(schema, entry.id, this.strict, this.unknownFormats);
      for (const f of this.unknownFormats) if (!this.ajv.formats[f]) this.ajv.addFormat(f, () => true);
      v = this.ajv.compile(converted);
      this.compiled.set(key, v);
    }
    return v;
  }

  // Validate one response.  `twilioUrl` is the URL as the SDK built it
  // (https://<product>.twilio.com/...).  Returns {problems, checked, template}.
  validate({ method, twilioUrl, status, contentType, bodyText }) {
    const problems = [];
    const u = new URL(twilioUrl);
    const found = this.findOperation(u.host, decodeURI(u.pathname), method);
    const template = found.entry?.template;

    if (status >= 400) {
      problems.push(...checkErrorShape(status, contentType, bodyText));
      return { problems, checked: 'error-shape', template };
    }
    if (status === 204) {
      if (bodyText && bodyText.length > 0) problems.push(`204 response has a body: ${excerpt(bodyText)}`);
      if (found.op && !found.op.responses?.['204']) {
        problems.push(`status 204 not declared for ${method.toUpperCase()} ${template} (declared: ${Object.keys(found.op.responses ?? {}).join(', ')})`);
      }
      return { problems, checked: '204', template };
    }
    if (!found.hostKnown) return { problems, checked: false, template };
    if (!found.entry) {
      problems.push(`no OpenAPI path matches ${u.host}${u.pathname}`);
      return { problems, checked: false, template };
    }
    if (!found.op) {
      problems.push(`OpenAPI path ${template} has no ${method.toUpperCase()} operation`);
      return { problems, checked: false, template };
    }
    const resp = found.op.responses?.[String(status)];
    if (!resp) {
      problems.push(`status ${status} not declared for ${method.toUpperCase()} ${template} (declared: ${Object.keys(found.op.responses ?? {}).join(', ')})`);
      return { problems, checked: false, template };
    }
    const schema = resp.content?.['application/json']?.schema;
    if (!schema) {
      if (bodyText) problems.push(`spec declares no body for ${status} but got: ${excerpt(bodyText)}`);
      return { problems, checked: true, template };
    }
    if (!/^application\/json\b/i.test(contentType ?? '')) {
      problems.push(`Content-Type is ${JSON.stringify(contentType)}, expected application/json`);
    }
    let body;
    try {
      body = JSON.parse(bodyText);
    } catch (e) {
      problems.push(`body is not JSON (${e.message}): ${excerpt(bodyText)}`);
      return { problems, checked: false, template };
    }
    const validateFn = this.#validatorFor(found.entry, method, status, schema);
    if (!validateFn(body)) {
      for (const err of validateFn.errors) {
        const val = valueAt(body, err.instancePath);
        problems.push(`${err.instancePath || '/'} ${err.message}` +
          (err.params && Object.keys(err.params).length ? ` ${JSON.stringify(err.params)}` : '') +
          (err.instancePath ? ` (value: ${excerpt(JSON.stringify(val), 120)})` : ''));
      }
    }
    return { problems, checked: true, template };
  }
}

export function checkErrorShape(status, contentType, bodyText) {
  const problems = [];
  if (!/^application\/json\b/i.test(contentType ?? '')) {
    problems.push(`error Content-Type is ${JSON.stringify(contentType)}, expected application/json`);
  }
  let body;
  try {
    body = JSON.parse(bodyText);
  } catch (e) {
    problems.push(`error body is not JSON: ${excerpt(bodyText)}`);
    return problems;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    problems.push(`error body is not an object: ${excerpt(bodyText)}`);
    return problems;
  }
  const keys = Object.keys(body).sort().join(',');
  if (keys !== 'code,message,more_info,status') {
    problems.push(`error body keys are [${keys}], expected exactly [code,message,more_info,status]`);
  }
  if (!Number.isInteger(body.code)) problems.push(`error code is not an integer: ${JSON.stringify(body.code)}`);
  if (typeof body.message !== 'string' || body.message === '') problems.push(`error message is not a non-empty string: ${JSON.stringify(body.message)}`);
  if (body.more_info !== `https://www.twilio.com/docs/errors/${body.code}`) {
    problems.push(`error more_info is ${JSON.stringify(body.more_info)}, expected "https://www.twilio.com/docs/errors/${body.code}"`);
  }
  if (body.status !== status) problems.push(`error status field is ${JSON.stringify(body.status)}, HTTP status is ${status}`);
  return problems;
}

// Map a path on the Pipit server back to the Twilio URL it stands for:
// /2010-04-01/... -> https://api.twilio.com/2010-04-01/...,
// /<product>/v1/... -> https://<product>.twilio.com/v1/...
export function pipitPathToTwilioUrl(p) {
  const u = new URL(p, 'http://pipit.invalid');
  if (u.pathname.startsWith('/2010-04-01/') || u.pathname === '/2010-04-01') {
    return `https://api.twilio.com${u.pathname}${u.search}`;
  }
  const m = /^\/([a-z]+)(\/v\d+(?:\/.*)?)$/.exec(u.pathname);
  if (m && KNOWN_PRODUCT_HOSTS.has(m[1])) return `https://${m[1]}.twilio.com${m[2]}${u.search}`;
  return null;
}

function valueAt(obj, pointer) {
  if (!pointer) return obj;
  let cur = obj;
  for (const raw of pointer.split('/').slice(1)) {
    const k = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[k];
  }
  return cur;
}

export function excerpt(s, n = 400) {
  if (s === undefined) return 'undefined';
  s = String(s);
  return s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s;
}
