// The suite driven by Node's @grpc/grpc-js (a pure JavaScript gRPC stack) with stubs loaded from
// proto/ by @grpc/proto-loader, through the gateway and straight at each service: every check runs
// both ways. google.rpc.Status details are decoded with protobufjs and the googleapis protos,
// health and reflection with their published .proto files.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');
const descriptor = require('protobufjs/ext/descriptor');

const SUITE = JSON.parse(fs.readFileSync(process.env.CREDIT_INTEROP_SUITE, 'utf8'));
const MODULES = path.dirname(require.resolve('@grpc/grpc-js/package.json')).replace(/@grpc[/\\]grpc-js$/, '');
const TIMEOUT_MS = 30000;
const VIA = ['gateway', 'direct'];
const LOADER = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };

function protoFiles(dir, prefix = '') {
  return fs.readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) return protoFiles(dir, relative);
    return entry.name.endsWith('.proto') ? [relative] : [];
  });
}

const credit = grpc.loadPackageDefinition(
  protoLoader.loadSync(protoFiles(SUITE.proto_dir), { ...LOADER, includeDirs: [SUITE.proto_dir] }),
).credit;
const health = grpc.loadPackageDefinition(
  protoLoader.loadSync('health/v1/health.proto', {
    ...LOADER,
    includeDirs: [path.join(MODULES, 'grpc-health-check/proto')],
  }),
).grpc.health.v1;
const reflection = grpc.loadPackageDefinition(
  protoLoader.loadSync('grpc/reflection/v1/reflection.proto', {
    ...LOADER,
    includeDirs: [path.join(MODULES, '@grpc/reflection/build/proto')],
  }),
).grpc.reflection.v1;

// google.rpc.Status and its details, from the googleapis protos.
const rpcTypes = new protobuf.Root();
rpcTypes.resolvePath = (origin, target) => {
  const candidate = path.join(MODULES, 'google-proto-files', target);
  return fs.existsSync(candidate) ? candidate : protobuf.util.path.resolve(origin, target);
};
rpcTypes.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto']);
const RpcStatus = rpcTypes.lookupType('google.rpc.Status');

const PACKAGES = {
  limits: 'credit.limits.v1',
  scoring: 'credit.scoring.v1',
  applications: 'credit.applications.v1',
  collections: 'credit.collections.v1',
  audit: 'credit.audit.v1',
};

function address(pkg, via) {
  return via === 'gateway' ? SUITE.gateway.address : SUITE.services[pkg].address;
}

