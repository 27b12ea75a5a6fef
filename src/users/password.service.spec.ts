import { Slots } from './password.service.js';

describe('Slots (the bcrypt concurrency limit)', () => {
  it('runs at most `free` tasks at once, the rest in arrival order, and frees slots on failure', async () => {
    const slots = new Slots(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const task = (id: number, fail = false) =>
      slots.run(async () => {
        started.push(id);
        peak = Math.max(peak, ++running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        if (fail) throw new Error(`task ${id} failed`);
        return id;
      });

    const results = [task(1, true), task(2), task(3), task(4), task(5)].map((p) => p.catch((error: Error) => error.message));
    for (let released = 0; released < 5; released++) {
      await new Promise((resolve) => setImmediate(resolve));
      releases.shift()!();
    }
    expect(await Promise.all(results)).toEqual(['task 1 failed', 2, 3, 4, 5]);
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
  });
});

describe('Slots.full (the bcrypt queue bound)', () => {
  it('is true once every slot is busy and maxQueue tasks wait, and false again as they finish', async () => {
    const slots = new Slots(1, 2);
    const releases: (() => void)[] = [];
    const task = () => slots.run(() => new Promise<void>((resolve) => releases.push(resolve)));
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    const state = () => ({ queued: slots.queued, full: slots.full });

    const running = [task()];
    expect(state()).toEqual({ queued: 0, full: false });
    running.push(task());
    expect(state()).toEqual({ queued: 1, full: false });
    running.push(task());
    expect(state()).toEqual({ queued: 2, full: true });
    for (const expected of [
      { queued: 1, full: false },
      { queued: 0, full: false },
      { queued: 0, full: false },
    ]) {
      await tick();
      releases.shift()!();
      await tick();
      expect(state()).toEqual(expected);
    }
    await Promise.all(running);
  });
});
