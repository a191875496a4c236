/**
 * The layering the build enforces (`npm run check:layers`, part of `npm run check`). Data flows one way:
 * HTTP → core → store → delivery → destinations; DEVELOPERS.md draws the map these rules keep true.
 * @type {import('dependency-cruiser').IConfiguration}
 */
/** Unit tests sit beside their modules and may use the shared helpers under test/. */
const TEST_FILE = '[.]test[.]tsx?$'

module.exports = {
  forbidden: [
    {
      name: 'core-imports-nothing-of-ours',
      comment: 'src/core is the pure domain: it imports only other core modules (and node: builtins or packages).',
      severity: 'error',
      from: { path: '^src/core/', pathNot: TEST_FILE },
      to: { path: '^(src|web|scripts|test)/', pathNot: '^src/core/' },
    },
    {
      name: 'store-only-core',
      comment:
        'The store implements the Store contract over the domain: it imports only core and itself (and spawn-thread.ts, ' +
        'a leaf that starts the SQLite ingest thread and imports nothing of ours, like a node: builtin).',
      severity: 'error',
      from: { path: '^src/store/', pathNot: TEST_FILE },
      to: { path: '^(src|web|scripts|test)/', pathNot: '^src/(core/|store/|spawn-thread[.]ts$)' },
    },
    {
      name: 'destinations-never-store-http-delivery-services',
      comment: 'A connector is given a lead and a client; it never reaches into the store, HTTP, delivery or services.',
      severity: 'error',
      from: { path: '^src/destinations/' },
      to: { path: '^src/(store|http|delivery|services)/' },
    },
    {
      name: 'delivery-never-http',
      comment: 'The worker runs without the HTTP server (`leadrelay worker`, the delivery thread).',
      severity: 'error',
      from: { path: '^src/delivery/' },
      to: { path: '^src/http/' },
    },
    {
      name: 'web-only-its-own-files',
      comment: 'The portal talks to the service through its generated API client only, never by importing src/.',
      severity: 'error',
      from: { path: '^web/src/' },
      to: { path: '^(src|scripts|test)/' },
    },
    {
      name: 'spawn-thread-is-a-leaf',
      comment: 'spawn-thread.ts is shared by the store and delivery because it imports nothing of ours.',
      severity: 'error',
      from: { path: '^src/spawn-thread[.]ts$' },
      to: { path: '^(src|web|scripts|test)/' },
    },
    {
      name: 'product-never-imports-tests',
      comment: 'Test helpers and fakes serve tests; the product and its scripts never load them.',
      severity: 'error',
      from: { path: '^(src|web/src)/', pathNot: TEST_FILE },
      to: { path: '^test/|(^|/)test/|[.]test[.]tsx?$' },
    },
    {
      name: 'otel-tracing-only-imported-dynamically',
      comment:
        'loadTracing imports otel-tracing.ts, the one module that imports OpenTelemetry, only when traces are on; a ' +
        'static import would load OpenTelemetry for everyone (docs/decisions/0012-trace-context-of-deliveries.md).',
      severity: 'error',
      from: { pathNot: TEST_FILE },
      to: { path: '^src/tracing/otel-tracing[.]ts$', dependencyTypesNot: ['dynamic-import'] },
    },
    {
      name: 'no-cycles',
      comment:
        'No module imports itself through others at run time. Type-only imports are erased from the build and may ' +
        'close a loop: the Store contract (store/types.ts) is composed of the interfaces its query files declare.',
      severity: 'error',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'], viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-missing-modules',
      comment: 'An import that resolves to nothing is a typo or a dependency missing from package.json.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
}
