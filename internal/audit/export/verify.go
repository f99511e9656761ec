package export

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"

	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
)

// Fault is one thing wrong with a package, naming the file and, for the
// ledger, the entry.
type Fault struct {
	File    string `json:"file,omitempty"`
	Seq     int64  `json:"seq,omitempty"`
	Problem string `json:"problem"`
}

func (f Fault) String() string {
	s := f.Problem
	if f.Seq > 0 {
		s = fmt.Sprintf("entry %d: %s", f.Seq, s)
	}
	if f.File != "" {
		s = f.File + ": " + s
	}
	return s
}

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// TrustedKey is a public key obtained separately from the package (the
	// organization's, given when the audit started). When set, the
	// package's checkpoints must be signed with it; otherwise only the key
	// inside the package is used, which proves integrity but not origin.
	TrustedKey ed25519.PublicKey
}

// Report is what Verify found.
type Report struct {
	OK           bool            `json:"ok"`
	Format       string          `json:"format,omitempty"`
	Version      int             `json:"version,omitempty"`
	Organization *ManifestOrg    `json:"organization,omitempty"`
	Audit        *AuditInfo      `json:"audit,omitempty"`
	GeneratedAt  string          `json:"generated_at,omitempty"`
	KeyID        string          `json:"key_id,omitempty"`
	TrustedKey   bool            `json:"trusted_key"`
	Checkpoint   *CheckpointJSON `json:"checkpoint,omitempty"`
	ExportEntry  int64           `json:"export_entry,omitempty"`
	Files        int             `json:"files"`
	Entries      int             `json:"entries"`
	Consistency  int             `json:"consistency_proofs"`
	Faults       []Fault         `json:"faults"`
}

// Bounds on files read whole (the rest are streamed).
const (
	maxSmallFile = 1 << 20   // key, checkpoint
	maxManifest  = 512 << 20 // manifest.json
	maxLine      = 64 << 20  // one ledger line
)

// entryInfo is what the checks of the content files need from an entry.
type entryInfo struct {
	kind, subject string
	sha256        string // the payload's "sha256", if any
	manifest      string // an audit.exported entry's "manifest_sha256"
	audit         int64
	files         int64
}

type verifier struct {
	src     Source
	r       *Report
	present map[string]bool
}

func (v *verifier) fault(file string, seq int64, format string, args ...any) {
	v.r.Faults = append(v.r.Faults, Fault{File: file, Seq: seq, Problem: fmt.Sprintf(format, args...)})
}

// Verify checks a package offline: the public key and the signed
// checkpoint; every ledger entry's hash and its inclusion proof against the
// checkpoint; the manifest's hash against the audit.exported entry; every
// file's hash and size against the manifest, the hashes the ledger recorded
// for evidence and populations, no file missing and none added; and the
// consistency of earlier checkpoints. It reports every fault it finds, each
// naming the file (and the entry), instead of stopping at the first.
func Verify(src Source, opt VerifyOptions) Report {
	r := Report{Faults: []Fault{}}
	v := &verifier{src: src, r: &r, present: map[string]bool{}}
	r.Faults = append(r.Faults, src.Problems()...)
	for _, n := range src.Names() {
		v.present[n] = true
	}

	pkgKey := v.publicKey()
	key := pkgKey
	if opt.TrustedKey != nil {
		if pkgKey != nil && !pkgKey.Equal(opt.TrustedKey) {
			v.fault(PublicKeyName, 0, "the package carries key %s, not the trusted key %s: it was not signed by the installation you trust", ledger.KeyID(pkgKey)[:16], ledger.KeyID(opt.TrustedKey)[:16])
		} else {
			r.TrustedKey = true
		}
		key = opt.TrustedKey
	}
	if key != nil {
		r.KeyID = ledger.KeyID(key)
	}
	cp, root, cpOK := v.checkpoint(key)
	entries := v.entries(cp, root, cpOK)
	m, mOK := v.manifest(entries, cp, cpOK)
	if mOK {
		v.files(m, entries)
	}
	v.consistency(key, cp, root, cpOK)
	r.OK = len(r.Faults) == 0
	return r
}

// readSmall reads a whole file of at most max bytes.
func (v *verifier) readSmall(name string, max int64) ([]byte, bool) {
	if !v.present[name] {
		v.fault(name, 0, "missing: every package holds it")
		return nil, false
	}
	rc, err := v.src.Open(name)
	if err != nil {
		v.fault(name, 0, "cannot be read: %v", err)
		return nil, false
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		v.fault(name, 0, "cannot be read: %v", err)
		return nil, false
	}
	if int64(len(b)) > max {
		v.fault(name, 0, "is larger than %d bytes: not a file Assure writes", max)
		return nil, false
	}
	return b, true
}

