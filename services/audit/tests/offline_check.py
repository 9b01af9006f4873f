#!/usr/bin/env python3
"""Checks an audit export with nothing but Python's standard library: a second, independent
reading of the canonical entry form (RFC 8785 JSON) and of RFC 9162 inclusion proofs.

usage: offline_check.py EXPORT.jsonl    (prints "<n> entries proven" or fails with a reason)
The Ed25519 signature on the checkpoint is not checked here (the standard library has no
Ed25519); `creditctl audit check-export` checks it.
"""
import base64
import hashlib
import json
import sys


def leaf_hash(entry):
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(b"\x00" + canonical.encode("utf-8")).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index, size, leaf, proof):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        raise ValueError("index beyond the tree")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ValueError("proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("proof too short")
    return r


def main(path):
    with open(path, encoding="utf-8") as export:
        lines = [json.loads(line) for line in export if line.strip()]
    checkpoint = lines[0]
    assert checkpoint["type"] == "checkpoint", "the first line is the checkpoint"
    # The signed note's body: origin, tree size, base64 root hash (c2sp.org/tlog-checkpoint).
    origin, size_text, root_b64 = checkpoint["signed_note"].split("\n")[:3]
    size = int(size_text)
    root = base64.b64decode(root_b64)
    assert size == checkpoint["tree_size"] and root.hex() == checkpoint["root_hash"]
    for number, line in enumerate(lines[1:], start=2):
        entry = line["entry"]
        leaf = leaf_hash(entry)
        if leaf.hex() != line["leaf_hash"]:
            sys.exit(f"line {number}: entry {entry['log_index']} does not hash to its leaf hash")
        proof = [bytes.fromhex(h) for h in line["inclusion_proof"]]
        if root_from_inclusion(entry["log_index"], size, leaf, proof) != root:
            sys.exit(f"line {number}: entry {entry['log_index']} is not in the tree")
    print(f"{len(lines) - 1} entries proven in {origin} of {size} entries")


if __name__ == "__main__":
    main(sys.argv[1])
