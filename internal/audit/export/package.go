package export

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
)

// BlobOpener opens stored content by its SHA-256 (the blob store).
type BlobOpener interface {
	Open(ctx context.Context, sha256hex string) (io.ReadCloser, error)
}

// SealRequest is what the package asks the ledger to record and prove.
type SealRequest struct {
	Audit          int64
	ManifestSHA256 string
	Files          int
	Bytes          int64
	// Seqs are the entries the package relies on (evidence versions,
	// populations, the audit's own record), each proved by inclusion.
	Seqs []int64
}

// Seal is the ledger's answer: the audit.exported entry, a checkpoint
// signed after it, the tree to prove entries in, and earlier checkpoints
// (the period's start and end) to prove consistency with.
type Seal struct {
	Export     model.LedgerEntry
	Checkpoint model.LedgerCheckpoint
	Tree       *ledger.Tree
	Earlier    []model.LedgerCheckpoint
	PublicKey  ed25519.PublicKey
	// Each calls fn with every requested entry and the export entry, in
	// ledger order, streaming them from the store.
	Each func(ctx context.Context, fn func(model.LedgerEntry) error) error
}

// Sealer records a package in the ledger and proves its entries.
type Sealer interface {
	Seal(ctx context.Context, req SealRequest) (Seal, error)
}

// PackageOptions tune a package.
type PackageOptions struct {
	// WithoutResponses leaves out the raw API responses behind automated
	// evidence (their hashes stay in each run's manifest).
	WithoutResponses bool
	Limits           Limits
	// Installation is the installation id (checkpoints name it).
	Installation string
}

// PackageResult says what a package holds.
type PackageResult struct {
	ManifestSHA256 string                 `json:"manifest_sha256"`
	Files          int                    `json:"files"`
	Bytes          int64                  `json:"bytes"`
	Entries        int                    `json:"entries"`
	ExportEntry    int64                  `json:"export_entry"`
	Checkpoint     model.LedgerCheckpoint `json:"checkpoint"`
	NotIncluded    int                    `json:"not_included"`
}

// maxRunManifest bounds how much of an automated evidence manifest is read
// into memory to find its raw responses.
const maxRunManifest = 64 << 20

