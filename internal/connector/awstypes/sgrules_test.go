package awstypes

import (
	"reflect"
	"testing"
)

// Rules are kept once and sorted; world_open_ports lists each world-open
// protocol and port range once, from IPv4 or IPv6 sources, and nothing else.
func TestSGRules(t *testing.T) {
	var s SGRules
	ssh := SGRule{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR4: "0.0.0.0/0"}
	s.Add(SGRule{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDR6: "::/0"})
	s.Add(ssh)
	s.Add(ssh) // the same rule again, from another resource
	s.Add(SGRule{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR4: "10.0.0.0/8"})
	s.Add(SGRule{Protocol: "tcp", FromPort: 5432, ToPort: 5432, Group: "sg-1"})
	rules := s.Sorted()
	if len(rules) != 4 || rules[0].FromPort != 22 || rules[3].FromPort != 5432 {
		t.Fatalf("sorted rules: %+v", rules)
	}
	want := []any{
		map[string]any{"ip_protocol": "tcp", "from_port": int64(22), "to_port": int64(22)},
		map[string]any{"ip_protocol": "tcp", "from_port": int64(443), "to_port": int64(443)},
	}
	if got := WorldOpenPorts(rules); !reflect.DeepEqual(got, want) {
		t.Fatalf("world_open_ports = %v, want %v", got, want)
	}
	if objs := SGRuleObjects(rules); len(objs) != 4 || objs[0].(map[string]any)["cidr_ipv4"] != "0.0.0.0/0" {
		t.Fatalf("objects: %v", objs)
	}
}
