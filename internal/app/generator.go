package app

import "github.com/assurehq/assure/internal/buildinfo"

// generator names this build in what it exports ("assure v1.2.3").
func generator() string {
	v := buildinfo.Read().Version
	if v == "" {
		v = "(development build)"
	}
	return "assure " + v
}
