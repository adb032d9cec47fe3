// The groups Octokit's throttling spaces GitHub's writes with (one a second, as GitHub asks of
// an app), made steady against the wall clock stepping back. Bottleneck reckons a limiter's next
// slot by `Date.now()`: once the clock steps back (an NTP correction, a machine resumed), the
// next write waits for as long as the step. The fault suite saw every write of a worker stall for
// ten minutes after its clock went back ten. Here each key's limiter is replaced as soon as the
// wall clock is found to have stepped back against the monotonic one; writes already waiting
// keep their places (their timers run on the monotonic clock), new ones get a fresh limiter.
import Bottleneck from "bottleneck";

/** A step back smaller than this is the clocks' ordinary drift, not a step. */
const STEP_MS = 2_000;

/** How long a throttled request may wait for its slot (the plugin's own default). */
const TIMEOUT_MS = 2 * 60_000;

/** The throttling plugin's groups, as it makes them, each steady against clock steps. */
export function steadyThrottleGroups(now: () => number = () => Date.now()): {
  write: Bottleneck.Group;
  search: Bottleneck.Group;
  notifications: Bottleneck.Group;
} {
  const group = (minTime: number) =>
    steadyGroup(new Bottleneck.Group({ maxConcurrent: 1, minTime, timeout: TIMEOUT_MS }), now);
  return { write: group(1_000), search: group(2_000), notifications: group(3_000) };
}

/** `group`, whose `key` gives a new limiter once the wall clock has stepped back. */
export function steadyGroup(
  group: Bottleneck.Group,
  now: () => number = () => Date.now(),
): Bottleneck.Group {
  const key = group.key.bind(group);
  let generation = 0;
  let offset = now() - performance.now();
  group.key = (id = "") => {
    const current = now() - performance.now();
    if (current < offset - STEP_MS) generation += 1;
    offset = current;
    return key(`${id}#${generation}`);
  };
  return group;
}
