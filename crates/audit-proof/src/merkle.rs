//! The append-only log's Merkle tree, as in RFC 9162 (Certificate Transparency v2) section 2.1:
//! leaf and node hashes with domain separation, tree heads, inclusion and consistency proofs,
//! and their verifiers. Verifiers are the security-critical half: they follow the RFC's
//! algorithms step by step and reject anything malformed instead of guessing.
use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// SHA-256 of the empty string: the root of the empty tree.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Hash of a leaf: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    hasher.finalize().into()
}

/// Hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The largest power of two smaller than `n` (n ≥ 2).
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// MTH: the root of the tree over `leaves` (leaf hashes).
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// Why a proof cannot be produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofError {
    /// The index or size is outside the tree.
    OutOfRange,
}

/// The log's tree, with the root of every complete, aligned subtree kept: `levels[l][i]` is the
/// root of leaves `i·2^l .. (i+1)·2^l`. The RFC's recursions only ever ask for such subtrees
/// plus the ragged right edge, so any root or proof costs O(log² n) hashes instead of O(n), at
/// 64 bytes of memory per leaf.
#[derive(Debug, Clone, Default)]
pub struct MerkleTree {
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The tree over `leaves` (leaf hashes), in order.
    pub fn from_leaves(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut tree = Self::new();
        for leaf in leaves {
            tree.push(leaf);
        }
        tree
    }

    /// Number of leaves.
    pub fn len(&self) -> usize {
        self.levels.first().map_or(0, Vec::len)
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: usize) -> Option<Hash> {
        self.levels
            .first()
            .and_then(|leaves| leaves.get(index).copied())
    }

    /// Appends a leaf hash, completing the subtrees it closes.
    pub fn push(&mut self, leaf: Hash) {
        let mut level = 0;
        let mut hash = leaf;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let row = &mut self.levels[level];
            row.push(hash);
            if row.len() % 2 == 1 {
                return;
            }
            hash = node_hash(&row[row.len() - 2], &row[row.len() - 1]);
            level += 1;
        }
    }

    /// Drops every leaf from `size` on (used when an append transaction fails).
    pub fn truncate(&mut self, size: usize) {
        for (level, row) in self.levels.iter_mut().enumerate() {
            row.truncate(size >> level);
        }
    }

    /// MTH of leaves `lo..hi`.
    fn range_root(&self, lo: usize, hi: usize) -> Hash {
        let n = hi - lo;
        if n == 0 {
            return empty_root();
        }
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            let level = n.trailing_zeros() as usize;
            return self.levels[level][lo >> level];
        }
        let k = split(n);
        node_hash(&self.range_root(lo, lo + k), &self.range_root(lo + k, hi))
    }

    /// The root of the tree of the first `size` leaves.
    pub fn root_at(&self, size: usize) -> Result<Hash, ProofError> {
        if size > self.len() {
            return Err(ProofError::OutOfRange);
        }
        Ok(self.range_root(0, size))
    }

    /// PATH(index, D[size]): the inclusion proof of leaf `index` in the tree of the first `size`
    /// leaves.
    pub fn inclusion_proof(&self, index: usize, size: usize) -> Result<Vec<Hash>, ProofError> {
        if size > self.len() || index >= size {
            return Err(ProofError::OutOfRange);
        }
        let mut proof = Vec::new();
        self.path(index, 0, size, &mut proof);
        Ok(proof)
    }

    fn path(&self, index: usize, lo: usize, hi: usize, proof: &mut Vec<Hash>) {
        let n = hi - lo;
        if n <= 1 {
            return;
        }
        let k = split(n);
        if index < k {
            self.path(index, lo, lo + k, proof);
            proof.push(self.range_root(lo + k, hi));
        } else {
            self.path(index - k, lo + k, hi, proof);
            proof.push(self.range_root(lo, lo + k));
        }
    }

    /// PROOF(first, D[second]): the consistency proof between the trees of the first `first`
    /// and `second` leaves.
    pub fn consistency_proof(&self, first: usize, second: usize) -> Result<Vec<Hash>, ProofError> {
        if second > self.len() || first > second {
            return Err(ProofError::OutOfRange);
        }
        let mut proof = Vec::new();
        if first > 0 && first < second {
            self.subproof(first, 0, second, true, &mut proof);
        }
        Ok(proof)
    }

    fn subproof(&self, m: usize, lo: usize, hi: usize, whole: bool, proof: &mut Vec<Hash>) {
        let n = hi - lo;
        if m == n {
            if !whole {
                proof.push(self.range_root(lo, hi));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, lo, lo + k, whole, proof);
            proof.push(self.range_root(lo + k, hi));
        } else {
            self.subproof(m - k, lo + k, hi, false, proof);
            proof.push(self.range_root(lo, lo + k));
        }
    }
}

