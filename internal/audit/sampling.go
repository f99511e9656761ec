package audit

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"sort"
	"strconv"
	"time"

	"github.com/assurehq/assure/internal/model"
)

// Candidate is one item of the population a sample is drawn from.
type Candidate struct {
	Key        string
	Label      string
	At         time.Time
	To         *time.Time
	ResourceID int64
}

// SortPopulation puts a population in the order sampling numbers it: by
// time, then by key. Index i of the sorted slice is "population index" i.
func SortPopulation(items []Candidate) {
	sort.SliceStable(items, func(i, j int) bool {
		if !items[i].At.Equal(items[j].At) {
			return items[i].At.Before(items[j].At)
		}
		return items[i].Key < items[j].Key
	})
}

// Draw selects n items of the ordered population with the seed. It is the
// algorithm docs/audits.md spells out so that anyone can repeat it:
//
//  1. N is the population size. If n ≥ N every item is taken, in order.
//  2. Otherwise the population (ordered by time, then key) is cut into n
//     strata of consecutive items: stratum j (0 ≤ j < n) holds the indices
//     from ⌊j·N/n⌋ up to but excluding ⌊(j+1)·N/n⌋. Each stratum is a
//     slice of the period, so the sample is spread across it.
//  3. From stratum j, of size m, the item at offset r mod m is taken, where
//     r is the first 8 bytes, read as a big-endian unsigned integer, of
//     SHA-256 of the ASCII text "<seed>:<j>" (for example "42:0").
//
// The same seed over the same population gives the same items; another
// seed gives (almost always) others.
func Draw(pop []Candidate, n int, seed int64) []model.SampleItem {
	N := len(pop)
	if n > N {
		n = N
	}
	out := make([]model.SampleItem, 0, n)
	for j := 0; j < n; j++ {
		lo, hi := j*N/n, (j+1)*N/n
		idx := lo
		if n < N {
			idx = lo + int(Pick(seed, j)%uint64(hi-lo))
		}
		c := pop[idx]
		out = append(out, model.SampleItem{Position: j + 1, PopulationIndex: idx, Stratum: j, Key: c.Key, Label: c.Label,
			At: c.At, To: c.To, Result: model.ResultPending, ResourceID: c.ResourceID})
	}
	return out
}

// Pick is the random number of stratum j: the first 8 bytes of
// SHA-256("<seed>:<j>") as a big-endian unsigned integer.
func Pick(seed int64, j int) uint64 {
	sum := sha256.Sum256([]byte(strconv.FormatInt(seed, 10) + ":" + strconv.Itoa(j)))
	return binary.BigEndian.Uint64(sum[:8])
}

// NewSeed returns a random seed in [1, 2^53), so that it survives any JSON
// reader exactly.
func NewSeed() int64 {
	n, err := rand.Int(rand.Reader, big.NewInt(1<<53-1))
	if err != nil {
		panic("cannot read random bytes: " + err.Error())
	}
	return n.Int64() + 1
}
