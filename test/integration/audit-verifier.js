// An independent verifier of Pipit's audit log, written from the specs and
// sharing no code with the server: node:crypto only.
//
//   RFC 9162 section 2.1.1 (hashes), 2.1.3.2 (verifying an inclusion proof),
//   2.1.4.2 (verifying a consistency proof);
//   c2sp.org/signed-note (verifier keys, key ids, signature lines) and
//   c2sp.org/tlog-checkpoint (origin, size, root hash, extension lines);
//   docs/internals/audit.md (the leaf format: sorted-key JSON, printable
//   ASCII, exactly what JSON.stringify gives back).
//
// A customer can run this against /audit/v1 with nothing of Pipit's.

import crypto from 'node:crypto';

const sha256 = (...parts) => {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

// RFC 9162 2.1.1: leaf = SHA-256(0x00 || d), node = SHA-256(0x01 || l || r).
export const leafHash = (data) => sha256(Buffer.from([0x00]), data);
export const nodeHash = (left, right) => sha256(Buffer.from([0x01]), left, right);

// MTH(D[n]) of 2.1.1, over leaf hashes (for the tests' own bookkeeping).
export function merkleRoot(leafHashes) {
  const n = leafHashes.length;
  if (n === 0) return sha256(Buffer.alloc(0));
  if (n === 1) return leafHashes[0];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return nodeHash(merkleRoot(leafHashes.slice(0, k)), merkleRoot(leafHashes.slice(k)));
}

// RFC 9162 2.1.3.2, step by step.  BigInt so sizes past 2^32 work.
export function verifyInclusion(leafIndex, treeSize, hash, inclusionPath, rootHash) {
  let fn = BigInt(leafIndex);
  let sn = BigInt(treeSize) - 1n;
  // 1. Compare leaf_index against tree_size.  If leaf_index is greater than
  //    or equal to tree_size, then fail the proof verification.
  if (BigInt(leafIndex) >= BigInt(treeSize)) return false;
  // 2-3. fn = leaf_index, sn = tree_size - 1, r = hash.
  let r = hash;
  // 4. For each value p in the inclusion_path array:
  for (const p of inclusionPath) {
    //  a. If sn is 0, then stop the iteration and fail.
    if (sn === 0n) return false;
    //  b. If LSB(fn) is set, or if fn is equal to sn, then:
    if ((fn & 1n) === 1n || fn === sn) {
      //   1. Set r to HASH(0x01 || p || r).
      r = nodeHash(p, r);
      //   2. If LSB(fn) is not set, then right-shift both fn and sn equally
      //      until either LSB(fn) is set or fn is 0.
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      //   Otherwise: Set r to HASH(0x01 || r || p).
      r = nodeHash(r, p);
    }
    //  c. Finally, right-shift both fn and sn one time.
    fn >>= 1n; sn >>= 1n;
  }
  // 5. Compare sn to 0.  Compare r against the root_hash.
  return sn === 0n && r.equals(rootHash);
}

const isPowerOfTwo = (x) => x > 0n && (x & (x - 1n)) === 0n;

// RFC 9162 2.1.4.2, step by step.  (Equal sizes: the roots must match and
// the proof be empty, as 2.1.4.1 gives no proof for m = n.)
export function verifyConsistency(first, second, firstHash, secondHash, consistencyPath) {
  const m = BigInt(first), n = BigInt(second);
  if (m === n) return consistencyPath.length === 0 && firstHash.equals(secondHash);
  if (m === 0n || m > n) return false;
  // 1. If consistency_path is an empty array, stop and fail.
  if (consistencyPath.length === 0) return false;
  // 2. If first is an exact power of 2, prepend first_hash.
  const path = isPowerOfTwo(m) ? [firstHash, ...consistencyPath] : [...consistencyPath];
  // 3. Set fn to first - 1 and sn to second - 1.
  let fn = m - 1n;
  let sn = n - 1n;
  // 4. If LSB(fn) is set, right-shift both fn and sn equally until LSB(fn)
  //    is not set.
  while ((fn & 1n) === 1n) { fn >>= 1n; sn >>= 1n; }
  // 5. Set both fr and sr to the first value in the consistency_path array.
  let fr = path[0];
  let sr = path[0];
  // 6. For each subsequent value c in the consistency_path array:
  for (const c of path.slice(1)) {
    //  a. If sn is 0, then stop the iteration and fail.
    if (sn === 0n) return false;
    //  b. If LSB(fn) is set, or if fn is equal to sn, then:
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    //  c. Finally, right-shift both fn and sn one time.
    fn >>= 1n; sn >>= 1n;
  }
  // 7. fr equals first_hash, sr equals second_hash, and sn is 0.
  return fr.equals(firstHash) && sr.equals(secondHash) && sn === 0n;
}

// ---- Signed notes (c2sp.org/signed-note) ----------------------------------

// "<name>+<8 hex key id>+<base64(0x01 || 32-byte Ed25519 public key)>".
export function parseVerifierKey(vkey) {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(vkey.trim());
  if (!m) throw new Error(`not a verifier key: ${vkey}`);
  const [, name, hexId, b64] = m;
  const raw = Buffer.from(b64, 'base64');
  if (raw.length !== 33 || raw[0] !== 0x01) throw new Error('not an Ed25519 verifier key');
  const pk = raw.subarray(1);
  // key id = SHA-256(name || 0x0A || 0x01 || public key)[0:4]
  const id = sha256(Buffer.from(name, 'utf8'), Buffer.from([0x0a, 0x01]), pk).subarray(0, 4);
  if (id.toString('hex') !== hexId) throw new Error('the key id does not match the key');
  const key = crypto.createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: pk.toString('base64url') }, format: 'jwk',
  });
  return { name, id, key };
}

