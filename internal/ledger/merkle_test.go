package ledger

import (
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
)

// The Certificate Transparency test vectors: eight leaves and the tree head
// of each prefix, as published with the RFC 6962 reference implementations
// (RFC 9162 keeps the same tree). They check the hashing and the tree shape
// against an independent implementation.
var (
	ctLeaves = []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}
	ctRoots  = []string{
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
	// Inclusion proofs: leaf index (0-based), tree size, path.
	ctInclusion = []struct {
		index, size uint64
		path        []string
	}{
		{0, 8, []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{5, 8, []string{"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
		{2, 3, []string{"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
		{1, 5, []string{"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
	}
	ctConsistency = []struct {
		first, second uint64
		path          []string
	}{
		{1, 8, []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{6, 8, []string{"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
		{2, 5, []string{"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
		{6, 7, []string{"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	}
)

func mustHash(t *testing.T, s string) Hash {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		t.Fatalf("bad hash %q", s)
	}
	var h Hash
	copy(h[:], b)
	return h
}

func ctLeafHashes(t *testing.T) []Hash {
	var out []Hash
	for _, l := range ctLeaves {
		b, _ := hex.DecodeString(l)
		out = append(out, LeafHash(b))
	}
	return out
}

func hashes(t *testing.T, ss []string) []Hash {
	var out []Hash
	for _, s := range ss {
		out = append(out, mustHash(t, s))
	}
	return out
}

func TestKnownRoots(t *testing.T) {
	leaves := ctLeafHashes(t)
	if got := fmt.Sprintf("%x", Root(nil)); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatalf("empty root %s", got)
	}
	for n := 1; n <= len(leaves); n++ {
		if got := fmt.Sprintf("%x", Root(leaves[:n])); got != ctRoots[n-1] {
			t.Errorf("root of %d leaves = %s, want %s", n, got, ctRoots[n-1])
		}
	}
}

func TestKnownInclusionProofs(t *testing.T) {
	leaves := ctLeafHashes(t)
	for _, v := range ctInclusion {
		got, err := InclusionPath(v.index, leaves[:v.size])
		if err != nil {
			t.Fatal(err)
		}
		want := hashes(t, v.path)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("PATH(%d, D[%d]) = %x, want %x", v.index, v.size, got, want)
		}
		if err := VerifyInclusion(v.index, v.size, leaves[v.index], want, mustHash(t, ctRoots[v.size-1])); err != nil {
			t.Errorf("known proof (%d, %d) does not verify: %v", v.index, v.size, err)
		}
	}
}

func TestKnownConsistencyProofs(t *testing.T) {
	leaves := ctLeafHashes(t)
	for _, v := range ctConsistency {
		got, err := ConsistencyPath(v.first, leaves[:v.second])
		if err != nil {
			t.Fatal(err)
		}
		want := hashes(t, v.path)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("PROOF(%d, D[%d]) = %x, want %x", v.first, v.second, got, want)
		}
		if err := VerifyConsistency(v.first, v.second, want, mustHash(t, ctRoots[v.first-1]), mustHash(t, ctRoots[v.second-1])); err != nil {
			t.Errorf("known proof (%d, %d) does not verify: %v", v.first, v.second, err)
		}
	}
}

func syntheticLeaves(n int) []Hash {
	out := make([]Hash, n)
	for i := range out {
		out[i] = LeafHash([]byte(fmt.Sprintf("entry %d", i)))
	}
	return out
}

// flips yields copies of proof with one bit flipped: every bit of every
// hash for small trees, every step-th bit for larger ones (to keep the test
// fast on a small machine).
func flips(n int, proof []Hash, fn func(bad []Hash, where string)) {
	step := 1
	if n > 16 {
		step = 11
	}
	for i := range proof {
		for bit := 0; bit < 256; bit += step {
			bad := append([]Hash(nil), proof...)
			bad[i][bit/8] ^= 1 << (bit % 8)
			fn(bad, fmt.Sprintf("proof[%d] bit %d", i, bit))
		}
	}
}

// Every inclusion proof verifies for every leaf of every tree size up to 64,
// and fails when any bit of the proof, the leaf or the root is flipped, or
// when the index or size is wrong.
func TestInclusionProofsProperty(t *testing.T) {
	all := syntheticLeaves(64)
	for n := 1; n <= 64; n++ {
		leaves := all[:n]
		root := Root(leaves)
		for m := 0; m < n; m++ {
			proof, err := InclusionPath(uint64(m), leaves)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyInclusion(uint64(m), uint64(n), leaves[m], proof, root); err != nil {
				t.Fatalf("leaf %d of %d: %v", m, n, err)
			}
			flips(n, proof, func(bad []Hash, where string) {
				if VerifyInclusion(uint64(m), uint64(n), leaves[m], bad, root) == nil {
					t.Fatalf("leaf %d of %d verifies with %s flipped", m, n, where)
				}
			})
			for bit := 0; bit < 256; bit += 7 {
				leaf, r := leaves[m], root
				leaf[bit/8] ^= 1 << (bit % 8)
				r[bit/8] ^= 1 << (bit % 8)
				if VerifyInclusion(uint64(m), uint64(n), leaf, proof, root) == nil || VerifyInclusion(uint64(m), uint64(n), leaves[m], proof, r) == nil {
					t.Fatalf("leaf %d of %d verifies with a flipped leaf or root", m, n)
				}
			}
			for _, wrong := range [][2]uint64{{uint64(m) + 1, uint64(n)}, {uint64(m), 2 * uint64(n)}, {uint64(m), uint64(n) / 2}, {uint64(m) ^ 1, uint64(n)}} {
				if wrong[0] == uint64(m) && wrong[1] == uint64(n) {
					continue
				}
				if err := VerifyInclusion(wrong[0], wrong[1], leaves[m], proof, root); err == nil {
					t.Fatalf("leaf %d of %d verifies as leaf %d of %d", m, n, wrong[0], wrong[1])
				} else if !errors.Is(err, ErrProof) {
					t.Fatalf("failure does not wrap ErrProof: %v", err)
				}
			}
			if len(proof) > 0 && VerifyInclusion(uint64(m), uint64(n), leaves[m], proof[:len(proof)-1], root) == nil {
				t.Fatalf("leaf %d of %d verifies with a truncated proof", m, n)
			}
			if VerifyInclusion(uint64(m), uint64(n), leaves[m], append(append([]Hash(nil), proof...), root), root) == nil {
				t.Fatalf("leaf %d of %d verifies with trailing garbage", m, n)
			}
		}
	}
}

// Every consistency proof between sizes up to 64 verifies and fails after
// any bit flip in the proof or either root.
func TestConsistencyProofsProperty(t *testing.T) {
	all := syntheticLeaves(64)
	roots := make([]Hash, 65)
	for n := 0; n <= 64; n++ {
		roots[n] = Root(all[:n])
	}
	for n := 1; n <= 64; n++ {
		for m := 0; m <= n; m++ {
			proof, err := ConsistencyPath(uint64(m), all[:n])
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyConsistency(uint64(m), uint64(n), proof, roots[m], roots[n]); err != nil {
				t.Fatalf("%d → %d: %v", m, n, err)
			}
			if m == 0 {
				continue // the empty tree is consistent with everything
			}
			flips(n, proof, func(bad []Hash, where string) {
				if VerifyConsistency(uint64(m), uint64(n), bad, roots[m], roots[n]) == nil {
					t.Fatalf("%d → %d verifies with %s flipped", m, n, where)
				}
			})
			for bit := 0; bit < 256; bit += 5 {
				r1, r2 := roots[m], roots[n]
				r1[bit/8] ^= 1 << (bit % 8)
				r2[bit/8] ^= 1 << (bit % 8)
				if VerifyConsistency(uint64(m), uint64(n), proof, r1, roots[n]) == nil || VerifyConsistency(uint64(m), uint64(n), proof, roots[m], r2) == nil {
					t.Fatalf("%d → %d verifies with a flipped root", m, n)
				}
			}
			if m < n {
				if VerifyConsistency(uint64(m), uint64(n), proof[:len(proof)-1], roots[m], roots[n]) == nil {
					t.Fatalf("%d → %d verifies with a truncated proof", m, n)
				}
				// A log that rewrote entry m-1 is not consistent with the old head.
				forked := append([]Hash(nil), all[:n]...)
				forked[m-1] = LeafHash([]byte("rewritten"))
				fproof, _ := ConsistencyPath(uint64(m), forked)
				if VerifyConsistency(uint64(m), uint64(n), fproof, roots[m], Root(forked)) == nil {
					t.Fatalf("%d → %d: a rewritten log passes as consistent", m, n)
				}
			}
		}
	}
}
