package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func TestMigrationsMatchAcrossDialects(t *testing.T) {
	lite, err := loadMigrations(SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := loadMigrations(Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d: every schema change needs both", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Name != pg[i].Name {
			t.Errorf("migration %d is %q on sqlite but %q on postgres", i+1, lite[i].Name, pg[i].Name)
		}
	}
}

func TestSchemaVersionChecks(t *testing.T) {
	ctx := context.Background()
	st, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, _ := st.SchemaVersion(ctx); v != 0 {
		t.Fatalf("fresh database at version %d", v)
	}
	var se *SchemaError
	if err := st.CheckSchema(ctx); !errors.As(err, &se) || se.Database != 0 {
		t.Fatalf("fresh database passes the check: %v", err)
	}
	applied, err := st.Migrate(ctx)
	if err != nil || len(applied) != st.LatestVersion() {
		t.Fatalf("applied %v: %v", applied, err)
	}
	if err := st.CheckSchema(ctx); err != nil {
		t.Fatal(err)
	}
	if again, err := st.Migrate(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second migrate applied %v: %v", again, err)
	}
	// A newer binary migrated this database further.
	if _, err := st.write.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')`); err != nil {
		t.Fatal(err)
	}
	err = st.CheckSchema(ctx)
	if !errors.As(err, &se) || se.Database != 999 {
		t.Fatalf("newer schema not refused: %v", err)
	}
	if _, err := st.Migrate(ctx); !errors.As(err, &se) {
		t.Fatalf("migrate on a newer schema: %v", err)
	}
}
