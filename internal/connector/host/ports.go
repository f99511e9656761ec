package host

import (
	"context"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/assurehq/assure/internal/connector"
)

func portType() connector.ResourceType {
	return connector.ResourceType{
		Name:        "host.listening_port",
		Description: "Each TCP socket listening and each UDP socket bound for incoming traffic (/proc/net/tcp, tcp6, udp, udp6), with the program that owns it.",
		Fields: []connector.Field{
			{Name: "protocol", Type: "string", Description: "tcp or udp."},
			{Name: "family", Type: "string", Description: "ipv4 or ipv6."},
			{Name: "address", Type: "string", Description: "Local address (0.0.0.0 or :: means every interface)."},
			{Name: "port", Type: "int", Description: "Local port."},
			{Name: "exposed", Type: "bool", Description: "Reachable from other machines: the address is not a loopback address."},
			{Name: "process", Type: "string", Description: "Name of the program that owns the socket."},
		},
		List: connector.As(listPorts),
	}
}

type socket struct {
	proto, family, addr string
	port                int
	inode               string
}

func listPorts(ctx context.Context, c *conn, out connector.Emitter) error {
	var socks []socket
	srcs := map[string]string{}
	read := 0
	var lastErr error
	for _, t := range []struct{ file, proto, family string }{
		{"/proc/net/tcp", "tcp", "ipv4"}, {"/proc/net/tcp6", "tcp", "ipv6"},
		{"/proc/net/udp", "udp", "ipv4"}, {"/proc/net/udp6", "udp", "ipv6"},
	} {
		b, src, err := c.read(ctx, t.file)
		if err != nil {
			lastErr = err
			continue // IPv6 may be disabled
		}
		read++
		for _, s := range parseProcNet(string(b), t.proto, t.family) {
			srcs[s.inode] = src
			socks = append(socks, s)
		}
	}
	if read == 0 {
		return fmt.Errorf("cannot read the socket tables: %s", c.explain(lastErr, "/proc/net/tcp"))
	}
	owners, ownersSrc := c.socketOwners(ctx, socks)
	seen := map[string]bool{}
	sort.Slice(socks, func(i, j int) bool { return socks[i].key() < socks[j].key() })
	for _, s := range socks {
		if seen[s.key()] {
			continue // one port bound by several sockets (SO_REUSEPORT): one resource
		}
		seen[s.key()] = true
		src := srcs[s.inode]
		f := connector.NewFacts()
		f.Set("protocol", s.proto, src).Set("family", s.family, src).Set("address", s.addr, src).Set("port", s.port, src)
		ip := net.ParseIP(s.addr)
		f.Set("exposed", ip == nil || !ip.IsLoopback(), src)
		if p, ok := owners[s.inode]; ok {
			f.Set("process", p, ownersSrc)
		} else if c.uid != 0 {
			f.Unknown("process", fmt.Sprintf("the owning program is not visible: Assure runs as uid %d and sees only its own processes; run it as root", c.uid))
		} else {
			f.Unknown("process", "no process holds the socket (it may belong to the kernel or another network namespace)")
		}
		if err := out.Emit(ctx, connector.Resource{ExternalID: s.key(), Name: s.key(), Attributes: f.Attributes()}); err != nil {
			return err
		}
	}
	return nil
}

func (s socket) key() string {
	return s.proto + "/" + net.JoinHostPort(s.addr, strconv.Itoa(s.port))
}

// parseProcNet reads /proc/net/{tcp,udp}[6]: TCP sockets in LISTEN (0A),
// UDP sockets unconnected (07) with no remote address.
func parseProcNet(s, proto, family string) []socket {
	var out []socket
	for i, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 10 {
			continue
		}
		state := f[3]
		if proto == "tcp" && state != "0A" {
			continue
		}
		if proto == "udp" && (state != "07" || !strings.HasSuffix(f[2], ":0000")) {
			continue
		}
		addr, port, ok := parseHexAddr(f[1])
		if !ok {
			continue
		}
		out = append(out, socket{proto: proto, family: family, addr: addr, port: port, inode: f[9]})
	}
	return out
}

// parseHexAddr decodes "0100007F:0016" (IPv4) or the 32-digit IPv6 form:
// the address is stored as 32-bit words in host (little-endian) order.
func parseHexAddr(s string) (string, int, bool) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return "", 0, false
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return "", 0, false
	}
	raw, err := hex.DecodeString(a)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return "", 0, false
	}
	ip := make(net.IP, len(raw))
	for w := 0; w < len(raw); w += 4 {
		ip[w], ip[w+1], ip[w+2], ip[w+3] = raw[w+3], raw[w+2], raw[w+1], raw[w]
	}
	return ip.String(), int(port), true
}

// socketOwners maps socket inodes to the program holding them, by reading
// the /proc/<pid>/fd links; it records the mapping it found for the
// listening sockets as one observation.
func (c *conn) socketOwners(ctx context.Context, socks []socket) (map[string]string, string) {
	want := map[string]bool{}
	for _, s := range socks {
		want[s.inode] = true
	}
	owners := map[string]string{}
	pids, err := fs.ReadDir(c.fsys, "proc")
	if err != nil {
		return owners, ""
	}
	var lines []string
	for _, d := range pids {
		if !isPID(d.Name()) {
			continue
		}
		fds, err := fs.ReadDir(c.fsys, "proc/"+d.Name()+"/fd")
		if err != nil {
			continue
		}
		var comm string
		for _, fd := range fds {
			target, err := fs.ReadLink(c.fsys, "proc/"+d.Name()+"/fd/"+fd.Name())
			if err != nil || !strings.HasPrefix(target, "socket:[") {
				continue
			}
			inode := strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")
			if !want[inode] || owners[inode] != "" {
				continue
			}
			if comm == "" {
				b, _ := fs.ReadFile(c.fsys, "proc/"+d.Name()+"/comm")
				comm = strings.TrimSpace(string(b))
			}
			if comm != "" {
				owners[inode] = comm
				lines = append(lines, fmt.Sprintf("socket %s: %s", inode, comm))
			}
		}
	}
	sort.Strings(lines)
	start := c.rt.Now()
	_, _ = c.rt.Record(ctx, connector.Observation{Method: "READ", Host: "localhost", Path: "/proc/*/fd", StartedAt: start,
		ContentType: "text/plain; charset=utf-8"}, []byte(strings.Join(lines, "\n")+"\n"))
	return owners, "socket owners from /proc/*/fd"
}
