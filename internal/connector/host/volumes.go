package host

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/assurehq/assure/internal/connector"
)

func volumeType() connector.ResourceType {
	return connector.ResourceType{
		Name:        "host.volume",
		Description: "Each mounted file system on a block device, and whether the device is encrypted (LUKS or another dm-crypt mapping, directly or under LVM).",
		Fields: []connector.Field{
			{Name: "mount_point", Type: "string", Description: "Where the file system is mounted."},
			{Name: "device", Type: "string", Description: "The block device as mounted (/dev/mapper/root, /dev/sda1)."},
			{Name: "fs_type", Type: "string", Description: "File system type."},
			{Name: "encrypted", Type: "bool", Description: "The device is, or sits on, a dm-crypt mapping."},
			{Name: "encryption", Type: "string", Description: "luks1, luks2, plain, bitlk, tcrypt, or none."},
		},
		List: connector.As(listVolumes),
	}
}

// Pseudo or read-only image file systems on block devices that hold no data
// of their own.
var skipFS = map[string]bool{"squashfs": true, "iso9660": true, "overlay": true}

func listVolumes(ctx context.Context, c *conn, out connector.Emitter) error {
	b, src, err := c.read(ctx, "/proc/mounts")
	if err != nil {
		return fmt.Errorf("cannot list mounted file systems: %s", c.explain(err, "/proc/mounts"))
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || !strings.HasPrefix(f[0], "/dev/") || skipFS[f[2]] || strings.HasPrefix(f[0], "/dev/loop") {
			continue
		}
		dev, mnt, typ := f[0], unescapeMount(f[1]), f[2]
		if seen[mnt] {
			continue
		}
		seen[mnt] = true
		rctx, calls := connector.Track(ctx)
		facts := connector.NewFacts()
		facts.Set("mount_point", mnt, src).Set("device", dev, src).Set("fs_type", typ, src)
		name, reason := c.blockName(dev)
		if name == "" {
			facts.Unknown("encrypted", reason).Unknown("encryption", reason)
		} else {
			kind, how, err := c.cryptKind(rctx, name, 0)
			if err != nil {
				facts.Unknown("encrypted", err.Error()).Unknown("encryption", err.Error())
			} else {
				facts.Set("encrypted", kind != "none", how).Set("encryption", kind, how)
			}
		}
		if err := out.Emit(ctx, connector.Resource{ExternalID: mnt, Name: mnt + " (" + dev + ")", Attributes: facts.Attributes(), Calls: calls.Refs()}); err != nil {
			return err
		}
	}
	return nil
}

// unescapeMount decodes the octal escapes /proc/mounts uses for spaces.
func unescapeMount(s string) string {
	return strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`).Replace(s)
}

// blockName finds the kernel name (dm-2, sda1) of a device path.
func (c *conn) blockName(dev string) (string, string) {
	p := dev
	for i := 0; i < 8; i++ { // follow /dev/disk/by-uuid/… and /dev/mapper/… links
		target, err := fs.ReadLink(c.fsys, rel(p))
		if err != nil {
			break
		}
		if !strings.HasPrefix(target, "/") {
			target = path.Join(path.Dir(p), target)
		}
		p = target
	}
	base := path.Base(p)
	if strings.HasPrefix(p, "/dev/mapper/") {
		// Not a link (a fixture, or a static /dev): match the mapping's name.
		for _, dm := range c.glob("/sys/class/block/dm-*/dm/name") {
			if b, err := fs.ReadFile(c.fsys, rel(dm)); err == nil && strings.TrimSpace(string(b)) == base {
				return path.Base(path.Dir(path.Dir(dm))), ""
			}
		}
		return "", "no device-mapper device is named " + base + " in /sys/class/block"
	}
	if c.exists("/sys/class/block/" + base) {
		return base, ""
	}
	return "", fmt.Sprintf("%s is not a block device listed in /sys/class/block", dev)
}

// cryptKind walks down from a block device through the devices it is built
// on (LVM on LUKS) and reports the dm-crypt kind found, or none.
func (c *conn) cryptKind(ctx context.Context, name string, depth int) (kind, how string, err error) {
	if depth > 8 {
		return "", "", fmt.Errorf("device stack under %s is deeper than 8", name)
	}
	uuidPath := "/sys/class/block/" + name + "/dm/uuid"
	b, src, rerr := c.read(ctx, uuidPath)
	if rerr != nil {
		if c.exists("/sys/class/block/" + name + "/dm") {
			return "", "", fmt.Errorf("%s", c.explain(rerr, uuidPath))
		}
		// A plain disk or partition: encrypted only if what it sits on is.
		return c.fromSlaves(ctx, name, depth, name+", a plain block device (not device-mapper)")
	}
	uuid := strings.TrimSpace(string(b))
	if rest, ok := strings.CutPrefix(uuid, "CRYPT-"); ok {
		kind, _, _ := strings.Cut(rest, "-")
		return strings.ToLower(kind), name + ", a dm-crypt mapping (" + src + ")", nil
	}
	return c.fromSlaves(ctx, name, depth, name+", a device-mapper device that is not dm-crypt ("+src+")")
}

func (c *conn) fromSlaves(ctx context.Context, name string, depth int, how string) (string, string, error) {
	slaves, _ := fs.ReadDir(c.fsys, rel("/sys/class/block/"+name+"/slaves"))
	if len(slaves) == 0 {
		return "none", how, nil
	}
	kinds := map[string]bool{}
	var hows []string
	for _, s := range slaves {
		k, h, err := c.cryptKind(ctx, s.Name(), depth+1)
		if err != nil {
			return "", "", err
		}
		kinds[k] = true
		hows = append(hows, h)
	}
	if len(kinds) == 1 {
		for k := range kinds {
			return k, name + ", built on " + strings.Join(hows, " and "), nil
		}
	}
	// Some underlying devices encrypted, some not: the data is not all protected.
	return "none", name + ", built on devices of which only some are encrypted: " + strings.Join(hows, " and "), nil
}
