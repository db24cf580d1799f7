/**
 * `RUNTRAIL_EXEC_TRACE=1`: `runtrail exec` writes timestamped lines to stderr about how its
 * credentials came (phases entered, pulls made and failed, each message taken with how long ago it
 * was stored and how often delivered, connection events), to see where a run waited. No secrets:
 * subjects, run ids and timings only.
 */
export function execTracer(log: (line: string) => void): ((line: string) => void) | undefined {
  if (!process.env['RUNTRAIL_EXEC_TRACE']) return undefined;
  return (line) => log(`trace ${new Date().toISOString()} ${line}`);
}
