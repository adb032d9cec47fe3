// Cutting a byte stream at arbitrary points without splitting a UTF-8
// character, so head-and-tail output never starts or ends with mojibake.

const decoder = new TextDecoder("utf-8");

export function decodeUtf8(bytes: Buffer): string {
  return decoder.decode(bytes);
}

/** The longest prefix of `bytes` that does not end inside a multi-byte character. */
export function completePrefix(bytes: Buffer): Buffer {
  const end = bytes.length;
  // A character is at most 4 bytes: look back at most 3 bytes for its lead byte.
  for (let i = end - 1; i >= 0 && i >= end - 4; i--) {
    const byte = bytes[i] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte
    const width = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return i + width > end ? bytes.subarray(0, i) : bytes;
  }
  return bytes;
}

/** `bytes` without the continuation bytes of a character that began before it. */
export function completeSuffix(bytes: Buffer): Buffer {
  let start = 0;
  while (start < 3 && start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start++;
  return bytes.subarray(start);
}
