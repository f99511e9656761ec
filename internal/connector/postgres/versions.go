package postgres

// endOfLives are the dates the PostgreSQL community stops releasing fixes
// for each major version ("final release"), from its versioning policy:
// five years after the major release. Extend it with each new major.
var endOfLives = map[int64]string{
	10: "2022-11-10",
	11: "2023-11-09",
	12: "2024-11-21",
	13: "2025-11-13",
	14: "2026-11-12",
	15: "2027-11-11",
	16: "2028-11-09",
	17: "2029-11-08",
	18: "2030-11-14",
}

const newestKnownMajor = 18

// endOfLife returns the end-of-life date of a major version.
func endOfLife(major int64) (string, bool) {
	d, ok := endOfLives[major]
	return d, ok
}