func (v *verifier) publicKey() ed25519.PublicKey {
	b, ok := v.readSmall(PublicKeyName, maxSmallFile)
	if !ok {
		return nil
	}
	pub, err := ledger.ParsePublicKey(b)
	if err != nil {
		v.fault(PublicKeyName, 0, "is not an Ed25519 public key: %v", err)
		return nil
	}
	if string(b) != ledger.PublicKeyPEM(pub) {
		v.fault(PublicKeyName, 0, "is not byte for byte the PEM Assure writes (changed or reformatted)")
	}
	return pub
}

func (v *verifier) checkpoint(key ed25519.PublicKey) (model.LedgerCheckpoint, ledger.Hash, bool) {
	var root ledger.Hash
	b, ok := v.readSmall(CheckpointName, maxSmallFile)
	if !ok {
		return model.LedgerCheckpoint{}, root, false
	}
	cp, err := ledger.ParseSignedCheckpoint(b)
	if err != nil {
		v.fault(CheckpointName, 0, "is not a signed checkpoint: %v", err)
		return cp, root, false
	}
	v.r.Checkpoint = ptr(checkpointJSON(cp))
	if string(b) != ledger.FormatSignedCheckpoint(cp) {
		v.fault(CheckpointName, 0, "is not byte for byte the checkpoint Assure writes (changed or reformatted)")
	}
	if root, err = ledger.ParseHash(cp.RootHash); err != nil {
		v.fault(CheckpointName, 0, "its root is not a SHA-256 hash: %v", err)
		return cp, root, false
	}
	if key == nil {
		v.fault(CheckpointName, 0, "its signature cannot be checked: the package has no usable public key (give one with --key)")
		return cp, root, false
	}
	sigErr := ledger.CheckSignature(cp, key)
	if sigErr != nil {
		v.fault(CheckpointName, 0, "the signature does not verify: %v", sigErr)
	}
	if cp.KeyID != ledger.KeyID(key) {
		v.fault(CheckpointName, 0, "names key %s, not the key it is checked with (%s)", shortID(cp.KeyID), shortID(ledger.KeyID(key)))
		if sigErr != nil && !v.r.TrustedKey {
			// Either the key file or the checkpoint was changed: the
			// checkpoint names another key and does not verify with this one.
			v.fault(PublicKeyName, 0, "is key %s, but the checkpoint was signed by key %s: the key was changed or replaced", shortID(ledger.KeyID(key)), shortID(cp.KeyID))
		}
	}
	// A checkpoint that failed is still used to check the entries, so that
	// their own faults are reported too; the report is not OK either way.
	return cp, root, true
}

func shortID(s string) string {
	if len(s) > 16 {
		return s[:16]
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// lines calls fn with each line of a ledger file (without its line feed).
func (v *verifier) lines(name string, fn func(n int, line []byte)) {
	if !v.present[name] {
		v.fault(name, 0, "missing: every package holds it")
		return
	}
	rc, err := v.src.Open(name)
	if err != nil {
		v.fault(name, 0, "cannot be read: %v", err)
		return
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 1<<16)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if len(line) > 0 {
			if line[len(line)-1] != '\n' {
				v.fault(name, 0, "line %d does not end with a line feed (the file was cut or changed)", n)
				return
			}
			fn(n, line[:len(line)-1])
		}
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			v.fault(name, 0, "cannot be read after line %d: %v", n-1, err)
			return
		}
	}
}

// readLine reads one line of at most maxLine bytes, including its "\n".
func readLine(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		chunk, err := br.ReadSlice('\n')
		out = append(out, chunk...)
		if len(out) > maxLine {
			return nil, fmt.Errorf("a line is longer than %d bytes", maxLine)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return out, err
		}
	}
}

