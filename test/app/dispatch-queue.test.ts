// The handlers' queue: a few at a time, and one at a time while deliveries are being taken in,
// so acknowledging comes first and the handlers never stop altogether.
import { describe, expect, it } from "vitest";
import { DispatchQueue } from "../../src/app/dispatch-queue.ts";

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const turns = (n = 3) =>
  Array.from({ length: n }).reduce<Promise<void>>(
    (p) => p.then(() => new Promise((resolve) => setImmediate(resolve))),
    Promise.resolve(),
  );

describe("the dispatch queue", () => {
  it("runs one handler at a time while a delivery is taken in, then up to its limit", async () => {
    const queue = new DispatchQueue(4, (error) => {
      throw error;
    });
    const running = new Set<number>();
    let most = 0;
    const gates = Array.from({ length: 6 }, gate);
    const answered = queue.takingIn();
    gates.forEach((g, i) =>
      queue.push(async () => {
        running.add(i);
        most = Math.max(most, running.size);
        await g.opened;
        running.delete(i);
      }),
    );
    await turns();
    expect([...running]).toEqual([0]);
    gates[0]!.open();
    await turns();
    expect([...running]).toEqual([1]);
    answered();
    answered(); // a second call changes nothing
    await turns();
    expect(running.size).toBe(4);
    for (const g of gates) g.open();
    await turns(6);
    expect(running.size).toBe(0);
    expect(most).toBe(4);
    expect(queue.size).toBe(0);
  });
});
