// One SWC configuration for the build (tools/build.mjs) and for Jest (@swc/jest).
// Nest's dependency injection needs decorator metadata, which SWC emits and esbuild does not.
module.exports = function swcConfig({ paths, baseUrl } = {}) {
  return {
    $schema: 'https://swc.rs/schema.json',
    sourceMaps: true,
    module: { type: 'commonjs', strictMode: true, noInterop: false },
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true, dynamicImport: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      keepClassNames: true,
      ...(paths ? { baseUrl, paths } : {}),
    },
  };
};
