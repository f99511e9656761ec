package check

import "testing"

// A failure message shows the values the assertion read, objects included,
// so a person sees which port was open without opening the resource.
func TestDescribeShowsValues(t *testing.T) {
	got := describe([]any{map[string]any{"from_port": int64(22), "ip_protocol": "tcp", "to_port": int64(22)}})
	want := `[{from_port: 22, ip_protocol: "tcp", to_port: 22}]`
	if got != want {
		t.Fatalf("describe = %s, want %s", got, want)
	}
}
