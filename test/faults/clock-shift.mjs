// Preloaded into a Stamina process by the fault suite (`NODE_OPTIONS=--import <this file>`): the
// process's wall clock (Date.now and `new Date()`) runs ahead of or behind the machine's by the
// milliseconds written in the file STAMINA_TEST_CLOCK_SHIFT_FILE names, read again every 50 ms,
// as a host whose clock is stepped by NTP or by hand sees it. Timers (setTimeout, performance.now)
// keep the monotonic clock, as they do on a real host. Tests only; the product reads no such thing.
import { readFileSync } from "node:fs";
import process from "node:process";
import { setInterval } from "node:timers";

const file = process.env.STAMINA_TEST_CLOCK_SHIFT_FILE;
if (file) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  let shift = 0;
  const read = () => {
    try {
      const value = Number(readFileSync(file, "utf8").trim());
      if (Number.isFinite(value)) shift = value;
    } catch {
      // No file yet: the clock is not shifted.
    }
  };
  read();
  setInterval(read, 50).unref();
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(realNow() + shift);
      else super(...args);
    }
    static now() {
      return realNow() + shift;
    }
  }
  globalThis.Date = ShiftedDate;
}
