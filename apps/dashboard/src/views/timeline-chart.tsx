import { CartesianGrid, ReferenceArea, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { RunTimeline } from '../api/views';
import { time } from '../format';
import type { SessionNode } from './session-tree';

const BANDS = ['#e7f5ff', '#fff9db', '#ebfbee', '#f3f0ff', '#fff4e6'];

/** Calls over the run's phases: one row per session, a dot per call (refused calls in red). */
export function TimelineChart({ timeline, sessions }: { timeline: RunTimeline; sessions: Array<{ node: SessionNode; depth: number }> }) {
  const points = sessions.flatMap(({ node }, row) =>
    node.calls.map((call) => ({ t: Date.parse(call.eventTime), row, name: call.eventName, denied: call.denied })),
  );
  const phases = timeline.phases.map((p) => ({ phase: p.phase, at: Date.parse(p.at) }));
  const times = [...points.map((p) => p.t), ...phases.map((p) => p.at)];
  if (!times.length) return null;
  const [min, max] = [Math.min(...times), Math.max(...times)];
  const pad = Math.max(1000, (max - min) * 0.03);
  const bands = phases.map((p, i) => ({ ...p, until: phases[i + 1]?.at ?? max + pad }));
  // `role/session` of an assumed role (the session name cut to fit), the ARN's last part otherwise.
  const label = (row: number) => {
    const parts = (sessions[row]?.node.principal ?? '').split(/[:/]/);
    const text = parts.slice(-2).join('/');
    return text.length > 32 ? `${text.slice(0, 31)}…` : text;
  };
  const wide = (b: { at: number; until: number }) => b.until - b.at > (max + pad - (min - pad)) * 0.08;
  return (
    <figure style={{ margin: 0 }} aria-label="Calls over the run's phases">
      <ResponsiveContainer width="100%" height={Math.max(160, 60 + sessions.length * 36)}>
        <ScatterChart margin={{ top: 24, right: 24, bottom: 8, left: 8 }} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" />
          {bands.map((b, i) => (
            <ReferenceArea key={`${b.phase}-${b.at}`} x1={b.at} x2={b.until} fill={BANDS[i % BANDS.length]} fillOpacity={0.9} label={wide(b) ? { value: b.phase, position: 'insideTop', fontSize: 11, fill: '#343a40' } : undefined} />
          ))}
          <XAxis type="number" dataKey="t" domain={[min - pad, max + pad]} tickFormatter={(v: number) => time(new Date(v).toISOString()).slice(11)} tick={{ fontSize: 11, fill: '#343a40' }} />
          <YAxis type="number" dataKey="row" domain={[-0.5, sessions.length - 0.5]} ticks={sessions.map((_, i) => i)} tickFormatter={label} width={220} tick={{ fontSize: 11, fill: '#343a40' }} reversed />
          <Tooltip formatter={(_v, _n, item) => [(item.payload as { name: string }).name, 'call']} labelFormatter={() => ''} />
          <Scatter data={points.filter((p) => !p.denied)} fill="#1c7ed6" name="calls" isAnimationActive={false} />
          <Scatter data={points.filter((p) => p.denied)} fill="#e03131" name="refused" shape="cross" isAnimationActive={false} />
        </ScatterChart>
      </ResponsiveContainer>
      <figcaption style={{ fontSize: 13 }}>
        Each dot is an AWS call (red crosses were refused), one row per session; shaded bands are the run&apos;s phases
        ({bands.map((b) => b.phase).join(' → ')}; narrow ones unlabelled).
      </figcaption>
    </figure>
  );
}
