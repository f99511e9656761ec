package ledger

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/bits"
)

// Hash is a SHA-256 digest: a leaf hash, an interior node hash or a root.
type Hash = [sha256.Size]byte

// The Merkle tree of RFC 9162 §2.1 (Certificate Transparency v2), written
// from the RFC: leaves are hashed with a 0x00 prefix and interior nodes with
// 0x01, so a leaf can never be passed off as a node. A tree of n leaves is
// split at k, the largest power of two smaller than n; the left subtree is
// always complete.

// LeafHash is MTH({d}) = SHA-256(0x00 || d).
func LeafHash(leaf []byte) Hash {
	h := sha256.New()
	h.Write([]byte{0x00})
	h.Write(leaf)
	var out Hash
	h.Sum(out[:0])
	return out
}

// NodeHash is SHA-256(0x01 || left || right).
func NodeHash(left, right Hash) Hash {
	var buf [1 + 2*sha256.Size]byte
	buf[0] = 0x01
	copy(buf[1:], left[:])
	copy(buf[1+sha256.Size:], right[:])
	return sha256.Sum256(buf[:])
}

// EmptyRoot is MTH({}) = SHA-256 of the empty string.
func EmptyRoot() Hash { return sha256.Sum256(nil) }

// splitPoint is the largest power of two strictly smaller than n (n > 1).
func splitPoint(n uint64) uint64 {
	return 1 << (bits.Len64(n-1) - 1)
}

// Root computes the tree head over leaf hashes (already LeafHash'ed).
func Root(leaves []Hash) Hash {
	if len(leaves) == 0 {
		return EmptyRoot()
	}
	return mth(leaves)
}

func mth(d []Hash) Hash {
	if len(d) == 1 {
		return d[0]
	}
	k := splitPoint(uint64(len(d)))
	return NodeHash(mth(d[:k]), mth(d[k:]))
}

// InclusionPath is PATH(m, D[n]) of RFC 9162 §2.1.3.1 for the leaf at
// index m (0-based) in the tree over leaves.
func InclusionPath(m uint64, leaves []Hash) ([]Hash, error) {
	n := uint64(len(leaves))
	if m >= n {
		return nil, fmt.Errorf("cannot prove leaf %d in a tree of %d leaves", m, n)
	}
	return path(m, leaves), nil
}

func path(m uint64, d []Hash) []Hash {
	n := uint64(len(d))
	if n == 1 {
		return nil
	}
	k := splitPoint(n)
	if m < k {
		return append(path(m, d[:k]), mth(d[k:]))
	}
	return append(path(m-k, d[k:]), mth(d[:k]))
}

// ErrProof is wrapped by every failed proof verification.
var ErrProof = errors.New("proof does not verify")

// VerifyInclusion checks an inclusion proof (RFC 9162 §2.1.3.2): that the
// leaf with hash leaf sits at index in the tree of size whose head is root.
func VerifyInclusion(index, size uint64, leaf Hash, proof []Hash, root Hash) error {
	got, err := RootFromInclusion(index, size, leaf, proof)
	if err != nil {
		return err
	}
	if got != root {
		return fmt.Errorf("%w: the inclusion proof leads to root %x, not %x", ErrProof, got, root)
	}
	return nil
}

// RootFromInclusion runs the verification algorithm of RFC 9162 §2.1.3.2
// and returns the root it computes.
func RootFromInclusion(index, size uint64, leaf Hash, proof []Hash) (Hash, error) {
	if index >= size {
		return Hash{}, fmt.Errorf("%w: leaf index %d is outside a tree of size %d", ErrProof, index, size)
	}
	fn, sn := index, size-1
	r := leaf
	for _, p := range proof {
		if sn == 0 {
			return Hash{}, fmt.Errorf("%w: the inclusion proof is too long", ErrProof)
		}
		if fn&1 == 1 || fn == sn {
			r = NodeHash(p, r)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			r = NodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return Hash{}, fmt.Errorf("%w: the inclusion proof is too short", ErrProof)
	}
	return r, nil
}

// ConsistencyPath is PROOF(m, D[n]) of RFC 9162 §2.1.4.1: it shows that the
// tree of the first m leaves is a prefix of the tree over all of leaves.
func ConsistencyPath(m uint64, leaves []Hash) ([]Hash, error) {
	n := uint64(len(leaves))
	if m > n {
		return nil, fmt.Errorf("cannot prove consistency of size %d with the smaller size %d", m, n)
	}
	if m == 0 || m == n {
		return nil, nil
	}
	return subproof(m, leaves, true), nil
}

func subproof(m uint64, d []Hash, b bool) []Hash {
	n := uint64(len(d))
	if m == n {
		if b {
			return nil
		}
		return []Hash{mth(d)}
	}
	k := splitPoint(n)
	if m <= k {
		return append(subproof(m, d[:k], b), mth(d[k:]))
	}
	return append(subproof(m-k, d[k:], false), mth(d[:k]))
}

// VerifyConsistency checks a consistency proof (RFC 9162 §2.1.4.2) between
// the tree of size first with head firstRoot and the tree of size second
// with head secondRoot.
func VerifyConsistency(first, second uint64, proof []Hash, firstRoot, secondRoot Hash) error {
	switch {
	case first > second:
		return fmt.Errorf("%w: the first tree (%d) is larger than the second (%d)", ErrProof, first, second)
	case first == second:
		if len(proof) != 0 {
			return fmt.Errorf("%w: trees of equal size need an empty proof", ErrProof)
		}
		if firstRoot != secondRoot {
			return fmt.Errorf("%w: two trees of size %d have different roots", ErrProof, first)
		}
		return nil
	case first == 0:
		if len(proof) != 0 {
			return fmt.Errorf("%w: the empty tree needs an empty proof", ErrProof)
		}
		return nil
	}
	if len(proof) == 0 {
		return fmt.Errorf("%w: the consistency proof is empty", ErrProof)
	}
	path := proof
	if first&(first-1) == 0 { // an exact power of two
		path = append([]Hash{firstRoot}, proof...)
	}
	fn, sn := first-1, second-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	fr, sr := path[0], path[0]
	for _, c := range path[1:] {
		if sn == 0 {
			return fmt.Errorf("%w: the consistency proof is too long", ErrProof)
		}
		if fn&1 == 1 || fn == sn {
			fr = NodeHash(c, fr)
			sr = NodeHash(c, sr)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			sr = NodeHash(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return fmt.Errorf("%w: the consistency proof is too short", ErrProof)
	}
	if !bytes.Equal(fr[:], firstRoot[:]) || !bytes.Equal(sr[:], secondRoot[:]) {
		return fmt.Errorf("%w: the consistency proof does not lead to both roots", ErrProof)
	}
	return nil
}
