package ledger

import (
	"context"
	"fmt"
	"math/bits"
)

// Tree keeps every complete subtree hash of an RFC 9162 tree, so that many
// inclusion proofs over one tree cost O(log² n) each instead of re-hashing
// the whole tree per proof (InclusionPath). An export proves every entry it
// carries against one checkpoint with it.
//
// In the RFC's recursion every left subtree D[lo:lo+k] is complete (k a
// power of two) and starts at a multiple of k, so it is one of the aligned
// subtrees stored here; right subtrees that are not complete are split again.
type Tree struct {
	// levels[j][i] is the hash of the complete subtree of 2^j leaves that
	// starts at leaf i·2^j; levels[0] are the leaves.
	levels [][]Hash
	size   uint64
}

// NewTree builds the tree over leaf hashes (already LeafHash'ed). It keeps
// about twice the leaves in memory: 64 MB for a million entries.
func NewTree(leaves []Hash) *Tree {
	t := &Tree{size: uint64(len(leaves))}
	level := append([]Hash(nil), leaves...)
	for {
		t.levels = append(t.levels, level)
		if len(level) < 2 {
			return t
		}
		next := make([]Hash, len(level)/2)
		for i := range next {
			next[i] = NodeHash(level[2*i], level[2*i+1])
		}
		level = next
	}
}

// Size is the number of leaves.
func (t *Tree) Size() uint64 { return t.size }

// Root is MTH over all leaves.
func (t *Tree) Root() Hash {
	if t.size == 0 {
		return EmptyRoot()
	}
	return t.hash(0, t.size)
}

// hash is MTH(D[lo:hi]) for a subtree the RFC's recursion reaches.
func (t *Tree) hash(lo, hi uint64) Hash {
	n := hi - lo
	if n&(n-1) == 0 { // complete, and aligned by construction
		j := bits.TrailingZeros64(n)
		return t.levels[j][lo>>j]
	}
	k := splitPoint(n)
	return NodeHash(t.hash(lo, lo+k), t.hash(lo+k, hi))
}

// InclusionPath is PATH(m, D[n]) (RFC 9162 §2.1.3.1), the same as the
// package-level InclusionPath over the same leaves.
func (t *Tree) InclusionPath(m uint64) ([]Hash, error) {
	if m >= t.size {
		return nil, fmt.Errorf("cannot prove leaf %d in a tree of %d leaves", m, t.size)
	}
	var rev []Hash // from the root down; reversed at the end
	lo, hi := uint64(0), t.size
	for hi-lo > 1 {
		k := splitPoint(hi - lo)
		if m < lo+k {
			rev = append(rev, t.hash(lo+k, hi))
			hi = lo + k
		} else {
			rev = append(rev, t.hash(lo, lo+k))
			lo += k
		}
	}
	out := make([]Hash, len(rev))
	for i, h := range rev {
		out[len(rev)-1-i] = h
	}
	return out, nil
}

// Tree reads the stored leaf hashes of an organization's first size entries
// into a Tree, for proving many entries against one checkpoint. The caller
// compares its Root with the checkpoint's.
func (l *Log) Tree(ctx context.Context, orgID, size int64) (*Tree, error) {
	leaves, err := l.storedLeaves(ctx, orgID, size)
	if err != nil {
		return nil, fmt.Errorf("cannot read the ledger tree: %w", err)
	}
	if int64(len(leaves)) != size {
		return nil, fmt.Errorf("cannot read the ledger tree: the log holds %d entries, not %d", len(leaves), size)
	}
	return NewTree(leaves), nil
}

// RootAt is the tree head over the first m leaves (m ≤ Size): the root an
// earlier checkpoint at size m signed.
func (t *Tree) RootAt(m uint64) (Hash, error) {
	if m > t.size {
		return Hash{}, fmt.Errorf("cannot compute the root of %d leaves in a tree of %d", m, t.size)
	}
	if m == 0 {
		return EmptyRoot(), nil
	}
	return t.hash(0, m), nil
}

// ConsistencyPath is PROOF(m, D[n]) (RFC 9162 §2.1.4.1), the same as the
// package-level ConsistencyPath over the same leaves.
func (t *Tree) ConsistencyPath(m uint64) ([]Hash, error) {
	if m > t.size {
		return nil, fmt.Errorf("cannot prove consistency of size %d with the smaller size %d", m, t.size)
	}
	if m == 0 || m == t.size {
		return nil, nil
	}
	return t.subproof(m, 0, t.size, true), nil
}

func (t *Tree) subproof(m, lo, hi uint64, b bool) []Hash {
	n := hi - lo
	if m == n {
		if b {
			return nil
		}
		return []Hash{t.hash(lo, hi)}
	}
	k := splitPoint(n)
	if m <= k {
		return append(t.subproof(m, lo, lo+k, b), t.hash(lo+k, hi))
	}
	return append(t.subproof(m-k, lo+k, hi, false), t.hash(lo, lo+k))
}