func (v *verifier) entries(cp model.LedgerCheckpoint, root ledger.Hash, cpOK bool) map[int64]entryInfo {
	out := map[int64]entryInfo{}
	v.lines(EntriesName, func(n int, line []byte) {
		var l EntryLine
		if err := decodeExact(line, &l); err != nil {
			v.fault(EntriesName, 0, "line %d: %v", n, err)
			return
		}
		v.r.Entries++
		if _, dup := out[l.Seq]; dup {
			v.fault(EntriesName, l.Seq, "appears twice")
			return
		}
		e, err := l.entry()
		if err != nil {
			v.fault(EntriesName, l.Seq, "%v", err)
			return
		}
		h, err := ledger.EntryHash(e)
		if err != nil {
			v.fault(EntriesName, l.Seq, "has been altered: %v", err)
			return
		}
		bad := false
		if got := hex.EncodeToString(h[:]); got != l.Hash {
			v.fault(EntriesName, l.Seq, "(%s, %s) has been altered: its content hashes to %s but it records %s", l.Kind, l.Subject, shortID(got), shortID(l.Hash))
			bad = true
		}
		var payload any
		if err := json.Unmarshal(l.Payload, &payload); err == nil {
			if c, err := ledger.Canonical(payload); err != nil || !bytes.Equal(c, l.Payload) {
				v.fault(EntriesName, l.Seq, "has been altered: its payload is not in the canonical form it was hashed in")
				bad = true
			}
		}
		if cpOK {
			switch {
			case l.OrgID != cp.OrgID:
				v.fault(EntriesName, l.Seq, "belongs to organization %d, the checkpoint to %d", l.OrgID, cp.OrgID)
				bad = true
			case l.TreeSize != cp.TreeSize || l.LeafIndex != l.Seq-1:
				v.fault(EntriesName, l.Seq, "its proof is for leaf %d of a tree of %d entries, not leaf %d of the checkpoint's %d", l.LeafIndex, l.TreeSize, l.Seq-1, cp.TreeSize)
				bad = true
			default:
				path, err := parseHashes(l.Path)
				if err == nil {
					err = ledger.VerifyInclusion(uint64(l.LeafIndex), uint64(l.TreeSize), h, path, root)
				}
				if err != nil {
					v.fault(EntriesName, l.Seq, "(%s, %s) is not proved to be in the signed checkpoint's tree: %v", l.Kind, l.Subject, err)
					bad = true
				}
			}
		}
		info := entryInfo{kind: l.Kind, subject: l.Subject}
		var p struct {
			SHA256   string `json:"sha256"`
			Manifest string `json:"manifest_sha256"`
			Audit    int64  `json:"audit"`
			Files    int64  `json:"files"`
		}
		_ = json.Unmarshal(l.Payload, &p)
		info.sha256, info.manifest, info.audit, info.files = p.SHA256, p.Manifest, p.Audit, p.Files
		if bad {
			info.manifest = "" // an altered export entry cannot vouch for a manifest
		}
		out[l.Seq] = info
	})
	return out
}

func (v *verifier) manifest(entries map[int64]entryInfo, cp model.LedgerCheckpoint, cpOK bool) (Manifest, bool) {
	var m Manifest
	b, ok := v.readSmall(ManifestName, maxManifest)
	if !ok {
		return m, false
	}
	sum := sha256.Sum256(b)
	got := hex.EncodeToString(sum[:])
	var exports []int64
	for seq, e := range entries {
		if e.kind == KindExported {
			exports = append(exports, seq)
		}
	}
	slices.Sort(exports)
	var seal entryInfo
	for _, seq := range exports {
		if entries[seq].manifest == got {
			seal, v.r.ExportEntry = entries[seq], seq
		}
	}
	if v.r.ExportEntry == 0 {
		if len(exports) == 0 {
			v.fault(ManifestName, 0, "no %s entry in %s records this manifest: the package cannot show that its manifest is the one Assure wrote", KindExported, EntriesName)
		} else {
			last := exports[len(exports)-1]
			v.fault(ManifestName, last, "has been changed: its SHA-256 is %s, but the export recorded in ledger entry %d is of a manifest with SHA-256 %s",
				shortID(got), last, shortID(entries[last].manifest))
		}
	}
	if err := json.Unmarshal(b, &m); err != nil {
		v.fault(ManifestName, 0, "is not valid JSON: %v", err)
		return m, false
	}
	if m.Format != PackageFormat || m.Version != PackageVersion {
		v.fault(ManifestName, 0, "is format %q version %d; this Assure reads %s version %d", m.Format, m.Version, PackageFormat, PackageVersion)
		return m, false
	}
	v.r.Format, v.r.Version, v.r.GeneratedAt = m.Format, m.Version, m.GeneratedAt
	v.r.Organization, v.r.Audit = &m.Organization, &m.Audit
	if v.r.ExportEntry != 0 {
		if seal.audit != m.Audit.ID || seal.files != int64(len(m.Files)) || seal.subject != fmt.Sprintf("audit:%d", m.Audit.ID) {
			v.fault(ManifestName, v.r.ExportEntry, "the export entry records audit %d with %d files (%s), the manifest audit %d with %d files", seal.audit, seal.files, seal.subject, m.Audit.ID, len(m.Files))
		}
	}
	if cpOK && m.Organization.ID != cp.OrgID {
		v.fault(ManifestName, 0, "is for organization %d, the checkpoint for organization %d", m.Organization.ID, cp.OrgID)
	}
	if cpOK && m.Installation != "" && m.Installation != cp.InstallationID {
		v.fault(ManifestName, 0, "names installation %s, the checkpoint %s", m.Installation, cp.InstallationID)
	}
	return m, true
}