const OPTIONS = { 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.max_send_message_length': -1 };
const clients = [];
function client(Service, target, options = {}) {
  const made = new Service(target, grpc.credentials.createInsecure(), { ...OPTIONS, ...options });
  clients.push(made);
  return made;
}
const limits = (via, options) => client(credit.limits.v1.LimitsService, address(PACKAGES.limits, via), options);
const scoring = (via) => client(credit.scoring.v1.ScoringService, address(PACKAGES.scoring, via));
const applications = (via) =>
  client(credit.applications.v1.ApplicationsService, address(PACKAGES.applications, via));
const collections = (via) => client(credit.collections.v1.CollectionsService, address(PACKAGES.collections, via));
const audit = (via) => client(credit.audit.v1.AuditService, address(PACKAGES.audit, via));
// Limits' event feed: the gateway routes the shared feed service by the credit-feed metadata.
const limitsFeed = (via) => client(credit.event.v1.EventFeedService, address(PACKAGES.limits, via));
test.after(() => clients.forEach((c) => c.close()));

function auth(role = 'admin') {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${SUITE.tokens[role]}`);
  return metadata;
}
function feedAuth(source = 'limits') {
  const metadata = auth();
  metadata.set('credit-feed', source);
  return metadata;
}
const deadline = (ms = TIMEOUT_MS) => ({ deadline: Date.now() + ms });
const unique = (prefix) => `${prefix}-${crypto.randomUUID().slice(0, 12).toUpperCase()}`;
const money = (amount, currencyCode = 'EUR') => ({ amount, currencyCode });

/** A unary call as a promise of { response, metadata, trailers }. */
function unary(service, method, request, metadata = auth(), options = deadline()) {
  return new Promise((resolve, reject) => {
    let initial;
    let outcome;
    const call = service[method](request, metadata, options, (error, response) => {
      outcome = { error, response };
    });
    call.on('metadata', (m) => (initial = m));
    // The status (with the trailers) comes after the answer: settle on it.
    call.on('status', (status) => {
      if (outcome.error) reject(outcome.error);
      else resolve({ response: outcome.response, metadata: initial, trailers: status.metadata });
    });
  });
}

/** Every message of a server stream, or its error. */
function collect(call) {
  return new Promise((resolve, reject) => {
    const messages = [];
    call.on('data', (m) => messages.push(m));
    call.on('error', reject);
    call.on('end', () => resolve(messages));
  });
}

/** A client stream: writes `messages`, resolves with the answer. */
function clientStream(service, method, messages, metadata = auth(), ms = 120000) {
  return new Promise((resolve, reject) => {
    const call = service[method](metadata, deadline(ms), (error, response) => (error ? reject(error) : resolve(response)));
    call.on('error', () => {});
    for (const message of messages) call.write(message);
    call.end();
  });
}

function decodeStatus(error) {
  const raw = error.metadata.get('grpc-status-details-bin');
  assert.equal(raw.length, 1, `${error.code} ${error.details}: no grpc-status-details-bin`);
  const status = RpcStatus.decode(raw[0]);
  assert.equal(status.code, error.code);
  assert.equal(status.message, error.details);
  const found = {};
  for (const any of status.details) {
    // protobufjs keeps google.protobuf.Any's field names as they are in its .proto.
    const type = rpcTypes.lookupType((any.typeUrl ?? any.type_url).split('/').pop());
    found[type.name] = type.decode(any.value);
  }
  return found;
}

async function expectError(promise, code, reason, field) {
  const error = await promise.then(
    (r) => assert.fail(`expected ${code}, got an answer: ${JSON.stringify(r.response ?? r)}`),
    (e) => e,
  );
  assert.equal(error.code, code, `${error.code} ${error.details}`);
  assert.ok(error.details, 'the message says what is wrong');
  if (reason === undefined) return error;
  const details = decodeStatus(error);
  assert.equal(details.ErrorInfo.reason, reason);
  assert.equal(details.ErrorInfo.domain, 'credit-suite.dev');
  if (field) {
    const fields = details.BadRequest.fieldViolations.map((v) => v.field);
    assert.ok(fields.includes(field), `${field} not in ${fields}`);
  }
  return error;
}

async function createAccount(via, role = 'admin') {
  const { response } = await unary(
    limits(via),
    'createCreditAccount',
    {
      creditAccount: { customerId: unique('JS'), name: 'Interop SpA', currencyCode: 'EUR' },
      requestId: crypto.randomUUID(),
    },
    auth(role),
  );
  return response;
}

function frenchVat() {
  const payload = String(BigInt('0x' + crypto.randomBytes(8).toString('hex'))).slice(0, 8).padStart(8, '1');
  let total = 0;
  [...payload].reverse().forEach((digit, position) => {
    const value = Number(digit) * (position % 2 === 0 ? 2 : 1);
    total += value > 9 ? value - 9 : value;
  });
  const siren = payload + String((10 - (total % 10)) % 10);
  const key = (12 + 3 * Number(BigInt(siren) % 97n)) % 97;
  return `FR${String(key).padStart(2, '0')}${siren}`;
}

// The example application, as protobuf JSON; proto-loader takes camelCase objects.
const camel = (value) =>
  Array.isArray(value)
    ? value.map(camel)
    : value && typeof value === 'object'
      ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c) => c.toUpperCase()), camel(v)]))
      : value;
const EXAMPLE = camel(
  JSON.parse(fs.readFileSync(path.join(SUITE.repo_dir, 'services/applications/examples/application.json'), 'utf8')),
);
function application(taxId = frenchVat()) {
  const copy = structuredClone(EXAMPLE);
  copy.customerId = unique('JSAPP');
  copy.applicant.taxId = taxId;
  return copy;
}
async function createApplication(via, app = application()) {
  return (await unary(applications(via), 'createApplication', { application: app, requestId: crypto.randomUUID() }))
    .response;
}

for (const via of VIA) {
  test(`${via}: a negative amount is INVALID_ARGUMENT naming amount.amount`, async () => {
    const account = await createAccount(via);
    await expectError(
      unary(limits(via), 'checkCredit', {
        customerId: account.customerId,
        orderId: 'SO-1',
        amount: money('-5'),
        requestId: crypto.randomUUID(),
      }),
      grpc.status.INVALID_ARGUMENT,
      'INVALID_FIELDS',
      'amount.amount',
    );
  });

  test(`${via}: an invalid IBAN is INVALID_ARGUMENT naming the nested field`, async () => {
    const app = application();
    app.applicant.bankAccount.iban = 'FR00 0000';
    await expectError(
      createApplication(via, app),
      grpc.status.INVALID_ARGUMENT,
      'INVALID_FIELDS',
      'application.applicant.bank_account.iban',
    );
  });

  test(`${via}: what does not exist is NOT_FOUND in every service`, async () => {
    const calls = [
      () => unary(limits(via), 'getCreditAccount', { customerId: unique('NOBODY') }),
      () => unary(scoring(via), 'getScore', { scoreId: crypto.randomUUID() }),
      () => unary(applications(via), 'getApplication', { applicationId: crypto.randomUUID() }),
      () => unary(collections(via), 'getCustomer', { customerId: unique('NOBODY') }),
      () => unary(audit(via), 'getAuditEntry', { logIndex: '1000000000000' }),
    ];
    for (const call of calls) await expectError(call(), grpc.status.NOT_FOUND, 'RESOURCE_NOT_FOUND');
  });

  test(`${via}: a reused request id is ALREADY_EXISTS, a retry replays`, async () => {
    const requestId = crypto.randomUUID();
    const customerId = unique('JSREUSE');
    const create = (name) =>
      unary(limits(via), 'createCreditAccount', {
        creditAccount: { customerId, name, currencyCode: 'EUR' },
        requestId,
      });
    const first = await create('First Srl');
    assert.deepEqual((await create('First Srl')).response, first.response);
    await expectError(create('Second Srl'), grpc.status.ALREADY_EXISTS, 'REQUEST_ID_REUSED');
  });

  test(`${via}: a second open application for a tax id is ALREADY_EXISTS`, async () => {
    const taxId = frenchVat();
    await createApplication(via, application(taxId));
    await expectError(createApplication(via, application(taxId)), grpc.status.ALREADY_EXISTS, 'RESOURCE_ALREADY_EXISTS');
  });

  test(`${via}: releasing a lifted hold again is FAILED_PRECONDITION`, async () => {
    const account = await createAccount(via);
    const { response: hold } = await unary(limits(via), 'placeCreditHold', {
      customerId: account.customerId,
      reason: 'interop',
      requestId: crypto.randomUUID(),
    });
    const release = () =>
      unary(limits(via), 'releaseCreditHold', { holdId: hold.holdId, reason: 'paid', requestId: crypto.randomUUID() });
    await release();
    await expectError(release(), grpc.status.FAILED_PRECONDITION, 'STATE_CONFLICT');
  });

  test(`${via}: a missing role is PERMISSION_DENIED`, async () => {
    await expectError(createAccount(via, 'viewer'), grpc.status.PERMISSION_DENIED, 'ROLE_MISSING');
    await expectError(
      unary(audit(via), 'listAuditEntries', {}, auth('sales')),
      grpc.status.PERMISSION_DENIED,
      'ROLE_MISSING',
    );
  });

  test(`${via}: no token, a garbage one or a foreign one is UNAUTHENTICATED`, async () => {
    const garbage = new grpc.Metadata();
    garbage.set('authorization', 'Bearer not.a.token');
    for (const metadata of [new grpc.Metadata(), garbage, auth('foreign')]) {
      await expectError(
        unary(limits(via), 'getCreditAccount', { customerId: 'ANY' }, metadata),
        grpc.status.UNAUTHENTICATED,
        'TOKEN_INVALID',
      );
    }
  });

  test(`${via}: a credit check is approved and reserves`, async () => {
    const account = await createAccount(via);
    await unary(limits(via), 'setCreditLimit', {
      customerId: account.customerId,
      creditLimit: { mode: 'LIMIT_MODE_AMOUNT', amount: money('1000') },
      reason: 'interop',
      requestId: crypto.randomUUID(),
      approvedBy: ['interop.manager'],
      approvalReference: 'INTEROP-1',
    }, auth('applications'));
    const { response } = await unary(limits(via), 'checkCredit', {
      customerId: account.customerId,
      orderId: 'SO-1',
      amount: money('400'),
      requestId: crypto.randomUUID(),
    });
    assert.equal(response.outcome, 'CHECK_OUTCOME_APPROVED');
    assert.ok(response.reservation.reservationId);
  });

  test(`${via}: every service answers a unary call`, async () => {
    assert.ok((await unary(scoring(via), 'getModel', {}, auth('viewer'))).response.version);
    assert.ok((await createApplication(via)).applicationId);
    const { response: customer } = await unary(collections(via), 'putCustomer', {
      customer: { customerId: unique('JSCOL'), name: 'Collect BV', language: 'fr' },
      requestId: crypto.randomUUID(),
    });
    assert.equal(customer.name, 'Collect BV');
    assert.ok((await unary(audit(via), 'getCheckpoint', {})).response.checkpoint.origin);
  });

  test(`${via}: metadata reaches the service and comes back with trailers`, async () => {
    const traceId = crypto.randomBytes(16).toString('hex');
    const metadata = auth();
    metadata.set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`);
    metadata.set('x-interop-client', 'node-grpc-js');
    const customerId = unique('JSTRACE');
    const answer = await unary(
      limits(via),
      'createCreditAccount',
      { creditAccount: { customerId, name: 'Trace BV', currencyCode: 'EUR' }, requestId: crypto.randomUUID() },
      metadata,
    );
    assert.equal(answer.metadata.get('x-trace-id')[0], traceId);
    const timing = String(answer.trailers.get('server-timing')[0] ?? '');
    assert.match(timing, /\blimits;dur=\d+\.\d+/);
    assert.equal(timing.includes('gateway;dur='), via === 'gateway', timing);
    const events = await collect(limitsFeed(via).streamEvents({ afterSequence: '0', backlogOnly: true }, feedAuth(), deadline()));
    const created = events.map((m) => m.event).find((e) => e.customerId === customerId);
    assert.equal(created.traceId, traceId);
  });

  test(`${via}: gzip in both directions`, async () => {
    const gzip = limits(via, { 'grpc.default_compression_algorithm': 2 });
    const name = ('Gzip ' + 'compressible '.repeat(14)).trim();
    const customerId = unique('JSGZIP');
    const { response } = await unary(gzip, 'createCreditAccount', {
      creditAccount: { customerId, name, currencyCode: 'EUR' },
      requestId: crypto.randomUUID(),
    });
    assert.equal(response.name, name);
    assert.equal((await unary(gzip, 'getCreditAccount', { customerId })).response.name, name);
  });

  const uploadMessages = (applicationId, chunks) => [
    {
      metadata: {
        applicationId,
        fileName: 'accounts-2025.pdf',
        contentType: 'application/pdf',
        kind: 'DOCUMENT_KIND_FINANCIAL_STATEMENT',
        requestId: crypto.randomUUID(),
      },
    },
    ...chunks.map((chunk) => ({ chunk })),
  ];

  test(`${via}: a client stream uploads a document in chunks`, async () => {
    const app = await createApplication(via);
    const content = Buffer.concat([Buffer.from('%PDF-1.7\n'), crypto.randomBytes(256 * 1024)]);
    const chunks = [];
    for (let i = 0; i < content.length; i += 64 * 1024) chunks.push(content.subarray(i, i + 64 * 1024));
    const document = await clientStream(applications(via), 'uploadDocument', uploadMessages(app.applicationId, chunks));
    assert.equal(Number(document.sizeBytes), content.length);
    assert.equal(document.sha256, crypto.createHash('sha256').update(content).digest('hex'));
  });

  test(`${via}: a message near the limit passes, one above is RESOURCE_EXHAUSTED`, async () => {
    const app = await createApplication(via);
    const near = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(SUITE.max_message_bytes - 64 * 1024)]);
    const document = await clientStream(applications(via), 'uploadDocument', uploadMessages(app.applicationId, [near]));
    assert.equal(Number(document.sizeBytes), near.length);
    const above = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(SUITE.max_message_bytes + 1)]);
    const error = await expectError(
      clientStream(applications(via), 'uploadDocument', uploadMessages(app.applicationId, [above])),
      grpc.status.RESOURCE_EXHAUSTED,
      'MESSAGE_TOO_LARGE',
    );
    assert.equal(Number(decodeStatus(error).ErrorInfo.metadata.limit_bytes), SUITE.max_message_bytes);
  });

  test(`${via}: a client stream imports receivables`, async () => {
    const customerId = unique('JSLEDGER');
    const rows = Array.from({ length: 50 }, (_, i) => ({
      row: {
        rowNumber: String(i + 1),
        document: {
          documentId: `${customerId}-INV-${i}`,
          customerId,
          kind: 'DOCUMENT_KIND_INVOICE',
          amount: money('100.00'),
          issueDate: { year: 2026, month: 10, day: 1 },
          dueDate: { year: 2026, month: 10, day: 31 },
          paymentTermsDays: 30,
        },
      },
    }));
    const report = await clientStream(collections(via), 'importDocuments', [{ options: { source: 'node' } }, ...rows]);
    assert.deepEqual([report.rows, report.created, report.rejected.length], ['50', '50', 0]);
  });

  test(`${via}: a server stream is read to its end`, async () => {
    for (let i = 0; i < 3; i++) await createAccount(via);
    const events = await collect(limitsFeed(via).streamEvents({ afterSequence: '0', backlogOnly: true }, feedAuth(), deadline()));
    const sequences = events.map((m) => Number(m.event.sequence));
    assert.ok(sequences.length >= 3);
    assert.deepEqual(sequences, [...sequences].sort((a, b) => a - b));
    assert.equal(new Set(sequences).size, sequences.length);
  });

  test(`${via}: a server stream cancelled midway ends upstream`, async () => {
    await createAccount(via);
    const before = await handled('Cancelled');
    const call = limitsFeed(via).streamEvents({ afterSequence: '0' }, feedAuth(), deadline());
    const error = await new Promise((resolve) => {
      call.once('data', () => call.cancel());
      call.on('error', resolve);
    });
    assert.equal(error.code, grpc.status.CANCELLED);
    assert.ok(await waitUntil(async () => (await handled('Cancelled')) > before), 'limits saw the stream end');
  });

  test(`${via}: an expired deadline is DEADLINE_EXCEEDED and stops the work upstream`, async () => {
    const before = await handled('Cancelled');
    const call = limitsFeed(via).streamEvents({ afterSequence: '0' }, feedAuth(), deadline(1000));
    const error = await collect(call).then(
      () => assert.fail('the stream should not end by itself'),
      (e) => e,
    );
    assert.equal(error.code, grpc.status.DEADLINE_EXCEEDED, `${error.code} ${error.details}`);
    assert.ok(await waitUntil(async () => (await handled('Cancelled')) > before), 'limits saw the stream end');
  });

  test(`${via}: an unknown method of a known service is UNIMPLEMENTED`, async () => {
    const error = await rawCall(address(PACKAGES.limits, via), '/credit.limits.v1.LimitsService/NoSuchMethod');
    assert.equal(error.code, grpc.status.UNIMPLEMENTED);
  });
}

