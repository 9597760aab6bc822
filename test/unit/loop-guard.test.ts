import { describe, expect, it } from '@jest/globals';
import {
  describeLoop,
  describeRepeatingEvents,
  LoopGuard,
  MAX_EVENTS_PER_ORDER,
  MAX_HISTORY_EVENTS,
  MAX_REPEATS_PER_ORDER,
} from '../../src/lib/local/loop-guard.js';

describe('loop guards', () => {
  it('names the repeating part of a sequence', () => {
    expect(describeLoop(['Start', 'A', 'B', 'A', 'B'])).toBe('A → B → A');
    expect(describeLoop(['X', 'Y', 'Y'])).toBe('Y → Y');
    expect(describeLoop(['P', 'Q', 'R'])).toBe('P → Q → R');
  });

  it('names the events that repeat in an order, however concurrent branches interleave them', () => {
    const interleaved = ['OrderPlaced', 'A', 'B', 'B', 'A', 'A', 'B', 'B', 'B', 'A'];
    expect(describeRepeatingEvents(interleaved)).toBe('A → B → A');
    expect(describeRepeatingEvents(['OrderPlaced', 'B', 'A', 'A', 'B'])).toBe('B → A → B');
    expect(describeRepeatingEvents(['P', 'Q', 'R'])).toBe('P → Q → R');
  });

  it('fails an execution at the history limit, once per order, and forgets it when asked', () => {
    const guard = new LoopGuard();
    let failure;
    let events = 0;
    while (!failure) {
      failure = guard.historyEvent('o-1', events % 2 ? 'Check' : 'Again');
      events++;
    }
    expect(events).toBe(MAX_HISTORY_EVENTS - 1);
    expect(failure.Error).toBe('LoopDetected');
    expect(guard.historyEvent('o-1', 'Again')).toBe(failure);
    expect(guard.historyEvent('o-2', 'Again')).toBeUndefined();
    guard.forget('o-1');
    expect(guard.historyEvent('o-1', 'Again')).toBeUndefined();
  });

  it('stops an event chain that repeats an event type, fails it once, and starts over on resubmission', () => {
    const guard = new LoopGuard();
    expect(guard.eventPublished('o-1', 'OrderPlaced', true)).toBeUndefined();
    for (let i = 0; i < MAX_REPEATS_PER_ORDER; i++) expect(guard.eventPublished('o-1', 'Ping', false)).toBeUndefined();
    expect(guard.eventPublished('o-1', 'Ping', false)).toMatchObject({
      first: true,
      failure: { Error: 'LoopDetected' },
    });
    expect(guard.eventPublished('o-1', 'Other', false)).toMatchObject({ first: false });
    expect(guard.eventPublished('o-1', 'OrderPlaced', true)).toBeUndefined();
  });

  it('does not fail an order that already ended, and bounds events that never repeat 17 times', () => {
    const guard = new LoopGuard();
    guard.eventPublished('o-1', 'OrderCompleted', false, true);
    for (let i = 0; i < MAX_REPEATS_PER_ORDER - 1; i++) guard.eventPublished('o-1', 'Ping', false);
    expect(guard.eventPublished('o-1', 'Ping', false)).toBeUndefined();
    expect(guard.eventPublished('o-1', 'Ping', false)).toMatchObject({ first: false });
    let result;
    for (let i = 0; !result; i++) result = guard.eventPublished('o-2', `E${i % 100}`, false);
    expect(result.failure.Cause).toContain(`more than ${MAX_EVENTS_PER_ORDER.toLocaleString('en-US')} events`);
  });
});
