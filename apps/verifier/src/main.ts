// Telemetry first: Nest and the feature code load only after the SDK is started, so their work is traced.
import { launchTraced } from '@runtrail/telemetry';

launchTraced('verifier', () => import('./service.js'));
