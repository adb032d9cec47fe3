// The addresses no command may reach through the egress proxy, whatever name
// leads there: loopback, link-local (the cloud metadata address), private and
// shared ranges, unique-local, multicast, reserved, and IPv6 forms that carry
// one of those IPv4 addresses inside (mapped, compatible, NAT64, 6to4), and
// any other IPv6 address outside global unicast (Teredo included).
// Documentation ranges (TEST-NET) stay reachable: some networks route them.
import { BlockList, isIP } from "node:net";

interface Range {
  name: string;
  list: BlockList;
}

function ranges(family: "ipv4" | "ipv6", entries: [string, number, string][]): Range[] {
  return entries.map(([network, prefix, name]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, family);
    return { name, list };
  });
}

const V4 = ranges("ipv4", [
  ["0.0.0.0", 8, "this network (0.0.0.0/8)"],
  ["10.0.0.0", 8, "a private range (10.0.0.0/8)"],
  ["100.64.0.0", 10, "the shared address space of carrier-grade NAT (100.64.0.0/10)"],
  ["127.0.0.0", 8, "loopback (127.0.0.0/8)"],
  ["169.254.0.0", 16, "link-local (169.254.0.0/16), where the cloud metadata address lives"],
  ["172.16.0.0", 12, "a private range (172.16.0.0/12)"],
  ["192.0.0.0", 24, "IETF protocol assignments (192.0.0.0/24)"],
  ["192.168.0.0", 16, "a private range (192.168.0.0/16)"],
  ["224.0.0.0", 4, "multicast (224.0.0.0/4)"],
  ["240.0.0.0", 4, "reserved (240.0.0.0/4)"],
]);

const V6 = ranges("ipv6", [
  ["::", 128, "the unspecified address (::)"],
  ["::1", 128, "loopback (::1)"],
  ["fc00::", 7, "unique-local (fc00::/7)"],
  ["fe80::", 10, "link-local (fe80::/10)"],
  ["fec0::", 10, "site-local (fec0::/10)"],
  ["ff00::", 8, "multicast (ff00::/8)"],
  ["100::", 64, "the discard range (100::/64)"],
  ["2001::", 32, "Teredo (2001::/32), which carries an IPv4 address of its own"],
]);

/** Global unicast: an IPv6 address outside it (and not an embedded IPv4) reaches nothing public. */
const GLOBAL = new BlockList();
GLOBAL.addSubnet("2000::", 3, "ipv6");

/** IPv6 prefixes whose last (or, for 6to4, second and third) 32 bits are an IPv4 address. */
const EMBEDDING = [
  { prefix: "::ffff:0:0", bits: 96, name: "IPv4-mapped" },
  { prefix: "::", bits: 96, name: "IPv4-compatible" },
  { prefix: "64:ff9b::", bits: 96, name: "NAT64" },
  { prefix: "2002::", bits: 16, name: "6to4" },
].map((e) => {
  const list = new BlockList();
  list.addSubnet(e.prefix, e.bits, "ipv6");
  return { ...e, list };
});

/**
 * The refused range `address` lies in, in words ("loopback (127.0.0.0/8)"), or null for an
 * address commands may reach. Throws for what is not an IP address.
 */
export function refusedRange(address: string): string | null {
  const plain = ipAddress(address);
  if (plain === null) throw new Error(`${address} is not an IP address`);
  if (isIP(plain) === 4) return V4.find((r) => r.list.check(plain, "ipv4"))?.name ?? null;
  const own = V6.find((r) => r.list.check(plain, "ipv6"));
  if (own) return own.name;
  for (const embedding of EMBEDDING) {
    if (!embedding.list.check(plain, "ipv6")) continue;
    const inner = embeddedIPv4(plain, embedding.bits === 16 ? 16 : 96);
    const range = refusedRange(inner);
    return range === null ? null : `${embedding.name} ${inner}, ${range}`;
  }
  return GLOBAL.check(plain, "ipv6") ? null : "outside IPv6 global unicast (2000::/3)";
}

/** The IP address `text` is (its brackets and zone left out), or null when it is none. */
export function ipAddress(text: string): string | null {
  const plain = text.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  return isIP(plain) === 0 ? null : plain;
}

/** The IPv4 address at bit `offset` of an IPv6 address. */
function embeddedIPv4(address: string, offset: number): string {
  const groups = expand(address);
  const at = offset / 16;
  const high = groups[at] ?? 0;
  const low = groups[at + 1] ?? 0;
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

/** An IPv6 address as its eight 16-bit groups (a dotted IPv4 tail included). */
function expand(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted[1].split(".").map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const part = (s: string) => (s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
  const front = part(head);
  const back = tail === undefined ? [] : part(tail);
  const zeros = tail === undefined ? [] : new Array<number>(8 - front.length - back.length).fill(0);
  return [...front, ...zeros, ...back];
}