// WritePackage writes the evidence package of d to w as a ZIP, streaming
// every file; then records its manifest's hash in the ledger through
// sealer and writes the proofs. Nothing is sealed if a file cannot be
// packaged.
func WritePackage(ctx context.Context, w io.Writer, d Data, blobs BlobOpener, sealer Sealer, opt PackageOptions) (PackageResult, error) {
	var res PackageResult
	if opt.Limits == (Limits{}) {
		opt.Limits = DefaultLimits
	}
	z := newZipWriter(w, d.GeneratedAt, opt.Limits)
	m := Manifest{Format: PackageFormat, Version: PackageVersion, GeneratedAt: d.GeneratedAt.UTC().Format(ledger.TimeLayout),
		Generator: d.Generator, Installation: opt.Installation, Organization: ManifestOrg{ID: d.Org.ID, Slug: d.Org.Slug, Name: d.Org.Name},
		Audit: d.Audit, NotIncluded: []NotIncluded{},
		Ledger: ManifestLedger{Entries: EntriesName, Checkpoint: CheckpointName, PublicKey: PublicKeyName, Consistency: ConsistencyName}}
	seqs := map[int64]bool{}
	for _, s := range d.Entries {
		seqs[s] = true
	}

	// Generated documents.
	var buf bytes.Buffer
	if err := writeReadme(&buf, d); err != nil {
		return res, err
	}
	if err := z.addBytes(ManifestFile{Path: "README.txt", Kind: FileReadme, MediaType: "text/plain"}, buf.Bytes()); err != nil {
		return res, err
	}
	for _, g := range []struct {
		path, kind, media string
		write             func(io.Writer, Data) error
	}{
		{"control-matrix.csv", FileControlMatrix, "text/csv", WriteMatrixCSV},
		{"control-matrix.xlsx", FileControlMatrix, mediaXLSX, WriteMatrixXLSX},
		{"report-draft.html", FileReportDraft, "text/html", WriteReportHTML},
	} {
		buf.Reset()
		if err := g.write(&buf, d); err != nil {
			return res, err
		}
		if err := z.addBytes(ManifestFile{Path: g.path, Kind: g.kind, MediaType: g.media}, buf.Bytes()); err != nil {
			return res, err
		}
	}

	// Evidence, by control.
	observations := map[string]bool{}
	var obsOrder []string
	excluded := map[string]bool{}
	for _, c := range d.Controls {
		for _, e := range c.Evidence {
			if e.LedgerSeq > 0 {
				seqs[e.LedgerSeq] = true
			}
			if e.Deleted != "" {
				if !excluded[e.Ref()] {
					excluded[e.Ref()] = true
					m.NotIncluded = append(m.NotIncluded, NotIncluded{Item: e.Item, Version: e.Version, Title: e.Title, SHA256: e.SHA256, LedgerSeq: e.LedgerSeq, Reason: e.Deleted})
				}
				continue
			}
			f := ManifestFile{Path: "evidence/" + c.Key + "/" + e.Ref() + extensionFor(e.MediaType), SHA256: e.SHA256, Size: e.Size,
				Kind: FileEvidence, MediaType: e.MediaType, Control: c.Key, LedgerSeq: e.LedgerSeq,
				Evidence: &EvidenceMeta{Item: e.Item, Version: e.Version, Kind: string(e.Kind), Title: e.Title, Controls: e.Controls,
					OriginalName: e.OriginalName, URL: e.URL, EffectiveFrom: e.EffectiveFrom, EffectiveTo: e.EffectiveTo, ExpiresOn: e.ExpiresOn}}
			if e.Kind == model.EvidenceAutomated && !opt.WithoutResponses {
				shas, err := addRunManifest(ctx, z, blobs, f)
				if err != nil {
					return res, err
				}
				for _, s := range shas {
					if !observations[s] {
						observations[s] = true
						obsOrder = append(obsOrder, s)
					}
				}
				continue
			}
			if err := addBlob(ctx, z, blobs, f); err != nil {
				return res, err
			}
		}
	}
	for _, s := range obsOrder {
		f := ManifestFile{Path: "observations/" + s, SHA256: s, Kind: FileObservation, MediaType: "application/octet-stream"}
		if err := addBlob(ctx, z, blobs, f); err != nil {
			return res, err
		}
	}

	// Populations and samples.
	for _, p := range d.Populations {
		if p.LedgerSeq > 0 {
			seqs[p.LedgerSeq] = true
		}
		f := ManifestFile{Path: "populations/P" + strconv.FormatInt(p.ID, 10) + extensionFor(p.MediaType), SHA256: p.SHA256, Size: p.Size,
			Kind: FilePopulation, MediaType: p.MediaType, LedgerSeq: p.LedgerSeq,
			Population: &PopulationMeta{ID: p.ID, Name: p.Name, Source: p.Source, Query: p.Query,
				ProducedAt: p.ProducedAt.UTC().Format(ledger.TimeLayout), Count: p.Count}}
		if err := addBlob(ctx, z, blobs, f); err != nil {
			return res, err
		}
	}
	for _, s := range d.Samples {
		buf.Reset()
		if err := writeSampleCSV(&buf, s); err != nil {
			return res, err
		}
		f := ManifestFile{Path: "samples/S" + strconv.FormatInt(s.ID, 10) + "-" + s.Control + ".csv", Kind: FileSample, MediaType: "text/csv", Control: s.Control,
			Sample: &SampleMeta{ID: s.ID, Population: s.Population, Seed: s.Seed, Size: len(s.Items), Exceptions: s.Exceptions()}}
		if err := z.addBytes(f, buf.Bytes()); err != nil {
			return res, err
		}
	}
	if len(seqs) > opt.Limits.Entries {
		return res, fmt.Errorf("%w: it would prove more than %d ledger entries", ErrTooLarge, opt.Limits.Entries)
	}

	// The manifest, then the seal that binds its hash into the ledger.
	m.Files = z.files
	mb, err := encodeManifest(m)
	if err != nil {
		return res, err
	}
	sum := sha256.Sum256(mb)
	res.ManifestSHA256 = hex.EncodeToString(sum[:])
	req := SealRequest{Audit: d.Audit.ID, ManifestSHA256: res.ManifestSHA256, Files: len(z.files), Bytes: z.bytes}
	for s := range seqs {
		req.Seqs = append(req.Seqs, s)
	}
	slices.Sort(req.Seqs)
	seal, err := sealer.Seal(ctx, req)
	if err != nil {
		return res, err
	}
	if err := z.addRaw(ManifestName, mb); err != nil {
		return res, err
	}
	if err := writeLedgerFiles(ctx, z, seal, &res); err != nil {
		return res, err
	}
	res.Files, res.Bytes, res.ExportEntry, res.Checkpoint, res.NotIncluded = len(z.files), z.bytes, seal.Export.Seq, seal.Checkpoint, len(m.NotIncluded)
	return res, z.close()
}

func openBlob(ctx context.Context, blobs BlobOpener, f ManifestFile) (io.ReadCloser, error) {
	rc, err := blobs.Open(ctx, f.SHA256)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, fmt.Errorf("cannot package %s: its content (blob %s) is missing from the blob store: run `assure ledger verify`", f.Path, f.SHA256)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot package %s: %w", f.Path, err)
	}
	return rc, nil
}

func addBlob(ctx context.Context, z *zipWriter, blobs BlobOpener, f ManifestFile) error {
	rc, err := openBlob(ctx, blobs, f)
	if err != nil {
		return err
	}
	defer rc.Close()
	return z.add(f, rc)
}

