import { jest } from '@jest/globals';
import { coalesce } from './coalesce.js';

describe('coalesce', () => {
  // Fake timers move Date.now() too.
  const advance = (ms: number) => jest.advanceTimersByTime(ms);

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs the first call at once, and a burst within the window once more when it ends', () => {
    const run = jest.fn();
    const notify = coalesce(run, 50);
    notify();
    expect(run).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 100; i++) {
      advance(0.4);
      notify();
    }
    expect(run).toHaveBeenCalledTimes(1); // 40 ms in: all held
    advance(10);
    expect(run).toHaveBeenCalledTimes(2); // one run for the 100 calls, at the window's end
    advance(1000);
    expect(run).toHaveBeenCalledTimes(2); // nothing was left behind
  });

  it('a steady stream of calls runs once per window, never later than the window', () => {
    const run = jest.fn();
    const notify = coalesce(run, 50);
    for (let ms = 0; ms < 1000; ms++) {
      notify();
      advance(1);
    }
    advance(50);
    expect(run.mock.calls.length).toBeGreaterThanOrEqual(19);
    expect(run.mock.calls.length).toBeLessThanOrEqual(21);
  });

  it('a call after a quiet spell runs at once; cancel drops a held run', () => {
    const run = jest.fn();
    const notify = coalesce(run, 50);
    notify();
    advance(200);
    notify();
    expect(run).toHaveBeenCalledTimes(2);
    notify();
    notify.cancel();
    advance(100);
    expect(run).toHaveBeenCalledTimes(2);
  });
});
