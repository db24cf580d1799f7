// Runs in every test worker before the suites: quiet, deterministic defaults.
process.env['OTEL_SDK_DISABLED'] ??= 'true';
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
process.env['NX_DAEMON'] = 'false';