// runManifest is the part of an automated evidence manifest the package
// needs: the raw responses' hashes.
type runManifest struct {
	Observations []struct {
		SHA256 string `json:"sha256"`
	} `json:"observations"`
}

// addRunManifest packages an automated evidence version (a run's manifest)
// and returns the hashes of the raw responses it lists.
func addRunManifest(ctx context.Context, z *zipWriter, blobs BlobOpener, f ManifestFile) ([]string, error) {
	rc, err := openBlob(ctx, blobs, f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxRunManifest+1))
	if err != nil {
		return nil, fmt.Errorf("cannot package %s: %w", f.Path, err)
	}
	if len(b) > maxRunManifest {
		return nil, fmt.Errorf("%w: the run manifest %s is larger than %d bytes", ErrTooLarge, f.Path, maxRunManifest)
	}
	if err := z.add(f, bytes.NewReader(b)); err != nil {
		return nil, err
	}
	var rm runManifest
	if err := json.Unmarshal(b, &rm); err != nil {
		return nil, fmt.Errorf("cannot read the run manifest %s: %w", f.Path, err)
	}
	var out []string
	for _, o := range rm.Observations {
		if blob.ValidDigest(o.SHA256) {
			out = append(out, o.SHA256)
		}
	}
	return out, nil
}

// writeLedgerFiles writes the entries with their proofs, the checkpoint,
// the public key and the consistency proofs.
func writeLedgerFiles(ctx context.Context, z *zipWriter, s Seal, res *PackageResult) error {
	root := s.Tree.Root()
	if s.Tree.Size() != uint64(s.Checkpoint.TreeSize) || hex.EncodeToString(root[:]) != s.Checkpoint.RootHash {
		return fmt.Errorf("cannot seal the package: the ledger no longer matches its checkpoint at size %d: run `assure ledger verify`", s.Checkpoint.TreeSize)
	}
	// The entries are streamed from the store straight into the package.
	entries, err := z.rawWriter(EntriesName)
	if err != nil {
		return err
	}
	found := false
	err = s.Each(ctx, func(e model.LedgerEntry) error {
		l, err := entryLine(e, s.Tree)
		if err != nil {
			return err
		}
		b, err := jsonLine(l)
		if err != nil {
			return err
		}
		if _, err := entries.Write(b); err != nil {
			return err
		}
		res.Entries++
		found = found || e.Seq == s.Export.Seq
		return nil
	})
	if err != nil {
		return fmt.Errorf("cannot prove the package's ledger entries: %w", err)
	}
	if !found {
		return fmt.Errorf("cannot seal the package: the export entry %d was not proved", s.Export.Seq)
	}
	if err := z.addRaw(CheckpointName, []byte(ledger.FormatSignedCheckpoint(s.Checkpoint))); err != nil {
		return err
	}
	if err := z.addRaw(PublicKeyName, []byte(ledger.PublicKeyPEM(s.PublicKey))); err != nil {
		return err
	}
	var cons bytes.Buffer
	for _, ec := range s.Earlier {
		path, err := s.Tree.ConsistencyPath(uint64(ec.TreeSize))
		if err != nil {
			return err
		}
		b, err := jsonLine(ConsistencyLine{Checkpoint: checkpointJSON(ec), Path: hexAll(path)})
		if err != nil {
			return err
		}
		cons.Write(b)
	}
	return z.addRaw(ConsistencyName, cons.Bytes())
}

// writeSampleCSV writes one sample: a row per selected item.
func writeSampleCSV(w io.Writer, s Sample) error {
	cw := csv.NewWriter(w)
	rows := [][]string{{"sample", "control", "population", "seed", "drawn_at", "item", "date", "title", "result", "note"}}
	for _, it := range s.Items {
		rows = append(rows, cells(strconv.FormatInt(s.ID, 10), s.Control, strconv.FormatInt(s.Population, 10), s.Seed,
			s.DrawnAt.UTC().Format("2006-01-02T15:04:05Z"), it.Ref, it.Date, it.Title, it.Result, it.Note))
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("cannot write the sample: %w", err)
	}
	return nil
}

// mediaExtensions gives generated names their extension; the original name
// is never used.
var mediaExtensions = map[string]string{
	"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
	"text/plain": ".txt", "text/csv": ".csv", "application/json": ".json", "application/x-ndjson": ".jsonl",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
	mediaXLSX: ".xlsx",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
	"application/vnd.oasis.opendocument.text":                                   ".odt",
	"application/vnd.oasis.opendocument.spreadsheet":                            ".ods",
	"application/vnd.oasis.opendocument.presentation":                           ".odp",
	"application/zip": ".zip", "text/uri-list": ".uri",
}

func extensionFor(mediaType string) string {
	mt, _, _ := bytes.Cut([]byte(mediaType), []byte(";"))
	if ext, ok := mediaExtensions[string(bytes.TrimSpace(mt))]; ok {
		return ext
	}
	return ".bin"
}
