package host

import (
	"encoding/json"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/connectortest"
)

// TestThisMachine reads the machine the tests run on, for real: every type
// lists without error, everything follows the attribute convention, and
// facts that hold on any Linux machine hold.
func TestThisMachine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the host connector reads Linux machines")
	}
	reg := Registration()
	rt := connectortest.NewRuntime(time.Now())
	byType := map[string][]connector.Resource{}
	for _, typ := range reg.Resources {
		em, err := connectortest.List(t, reg, connector.Config{"run_commands": "true"}, rt, typ.Name)
		if err != nil {
			t.Fatalf("%s: %v", typ.Name, err)
		}
		for _, r := range em.Resources {
			if err := connector.CheckConvention(typ, r.Attributes); err != nil {
				t.Errorf("%s %s: %v", typ.Name, r.ExternalID, err)
			}
		}
		byType[typ.Name] = em.Resources
	}
	if testing.Verbose() {
		b, _ := json.MarshalIndent(byType, "", "  ")
		t.Logf("%s", b)
	}
	root := false
	for _, u := range byType["host.user"] {
		if u.ExternalID == "root" && u.Attributes["uid"] == 0 && u.Attributes["uid_zero"] == true {
			root = true
		}
	}
	if !root {
		t.Error("no root account with UID 0 was found")
	}
	m := byType["host.machine"]
	if len(m) != 1 || m[0].Attributes["collected_as_root"] != (os.Geteuid() == 0) {
		t.Fatalf("machine: %+v", m)
	}
	for _, single := range []string{"host.sshd", "host.password_policy", "host.firewall", "host.updates", "host.time_sync", "host.audit"} {
		if len(byType[single]) != 1 {
			t.Errorf("%s: %d resources, want 1", single, len(byType[single]))
		}
	}
	if len(rt.Calls()) < 10 {
		t.Errorf("only %d observations recorded", len(rt.Calls()))
	}
	for _, c := range rt.Calls() {
		if c.Observation.Path == "/etc/shadow" && json.Valid(c.Body) {
			t.Error("shadow recorded as JSON?")
		}
	}
}