/// RFC 9162 2.1.3.2: whether `proof` shows leaf `leaf` at `index` in the tree of `size` with
/// root `root_hash`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root_hash: &Hash,
) -> bool {
    if index >= size {
        return false;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && r == *root_hash
}

/// RFC 9162 2.1.4.2: whether `proof` shows the tree of `second` (root `second_root`) extends
/// the tree of `first` (root `first_root`).
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> bool {
    if first > second {
        return false;
    }
    if first == second {
        return proof.is_empty() && first_root == second_root;
    }
    if first == 0 {
        // Every tree extends the empty one; there is nothing to prove.
        return proof.is_empty() && *first_root == empty_root();
    }
    if proof.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let (mut fn_, mut sn) = (first - 1, second - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    fr == *first_root && sr == *second_root && sn == 0
}

#[cfg(test)]
mod tests {
    //! Vectors from the Certificate Transparency reference test data (the RFC 6962 / 9162 tree
    //! over eight fixed inputs), computed by implementations other than this one.
    use super::*;

    fn h(text: &str) -> Hash {
        let bytes: Vec<u8> = (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
            .collect();
        bytes.try_into().expect("32 bytes")
    }

    fn ct_leaves() -> Vec<Hash> {
        let inputs: [&[u8]; 8] = [
            b"",
            &[0x00],
            &[0x10],
            &[0x20, 0x21],
            &[0x30, 0x31],
            &[0x40, 0x41, 0x42, 0x43],
            &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            &[
                0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
                0x6e, 0x6f,
            ],
        ];
        inputs.iter().map(|d| leaf_hash(d)).collect()
    }

    const CT_ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    #[test]
    fn roots_match_the_reference_tree_heads() {
        let leaves = ct_leaves();
        for size in 0..=8 {
            assert_eq!(root(&leaves[..size]), h(CT_ROOTS[size]), "size {size}");
            let tree = MerkleTree::from_leaves(leaves.iter().copied());
            assert_eq!(
                tree.root_at(size),
                Ok(h(CT_ROOTS[size])),
                "cached, size {size}"
            );
        }
    }

    #[test]
    fn inclusion_proofs_match_the_reference_and_verify() {
        let leaves = ct_leaves();
        let vectors: [(usize, usize, &[&str]); 2] = [
            (
                0,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
        ];
        for (index, size, expected) in vectors {
            let proof = MerkleTree::from_leaves(leaves.iter().copied())
                .inclusion_proof(index, size)
                .expect("proof");
            assert_eq!(proof, expected.iter().map(|e| h(e)).collect::<Vec<_>>());
            assert!(verify_inclusion(
                &leaves[index],
                index as u64,
                size as u64,
                &proof,
                &h(CT_ROOTS[size])
            ));
        }
    }

    #[test]
    fn consistency_proofs_match_the_reference_and_verify() {
        let leaves = ct_leaves();
        let vectors: [(usize, usize, &[&str]); 2] = [
            (
                2,
                8,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
        ];
        for (first, second, expected) in vectors {
            let proof = MerkleTree::from_leaves(leaves.iter().copied())
                .consistency_proof(first, second)
                .expect("proof");
            assert_eq!(proof, expected.iter().map(|e| h(e)).collect::<Vec<_>>());
            assert!(verify_consistency(
                first as u64,
                second as u64,
                &h(CT_ROOTS[first]),
                &h(CT_ROOTS[second]),
                &proof
            ));
        }
    }

    fn many(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("entry {i}").as_bytes()))
            .collect()
    }

    #[test]
    fn the_cached_tree_agrees_with_the_plain_recursion_at_every_size_and_after_truncation() {
        let leaves = many(70);
        let mut tree = MerkleTree::from_leaves(leaves.iter().copied());
        for size in 0..=leaves.len() {
            assert_eq!(tree.root_at(size), Ok(root(&leaves[..size])), "size {size}");
        }
        assert_eq!(tree.root_at(71), Err(ProofError::OutOfRange));
        tree.truncate(37);
        assert_eq!(tree.len(), 37);
        tree.push(leaf_hash(b"other"));
        let mut expected = leaves[..37].to_vec();
        expected.push(leaf_hash(b"other"));
        assert_eq!(tree.root_at(38), Ok(root(&expected)));
        assert_eq!(tree.leaf(37), Some(leaf_hash(b"other")));
    }

    #[test]
    fn every_proof_of_every_size_verifies_and_any_change_is_rejected() {
        let leaves = many(40);
        let roots: Vec<Hash> = (0..=leaves.len()).map(|n| root(&leaves[..n])).collect();
        for size in 1..=leaves.len() {
            for index in 0..size {
                let proof = MerkleTree::from_leaves(leaves.iter().copied())
                    .inclusion_proof(index, size)
                    .expect("proof");
                assert!(verify_inclusion(
                    &leaves[index],
                    index as u64,
                    size as u64,
                    &proof,
                    &roots[size]
                ));
                assert!(!verify_inclusion(
                    &leaves[index],
                    index as u64,
                    size as u64,
                    &proof,
                    &roots[size - 1]
                ));
                if let Some(last) = proof.len().checked_sub(1) {
                    let mut flipped = proof.clone();
                    flipped[last][7] ^= 1;
                    assert!(!verify_inclusion(
                        &leaves[index],
                        index as u64,
                        size as u64,
                        &flipped,
                        &roots[size]
                    ));
                    assert!(!verify_inclusion(
                        &leaves[index],
                        index as u64,
                        size as u64,
                        &proof[..last],
                        &roots[size]
                    ));
                }
                let mut extended = proof.clone();
                extended.push([0xab; 32]);
                assert!(!verify_inclusion(
                    &leaves[index],
                    index as u64,
                    size as u64,
                    &extended,
                    &roots[size]
                ));
            }
            for first in 0..=size {
                let proof = MerkleTree::from_leaves(leaves.iter().copied())
                    .consistency_proof(first, size)
                    .expect("proof");
                assert!(verify_consistency(
                    first as u64,
                    size as u64,
                    &roots[first],
                    &roots[size],
                    &proof
                ));
                if first > 0 && first < size {
                    let mut flipped = proof.clone();
                    flipped[0][3] ^= 0x80;
                    assert!(!verify_consistency(
                        first as u64,
                        size as u64,
                        &roots[first],
                        &roots[size],
                        &flipped
                    ));
                    assert!(!verify_consistency(
                        first as u64,
                        size as u64,
                        &roots[first],
                        &roots[size],
                        &proof[..proof.len() - 1]
                    ));
                    assert!(!verify_consistency(
                        first as u64,
                        size as u64,
                        &roots[first - 1],
                        &roots[size],
                        &proof
                    ));
                }
            }
        }
    }

    #[test]
    fn degenerate_cases_follow_the_rfc() {
        let leaves = ct_leaves();
        assert_eq!(
            MerkleTree::from_leaves(leaves.iter().copied()).inclusion_proof(8, 8),
            Err(ProofError::OutOfRange)
        );
        assert_eq!(
            MerkleTree::from_leaves(leaves.iter().copied()).consistency_proof(5, 3),
            Err(ProofError::OutOfRange)
        );
        assert!(!verify_inclusion(&leaves[0], 8, 8, &[], &h(CT_ROOTS[8])));
        assert!(verify_consistency(
            4,
            4,
            &h(CT_ROOTS[4]),
            &h(CT_ROOTS[4]),
            &[]
        ));
        assert!(!verify_consistency(
            4,
            4,
            &h(CT_ROOTS[4]),
            &h(CT_ROOTS[5]),
            &[]
        ));
        assert!(verify_consistency(
            0,
            8,
            &empty_root(),
            &h(CT_ROOTS[8]),
            &[]
        ));
        assert!(!verify_consistency(
            0,
            8,
            &h(CT_ROOTS[1]),
            &h(CT_ROOTS[8]),
            &[]
        ));
        assert!(!verify_consistency(
            6,
            8,
            &h(CT_ROOTS[6]),
            &h(CT_ROOTS[8]),
            &[]
        ));
        assert!(!verify_consistency(
            8,
            6,
            &h(CT_ROOTS[8]),
            &h(CT_ROOTS[6]),
            &[]
        ));
    }
}
