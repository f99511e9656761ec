package ledger

import (
	"fmt"
	"testing"
)

// The precomputed tree gives exactly the proofs and roots of the RFC's
// recursion (InclusionPath, Root) for every leaf of every size up to 130,
// which covers complete trees, one-past-complete and ragged right edges.
func TestTreeMatchesRecursion(t *testing.T) {
	all := syntheticLeaves(130)
	for n := 0; n <= len(all); n++ {
		leaves := all[:n]
		tr := NewTree(leaves)
		if tr.Size() != uint64(n) || tr.Root() != Root(leaves) {
			t.Fatalf("tree of %d: root %x, want %x", n, tr.Root(), Root(leaves))
		}
		for m := 0; m < n; m++ {
			want, _ := InclusionPath(uint64(m), leaves)
			got, err := tr.InclusionPath(uint64(m))
			if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("leaf %d of %d: path %x (%v), want %x", m, n, got, err, want)
			}
		}
		if _, err := tr.InclusionPath(uint64(n)); err == nil {
			t.Fatalf("tree of %d proves a leaf past its end", n)
		}
	}
}

// The known Certificate Transparency proofs come out of the tree too.
func TestTreeKnownInclusionProofs(t *testing.T) {
	leaves := ctLeafHashes(t)
	for _, v := range ctInclusion {
		got, err := NewTree(leaves[:v.size]).InclusionPath(v.index)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(hashes(t, v.path)) {
			t.Errorf("PATH(%d, D[%d]) = %x (%v), want %v", v.index, v.size, got, err, v.path)
		}
	}
}

// Consistency proofs and earlier roots from the tree equal the recursion's
// for every pair of sizes up to 70.
func TestTreeConsistencyMatchesRecursion(t *testing.T) {
	all := syntheticLeaves(70)
	for n := 0; n <= len(all); n++ {
		tr := NewTree(all[:n])
		for m := 0; m <= n; m++ {
			want, _ := ConsistencyPath(uint64(m), all[:n])
			got, err := tr.ConsistencyPath(uint64(m))
			if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("PROOF(%d, D[%d]) = %x (%v), want %x", m, n, got, err, want)
			}
			root, err := tr.RootAt(uint64(m))
			if err != nil || root != Root(all[:m]) {
				t.Fatalf("root at %d of %d = %x (%v)", m, n, root, err)
			}
		}
		if _, err := tr.RootAt(uint64(n) + 1); err == nil {
			t.Fatalf("tree of %d gives a root past its end", n)
		}
	}
}
