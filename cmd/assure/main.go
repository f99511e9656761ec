// Command assure is the single binary of Assure: server, scheduler and CLI.
package main

import (
	"os"

	"github.com/assurehq/assure/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
