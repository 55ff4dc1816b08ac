/**
 * @module @umca/testkit
 * Test doubles of UMCA's ports for the fast test tier (private; never shipped): a scripted runner
 * and a recording logger. Any new export added here is for tests only.
 */
export { createFakeRunner, type FakeRun, type FakeRunner } from './create-fake-runner.js';
export { createRecordingLogger, type LogEntry, type RecordingLogger } from './create-recording-logger.js';