test('gateway: an unknown service is UNIMPLEMENTED naming it', async () => {
  const error = await rawCall(SUITE.gateway.address, '/credit.nothing.v1.NothingService/Do');
  assert.equal(error.code, grpc.status.UNIMPLEMENTED);
  assert.match(error.details, /credit\.nothing\.v1\.NothingService/);
  assert.equal(decodeStatus(error).ErrorInfo.reason, 'UNKNOWN_SERVICE');
});

/** Calls `method` with an empty message without a stub, as a generic client would. */
function rawCall(target, method) {
  const generic = new grpc.Client(target, grpc.credentials.createInsecure());
  clients.push(generic);
  return new Promise((resolve) => {
    generic.makeUnaryRequest(
      method,
      (x) => x,
      (x) => x,
      Buffer.alloc(0),
      auth(),
      deadline(),
      (error) => resolve(error),
    );
  });
}

const STREAM_EVENTS = '/credit.event.v1.EventFeedService/StreamEvents';
async function handled(code) {
  const text = await (await fetch(SUITE.metrics_url)).text();
  return text
    .split('\n')
    .filter(
      (line) =>
        line.startsWith('grpc_server_handled_total{') &&
        line.includes('service="limits"') &&
        line.includes(`grpc_method="${STREAM_EVENTS}"`) &&
        line.includes(`grpc_code="${code}"`),
    )
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

async function waitUntil(condition, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}

const TARGETS = { gateway: SUITE.gateway, ...Object.fromEntries(Object.values(SUITE.services).map((s) => [s.name, s])) };
const ALL_SERVICES = new Set(Object.values(TARGETS).flatMap((t) => t.services));

for (const [name, target] of Object.entries(TARGETS)) {
  test(`${name}: health Check and Watch`, async () => {
    const checker = client(health.Health, target.address);
    const check = (service) => unary(checker, 'check', { service }, new grpc.Metadata());
    assert.equal((await check('')).response.status, 'SERVING');
    for (const service of target.services.filter((s) => !s.startsWith('grpc.'))) {
      assert.equal((await check(service)).response.status, 'SERVING', service);
    }
    await expectError(check('credit.nothing.v1.X'), grpc.status.NOT_FOUND);
    const watch = checker.watch({ service: '' }, new grpc.Metadata(), deadline());
    const first = await new Promise((resolve, reject) => {
      watch.once('data', resolve);
      watch.once('error', reject);
    });
    assert.equal(first.status, 'SERVING');
    watch.on('error', () => {});
    watch.cancel();
  });

  test(`${name}: reflection lists what is served and describes every method`, async () => {
    const reflector = client(reflection.ServerReflection, target.address);
    // One question per stream: tonic's reflection ends the stream with NOT_FOUND instead of an
    // ErrorResponse message when a symbol is unknown.
    const ask = (request) =>
      new Promise((resolve, reject) => {
        const stream = reflector.serverReflectionInfo();
        stream.once('data', (answer) => {
          resolve(answer);
          stream.end();
        });
        stream.on('error', (error) => (error.code === grpc.status.NOT_FOUND ? resolve({ errorResponse: error }) : reject(error)));
        stream.write(request);
      });
    const listed = (await ask({ listServices: '' })).listServicesResponse.service.map((s) => s.name);
    assert.deepEqual(new Set(listed), new Set(target.services));
    const describe = async (symbol) => {
      const answer = await ask({ fileContainingSymbol: symbol });
      if (answer.errorResponse) return null;
      return answer.fileDescriptorResponse.fileDescriptorProto.map((bytes) => descriptor.FileDescriptorProto.decode(bytes));
    };
    for (const service of target.services) {
      const files = await describe(service);
      assert.ok(files, `${service} cannot be described`);
      const [pkg, short] = [service.slice(0, service.lastIndexOf('.')), service.slice(service.lastIndexOf('.') + 1)];
      const defining = files.find((f) => (f.package || '') === pkg && f.service.some((s) => s.name === short));
      const methods = defining.service.find((s) => s.name === short).method;
      assert.ok(methods.length > 0, service);
      for (const method of methods) {
        for (const type of [method.inputType, method.outputType]) {
          assert.ok(await describe(type.replace(/^\./, '')), `${service}.${method.name}: ${type} cannot be described`);
        }
      }
    }
    for (const other of [...ALL_SERVICES].filter((s) => !target.services.includes(s))) {
      assert.equal(await describe(other), null, `${other} is described at ${name}`);
    }
  });
}

for (const [name, target] of Object.entries(SUITE.services)) {
  test(`${target.name}: answers UNIMPLEMENTED for what another service serves`, async () => {
    const other = Object.entries(SUITE.services).find(([p]) => p !== name)[1].services[0];
    const error = await rawCall(target.address, `/${other}/Anything`);
    assert.equal(error.code, grpc.status.UNIMPLEMENTED);
  });
}

test("the Node snippet of docs/api.md runs as written", async () => {
  const readme = fs.readFileSync(path.join(SUITE.repo_dir, 'docs', 'api.md'), 'utf8');
  const found = readme.match(/<!-- snippet: node -->\n```\w+\n([\s\S]*?)```/);
  assert.ok(found, 'docs/api.md has no node snippet');
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'credit-snippet-'));
  fs.writeFileSync(path.join(dir, 'snippet.js'), found[1]);
  const { execFileSync } = require('node:child_process');
  const printed = execFileSync(process.execPath, ['snippet.js'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60000,
    env: {
      ...process.env,
      CREDIT_PROTO_DIR: SUITE.proto_dir,
      CREDIT_GATEWAY: SUITE.gateway.address,
      CREDIT_TOKEN: SUITE.tokens.admin,
    },
  });
  assert.match(printed, /^INVALID_ARGUMENT invalid request: amount\.amount/);
  fs.rmSync(dir, { recursive: true, force: true });
});