// Checks a signed note against one verifier key; returns its signed text.
// The text is everything up to the last blank line; each signature line is
// "— <name> <base64(key id (4) || signature (64))>".
export function openNote(note, verifier) {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new Error('not a signed note');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  let verified = false;
  for (const line of lines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new Error(`malformed signature line: ${line}`);
    const sig = Buffer.from(m[2], 'base64');
    if (m[1] !== verifier.name || sig.length !== 68 || !sig.subarray(0, 4).equals(verifier.id)) continue;
    if (!crypto.verify(null, Buffer.from(text, 'utf8'), verifier.key, sig.subarray(4))) {
      throw new Error('a signature by the key does not verify');
    }
    verified = true;
  }
  if (!verified) throw new Error(`no signature by ${verifier.name}`);
  return text;
}

// c2sp.org/tlog-checkpoint: origin, size, base64 root, then extension lines
// (Pipit's first is "time <seconds>").
export function openCheckpoint(note, verifier) {
  const lines = openNote(note, verifier).split('\n');
  if (lines.length < 4 || !/^[1-9][0-9]*$|^0$/.test(lines[1])) throw new Error('not a checkpoint');
  const root = Buffer.from(lines[2], 'base64');
  if (root.length !== 32 || root.toString('base64') !== lines[2]) throw new Error('bad root hash');
  const time = /^time ([0-9]+)$/.exec(lines[3]);
  return { origin: lines[0], size: BigInt(lines[1]), root, time: time ? Number(time[1]) : undefined };
}

// ---- Leaves ----------------------------------------------------------------

const LEAF_KEYS = ['account', 'event', 'ip', 'outcome', 'principal', 'principal_account',
  'principal_kind', 'request', 'resources', 'seq', 'session', 'time_ms', 'user_agent', 'v'];

// Parses leaf bytes and checks they are the canonical form: printable ASCII,
// exactly the members above in that order, and JSON.stringify of the
// parsed object gives the same bytes back.
export function parseLeaf(bytes) {
  const s = bytes.toString('latin1');
  if (!/^[\x20-\x7e]*$/.test(s)) throw new Error('a leaf is printable ASCII');
  const obj = JSON.parse(s);
  if (JSON.stringify(Object.keys(obj)) !== JSON.stringify(LEAF_KEYS)) throw new Error('leaf members');
  if (JSON.stringify(obj) !== s) throw new Error('the leaf is not in canonical form');
  return obj;
}