// hashFile streams a file through SHA-256.
func (v *verifier) hashFile(name string) (string, int64, error) {
	rc, err := v.src.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func (v *verifier) files(m Manifest, entries map[int64]entryInfo) {
	listed := map[string]bool{ManifestName: true}
	for _, n := range ledgerFiles {
		listed[n] = true
	}
	for _, f := range m.Files {
		if err := checkPath(f.Path); err != nil || listed[f.Path] {
			v.fault(ManifestName, 0, "lists %q, which is not a content file name Assure writes", f.Path)
			continue
		}
		listed[f.Path] = true
		if !v.present[f.Path] {
			v.fault(f.Path, 0, "missing: the manifest lists it (SHA-256 %s) but the package does not hold it", shortID(f.SHA256))
			continue
		}
		sha, size, err := v.hashFile(f.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			v.fault(f.Path, 0, "missing: the manifest lists it but the package does not hold it")
			continue
		case err != nil:
			v.fault(f.Path, 0, "cannot be read (the file is damaged): %v", err)
			continue
		case sha != f.SHA256:
			v.fault(f.Path, 0, "has been changed: its SHA-256 is %s, the manifest says %s", shortID(sha), shortID(f.SHA256))
		case size != f.Size:
			v.fault(f.Path, 0, "has %d bytes, the manifest says %d", size, f.Size)
		}
		v.r.Files++
		if f.Kind == FileObservation && f.Path != "observations/"+f.SHA256 {
			v.fault(f.Path, 0, "a raw response must be named by its SHA-256 %s", shortID(f.SHA256))
		}
		if f.LedgerSeq > 0 {
			e, ok := entries[f.LedgerSeq]
			switch {
			case !ok:
				v.fault(f.Path, f.LedgerSeq, "the ledger entry that recorded this content is not in %s", EntriesName)
			case e.sha256 != "" && e.sha256 != f.SHA256:
				v.fault(f.Path, f.LedgerSeq, "the ledger recorded SHA-256 %s for this content, the manifest says %s", shortID(e.sha256), shortID(f.SHA256))
			}
		}
	}
	for _, n := range m.NotIncluded {
		if e, ok := entries[n.LedgerSeq]; !ok || (e.sha256 != "" && e.sha256 != n.SHA256) {
			v.fault(ManifestName, n.LedgerSeq, "evidence %d version %d is listed as not included, but its ledger entry is missing or records another hash", n.Item, n.Version)
		}
	}
	for _, n := range v.src.Names() {
		if !listed[n] {
			v.fault(n, 0, "not listed in the manifest: it was added to the package")
		}
	}
}

func (v *verifier) consistency(key ed25519.PublicKey, cp model.LedgerCheckpoint, root ledger.Hash, cpOK bool) {
	v.lines(ConsistencyName, func(n int, line []byte) {
		var l ConsistencyLine
		if err := decodeExact(line, &l); err != nil {
			v.fault(ConsistencyName, 0, "line %d: %v", n, err)
			return
		}
		v.r.Consistency++
		old, err := l.Checkpoint.model()
		if err != nil {
			v.fault(ConsistencyName, 0, "line %d: %v", n, err)
			return
		}
		what := fmt.Sprintf("the earlier checkpoint at size %d (signed %s)", old.TreeSize, l.Checkpoint.Time)
		if key != nil && old.KeyID != ledger.KeyID(key) {
			v.fault(ConsistencyName, 0, "%s names key %s, not the key it is checked with (%s)", what, shortID(old.KeyID), shortID(ledger.KeyID(key)))
		}
		if key != nil {
			if err := ledger.CheckSignature(old, key); err != nil {
				v.fault(ConsistencyName, 0, "%s: the signature does not verify: %v", what, err)
			}
		}
		if !cpOK {
			return
		}
		if old.OrgID != cp.OrgID || old.InstallationID != cp.InstallationID {
			v.fault(ConsistencyName, 0, "%s is of another organization or installation", what)
			return
		}
		oldRoot, err := ledger.ParseHash(old.RootHash)
		var path []ledger.Hash
		if err == nil {
			path, err = parseHashes(l.Path)
		}
		if err == nil {
			err = ledger.VerifyConsistency(uint64(old.TreeSize), uint64(cp.TreeSize), path, oldRoot, root)
		}
		if err != nil {
			v.fault(ConsistencyName, 0, "%s is not proved to be a prefix of the package's checkpoint: %v", what, err)
		}
	})
}
